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
# First- and second-person words (pronouns, prepositions with -نا): speech in its speaker's own
# voice or addressed to a listener, never the outlet's narration ("لم نتلق ... لنا"، "أنتم").
_PERSONAL = frozenset("انا نحن احنا انت انتم انتما انتن لنا علينا منا عندنا لدينا بيننا الينا معنا عنا".split())
# Particles that only stand before a verb: "لم ن..."، "لن ن..." is a first-person verb.
_VERB_NEGATIONS = ("لم", "لن")
# One-word place tags: news headlines put a country before a colon as a dateline ("مصر: الحكم
# بإعدام ...") as often as they quote its government ("إيران: لن نتفاوض").
_PLACES = frozenset("""
    مصر ايران تركيا المغرب الجزائر تونس ليبيا السودان سوريا سوريه العراق لبنان الاردن فلسطين غزه
    اليمن السعوديه الكويت قطر البحرين الامارات عمان روسيا الصين فرنسا المانيا بريطانيا اسرائيل
    امريكا اميركا الهند باكستان افغانستان اثيوبيا الصومال موريتانيا اليابان ايطاليا اسبانيا
    اوكرانيا القاهره دمشق بغداد بيروت طهران الرياض انقره موسكو واشنطن باريس لندن
""".split())
# A speech that opens so (negation, modality, future) is a claim the place's government makes.
_CLAIM_OPENERS = frozenset("لا لن لم ليس لسنا ما يجب لابد".split())
_FUTURE_PREFIXES = ("سي", "ست", "سن", "سا")


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
    spoken = [fold_keywords(w.text) for w in after]
    if len(before) > MAX_SPEAKER_WORDS or _reports_at_once(document, after, spoken):
        return None
    folded = [fold_keywords(w.text) for w in before]
    if any(f in _STOPS or f in _LABELS or verb_strength(w.text) for f, w in zip(folded, before)):
        return None
    if _dateline(folded, spoken):
        return None
    name = Span(before[0].start, before[-1].end, document[before[0].start:before[-1].end])
    return ColonSpeech(colon + 1, end, name, None)


def _personal(spoken: list[str]) -> bool:
    """First- or second-person words in the speech: its speaker talking, not a narration."""
    pairs = zip(["", *spoken], spoken)
    return any(w in _PERSONAL or (p in _VERB_NEGATIONS and w.startswith("ن") and len(w) >= 3) for p, w in pairs)


def _dateline(folded: list[str], spoken: list[str]) -> bool:
    """A one-word place tag before third-person narration ("المغرب: صدمة إثر مقتل ..."): the
    outlet's dateline. A first-person speech, or one that opens with a negation, modal or
    future verb ("تركيا: سنرد"، "إسرائيل: لا فرق ..."), is the place's government speaking."""
    if len(folded) != 1 or folded[0] not in _PLACES or _personal(spoken):
        return False
    first = spoken[0]
    return first not in _CLAIM_OPENERS and not (first.startswith(_FUTURE_PREFIXES) and len(first) >= 5)


def _reports_at_once(document: str, after: list[Span], spoken: list[str]) -> bool:
    """The words after the colon open with reported speech ("اختفاء خاشقجي: تركيا تنفي"):
    a reporting verb among its first words makes the colon a topic label, not a speaker's.
    A verb in a clause joined by و ("الكرملين: لا دليل ... وواشنطن ترفض") or a first-person
    speech ("لم نتلق ما يفيد") leaves the colon its speaker's."""
    if _personal(spoken):
        return False
    opening = attributions(document, after[:MAX_SPEAKER_WORDS + 1], [])
    return any(not _joined(document, a, after[0].start) for a in opening)


def _joined(document: str, found: Attribution, first: int) -> bool:
    """The attribution's clause is joined to what precedes it by a و/ف glued to its verb or
    subject (the subject's span then starts after the conjunction, inside the word)."""
    glued = found.speaker is not None and document[found.speaker.start - 1:found.speaker.start] in ("و", "ف")
    return found.start > first and (glued or document[found.start] in "وف" and verb_strength(
        document[found.start + 1:found.end]) is not None)


def _first_colon(document: str, start: int, end: int) -> int | None:
    """The first colon of the span that is no clock time or ratio (a digit on both sides)."""
    for i in range(start, end):
        if document[i] in COLONS:
            left = document[i - 1] if i > start else " "
            right = document[i + 1] if i + 1 < end else " "
            if not (left.isdigit() and right.isdigit()):
                return i
    return None
