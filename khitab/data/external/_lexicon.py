"""Small Arabic keyword lists that gate weak external labels (they never create a label alone).

External datasets annotate hate, stance or propaganda, not our labels. Where an adapter has to
decide whether a dataset label can stand for one of ours it checks the text for explicit cues:
a hate label counts as ``sectarian`` only if a sect term is present, and a "not hate" label is
a ``sectarian`` negative only if no sect term is present (hate datasets file non-hateful
sectarian framing under "not hate"). Denial cues play the same role for ``denial``. Matching is
on normalized tokens (diacritics and tatweel removed, alef / yaa / taa marbuta folded) with
Arabic proclitics stripped, so it is approximate by design.
"""
from __future__ import annotations

from khitab.text.normalize import fold_keywords
from khitab.text.words import ARABIC_TOKEN, NISBA, bare_forms, word_forms

# Sects and religious communities of the guidelines (Christians included), their slurs, and the
# vocabulary of sect itself. Left out on purpose because they are mostly something else:
# سنه (year), علوي / علويه (upper), المسيح (Christ), يهود / مسلم (religions the guidelines'
# sect list does not name; anti-Jewish or anti-Muslim hate is not mapped to sectarian),
# اسماعيلي / اسماعيليه (an Egyptian football club and city; only the plurals are kept).
SECT_TERMS = word_forms(
    "شيع سن مسيح نصران صليب مارون قبط ايزيد يزيد رافض ناصب صفو مجوس شروك وهاب طائف مذهب "
    "ارثوذكس كاثوليك",
    NISBA,
) | word_forms(
    "شيعه علويين علويون نصيري نصيريه نصيريين درزي درزيه دروز نصاري موارنه اقباط روافض رافضه "
    "نواصب مجوس طائفه طوائف مذهب مذاهب اسماعيليين اسماعيليون مسيحين مسحيين صليبين وهابين كفتس كفتسه"
)
SECT_PHRASES = ("اهل السنه", "السنه والشيعه", "الشيعه والسنه", "سنه وشيعه", "شيعه وسنه", "احفاد يزيد",
                "بني اميه", "احفاد ابن العلقمي", "عضمه زرقا")

# Verbs of denying or calling a claim false (ANS positives, together with the stance label).
DENIAL_VERBS = frozenset({
    "نفي", "نفت", "ينفي", "تنفي", "ينفون", "نفوا", "نافيا", "نافيه", "تنفيان", "ينفيان", "نفيا",
    "كذب", "كذبت", "كذبوا", "يكذب", "تكذب", "يكذبون", "تكذيب", "انكر", "انكرت", "ينكر", "تنكر",
    "ينكرون", "دحض", "دحضت", "يدحض", "تدحض", "فند", "فندت", "يفند", "تفند", "تفنيد",
})
# Words and phrases that themselves call something false (verbs above, "fabricated", "lies",
# "baseless"): strong enough to confirm a weak positive.
FALSITY_TERMS = DENIAL_VERBS | frozenset({
    "كاذب", "كاذبه", "كاذبون", "كاذبين", "كذاب", "كذابين", "كذبه", "اكاذيب", "اكذوبه", "انكار",
    "مفبرك", "مفبركه", "فبركه", "ملفق", "ملفقه", "تلفيق", "مزيف", "مزيفه", "تزييف", "زائف", "زائفه",
    "مغلوط", "مغلوطه", "افتراء", "افتراءات",
})
FALSITY_PHRASES = ("غير صحيح", "ليس صحيح", "ليست صحيح", "لا صحه", "عدم صحه", "عار عن الصحه",
                   "عاريه عن الصحه", "عاري عن الصحه", "لا اساس له", "لم يحدث", "لم تحدث")
# Broader cues that a text may be disputing a claim ("rumours", "alleged", "no evidence"): too
# weak to confirm a positive, but their presence withholds a denial negative.
DENIAL_CUES = FALSITY_TERMS | frozenset({
    "مزاعم", "مزعوم", "مزعومه", "ادعاءات", "ادعاء", "يدعي", "تدعي", "يدعون", "زعم", "يزعم", "تزعم",
    "شائعه", "شائعات", "اشاعه", "اشاعات", "مضلل", "مضلله", "تضليل", "باطل", "باطله",
})
DENIAL_PHRASES = FALSITY_PHRASES + ("غير دقيق", "عدم وجود", "لا وجود", "لا يوجد دليل", "لا دليل")
# Stems of harm, revenge and incitement (dialect forms included): they choose which real texts
# annotators read as candidate threats (khitab.data.real.sampling), never a label.
THREAT_CUES = frozenset(
    "قتل اقتل نقتل يقتل سنقتل اقتلوا اقتلوهم ذبح اذبح نذبح سنذبح اذبحوا ذبحهم حرق احرق نحرق "
    "سنحرق احرقوا حرقهم انتقام ننتقم سننتقم الانتقام ثار ثأر سحق نسحق سنسحق تفجير فجر نفجر "
    "اضرب اضربوا نضرب سنضرب سلاح السلاح دماء دم رصاص رصاصه الموت موت اعدام اعدموا سحل اسحلوا "
    "ادعس ادوس اكسر اكسره اكسرلك راسك رقبتك رقابكم رقابهم اذبحك اقتلك امحي نمحي ابيد نبيد ابادة "
    "ابادتهم طردهم اطردوهم هجوم نهجم سنهجم استهداف نستهدف سنستهدف جهاد الجهاد غزو".split()
)
_NEGATORS = frozenset({"لا", "لم", "لن", "ما"})


def _tokens(text: str) -> list[str]:
    return ARABIC_TOKEN.findall(fold_keywords(text))


def _has(text: str, terms: frozenset[str], phrases: tuple[str, ...]) -> bool:
    tokens = _tokens(text)
    joined = " ".join(tokens)
    return any(p in joined for p in phrases) or any(b in terms for t in tokens for b in bare_forms(t))


def has_sect_term(text: str) -> bool:
    return _has(text, SECT_TERMS, SECT_PHRASES)


def has_denial_cue(text: str) -> bool:
    return _has(text, DENIAL_CUES, DENIAL_PHRASES)


def has_threat_cue(text: str) -> bool:
    return _has(text, THREAT_CUES, ())


def has_falsity_term(text: str) -> bool:
    return _has(text, FALSITY_TERMS, FALSITY_PHRASES)


def has_denial_verb(text: str) -> bool:
    """A denial verb that is not itself negated ("لا ينفي", "لم ينكر")."""
    tokens = _tokens(text)
    return any(
        any(b in DENIAL_VERBS for b in bare_forms(t)) and (i == 0 or tokens[i - 1] not in _NEGATORS)
        for i, t in enumerate(tokens)
    )
