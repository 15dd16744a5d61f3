"""The one document-scoring path: split, score once, regroup by offset; and the flag rule."""
from __future__ import annotations

import asyncio

import numpy as np

from khitab.models.base import flagged_labels, score_documents, score_documents_async, split_documents

LABELS = ["threat", "denial"]
THRESHOLDS = np.array([0.5, 0.3])


class Recorder:
    """predict(sentences) -> [len(sentence) / 100, 0.3] per sentence; records every call."""

    def __init__(self):
        self.calls: list[list[str]] = []

    def __call__(self, sentences):
        self.calls.append(list(sentences))
        return np.array([[len(s) / 100, 0.3] for s in sentences]).reshape(len(sentences), 2)


def test_one_predict_call_and_rows_regrouped_by_offset():
    texts = ["جملة أولى. والثانية أطول منها بكثير جدا جدا جدا جدا جدا جدا جدا جدا جدا!", "", "نص واحد"]
    predict = Recorder()
    scored = score_documents(texts, predict, LABELS, THRESHOLDS, ["a", "b", "c"])
    assert len(predict.calls) == 1 and len(predict.calls[0]) == 3
    assert [[(s.doc_id, s.sentence) for s in doc] for doc in scored] == [[("a", 0), ("a", 1)], [], [("c", 0)]]
    for text, doc in zip(texts, scored):
        for s in doc:
            assert text[s.start:s.end] == s.text
            assert s.scores == {"threat": len(s.text) / 100, "denial": 0.3}
            assert s.flagged == flagged_labels(LABELS, [len(s.text) / 100, 0.3], THRESHOLDS)
    assert scored[0][1].flagged == ["threat", "denial"] and scored[0][0].flagged == ["denial"]


def test_async_variant_gives_the_same_rows():
    texts = ["نفت الوزارة الخبر. سننتقم منهم!", "بيان."]
    predict = Recorder()

    async def apredict(sentences):
        return predict(sentences)

    assert asyncio.run(score_documents_async(texts, apredict, LABELS, THRESHOLDS)) == score_documents(
        texts, Recorder(), LABELS, THRESHOLDS)


def test_flag_rule_is_at_or_above_the_threshold():
    assert flagged_labels(["a", "b", "c"], [0.5, 0.49, 0.9], [0.5, 0.5, 1.0]) == ["a"]


def test_split_regroup_and_whole_if_empty():
    split = split_documents(["نفت الوزارة. سننتقم منهم.", "...", "بيان"], whole_if_empty=True)
    assert split.sentences == ["نفت الوزارة.", "سننتقم منهم.", "...", "بيان"]
    blocks = split.regroup(np.arange(4).reshape(4, 1))
    assert [block[:, 0].tolist() for block in blocks] == [[0, 1], [2], [3]]
    assert split_documents(["..."]).spans == [[]]
