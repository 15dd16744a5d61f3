"""Words with offsets, keyword forms, and texts with spans cut out.

Keyword matching (the data adapters' cue lists, explanation targets) works on folded tokens
(``fold_keywords``) with Arabic proclitics stripped; explanation needs the same words with
character offsets into the ORIGINAL document, so a span found on a folded word still indexes
the text the user sent.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

from khitab.text.split import Span

# A word: letters or digits with any diacritics, tatweel or inner apostrophe they carry.
_WORD = re.compile(r"[\w\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06ED\u0640]+")
# The Arabic letters of a folded text (keyword lists are matched on these runs).
ARABIC_TOKEN = re.compile(r"[\u0621-\u064a]+")
# Longest first: "وبال" must win over "و" so the rest is the bare word.
PROCLITICS = ("وبال", "وال", "فال", "بال", "كال", "ولل", "فلل", "لل", "ال", "و", "ف", "ب", "ل", "ك")
# Relative adjective (nisba) endings after folding: -i, -iyya, -iyyin, -iyyun.
NISBA = ("ي", "يه", "يين", "يون")


def word_spans(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """The words of ``text[start:end]``; each span's offsets index ``text`` itself."""
    end = len(text) if end is None else end
    return [Span(m.start(), m.end(), m.group()) for m in _WORD.finditer(text, start, end)]


def bare_forms(token: str) -> list[str]:
    """The token and what is left of it after stripping each possible proclitic (the rest
    keeps at least three letters, so short words are not mistaken for a clitic + stem)."""
    return [token] + [token[len(p):] for p in PROCLITICS if token.startswith(p) and len(token) - len(p) >= 3]


def word_forms(stems: str, suffixes: Sequence[str] = ("",)) -> frozenset[str]:
    """Every space-separated stem with every suffix."""
    return frozenset(stem + suffix for stem in stems.split() for suffix in suffixes)


def with_spans_removed(text: str, start: int, end: int, spans: Sequence[tuple[int, int]]) -> str:
    """``text[start:end]`` with ``spans`` (offsets into ``text``) cut out, one space where a cut
    joined two words."""
    pieces, cursor = [], start
    for s, e in sorted(spans):
        pieces.append(text[cursor:max(cursor, s)])
        cursor = max(cursor, e)
    pieces.append(text[cursor:end])
    return " ".join(p.strip() for p in pieces if p.strip())


def only_spans(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """Just the ``spans`` of ``text``, in order, joined by single spaces."""
    return " ".join(text[s:e].strip() for s, e in sorted(spans) if text[s:e].strip())
