"""Whose voice a sentence's flagged content is in: the author's, a quote's, or reported speech.

A rule system (see ``quotes`` and ``reporting``):
- ``quoted``: most of the content (the cue spans by weight, else the sentence's words) lies inside
  quotation marks; the speaker is the one the quote is attributed to: named by a reporting
  verb or marker before the quote opens (in the sentence where it opens, which may be an
  earlier one), else after it closes, else the speaker of the nearest earlier sentence;
- ``reported``: a reporting verb or marker outside quotes (indirect speech: "X threatened
  to ...", "according to X"); the speaker is its named subject, or the earlier sentence's
  speaker when the verb opens the sentence with no subject ("وقال إن ...");
- ``author`` otherwise.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from khitab.explain.quotes import inside_share, paragraph_bounds, quote_regions
from khitab.explain.reporting import Attribution, attributions
from khitab.text.split import Span, split_sentences
from khitab.text.words import word_spans

VOICES = ("author", "quoted", "reported")
QUOTED_SHARE = 0.5  # at least this share of the content inside quotes makes it quoted
LOOKBACK = 3  # earlier sentences searched for the speaker a sentence continues
_OPENING_WORDS = 2  # a subject-less verb this early continues the previous speaker ("ثم قال")


@dataclass(frozen=True)
class Voice:
    voice: str
    speaker: Span | None

    def to_row(self) -> dict[str, Any]:
        speaker = None if self.speaker is None else {
            "start": self.speaker.start, "end": self.speaker.end, "text": self.speaker.text}
        return {"voice": self.voice, "speaker": speaker}


def sentence_voice(
    document: str, start: int, end: int, content: Sequence[tuple[int, int]] = (),
    sentences: Sequence[Span] | None = None, weights: Sequence[float] | None = None,
) -> Voice:
    """The voice of ``document[start:end]``. ``content``: the flagged spans (cues), offsets
    into ``document``, counted by ``weights`` (their weights; equal when not given);
    ``sentences``: the document's sentences (split here when not given)."""
    context = _Context(document, list(sentences) if sentences is not None else split_sentences(document))
    words = word_spans(document, start, end)
    spans = list(content) or [(w.start, w.end) for w in words]
    shares = [max(w, 0.0) for w in weights] if weights is not None and content else None
    regions = context.regions(start, end)
    inside = [r for r in regions if r[0] < end and r[1] > start]
    if inside and inside_share(spans, inside, shares) >= QUOTED_SHARE:
        quote = max(inside, key=lambda r: inside_share(spans, [r], shares))
        return Voice("quoted", context.quote_speaker(quote, start))
    found = attributions(document, words, inside)
    if found:
        return Voice("reported", context.attribution_speaker(found, words, start))
    return Voice("author", None)


class _Context:
    """The document around one sentence: its quotes and the speakers of earlier sentences."""

    def __init__(self, document: str, sentences: list[Span]):
        self.document = document
        self.sentences = sentences

    def regions(self, start: int, end: int) -> list[tuple[int, int]]:
        return quote_regions(self.document, *paragraph_bounds(self.document, start))

    def quote_speaker(self, quote: tuple[int, int], start: int) -> Span | None:
        """Who the quote is attributed to: before its opening mark, after its end, or earlier."""
        opening = self._sentence_at(quote[0])
        if opening is not None:
            before = [a for a in self._attributions(opening) if a.end <= quote[0]]
            if before and before[-1].speaker is not None:
                return before[-1].speaker
        closing = self._sentence_at(max(quote[0], quote[1] - 1))
        if closing is not None:
            after = [a for a in self._attributions(closing) if a.start >= quote[1] and a.speaker is not None]
            if after:
                return after[0].speaker
        return self.earlier_speaker(opening.start if opening is not None else start)

    def attribution_speaker(self, found: list[Attribution], words: list[Span], start: int) -> Span | None:
        named = [a for a in found if a.speaker is not None]
        if named:
            return named[0].speaker
        opening = {w.start for w in words[:_OPENING_WORDS]}
        if found[0].start in opening:
            return self.earlier_speaker(start)
        return None

    def earlier_speaker(self, start: int) -> Span | None:
        """The speaker named in the nearest of the ``LOOKBACK`` sentences before ``start``."""
        earlier = [s for s in self.sentences if s.end <= start][-LOOKBACK:]
        for sentence in reversed(earlier):
            named = [a.speaker for a in self._attributions(sentence) if a.speaker is not None]
            if named:
                return named[0]
        return None

    def _sentence_at(self, position: int) -> Span | None:
        return next((s for s in self.sentences if s.start <= position < s.end), None)

    def _attributions(self, sentence: Span) -> list[Attribution]:
        words = word_spans(self.document, sentence.start, sentence.end)
        regions = self.regions(sentence.start, sentence.end)
        return attributions(self.document, words, regions)
