"""Reporting verbs and attribution markers, and the speaker they name.

Forms are folded (``fold_keywords``) and generated per verb: perfect (he, she, they, the two),
imperfect (he, she, they, the two; dialect ب-prefixed: بيقول، بتقول، بيقولوا) and the
circumstantial participle (قائلا، مضيفا). A token matches with or without a و/ف prefix.
Verbs that often mean something else (زاد "increased", نقل "moved", كشف "uncovered", رأى
"saw") count only when a complementizer, colon or quote follows them.
"""
from __future__ import annotations

from dataclasses import dataclass

from khitab.text.normalize import fold_keywords
from khitab.text.split import Span

# perfect 3ms, imperfect 3ms, participle ("-": that form is not used so, or means something
# else: متهم "a suspect", هاتف "a phone", مفيد "useful"; ذكر's imperfect is the author's
# background formula يُذكر أن).
_SOUND = {
    "strong": """قال يقول قائل | اضاف يضيف مضيف | اكد يؤكد مؤكد | اشار يشير مشير | صرح يصرح مصرح |
        اعلن يعلن معلن | هدد يهدد مهدد | توعد يتوعد متوعد | اتهم يتهم - | شدد يشدد مشدد |
        اوضح يوضح موضح | حذر يحذر محذر | غرد يغرد مغرد | افاد يفيد - | تعهد يتعهد متعهد |
        هتف يهتف - | كتب - - | گال يگول - | رفض يرفض رافض | انتقد ينتقد منتقد | طالب يطالب مطالب |
        ندد يندد مندد | ادان يدين - | وصف يصف واصف | اعرب يعرب معرب""",
    "weak": """زاد - - | ذكر - - | نقل ينقل ناقل | اعتبر يعتبر معتبر | كشف يكشف كاشف | لفت يلفت لافت |
        تابع - - | حكي يحكي - | رد يرد - | نشر ينشر - | شجع يشجع مشجع""",
}
# Defective verbs (final weak letter) conjugate irregularly: their forms are listed whole.
_DEFECTIVE = {
    "strong": "نفي نفت نفوا نفيا ينفي تنفي ينفون ينفيان نافيا نافيه دعا دعت دعوا يدعو تدعو يدعون داعيا "
              "شكا شكت شكوا يشكو تشكو يشكون شاكيا نعي نعت نعوا ينعي تنعي ينعون ناعيا",
    "weak": "راي رات راوا يري تري يرون حكت حكوا بيحكي",
}
# Multi-word and prepositional attributions; the speaker follows them.
MARKERS = ("نقل عن", "نقلا عن", "وفقا", "وفق", "بحسب", "حسب", "علي لسان")
# After these the speaker carries the preposition ل as a prefix: «وفقاً لمصادر أمنية».
_LAM_MARKERS = frozenset({"وفقا"})
COMPLEMENTIZERS = frozenset("ان انه انها انهم اننا انني بان بانه بانها بانهم انو لان فان فانه فانها فانهم".split())
# Words that end a speaker's name: prepositions, complementizers, pronouns, time words.
_STOPS = frozenset("""
    الي علي في عن من مع خلال امام لدي عبر حول منذ بعد قبل عند ان انه انها انهم اننا بان بانه فان فانه
    قد ايضا كذلك بدوره بدورها وهو وهي وهم الذي التي الذين اليوم امس غدا صباح مساء السبت الاحد
    الاثنين الثلاثاء الاربعاء الخميس الجمعه انو بيان كلمه تصريح تصريحات رسميا
    راح رح رايح بدنا بدي لازم والله احنا نحن انا انت انتم انتو هذا هذه هاي هذول اذا لو
""".split())  # the second line: direct speech starting without quotes, often in dialect
MAX_SPEAKER_WORDS = 6
# Words that link a name to the next one ("عبد الرحمان بن بوزيد"، "أبو بكر"): a name cut off
# after one of them is incomplete, so the next word is taken beyond ``MAX_SPEAKER_WORDS``.
_NAME_LINKS = frozenset("بن ابن بنت ابو ابي ام عبد ال".split())
# A weak verb's complementizer may follow a long subject ("واعتبر بلاغ صادر عن اجتماع المكتب
# المركزي للجمعية أن ..."): it counts within this many words.
COMPLEMENT_WINDOW = 10
_COMPLEMENT_MIN = 4  # letters after a ب/ل prefix that make a word a complement


