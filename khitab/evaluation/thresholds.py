"""Per-label decision thresholds tuned on dev."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import f1_score, precision_recall_curve

from khitab.config import ThresholdConfig
from khitab.data.dataset import known_rows


def tune_thresholds(
    probs: np.ndarray, targets: np.ndarray, known: np.ndarray, labels: Sequence[str], config: ThresholdConfig
) -> dict[str, float]:
    """One threshold per label; a label without positives and negatives on dev keeps the
    fixed default."""
    tuned = {}
    for j, label in enumerate(labels):
        y, p = known_rows(targets, probs, known, j)
        tuned[label] = tune_one(p, y, config)
    return tuned


def tune_one(scores: np.ndarray, y: np.ndarray, config: ThresholdConfig) -> float:
    if config.strategy == "fixed" or len(np.unique(y)) < 2:
        return float(config.fixed)
    precision, recall, thresholds = precision_recall_curve(y, scores)
    precision, recall = precision[:-1], recall[:-1]  # the last point has no threshold
    if config.strategy == "target_precision":
        meets = np.flatnonzero(precision >= config.target_precision)
        if len(meets):
            return float(thresholds[meets[0]])  # the lowest threshold: most recall at that precision
        return float(thresholds[np.argmax(precision)])
    f1 = np.where(precision + recall > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-12), 0)
    best = int(np.argmax(f1))
    return float(thresholds[best])


@dataclass(frozen=True)
class ThresholdChange:
    label: str
    before: float
    after: float
    n: int  # pooled rows where the label is known
    n_pos: int
    f1_before: float | None  # on the pooled rows; None when they cannot tune the label
    f1_after: float | None


def threshold_changes(
    scored: Sequence, labels: Sequence[str], current: dict[str, float], config: ThresholdConfig
) -> list[ThresholdChange]:
    """Each label's threshold re-tuned on every scored row (``Scored``s, pooled) where it is
    known, with ``config``'s strategy; a label the rows do not carry with both classes keeps
    its ``current`` threshold."""
    return [
        _retuned(label, *_pooled(scored, label), float(current.get(label, config.fixed)), config)
        for label in labels
    ]


def _pooled(scored: Sequence, label: str) -> tuple[np.ndarray, np.ndarray]:
    """``label``'s scores and 0/1 targets over every scored row (``Scored``) where it is known."""
    scores, targets = [np.empty(0)], [np.empty(0, dtype=int)]
    for part in scored:
        if label in part.labels:
            y, p, _ = part.label_view(label)
            scores.append(p)
            targets.append(y.astype(int))
    return np.concatenate(scores), np.concatenate(targets)


def _retuned(label: str, scores: np.ndarray, y: np.ndarray, before: float, config: ThresholdConfig) -> ThresholdChange:
    if len(np.unique(y)) < 2:
        return ThresholdChange(label, before, before, len(y), int(y.sum()), None, None)
    after = tune_one(scores, y, config)
    return ThresholdChange(
        label, before, after, len(y), int(y.sum()),
        float(f1_score(y, scores >= before)), float(f1_score(y, scores >= after)),
    )


def describe_change(change: ThresholdChange) -> str:
    if change.f1_after is None:
        return f"{change.label}: kept {change.before:.3f} (the data needs positives and negatives; n={change.n})"
    return (
        f"{change.label}: threshold {change.before:.3f} -> {change.after:.3f}, F1 {change.f1_before:.3f} -> "
        f"{change.f1_after:.3f} on the data (n={change.n}, {change.n_pos} positive)"
    )
