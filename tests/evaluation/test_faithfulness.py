import math

import numpy as np

from khitab.evaluation.faithfulness import Rationale, faithfulness, random_spans
from tests.explain.keyword_model import keyword_model

SENTENCE = "قال القائد إن الانتقام قد بدأ وإن المقاومين سينقضون عليهم من كل مكان في البلاد"


def _span(text: str, word: str) -> tuple[int, int]:
    return (text.index(word), text.index(word) + len(word))


def test_true_cue_is_comprehensive_and_sufficient_and_beats_random_spans():
    model = keyword_model()
    cue = Rationale(SENTENCE, 0, len(SENTENCE), "threat", (_span(SENTENCE, "الانتقام"),))
    result = faithfulness(model, [cue], draws=5, seed=0)
    assert model.batches == [1 * (3 + 5)]  # one batched call for every variant
    assert math.isclose(result["comprehensiveness"], 0.8, abs_tol=1e-6)  # 0.9 -> 0.1 without it
    assert math.isclose(result["sufficiency"], 0.0, abs_tol=1e-6)  # the cue alone keeps 0.9
    assert result["random_comprehensiveness"] < 0.2  # a random word rarely is the trigger
    assert result["labels"]["threat"]["n"] == 1
    assert faithfulness(keyword_model(), [cue], draws=5, seed=0) == result  # seeded


def test_wrong_cue_scores_no_comprehensiveness_and_poor_sufficiency():
    wrong = Rationale(SENTENCE, 0, len(SENTENCE), "threat", (_span(SENTENCE, "المقاومين"),))
    result = faithfulness(keyword_model(), [wrong], draws=3)
    assert math.isclose(result["comprehensiveness"], 0.0, abs_tol=1e-6)
    assert math.isclose(result["sufficiency"], 0.8, abs_tol=1e-6)


def test_random_spans_match_the_cue_lengths_in_words_and_stay_inside_the_sentence():
    doc = "عنوان.\n" + SENTENCE
    start = doc.index(SENTENCE)
    cues = (_span(doc, "الانتقام قد بدأ"), _span(doc, "البلاد"))
    rationale = Rationale(doc, start, len(doc), "threat", cues)
    placed = random_spans(rationale, np.random.default_rng(1))
    assert sorted(len(doc[s:e].split()) for s, e in placed) == [1, 3]
    assert all(start <= s < e <= len(doc) for s, e in placed)
    assert placed[0][1] <= placed[1][0] or placed[1][1] <= placed[0][0]


def test_no_rationales_gives_empty_means():
    result = faithfulness(keyword_model(), [])
    assert result["n"] == 0 and math.isnan(result["comprehensiveness"])
