"""Per-label metrics on the rows where a label is known (unknown is never counted as 0)."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import average_precision_score, precision_recall_fscore_support, roc_auc_score

from khitab.data.dataset import known_rows
from khitab.evaluation.calibration import expected_calibration_error


def label_metrics(y: np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, float | int | None]:
    """Precision, recall, F1 at ``threshold``; ROC-AUC and PR-AUC (None when one class only);
    expected calibration error (10 equal-width bins)."""
    predicted = (scores >= threshold).astype(int)
    precision, recall, f1, _ = precision_recall_fscore_support(
        y, predicted, average="binary", pos_label=1, zero_division=0
    )
    both = len(np.unique(y)) == 2
    return {
        "n": int(len(y)),
        "n_pos": int(y.sum()),
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
        "roc_auc": float(roc_auc_score(y, scores)) if both else None,
        "pr_auc": float(average_precision_score(y, scores)) if both else None,
        "ece": expected_calibration_error(y, scores),
        "threshold": float(threshold),
    }


def dataset_metrics(
    probs: np.ndarray, targets: np.ndarray, known: np.ndarray, labels: Sequence[str], thresholds: np.ndarray
) -> dict:
    """Metrics per known label plus macro-F1 over them and micro-F1 over all known cells."""
    per_label = {}
    for j, label in enumerate(labels):
        y, p = known_rows(targets, probs, known, j)
        if len(y):
            per_label[label] = label_metrics(y, p, float(thresholds[j]))
    predicted = probs >= thresholds
    tp = int((predicted & (targets == 1) & known).sum())
    fp = int((predicted & (targets == 0) & known).sum())
    fn = int((~predicted & (targets == 1) & known).sum())
    micro = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
    return {
        "n": int(len(targets)),
        "labels": per_label,
        "macro_f1": float(np.mean([m["f1"] for m in per_label.values()])) if per_label else None,
        "micro_f1": float(micro),
    }
