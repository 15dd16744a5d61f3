"""Percentile bootstrap confidence intervals for F1 (at a fixed threshold) and PR-AUC.

A resample is a row of counts (how often each row was drawn); every statistic is computed for
all resamples at once from those counts, so thousands of resamples take milliseconds. The same
counts applied to two models' scores give a paired interval for their difference.
"""
from __future__ import annotations

import numpy as np

DEFAULT_RESAMPLES = 1000
LEVEL = 0.95


def resample_counts(n: int, resamples: int = DEFAULT_RESAMPLES, seed: int = 0) -> np.ndarray:
    """(resamples, n) draw counts, each row summing to n (sampling rows with replacement)."""
    rng = np.random.default_rng(seed)
    if n == 0:
        return np.zeros((resamples, 0), dtype=np.int64)
    return rng.multinomial(n, np.full(n, 1.0 / n), size=resamples)


def f1_at(y: np.ndarray, scores: np.ndarray, threshold: float, counts: np.ndarray) -> np.ndarray:
    """F1 of ``scores >= threshold`` for each resample (0 where it has no positives and no
    predicted positives, as scikit-learn's ``zero_division=0``)."""
    y = np.asarray(y).astype(bool)
    predicted = np.asarray(scores) >= threshold
    tp = counts @ (predicted & y)
    fp = counts @ (predicted & ~y)
    fn = counts @ (~predicted & y)
    denominator = 2 * tp + fp + fn
    return np.where(denominator > 0, 2 * tp / np.maximum(denominator, 1), 0.0)


def average_precision_at(y: np.ndarray, scores: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Average precision (scikit-learn's definition, ties grouped) for each resample; NaN for a
    resample with no positives or no negatives."""
    y = np.asarray(y, dtype=np.float64)
    scores = np.asarray(scores, dtype=np.float64)
    order = np.argsort(-scores, kind="mergesort")
    sorted_scores = scores[order]
    # last position of each run of equal scores: one threshold per distinct score
    ends = np.flatnonzero(np.r_[sorted_scores[1:] != sorted_scores[:-1], True])
    weights = counts[:, order].astype(np.float64)
    tps = np.cumsum(weights * y[order], axis=1)[:, ends]
    fps = np.cumsum(weights * (1 - y[order]), axis=1)[:, ends]
    positives, negatives = tps[:, -1], fps[:, -1]
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(tps + fps > 0, tps / np.maximum(tps + fps, 1e-300), 0.0)
        recall = tps / positives[:, None]
        steps = np.diff(np.concatenate([np.zeros((len(counts), 1)), recall], axis=1), axis=1)
        ap = np.sum(steps * precision, axis=1)
    return np.where((positives > 0) & (negatives > 0), ap, np.nan)


def interval(values: np.ndarray, level: float = LEVEL) -> list[float] | None:
    """The central ``level`` percentile interval of the finite values; None when there are none."""
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return None
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return [float(low), float(high)]


def label_intervals(
    y: np.ndarray, scores: np.ndarray, threshold: float, counts: np.ndarray, level: float = LEVEL
) -> dict[str, list[float] | None]:
    """``f1_ci`` and ``pr_auc_ci`` for one label (PR-AUC's is None when ``y`` has one class)."""
    both = len(np.unique(y)) == 2
    return {
        "f1_ci": interval(f1_at(y, scores, threshold, counts), level),
        "pr_auc_ci": interval(average_precision_at(y, scores, counts), level) if both else None,
    }


def paired_difference(
    y: np.ndarray,
    scores_a: np.ndarray,
    threshold_a: float,
    scores_b: np.ndarray,
    threshold_b: float,
    counts: np.ndarray,
    level: float = LEVEL,
) -> dict[str, list[float] | None]:
    """Intervals of (a - b) for F1 and PR-AUC over the same resamples of the same rows."""
    f1 = f1_at(y, scores_a, threshold_a, counts) - f1_at(y, scores_b, threshold_b, counts)
    both = len(np.unique(y)) == 2
    ap = average_precision_at(y, scores_a, counts) - average_precision_at(y, scores_b, counts)
    return {"f1": interval(f1, level), "pr_auc": interval(ap, level) if both else None}
