"""Sentence splitting for Arabic prose, with character offsets into the original text.

Rules, in order of precedence:
- a newline always ends a sentence (headlines and list items carry no final stop);
- ``! ? ؟ ؛`` end a sentence, together with any run of terminal marks and closing quotes
  that follow them, even when the next word starts without a space (common in posts);
- ``.`` ends a sentence only before whitespace or end of line, so decimals (2.5), URLs and
  dotted acronyms stay whole, and not after a one-letter initial or a known abbreviation;
- ellipses (``..``, ``...``, ``…``) inside a line are pauses, not boundaries.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_MARKS = re.compile(r"(?P<punct>[.!?؟؛…]+)(?P<closers>[\"'”’»)\]}›]*)")
_STRONG = set("!?؟؛")
_ARABIC_LETTER = re.compile(r"[\u0621-\u064A\u0671-\u06D3]")
_WORD_BEFORE = re.compile(r"(\w+(?:\.\w+)*)$")
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "st", "vs", "etc", "no", "jr", "sr", "gen", "col",
    "lt", "sgt", "e.g", "i.e", "u.s", "u.k", "u.n", "inc", "ltd", "co", "jan", "feb",
    "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
}
_HAS_CONTENT = re.compile(r"\w")


@dataclass(frozen=True)
class Span:
    """One sentence: ``original[start:end] == text``."""

    start: int
    end: int
    text: str


def split_sentences(text: str) -> list[Span]:
    """Split ``text`` into sentence spans whose offsets index the original string."""
    spans: list[Span] = []
    line_start = 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        cut = 0
        for end in _sentence_ends(body):
            spans.extend(_trimmed(text, line_start + cut, line_start + end))
            cut = end
        spans.extend(_trimmed(text, line_start + cut, line_start + len(body)))
        line_start += len(line)
    return spans


def _sentence_ends(line: str) -> list[int]:
    ends = []
    for match in _MARKS.finditer(line):
        end = match.end()
        if _is_boundary(line, match.start(), match.group("punct"), end):
            ends.append(end)
    return ends


def _is_boundary(line: str, start: int, punct: str, end: int) -> bool:
    following = line[end:end + 1]
    at_break = following == "" or following.isspace()
    if _STRONG & set(punct):
        return at_break or bool(_ARABIC_LETTER.match(following))
    if len(punct) > 1 or "…" in punct:
        return False  # ellipsis: a pause inside the line
    return at_break and not _is_abbreviation(line[:start])


def _is_abbreviation(before: str) -> bool:
    match = _WORD_BEFORE.search(before)
    if match is None:
        return False
    word = match.group(1)
    return len(word) == 1 and not word.isdigit() or word.lower() in _ABBREVIATIONS


def _trimmed(text: str, start: int, end: int) -> list[Span]:
    segment = text[start:end]
    stripped = segment.strip()
    if not _HAS_CONTENT.search(stripped):
        return []
    lead = len(segment) - len(segment.lstrip())
    begin = start + lead
    return [Span(begin, begin + len(stripped), stripped)]
