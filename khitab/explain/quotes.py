"""Quoted regions of a paragraph, as news and posts really write them.

Arabic text mixes « », curly and straight quotes, often unbalanced: a quote may open and
never close (the speech runs to the end of the paragraph), or close in a later sentence.
Regions are found per paragraph (a line), so a quote that spans sentences is one region.
A straight or curly mark is read from the characters around it: a mark before a word opens,
a mark after a word closes, and a mark with space on both sides toggles; a mark between two
letters is an apostrophe, not a quote.
"""
from __future__ import annotations

OPENERS = "«‹„"
CLOSERS = "»›"
EITHER = "\"“”‘’❝❞"  # direction read from context (RTL text often swaps “ and ”, ❝ and ❞)
_OPEN_BEFORE = "([{«‹„:،,"  # after an opening bracket or a colon a mark opens too


def paragraph_bounds(document: str, position: int) -> tuple[int, int]:
    """The line of ``document`` that holds ``position``, as (start, end) offsets."""
    start = document.rfind("\n", 0, position) + 1
    end = document.find("\n", position)
    return start, len(document) if end < 0 else end


def quote_regions(document: str, start: int, end: int) -> list[tuple[int, int]]:
    """Quoted regions of ``document[start:end]`` (a paragraph), marks included; an unclosed
    quote runs to ``end``; a closer with nothing open closes a quote begun at ``start``."""
    regions: list[tuple[int, int]] = []
    opened: int | None = None
    for i in range(start, end):
        role = _role(document, i, start, end)
        if role is None:
            continue
        if opened is None and role in ("open", "either"):
            opened = i
        elif opened is None and role == "close":
            regions.append((start, i + 1))
        elif opened is not None and role in ("close", "either"):
            regions.append((opened, i + 1))
            opened = None
        # an opener inside an open quote is a stray mark: the quote stays open
    if opened is not None:
        regions.append((opened, end))
    return regions


def _role(document: str, i: int, start: int, end: int) -> str | None:
    mark = document[i]
    if mark in OPENERS:
        return "open"
    if mark in CLOSERS:
        return "close"
    if mark not in EITHER:
        return None
    before = document[i - 1] if i > start else " "
    after = document[i + 1] if i + 1 < end else " "
    word_before, word_after = _is_word_char(before), _is_word_char(after)
    if word_before and word_after:
        # between Latin letters an apostrophe; between Arabic ones a quote typed without space
        return None if before.isascii() and after.isascii() else "either"
    if word_after and (before.isspace() or before in _OPEN_BEFORE):
        return "open"
    if before in ":：":
        return "open"  # «قائلا:" أتقدم ...»: a mark right after a colon opens, spaced or not
    if word_before or (not word_after and not before.isspace()):
        return "close"
    return "either"


def _is_word_char(char: str) -> bool:
    return char.isalnum() or "\u064b" <= char <= "\u065f" or char == "\u0640"


def inside_share(
    spans: list[tuple[int, int]], regions: list[tuple[int, int]], weights: list[float] | None = None,
) -> float:
    """Share of the characters of ``spans`` (each counted ``weights[i]`` times) that lie
    inside ``regions``; 0.0 without spans."""
    weights = [1.0] * len(spans) if weights is None else weights
    total = sum(w * (e - s) for (s, e), w in zip(spans, weights))
    if total <= 0:
        return 0.0
    covered = sum(w * max(0, min(e, re) - max(s, rs)) for (s, e), w in zip(spans, weights) for rs, re in regions)
    return covered / total
