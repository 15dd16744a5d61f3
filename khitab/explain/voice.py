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

from khitab.explain.colons import colon_speech
from khitab.explain.quotes import inside_share, paragraph_bounds, quote_regions
from khitab.explain.reporting import COMPLEMENTIZERS, MAX_SPEAKER_WORDS, Attribution, attributions, headline_report
from khitab.text.normalize import fold_keywords
from khitab.text.split import Span, split_sentences
from khitab.text.words import word_spans

VOICES = ("author", "quoted", "reported")
QUOTED_SHARE = 0.5  # at least this share of the content inside quotes makes it quoted
INTRODUCED_MIN_WORDS = 3  # a quote this long right after a verb or colon is the sentence's message
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
    speech = [r for r in inside if not _mention(document, r)]
    if speech and inside_share(spans, speech, shares) >= QUOTED_SHARE:
        quote = max(speech, key=lambda r: inside_share(spans, [r], shares))
        return Voice("quoted", context.quote_speaker(quote, start))
    colon = colon_speech(document, start, end, words)
    # without cues the speech a colon introduces is the sentence's message ("وقال X: ...")
    if colon is not None and (not content or inside_share(spans, [(colon.start, colon.end)], shares) >= QUOTED_SHARE):
        return Voice("quoted", colon.speaker or context.earlier_speaker(start))
    introduced = [r for r in speech if not content and _introduced(document, words, r)]
    if introduced:
        return Voice("quoted", context.quote_speaker(introduced[0], start))
    # no reporting verb: a headline may still name the speech act ("تهديدات من X لـ...")
    found = attributions(document, words, inside) or headline_report(document, words)
    if found:
        return Voice("reported", context.attribution_speaker(found, words, start))
    return Voice("author", None)


def _mention(document: str, region: tuple[int, int]) -> bool:
    """A quote glued to a preposition (لـ"البوابة نيوز"، بـ"عدم المهنية"): a name or term the
    sentence mentions, not speech it gives; its words still are no reporting verbs."""
    before = document[max(0, region[0] - 2):region[0]]
    return before in ("لـ", "بـ") or (before[-1:] in ("ل", "ب") and not before[:1].isalpha())


def _introduced(document: str, words: list[Span], region: tuple[int, int]) -> bool:
    """A quote of at least ``INTRODUCED_MIN_WORDS`` words opening right after a reporting verb
    or a colon ("وقالت "كان هذا ..."", "يؤكد: “...”"): direct speech the sentence exists to give,
    though it may fill less than half of the words."""
    inner = [w for w in words if region[0] <= w.start < region[1]]
    previous = [w for w in words if w.end <= region[0]]
    if len(inner) < INTRODUCED_MIN_WORDS or not previous:
        return False
    gap = document[previous[-1].end:region[0]]
    if any(c in gap for c in ":："):
        return True
    if gap.strip(" ،,-–"):
        return False
    # the verb, then at most its subject's words ("وقالت "..."", "قال المدرب "..."")
    recent = previous[-(MAX_SPEAKER_WORDS + 1):]
    found = attributions(document, recent, [])
    between = [fold_keywords(w.text) for w in recent if w.start >= found[-1].end] if found else []
    # "يشدد على أنه يدعم “...”": a complementizer makes the quote a fragment of indirect speech
    return (bool(found) and _plain_between(document, found[-1].end, region[0])
            and not any(w in COMPLEMENTIZERS or w in ("علي", "الي") for w in between))


def _plain_between(document: str, start: int, end: int) -> bool:
    """Only words and spaces between two offsets (no sentence punctuation, no other quote)."""
    return not any(ch in ".،,;:!?؟«»\"“”" for ch in document[start:end])


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
        # the first attribution governs: "وأضاف أن ... ما يقولون" continues the earlier speaker
        if found[0].speaker is not None:
            return found[0].speaker
        opening = {w.start for w in words[:_OPENING_WORDS]}
        if found[0].start in opening:
            return self.earlier_speaker(start)
        named = [a for a in found if a.speaker is not None]
        return named[0].speaker if named else None

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
