"""Score drift between two batch outputs: has the traffic moved away from what the thresholds
were tuned on?

Layer: evaluation (statistics over model outputs; reads files, loads no model), so
``khitab drift REFERENCE.jsonl CURRENT.jsonl`` and the service's monitoring can both use it.

Per label, over the rows' ``scores`` (sentence- or document-level ``khitab batch`` JSONL;
``flagged`` gives the flag rates):

- PSI (population stability index) on 10 bins cut at the reference's deciles, so every bin
  holds about a tenth of the reference even when the scores crowd near 0 (equal-width bins on
  [0, 1] would put most of it in the first one); tied deciles merge into one bin, and the
  outer bins are open to 0 and 1. A bin's share is floored at ``EPSILON`` (1e-4) on both sides
  before ``sum((cur - ref) * ln(cur / ref))``, so an empty bin counts as a large but finite
  shift instead of infinity. Identical score lists give exactly 0.
- scipy's two-sample Kolmogorov-Smirnov test (``ks_2samp``): statistic D and p-value.
- the flag rate in each file and its change.

The verdict is PSI's, with the usual cut-offs: below 0.1 ``stable``, below 0.25 ``moderate
shift``, else ``major shift``. The KS p-value is reported beside it, not mixed in: on tens of
thousands of rows KS calls a shift of no practical size significant.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from khitab.evaluation.datasets import EvalDataError
from khitab.io import LineError, iter_jsonl

BINS = 10
EPSILON = 1e-4
MODERATE, MAJOR = 0.1, 0.25


def bin_edges(reference: np.ndarray, bins: int = BINS) -> np.ndarray:
    """Inner cut points: the reference's quantiles, ties merged."""
    quantiles = np.quantile(reference, np.linspace(0, 1, bins + 1)[1:-1])
    return np.unique(quantiles)


