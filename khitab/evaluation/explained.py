"""Explanations inside ``khitab evaluate``, both opt-in because they cost model calls:

- faithfulness: ERASER comprehensiveness, sufficiency and random-span comprehensiveness
  (``khitab.evaluation.faithfulness``) of the cue spans of flagged positives (rows a label
  truly has and the model flags), over a seeded sample of at most ``sample`` (row, label) pairs;
- error cues: the cue spans of the report's top false positives and negatives, so a reader
  sees which words fired a false positive.

The explained text is the row's text (unit ``sentence``) or the sentence that gave the label
its score (unit ``document``); cues are offsets into that text.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from khitab.evaluation.faithfulness import Rationale, faithfulness
from khitab.explain.cues import CueRequest, documents_cues

FAITHFULNESS_SAMPLE = 50  # (row, label) pairs explained per dataset by default
ErrorCues = dict[tuple[int, int], list[tuple[int, int]]]


def shown_text(scored, i: int, j: int) -> str:
    """The text of row ``i`` that label ``j`` is explained on."""
    return scored.evidence[i][j] if scored.evidence else scored.dataset.examples[i].text


def flagged_positives(scored) -> list[tuple[int, int]]:
    """(row, label column) of every known positive the model flags."""
    hits = scored.known & (scored.targets == 1) & (scored.probs >= scored.thresholds[None, :])
    return [(int(i), int(j)) for i, j in zip(*np.nonzero(hits))]


def explain_pairs(model, scored, pairs: list[tuple[int, int]]) -> ErrorCues:
    """Cue spans (offsets into ``shown_text``) of each (row, label column); two model calls."""
    requests = []
    for i, j in pairs:
        text = shown_text(scored, i, j)
        label = scored.labels[j]
        # the row's score is the model's probability of exactly this text (the maximum sentence's)
        requests.append(CueRequest(0, len(text), (label,), {label: float(scored.probs[i, j])}, text))
    found = documents_cues(model, requests)
    return {pair: [(c.start, c.end) for c in cues[scored.labels[pair[1]]]] for pair, cues in zip(pairs, found)}


def error_pairs(scored, top_k: int) -> list[tuple[int, int]]:
    """(row, label column) of the report's top false positives and negatives."""
    from khitab.evaluation.report import top_errors

    return [(i, j) for j in range(len(scored.labels)) for kind in top_errors(scored, j, top_k) for i in kind]


def faithfulness_of(model, scored, sample: int = FAITHFULNESS_SAMPLE, seed: int = 0) -> dict[str, Any]:
    """Faithfulness of the cues of up to ``sample`` flagged positives (seeded choice)."""
    pairs = flagged_positives(scored)
    if len(pairs) > sample:
        chosen = np.random.default_rng(seed).choice(len(pairs), size=sample, replace=False)
        pairs = [pairs[k] for k in sorted(chosen)]
    cues = explain_pairs(model, scored, pairs)
    rationales = [Rationale(shown_text(scored, i, j), 0, len(shown_text(scored, i, j)), scored.labels[j],
                            tuple(cues[(i, j)])) for i, j in pairs if cues[(i, j)]]
    report = faithfulness(model, rationales, seed=seed)
    return {"flagged_positives": len(flagged_positives(scored)), "sampled": len(pairs),
            "with_cues": len(rationales), **report}
