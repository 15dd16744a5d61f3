"""Cue spans by occlusion: the words whose removal lowers a label's probability the most.

Model-agnostic: it only calls ``model.predict_proba(texts)`` (rows in ``model.labels``
order), so it explains the shipped ensemble as it is. Every variant (a sentence minus one
word or short phrase) of every sentence that needs explaining is scored in ONE batched call;
sentences that need no explanation cost nothing.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from khitab.text.words import with_spans_removed, word_spans

MAX_WORDS = 3  # longest phrase occluded as one candidate
TOP_K = 3  # cues kept per label
MIN_WEIGHT = 0.02  # a smaller drop is noise, not a cue
# A phrase is kept over a word inside it only when the extra words add this much of its drop:
# otherwise "سنوفر أرضية الانتقام" would beat "الانتقام" just by removing more text.
PHRASE_GAIN = 0.15


@dataclass(frozen=True)
class Cue:
    start: int
    end: int
    text: str
    weight: float

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text, "weight": round(self.weight, 4)}


@dataclass(frozen=True)
class CueRequest:
    """Explain ``labels`` of the sentence ``document[start:end]``, whose probabilities are
    ``base`` (label -> probability, as the score row reports them)."""

    start: int
    end: int
    labels: tuple[str, ...]
    base: dict[str, float]


def candidate_spans(document: str, start: int, end: int, max_words: int = MAX_WORDS) -> list[tuple[int, int]]:
    """Every run of 1..``max_words`` consecutive words of ``document[start:end]``, as offsets
    into ``document``; a sentence's only word is no candidate (removing it leaves nothing)."""
    words = word_spans(document, start, end)
    if len(words) < 2:
        return []
    return [
        (words[i].start, words[i + n - 1].end)
        for n in range(1, max_words + 1)
        for i in range(len(words) - n + 1)
        if n < len(words)
    ]


def occlusion_cues(
    model, document: str, requests: Sequence[CueRequest], top_k: int = TOP_K,
    min_weight: float = MIN_WEIGHT, max_words: int = MAX_WORDS,
) -> list[dict[str, list[Cue]]]:
    """For each request, label -> its cues (strongest first). One ``predict_proba`` call."""
    candidates = [candidate_spans(document, r.start, r.end, max_words) for r in requests]
    variants = [
        with_spans_removed(document, r.start, r.end, [span])
        for r, spans in zip(requests, candidates) for span in spans
    ]
    probs = model.predict_proba(variants) if variants else np.zeros((0, len(model.labels)))
    results, row = [], 0
    for request, spans in zip(requests, candidates):
        block = probs[row:row + len(spans)]
        row += len(spans)
        results.append({
            label: select_cues(document, spans, request.base[label] - block[:, model.labels.index(label)],
                               top_k, min_weight)
            for label in request.labels
        })
    return results


def select_cues(
    document: str, spans: Sequence[tuple[int, int]], drops: np.ndarray, top_k: int = TOP_K,
    min_weight: float = MIN_WEIGHT,
) -> list[Cue]:
    """The strongest non-overlapping spans whose drop exceeds ``min_weight``, at most ``top_k``."""
    weights = {span: float(drop) for span, drop in zip(spans, drops)}
    ranked = sorted((s for s in spans if not _outdone_by_inner_span(s, weights)),
                    key=lambda s: (-weights[s], s[1] - s[0], s[0]))
    chosen: list[tuple[int, int]] = []
    for span in ranked:
        if len(chosen) == top_k or weights[span] <= min_weight:
            break
        if all(span[1] <= s or span[0] >= e for s, e in chosen):
            chosen.append(span)
    return [Cue(s, e, document[s:e], weights[(s, e)]) for s, e in chosen]


def _outdone_by_inner_span(span: tuple[int, int], weights: dict[tuple[int, int], float]) -> bool:
    """A phrase whose drop a shorter span inside it nearly reaches (the phrase adds little)."""
    best_inner = max(
        (w for (s, e), w in weights.items() if span[0] <= s and e <= span[1] and (s, e) != span),
        default=None,
    )
    return best_inner is not None and best_inner >= weights[span] * (1 - PHRASE_GAIN)
