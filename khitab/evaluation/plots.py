"""The evaluation report's plots (PNG bytes): precision-recall curves, reliability diagram and
threshold sweep, one colour per label. Matplotlib without pyplot: no global state, no display."""
from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np

from khitab.evaluation.calibration import expected_calibration_error, reliability_bins

# Plot colours, one per label in model order. The page's own styling uses none of them, so the
# browser test can tell rendered plots apart from text and tables.
LABEL_COLORS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")
SWEEP = np.round(np.arange(0.05, 0.96, 0.05), 2)


def color_of(label: str, labels: Sequence[str]) -> str:
    return LABEL_COLORS[list(labels).index(label) % len(LABEL_COLORS)] if label in labels else "#444444"


def _figure(width: float, height: float):
    from matplotlib.figure import Figure  # no pyplot: no global state, no display backend

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def pr_plot(scored, other=None, all_labels: Sequence[str] = ()) -> bytes:
    from sklearn.metrics import average_precision_score, precision_recall_curve

    figure = _figure(5.6, 4.0)
    ax = figure.add_subplot()
    drawn = False
    for label in scored.labels:
        y, p, threshold = scored.label_view(label)
        if len(np.unique(y)) < 2:
            continue
        color = color_of(label, all_labels)
        precision, recall, _ = precision_recall_curve(y, p)
        ax.plot(recall, precision, color=color, lw=2.2, label=f"{label} (AP {average_precision_score(y, p):.2f})")
        predicted = p >= threshold
        tp = int((predicted & (y == 1)).sum())
        ax.plot(
            [tp / max(int(y.sum()), 1)], [tp / max(int(predicted.sum()), 1)], "o", color=color, ms=8, mec="black"
        )
        drawn = True
        if other is not None and label in other.labels:
            q = other.probs[scored.known[:, scored.column(label)], other.column(label)]  # same rows
            precision, recall, _ = precision_recall_curve(y, q)
            compared = f"{label}, compared (AP {average_precision_score(y, q):.2f})"
            ax.plot(recall, precision, color=color, lw=1.5, ls="--", label=compared)
    if not drawn:
        ax.text(0.5, 0.5, "no label with both classes", ha="center", va="center", color="#555555")
    ax.set(xlim=(0, 1.02), ylim=(0, 1.05), xlabel="recall", ylabel="precision")
    ax.set_title("Precision-recall (dot: at the threshold)")
    ax.grid(alpha=0.3)
    if drawn:
        ax.legend(loc="lower left", fontsize=8)
    return _png(figure)


def reliability_plot(scored, all_labels: Sequence[str] = ()) -> bytes:
    figure = _figure(5.6, 4.0)
    ax = figure.add_subplot()
    ax.plot([0, 1], [0, 1], ls=":", color="#888888", lw=1.2, label="perfect calibration")
    for label in scored.labels:
        y, p, _ = scored.label_view(label)
        bins = [b for b in reliability_bins(y, p) if b.n]
        ece = expected_calibration_error(y, p)
        ax.plot(
            [b.mean_prob for b in bins], [b.frac_pos for b in bins], "-o", color=color_of(label, all_labels),
            lw=2.2, ms=6, label=f"{label} (ECE {ece:.3f})",
        )
    ax.set(xlim=(0, 1), ylim=(0, 1.02), xlabel="mean predicted probability (10 bins)", ylabel="share of positives",
           title="Reliability")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    return _png(figure)


def sweep_values(y: np.ndarray, p: np.ndarray, thresholds: Sequence[float]) -> list[tuple[float, float, float]]:
    """(precision, recall, F1) at each threshold (precision 0 where nothing is predicted)."""
    out = []
    for t in thresholds:
        predicted = p >= t
        tp = int((predicted & (y == 1)).sum())
        n_pred, n_pos = int(predicted.sum()), int(y.sum())
        precision = tp / n_pred if n_pred else 0.0
        recall = tp / n_pos if n_pos else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out.append((precision, recall, f1))
    return out


def sweep_plot(scored, all_labels: Sequence[str] = ()) -> bytes:
    n = len(scored.labels)
    figure = _figure(min(3.8 * n, 11.4), 3.2)
    axes = np.atleast_1d(figure.subplots(1, n, sharey=True))
    for label, ax in zip(scored.labels, axes):
        y, p, threshold = scored.label_view(label)
        values = np.array(sweep_values(y, p, SWEEP))
        color = color_of(label, all_labels)
        ax.plot(SWEEP, values[:, 2], color=color, lw=2.4, label="F1")
        ax.plot(SWEEP, values[:, 0], color=color, lw=1.6, ls="--", label="precision")
        ax.plot(SWEEP, values[:, 1], color=color, lw=1.6, ls=":", label="recall")
        ax.axvline(threshold, color="#777777", lw=1, label="threshold")
        ax.set(xlim=(0, 1), ylim=(0, 1.05), xlabel="threshold", title=label)
        ax.grid(alpha=0.3)
    axes[0].legend(loc="lower left", fontsize=7)
    return _png(figure)
