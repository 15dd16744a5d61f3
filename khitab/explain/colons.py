"""Direct speech introduced by a colon, with or without quotation marks.

News headlines and posts attribute words with a colon: "ترامب: سيكون هناك ثمن باهظ", "وقال:
سنرد". The annotation brief counts such speech as quoted. A colon introduces speech when
what stands before it is a reporting verb's phrase ("وقال:", "مضيفاً:") or a short name
("الكرملين:", "وزير الخارجية الروسي:") and what follows it is not itself reported speech
("اختفاء خاشقجي: تركيا تنفي ..." reports Turkey); labels such as "عاجل:" and clock times
("10:30") introduce nothing.
"""
from __future__ import annotations

from dataclasses import dataclass

from khitab.explain.reporting import _STOPS, MAX_SPEAKER_WORDS, Attribution, attributions, verb_strength
from khitab.text.normalize import fold_keywords
from khitab.text.split import Span

COLONS = ":："
MIN_SPEECH_WORDS = 2  # a colon followed by fewer words introduces a list item or a label
# Words a colon follows that announce something other than speech.
_LABELS = frozenset(
    "عاجل تنبيه ملاحظه المصدر فيديو بالفيديو صور بالصور شاهد السؤال الجواب سؤال جواب اقرا ايضا التالي "
    "الاتي كالتالي الموضوع العنوان ملخص تحديث مثلا مثال منها".split())


@dataclass(frozen=True)
class ColonSpeech:
    """Speech from just after the colon to the sentence's end, and who says it (None: an
    attribution without a named subject, "وقال: ...")."""

    start: int
    end: int
    speaker: Span | None
    attribution: Attribution | None


def colon_speech(document: str, start: int, end: int, words: list[Span]) -> ColonSpeech | None:
    """The speech a colon in ``document[start:end]`` (one sentence, ``words`` its words) introduces."""
    colon = _first_colon(document, start, end)
    if colon is None:
        return None
    before = [w for w in words if w.end <= colon]
    after = [w for w in words if w.start > colon]
    if not before or len(after) < MIN_SPEECH_WORDS:
        return None
    found = attributions(document, before, [])
    if found:
        last = found[-1]
        between = [w for w in before if w.start >= last.end]
        if len(between) <= MAX_SPEAKER_WORDS:
            return ColonSpeech(colon + 1, end, last.speaker, last)
        return None
    if len(before) > MAX_SPEAKER_WORDS or _reports_at_once(document, after):
        return None
    folded = [fold_keywords(w.text) for w in before]
    if any(f in _STOPS or f in _LABELS or verb_strength(w.text) for f, w in zip(folded, before)):
        return None
    name = Span(before[0].start, before[-1].end, document[before[0].start:before[-1].end])
    return ColonSpeech(colon + 1, end, name, None)


def _reports_at_once(document: str, after: list[Span]) -> bool:
    """The words after the colon open with reported speech ("اختفاء خاشقجي: تركيا تنفي"):
    a reporting verb among its first words makes the colon a topic label, not a speaker's."""
    opening = after[:MAX_SPEAKER_WORDS + 1]
    return bool(attributions(document, opening, []))


def _first_colon(document: str, start: int, end: int) -> int | None:
    """The first colon of the span that is no clock time or ratio (a digit on both sides)."""
    for i in range(start, end):
        if document[i] in COLONS:
            left = document[i - 1] if i > start else " "
            right = document[i + 1] if i + 1 < end else " "
            if not (left.isdigit() and right.isdigit()):
                return i
    return None
