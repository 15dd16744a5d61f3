import pytest

from khitab.explain.reporting import verb_strength

BRIEF_VERBS = "قال أضاف أكد أشار زاد صرح أعلن هدد توعد نفى اتهم شدد لفت أوضح نقل ذكر حذر دعا اعتبر رأى كشف".split()


@pytest.mark.parametrize("verb", BRIEF_VERBS)
def test_every_reporting_verb_of_the_issue_is_known_with_wa_and_fa(verb):
    assert verb_strength(verb) is not None
    assert verb_strength("و" + verb) == verb_strength("ف" + verb) == verb_strength(verb)


@pytest.mark.parametrize("form", [
    "قالت", "قالوا", "يقول", "تقول", "يقولون", "بيقول", "بتقول", "قائلاً", "أضافت", "يضيف", "مضيفاً",
    "أكدت", "يؤكد", "مؤكداً", "أشارت", "يشير", "هددت", "يهدد", "توعدوا", "يتوعد", "نفت", "ينفي", "نافياً",
    "اتهمت", "يتهم", "شددت", "أوضحت", "حذرت", "يحذر", "دعت", "يدعو", "رأت", "يرى", "كشفت", "ذكرت",
    "وأشار", "فقال", "گال", "يگول", "حكى", "بيحكي", "غرّد", "كتب",
])
def test_feminine_plural_imperfect_participle_and_dialect_forms(form):
    assert verb_strength(form) is not None


@pytest.mark.parametrize("word", ["يشار", "يذكر", "متهم", "هاتف", "مفيد", "الوزير", "قائد", "إشارة"])
def test_author_formulas_and_lookalike_nouns_are_not_reporting_verbs(word):
    assert verb_strength(word) is None


def test_ambiguous_verbs_are_weak():
    assert {verb_strength(v) for v in ("زاد", "نقل", "كشف", "رأى", "ذكر", "اعتبر", "لفت")} == {"weak"}
