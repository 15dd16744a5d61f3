import numpy as np

from khitab.explain.cues import (
    MAX_PHRASES,
    CueRequest,
    candidate_spans,
    occlusion_cues,
    phrases_around,
    select_cues,
)
from khitab.text.words import word_spans
from tests.explain.keyword_model import keyword_model

DOC = "عنوان الخبر\nوقال القائد إن الانتقام قد بدأ وإن الأميركيين كاذبين في كل ما يقولون.\nطقس معتدل اليوم."


def _sentence(doc: str, fragment: str) -> tuple[int, int]:
    start = doc.index(fragment)
    return start, start + len(fragment)


def test_candidates_are_words_and_phrases_up_to_three_words_with_document_offsets():
    start, end = _sentence(DOC, "طقس معتدل اليوم")
    spans = candidate_spans(DOC, start, end)
    assert [DOC[s:e] for s, e in spans] == ["طقس", "معتدل", "اليوم", "طقس معتدل", "معتدل اليوم"]
    assert candidate_spans("كلمة", 0, 4) == []  # removing the only word leaves nothing to score


def test_occlusion_finds_the_trigger_word_for_each_flagged_label_in_two_calls():
    model = keyword_model()
    start, end = _sentence(DOC, "وقال القائد إن الانتقام")
    end = DOC.index("يقولون.") + len("يقولون.")
    base = {"threat": 0.9, "sectarian": 0.1, "denial": 0.8}
    other = _sentence(DOC, "عنوان الخبر")
    requests = [CueRequest(start, end, ("threat", "denial"), base),
                CueRequest(*other, ("threat",), {"threat": 0.1, "sectarian": 0.1, "denial": 0.1})]
    [first, second] = occlusion_cues(model, DOC, requests)
    # two calls for all sentences: every single word, then only phrases around the strongest words
    words = len(word_spans(DOC, start, end)) + len(word_spans(DOC, *other))
    assert len(model.batches) == 2 and model.batches[0] == words
    every_candidate = len(candidate_spans(DOC, start, end)) + len(candidate_spans(DOC, *other))
    assert sum(model.batches) < every_candidate
    for label, word in (("threat", "الانتقام"), ("denial", "كاذبين")):
        [cue] = first[label]  # only spans holding the trigger drop the probability
        assert cue.text == word == DOC[cue.start:cue.end]
        assert abs(cue.weight - (base[label] - 0.1)) < 1e-6
    assert second == {"threat": []}  # nothing lowers an unflagged sentence: no cue


def test_phrases_are_scored_only_around_the_strongest_words_and_capped():
    document = " ".join(f"w{i}" for i in range(40))
    words = [(w.start, w.end) for w in word_spans(document)]
    drops = np.zeros(len(words))
    drops[20] = 0.5
    phrases = phrases_around(CueRequest(0, len(document), ("threat",), {}, document), words,
                              {"threat": drops}, max_words=3)
    # the 2- and 3-word runs holding word 20, nothing else
    assert sorted(phrases) == sorted((words[a][0], words[b][1])
                                     for a, b in ((19, 20), (20, 21), (18, 20), (19, 21), (20, 22)))
    assert len(phrases_around(CueRequest(0, len(document), ("threat",), {}, document), words,
                               {"threat": np.linspace(1, 0.5, len(words))}, max_words=3)) <= MAX_PHRASES


def test_no_request_means_no_model_call():
    model = keyword_model()
    assert occlusion_cues(model, DOC, []) == []
    assert model.batches == []


def test_selection_keeps_strongest_non_overlapping_spans_above_the_floor():
    doc = "a b c d e"
    spans = [(0, 1), (2, 3), (4, 5), (6, 7), (0, 3), (2, 5)]
    drops = np.array([0.30, 0.05, 0.01, 0.20, 0.50, 0.06])
    cues = select_cues(doc, spans, drops, top_k=3, min_weight=0.02)
    # "a b" drops 0.50, well over its best inner word (0.30): the phrase is the cue; "b c"
    # overlaps it; "d" comes next; "c" is under the floor.
    assert [(c.text, c.weight) for c in cues] == [("a b", 0.50), ("d", 0.20)]


def test_a_phrase_that_adds_little_over_its_word_gives_way_to_the_word():
    doc = "x y"
    cues = select_cues(doc, [(0, 1), (2, 3), (0, 3)], np.array([0.40, 0.0, 0.42]))
    assert [c.text for c in cues] == ["x"]