def _sound_forms(perfect: str, imperfect: str, participle: str) -> set[str]:
    forms = {perfect, perfect + "ت", perfect + "وا", perfect + "ا", perfect + "تا"}
    if imperfect != "-":
        she = "ت" + imperfect[1:]
        forms |= {imperfect, she, imperfect + "ون", imperfect + "وا", imperfect + "ان", she + "ان",
                  "ب" + imperfect, "ب" + she, "ب" + imperfect + "وا"}
    if participle != "-":
        forms |= {participle + "ا", participle + "ين"}  # -ه and -ان are nouns too (مؤكده، هاتفان)
    return forms


def _verb_forms(strength: str) -> frozenset[str]:
    forms = set(_DEFECTIVE[strength].split())
    for entry in _SOUND[strength].split("|"):
        forms |= _sound_forms(*entry.split())
    return frozenset(forms)


STRONG_VERBS = _verb_forms("strong")
WEAK_VERBS = _verb_forms("weak")
# Circumstantial participles (قائلا، مضيفاً): their subject is the sentence's first subject.
PARTICIPLES = frozenset(
    {p + "ا" for entry in (*_SOUND["strong"].split("|"), *_SOUND["weak"].split("|"))
     for p in entry.split()[2:3] if p != "-"} | {"نافيا", "داعيا", "شاكيا", "ناعيا"})
# Perfect forms (those a headline's imperfect "X تنفي" is told from): their subject may stand
# after them ("قال X") while an imperfect verb's subject stands before it in a headline.
PERFECT_VERBS = frozenset(
    {f for entry in (*_SOUND["strong"].split("|"), *_SOUND["weak"].split("|"))
     for f in _sound_forms(entry.split()[0], "-", "-")}
    | set("نفي نفت نفوا نفيا دعا دعت دعوا شكا شكت شكوا نعي نعت نعوا راي رات راوا حكت حكوا".split()))
# An imperfect verb may carry its object as a suffix ("تصفه بالمسرحية"، "تنتقدها"); a perfect
# or masdar with one is often a noun ("رفضه" his refusal), so only imperfect forms are read so.
_OBJECT_SUFFIXES = ("هما", "هم", "ها", "ه")
# A verb right after a relative pronoun describes a noun ("الأصوات التي تتهم بوتين"، "ممن
# يدعون أنهم"): the author's characterization, not an attribution the sentence makes.
# Dialect relatives (اللي، يلي: "الناس اللي بتقول ...") work the same way.
RELATIVES = frozenset("الذي التي الذين اللذين اللتين اللواتي اللاتي ممن مما اللي يلي".split())
# First-person words (and كنتُ/كنتَ) right before a verb make it the writer's own ("أنا قلت"،
# "كنت رفضت"): the -ت of the perfect is then "I" (or "you"), not "she", and no one is reported.
_FIRST_PERSON = frozenset("انا نحن احنا كنت كنا".split())
# Words that end a subject read backwards from its verb ("كما أكد"، "ثم قال"، "حيث يقول").
_BEFORE_STOPS = _STOPS | frozenset(
    "كما ثم حيث بينما فيما لكن لكنه ولكن بالتالي وبالتالي اذ عندما حين ما مما لما كل".split())
# Nouns that begin with و and are no conjunction + word (وزير، وكالة، ولي العهد).
_WAW_NOUNS = frozenset("وزير وزيره وزاره وكاله وسائل ولي وفد والي وحده ولايه".split())


# Headlines name a speech act with an indefinite masdar ("تهديدات من X لـ..."، "اعتذار من X"،
# "اتهامات لتركيا بـ..."، "أنباء عن ..."): the outlet reports someone's words without a verb.
SPEECH_NOUNS = frozenset("تهديد تهديدات اتهام اتهامات تحذير تحذيرات اعتذار انباء مطالبات انتقادات".split())
# After these من names the danger ("تحذيرات من انهيار السد"), not the speaker.
_DANGER_NOUNS = frozenset({"تحذير", "تحذيرات"})


@dataclass(frozen=True)
class Attribution:
    """A reporting construction in a sentence: where its verb or marker is, and whom it names."""

    start: int  # offsets of the verb or marker in the document
    end: int
    speaker: Span | None


