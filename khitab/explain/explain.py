"""Why each flag: cue spans, voice and speaker, and sectarian targets, per score row.

Explanation runs after scoring and only on the sentences that need it, so scoring without it
is unchanged. ``explain_document`` adds to each explained row (the issue-21 row shape):

    "cues":    {label: [{"start", "end", "text", "weight"}, ...]}   offsets into the document
    "voice":   "author" | "quoted" | "reported"
    "speaker": {"start", "end", "text"} | None
    "targets": {"sectarian": [{"start", "end", "text", "group", "slur"}, ...]}  (sectarian explained)

A sentence is explained for its flagged labels (``labels="flagged"``), every label
(``"all"``) or the labels named (a list, on every sentence); other rows pass through as they are.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import numpy as np

from khitab.explain.cues import (
    MAX_WORDS,
    MIN_WEIGHT,
    TOP_K,
    CueRequest,
    cue_search,
    occlusion_cues_async,
    run_search,
)
from khitab.explain.targets import sect_targets
from khitab.explain.voice import sentence_voice
from khitab.text.split import Span

SECTARIAN = "sectarian"
Labels = str | Sequence[str]


def explain_document(
    model, document: str, sentences_scores: Sequence[Any], labels: Labels = "flagged",
    top_k: int = TOP_K, max_words: int = MAX_WORDS, min_weight: float = MIN_WEIGHT,
) -> list[dict[str, Any]]:
    """The score rows of ``document`` (``SentenceScore`` objects or their ``to_row`` dicts),
    each as a dict, the explained ones with cues, voice, speaker and targets added. ``model``
    needs only ``labels`` and ``predict_proba(texts)``; all cue variants go in two calls."""
    return explain_documents(model, [document], [sentences_scores], labels, top_k, max_words, min_weight)[0]


def explain_documents(
    model, documents: Sequence[str], scored: Sequence[Sequence[Any]], labels: Labels = "flagged",
    top_k: int = TOP_K, max_words: int = MAX_WORDS, min_weight: float = MIN_WEIGHT,
) -> list[list[dict[str, Any]]]:
    """``explain_document`` for several documents, their sentences' cue variants scored together."""
    plan = _Plan(model.labels, documents, scored, labels)
    cues = run_search(cue_search(model.labels, plan.requests, top_k, min_weight, max_words),
                      model.predict_proba, len(model.labels))
    return plan.finish(cues)


async def explain_documents_async(
    model_labels: Sequence[str], predict: Callable[[list[str]], Awaitable[np.ndarray]], documents: Sequence[str],
    scored: Sequence[Sequence[Any]], labels: Labels = "flagged", top_k: int = TOP_K, max_words: int = MAX_WORDS,
    min_weight: float = MIN_WEIGHT,
) -> list[list[dict[str, Any]]]:
    """``explain_documents`` scoring the variants with an awaitable ``predict`` (the service's batcher)."""
    plan = _Plan(model_labels, documents, scored, labels)
    cues = await occlusion_cues_async(model_labels, predict, plan.requests, top_k, min_weight, max_words)
    return plan.finish(cues)


class _Plan:
    """Which rows of which documents to explain, for which labels; then the rows explained."""

    def __init__(self, model_labels: Sequence[str], documents: Sequence[str], scored: Sequence[Sequence[Any]],
                 labels: Labels):
        self.documents = list(documents)
        self.rows = [[_as_row(item) for item in items] for items in scored]
        self.where: list[tuple[int, int]] = []
        self.requests: list[CueRequest] = []
        for d, (document, rows) in enumerate(zip(self.documents, self.rows)):
            for i, row in enumerate(rows):
                wanted = _labels_to_explain(row, labels, model_labels)
                if wanted:
                    self.where.append((d, i))
                    self.requests.append(CueRequest(row["start"], row["end"], wanted, row["scores"], document))

    def finish(self, cues: Sequence[dict]) -> list[list[dict[str, Any]]]:
        sentences = [[Span(row["start"], row["end"], row["text"]) for row in rows] for rows in self.rows]
        for (d, i), label_cues in zip(self.where, cues):
            self.rows[d][i].update(_explanation(self.documents[d], self.rows[d][i], label_cues, sentences[d]))
        return self.rows


class Explainer:
    """The Python API hook for surfaces: score a document and explain it in one call."""

    def __init__(self, model, labels: Labels = "flagged", top_k: int = TOP_K, max_words: int = MAX_WORDS):
        self.model = model
        self.labels = labels
        self.top_k = top_k
        self.max_words = max_words

    def explain(self, document: str, sentences_scores: Sequence[Any]) -> list[dict[str, Any]]:
        return explain_document(self.model, document, sentences_scores, self.labels, self.top_k, self.max_words)

    def score_document(self, document: str, doc_id: str = "") -> list[dict[str, Any]]:
        """``model.score_document`` rows (``to_row`` shape) with explanations added."""
        return self.explain(document, self.model.score_document(document, doc_id=doc_id))


def _explanation(document: str, row: dict[str, Any], label_cues: dict, sentences: list[Span]) -> dict[str, Any]:
    every_cue = [cue for cues in label_cues.values() for cue in cues]
    voice = sentence_voice(document, row["start"], row["end"], [(c.start, c.end) for c in every_cue], sentences,
                           [c.weight for c in every_cue])
    fields: dict[str, Any] = {
        "cues": {label: [c.to_dict() for c in cues] for label, cues in label_cues.items()},
        **voice.to_row(),
    }
    if SECTARIAN in label_cues:
        fields["targets"] = {SECTARIAN: [t.to_dict() for t in sect_targets(document, row["start"], row["end"])]}
    return fields


def _as_row(item: Any) -> dict[str, Any]:
    return dict(item) if isinstance(item, dict) else item.to_row()


def _labels_to_explain(row: dict[str, Any], labels: Labels, model_labels: Sequence[str]) -> tuple[str, ...]:
    if labels == "flagged":
        return tuple(row["flagged"])
    if labels == "all":
        return tuple(model_labels)
    labels = [labels] if isinstance(labels, str) else list(labels)
    unknown = [label for label in labels if label not in model_labels]
    if unknown:
        raise ValueError(f"cannot explain {unknown}: the model scores {list(model_labels)}")
    return tuple(labels)