def shares(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Each bin's share of ``values`` (bins (-inf, e0], (e0, e1], ..., (e_last, inf)), floored
    at ``EPSILON``."""
    counts = np.bincount(np.searchsorted(edges, values, side="left"), minlength=len(edges) + 1)
    return np.maximum(counts / max(len(values), 1), EPSILON)


def psi(reference: Sequence[float], current: Sequence[float], bins: int = BINS) -> float:
    """The population stability index of ``current`` against ``reference`` (module docstring)."""
    ref = np.asarray(reference, dtype=np.float64)
    cur = np.asarray(current, dtype=np.float64)
    if ref.size == 0 or cur.size == 0:
        raise ValueError("PSI needs scores on both sides")
    edges = bin_edges(ref, bins)
    expected, actual = shares(ref, edges), shares(cur, edges)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def verdict(psi_value: float) -> str:
    if psi_value < MODERATE:
        return "stable"
    return "moderate shift" if psi_value < MAJOR else "major shift"


@dataclass(frozen=True)
class LabelDrift:
    label: str
    n_reference: int
    n_current: int
    psi: float
    ks_statistic: float
    ks_pvalue: float
    flag_rate_reference: float | None
    flag_rate_current: float | None
    mean_reference: float
    mean_current: float
    verdict: str

    @property
    def flag_rate_change(self) -> float | None:
        if self.flag_rate_reference is None or self.flag_rate_current is None:
            return None
        return self.flag_rate_current - self.flag_rate_reference


@dataclass(frozen=True)
class DriftReport:
    reference: str
    current: str
    labels: list[LabelDrift]

    @property
    def worst(self) -> str:
        order = ("stable", "moderate shift", "major shift")
        return max((d.verdict for d in self.labels), key=order.index, default="stable")

    def to_dict(self) -> dict[str, Any]:
        return {
            "reference": self.reference, "current": self.current, "verdict": self.worst,
            "labels": {d.label: {**asdict(d), "flag_rate_change": d.flag_rate_change} for d in self.labels},
        }


def label_drift(label: str, reference: Sequence[float], current: Sequence[float],
                flags_reference: Sequence[bool] | None = None, flags_current: Sequence[bool] | None = None
                ) -> LabelDrift:
    """Drift of one label's scores (and flags, when given)."""
    from scipy.stats import ks_2samp

    ref, cur = np.asarray(reference, dtype=np.float64), np.asarray(current, dtype=np.float64)
    value = psi(ref, cur)
    ks = ks_2samp(ref, cur)

    def rate(flags):
        return None if flags is None or len(flags) == 0 else float(np.mean(flags))

    return LabelDrift(
        label=label, n_reference=int(ref.size), n_current=int(cur.size), psi=round(value, 6),
        ks_statistic=round(float(ks.statistic), 6), ks_pvalue=float(ks.pvalue),
        flag_rate_reference=rate(flags_reference), flag_rate_current=rate(flags_current),
        mean_reference=round(float(ref.mean()), 6), mean_current=round(float(cur.mean()), 6),
        verdict=verdict(value),
    )


@dataclass(frozen=True)
class ScoreColumns:
    """One batch output read as columns: every label's scores and whether each row flagged it."""

    labels: list[str]
    scores: dict[str, list[float]]
    flags: dict[str, list[bool]]


def read_batch_output(path: Path | str) -> ScoreColumns:
    """The ``scores``/``flagged`` of every row of a ``khitab batch`` JSONL output."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: batch output not found")
    problems: list[str] = []
    records = []
    for line, value in iter_jsonl(path):
        if isinstance(value, LineError) or not isinstance(value, dict):
            problems.append(f"{path}:{line}: {value.reason if isinstance(value, LineError) else 'not a JSON object'}")
        else:
            records.append((line, value))
    scores: dict[str, list[float]] = {}
    flags: dict[str, list[bool]] = {}
    for line, row in records:
        values, flagged = row.get("scores"), row.get("flagged", [])
        if not isinstance(values, dict) or not values or not isinstance(flagged, list):
            problems.append(f"{path}:{line}: scores: not a batch output row (no scores object)")
            continue
        if scores and set(values) != set(scores):
            problems.append(f"{path}:{line}: scores: labels {sorted(values)} differ from {sorted(scores)}")
            continue
        for label, p in values.items():
            if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
                problems.append(f"{path}:{line}: scores.{label}: {p!r} is not a probability")
            scores.setdefault(label, []).append(float(p) if isinstance(p, (int, float)) else float("nan"))
            flags.setdefault(label, []).append(label in flagged)
    if problems:
        raise EvalDataError(problems)
    if not scores:
        raise EvalDataError([f"{path}: no rows"])
    return ScoreColumns(list(scores), scores, flags)


def compare(reference: ScoreColumns, current: ScoreColumns, names: tuple[str, str] = ("reference", "current")
            ) -> DriftReport:
    """Drift of every label the reference scores (the current output must score it too)."""
    missing = [label for label in reference.labels if label not in current.scores]
    if missing:
        raise EvalDataError([f"{names[1]}: no scores for {', '.join(missing)} (the reference scores them)"])
    drifts = [
        label_drift(label, reference.scores[label], current.scores[label],
                    reference.flags[label], current.flags[label])
        for label in reference.labels
    ]
    return DriftReport(names[0], names[1], drifts)


def drift_report(reference: Path | str, current: Path | str) -> DriftReport:
    """``khitab drift REFERENCE CURRENT``: the drift of every label between two batch outputs."""
    return compare(read_batch_output(reference), read_batch_output(current), (str(reference), str(current)))


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def render_text(report: DriftReport) -> str:
    """A plain-text report: one line per label and the overall verdict."""
    lines = [f"drift of {report.current} against {report.reference}: {report.worst}"]
    for d in report.labels:
        change = d.flag_rate_change
        flags = f"flag rate {_percent(d.flag_rate_reference)} -> {_percent(d.flag_rate_current)}"
        flags += "" if change is None else f" ({100 * change:+.1f} points)"
        lines.append(
            f"  {d.label}: {d.verdict} (PSI {d.psi:.3f}); KS D={d.ks_statistic:.3f}, p={d.ks_pvalue:.2g}; "
            f"mean score {d.mean_reference:.3f} -> {d.mean_current:.3f}; {flags}; "
            f"n={d.n_reference} -> {d.n_current}"
        )
    lines.append(f"PSI: < {MODERATE} stable, < {MAJOR} moderate shift, else major shift (bins: reference deciles)")
    return "\n".join(lines)