def verb_strength(word: str) -> str | None:
    """"strong" or "weak" when ``word`` (raw) is a reporting verb form, with or without و/ف."""
    folded = fold_keywords(word)
    for form in (folded, folded[1:] if folded[:1] in ("و", "ف") else ""):
        for stem in (form, _without_object(form)):
            if stem in STRONG_VERBS:
                return "strong"
            if stem in WEAK_VERBS:
                return "weak"
    return None


def _without_object(form: str) -> str:
    """An imperfect verb form without its object suffix ("تصفه" -> "تصف"); "" when none."""
    if form[:1] not in ("ي", "ت"):
        return ""
    suffix = next((x for x in _OBJECT_SUFFIXES if form.endswith(x)), "")
    return form[:-len(suffix)] if suffix and len(form) - len(suffix) >= 3 else ""


def attributions(document: str, words: list[Span], quoted: list[tuple[int, int]]) -> list[Attribution]:
    """Reporting verbs and markers among ``words`` (one sentence's), outside quoted regions."""
    found = []
    folded = [fold_keywords(w.text) for w in words]
    for i, word in enumerate(words):
        if any(s <= word.start < e for s, e in quoted):
            continue
        marker = _marker_length(folded, i)
        if marker:
            lam = _strip_wa(folded[i]) in _LAM_MARKERS or folded[i] in _LAM_MARKERS
            speaker = speaker_after(document, words, i + marker, lam_prefix=lam)
            found.append(Attribution(word.start, words[i + marker - 1].end, speaker))
            continue
        own = i and (folded[i - 1] in RELATIVES or folded[i - 1] in _FIRST_PERSON)
        strength = None if own else verb_strength(word.text)
        if strength == "strong" or (strength == "weak" and _complement_follows(document, words, folded, i)):
            speaker = _verb_speaker(document, words, folded, i)
            found.append(Attribution(word.start, word.end, speaker))
    return found


def headline_report(document: str, words: list[Span]) -> list[Attribution]:
    """A sentence opening with a speech masdar and its complement (من X، عن، a ل/ب noun), as
    a one-item list; the speaker is X after من."""
    if len(words) < 2 or document[words[0].end:words[1].start].strip():
        return []
    first, second = fold_keywords(words[0].text), fold_keywords(words[1].text)
    if first not in SPEECH_NOUNS or not (second in ("من", "عن") or _is_complement(second)):
        return []
    speaker = speaker_after(document, words, 2) if second == "من" and first not in _DANGER_NOUNS else None
    return [Attribution(words[0].start, words[0].end, speaker)]


def _verb_speaker(document: str, words: list[Span], folded: list[str], i: int) -> Span | None:
    """Who the reporting verb at word ``i`` names: an imperfect verb's subject before it
    (headlines: "روسيا تنفي ..."), else the name after the verb ("قال قاآني"), else
    "كان X قد قال", else a subject before a perfect verb ("ليلى اعتبرت أيضاً أن")."""
    if _strip_wa(folded[i]) in PARTICIPLES:
        return speaker_after(document, words, i + 1) or (speaker_after(document, words, 1) if i > 1 else None)
    before = subject_before(document, words, folded, i)
    if before is not None and _strip_wa(folded[i]) not in PERFECT_VERBS and folded[i] not in PERFECT_VERBS:
        return before
    return (speaker_after(document, words, i + 1) or _subject_before_qad(document, words, folded, i)
            or before)


def subject_before(document: str, words: list[Span], folded: list[str], i: int) -> Span | None:
    """The words right before word ``i`` in its clause (no punctuation between, no stop word),
    at most ``MAX_SPEAKER_WORDS``; a word joined by the conjunction و begins the subject
    without its و ("... ودوما وروسيا تنفي" -> روسيا)."""
    taken: list[Span] = []
    for k in range(i - 1, max(-1, i - 1 - MAX_SPEAKER_WORDS), -1):
        word, after = words[k], words[k + 1]
        if document[word.end:after.start].strip() or folded[k] in _BEFORE_STOPS or verb_strength(word.text):
            break
        if (k > 0 and _is_complement(folded[k])) or not any(ch.isalpha() for ch in word.text):
            break
        # a conjunction before a definite subject, even sentence-initial ("فالاحتلال يتهم")
        if k == 0 and folded[k][:3] in ("وال", "فال"):
            taken.append(Span(word.start + 1, word.end, word.text[1:]))
            break
        if k > 0 and folded[k][:1] == "و" and len(folded[k]) > 3 and folded[k] not in _WAW_NOUNS:
            taken.append(Span(word.start + 1, word.end, word.text[1:]))
            break
        taken.append(word)
    if not taken:
        return None
    first, last = taken[-1], taken[0]
    return Span(first.start, last.end, document[first.start:last.end])


