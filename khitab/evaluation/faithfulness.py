"""Are cue spans faithful to the model? ERASER's comprehensiveness and sufficiency.

DeYoung et al. (2020), ERASER: comprehensiveness = p(sentence) - p(sentence without the cues):
how much of the prediction the cues carry; sufficiency = p(sentence) - p(the cues alone):
how little is lost keeping only them (lower is better). Cues are faithful when their
comprehensiveness is well above that of random spans of the same lengths (seeded), which this
measures on the same sentences in the same batched call.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from khitab.text.words import only_spans, with_spans_removed, word_spans

RANDOM_DRAWS = 5  # random placements per rationale (their mean is its baseline)


@dataclass(frozen=True)
class Rationale:
    """Cue ``spans`` (offsets into ``document``) that explain ``label`` on the sentence
    ``document[start:end]``."""

    document: str
    start: int
    end: int
    label: str
    spans: tuple[tuple[int, int], ...]


def faithfulness(model, rationales: Sequence[Rationale], draws: int = RANDOM_DRAWS, seed: int = 0) -> dict[str, Any]:
    """Mean comprehensiveness, sufficiency and random-span comprehensiveness over
    ``rationales`` (overall and per label), from one ``predict_proba`` call on all variants."""
    rng = np.random.default_rng(seed)
    randoms = [[random_spans(r, rng) for _ in range(draws)] for r in rationales]
    texts = []
    for r, placements in zip(rationales, randoms):
        texts.append(r.document[r.start:r.end].strip())
        texts.append(with_spans_removed(r.document, r.start, r.end, r.spans))
        texts.append(only_spans(r.document, r.spans))
        texts.extend(with_spans_removed(r.document, r.start, r.end, spans) for spans in placements)
    probs = model.predict_proba(texts) if texts else np.zeros((0, len(model.labels)))
    per_item, row = [], 0
    for r in rationales:
        p = probs[row:row + 3 + draws, model.labels.index(r.label)]
        row += 3 + draws
        per_item.append({
            "label": r.label,
            "comprehensiveness": float(p[0] - p[1]),
            "sufficiency": float(p[0] - p[2]),
            "random_comprehensiveness": float(p[0] - p[3:].mean()) if draws else float("nan"),
        })
    labels = sorted({r.label for r in rationales})
    return {
        "n": len(per_item),
        "draws": draws,
        "seed": seed,
        **_means(per_item),
        "labels": {label: {"n": sum(i["label"] == label for i in per_item),
                           **_means([i for i in per_item if i["label"] == label])} for label in labels},
    }


def random_spans(rationale: Rationale, rng: np.random.Generator) -> tuple[tuple[int, int], ...]:
    """Non-overlapping word runs of the same lengths (in words) as the rationale's spans, at
    random positions in its sentence; the cues' own placement when no other fits."""
    words = word_spans(rationale.document, rationale.start, rationale.end)
    lengths = [sum(1 for w in words if s <= w.start and w.end <= e) for s, e in rationale.spans]
    for _ in range(100):
        taken: set[int] = set()
        placed = []
        for n in (n for n in lengths if n > 0):
            starts = [i for i in range(len(words) - n + 1) if not taken & set(range(i, i + n))]
            if not starts:
                break
            i = int(rng.choice(starts))
            taken |= set(range(i, i + n))
            placed.append((words[i].start, words[i + n - 1].end))
        else:
            return tuple(placed)
    return tuple(rationale.spans)


def _means(items: Sequence[dict[str, Any]]) -> dict[str, float]:
    keys = ("comprehensiveness", "sufficiency", "random_comprehensiveness")
    if not items:
        return {k: float("nan") for k in keys}
    return {k: round(float(np.mean([i[k] for i in items])), 4) for k in keys}
