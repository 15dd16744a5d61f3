"""Per-label decision thresholds tuned on dev."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import precision_recall_curve

from khitab.config import ThresholdConfig


def tune_thresholds(
    probs: np.ndarray, targets: np.ndarray, known: np.ndarray, labels: Sequence[str], config: ThresholdConfig
) -> dict[str, float]:
    """One threshold per label; a label without positives and negatives on dev keeps the
    fixed default."""
    return {
        label: tune_one(probs[known[:, j], j], targets[known[:, j], j], config)
        for j, label in enumerate(labels)
    }


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