def _marker_length(folded: list[str], i: int) -> int:
    """How many words the attribution marker starting at word ``i`` has (0: none)."""
    for marker in MARKERS:
        parts = marker.split()
        window = folded[i:i + len(parts)]
        if len(window) == len(parts) and all(_strip_wa(w) == p or w == p for w, p in zip(window, parts)):
            return len(parts)
    return 0


def _strip_wa(word: str) -> str:
    return word[1:] if word[:1] in ("و", "ف") and len(word) > 3 else word


def _complement_follows(document: str, words: list[Span], folded: list[str], i: int) -> bool:
    """A complementizer within the next words, or a colon or quote right after the verb's phrase."""
    following = folded[i + 1:i + 1 + COMPLEMENT_WINDOW]
    if any(w in COMPLEMENTIZERS for w in following):
        return True
    gap_end = words[i + 1].start if i + 1 < len(words) else len(document)
    if any(ch in ':"«“”' for ch in document[words[i].end:gap_end]):
        return True
    # "يرد على ترامب: كن حذرا": a colon closing the verb's short phrase, no punctuation before it
    last = min(len(words) - 1, i + MAX_SPEAKER_WORDS)
    stop = words[last + 1].start if last + 1 < len(words) else len(document)
    for ch in document[words[i].end:stop]:
        if ch in ":：":
            return True
        if ch in ".!?؟،,;؛\"«»“”":
            return False
    return False


def speaker_after(document: str, words: list[Span], first: int, lam_prefix: bool = False) -> Span | None:
    """The name that follows a reporting verb: words up to a stop word, punctuation or quote.
    With ``lam_prefix`` the first word's ل is the marker's preposition, not the name's."""
    taken: list[Span] = []
    for j in range(first, min(len(words), first + MAX_SPEAKER_WORDS)):
        word = words[j]
        if lam_prefix and j == first and word.text.startswith("ل") and len(word.text) > 1:
            word = Span(word.start + 1, word.end, word.text[1:])
        folded = fold_keywords(word.text)
        gap = document[(taken[-1].end if taken else words[first - 1].end if first else word.start):words[j].start]
        if gap.strip() or folded in _STOPS or _is_complement(folded) or verb_strength(word.text):
            break
        if word.text.endswith(("اً", "ًا")) and taken:
            break  # an adverb in -an (رسمياً) after the name
        taken.append(word)
    if not taken:
        return None
    _complete_name(document, words, taken)
    return Span(taken[0].start, taken[-1].end, document[taken[0].start:taken[-1].end])


def _complete_name(document: str, words: list[Span], taken: list[Span]) -> None:
    """Extend a name cut off right after a linking word (بن، أبو، عبد) by the word it links."""
    nxt = next((j for j, w in enumerate(words) if w.start >= taken[-1].end), None)
    if (nxt is not None and fold_keywords(taken[-1].text) in _NAME_LINKS
            and not document[taken[-1].end:words[nxt].start].strip()):
        taken.append(words[nxt])


def _is_complement(folded: str) -> bool:
    """A ب/ل-prefixed noun (باستهداف، بالانتقام، لمقتل، للجماعة) starts the verb's complement,
    not a name (short names survive: بشار، بكر، بن)."""
    return folded[:1] in ("ب", "ل") and len(folded) - 1 >= _COMPLEMENT_MIN


def _subject_before_qad(document: str, words: list[Span], folded: list[str], i: int) -> Span | None:
    """"(و)كان X قد <verb>": the subject stands between كان and قد."""
    if i < 3 or folded[i - 1] != "قد":
        return None
    for k in range(i - 2, max(-1, i - 2 - MAX_SPEAKER_WORDS), -1):
        if _strip_wa(folded[k]) in ("كان", "كانت") or folded[k] in ("كان", "كانت"):
            first, last = words[k + 1], words[i - 2]
            return Span(first.start, last.end, document[first.start:last.end]) if k + 1 <= i - 2 else None
    return None
