"""Calibration: expected calibration error, reliability bins, temperature scaling per label.

A label's probability is ``sigmoid(logit / T)``; ``T`` (``temperature`` in ``bundle.json``,
applied by ``SentenceClassifier.predict_proba``) is fitted on dev by minimizing the negative
log-likelihood. Temperature changes probabilities, never decisions: thresholds are mapped so
that the same logits are flagged before and after.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize_scalar

from khitab.data.dataset import known_rows

N_BINS = 10
T_MIN, T_MAX = 0.05, 20.0


@dataclass(frozen=True)
class ReliabilityBin:
    lower: float
    upper: float
    n: int
    mean_prob: float | None
    frac_pos: float | None


def _bin_index(scores: np.ndarray, n_bins: int) -> np.ndarray:
    """Equal-width bins on [0, 1]; 1.0 falls in the last bin."""
    return np.clip(np.floor(np.asarray(scores, dtype=np.float64) * n_bins).astype(int), 0, n_bins - 1)


def reliability_bins(y: np.ndarray, scores: np.ndarray, n_bins: int = N_BINS) -> list[ReliabilityBin]:
    """Per equal-width bin: how many scores fall in it, their mean, and the share of positives."""
    y = np.asarray(y, dtype=np.float64)
    scores = np.asarray(scores, dtype=np.float64)
    index = _bin_index(scores, n_bins)
    bins = []
    for b in range(n_bins):
        members = index == b
        n = int(members.sum())
        bins.append(
            ReliabilityBin(
                lower=b / n_bins,
                upper=(b + 1) / n_bins,
                n=n,
                mean_prob=float(scores[members].mean()) if n else None,
                frac_pos=float(y[members].mean()) if n else None,
            )
        )
    return bins


def expected_calibration_error(y: np.ndarray, scores: np.ndarray, n_bins: int = N_BINS) -> float | None:
    """ECE = sum over bins of (bin share) x |share of positives - mean probability|; None when empty."""
    if len(y) == 0:
        return None
    total = len(y)
    return float(
        sum(b.n / total * abs(b.frac_pos - b.mean_prob) for b in reliability_bins(y, scores, n_bins) if b.n)
    )


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=np.float64)))


def logit(p: float) -> float:
    p = min(max(float(p), 1e-12), 1 - 1e-12)
    return float(np.log(p / (1 - p)))


def nll(y: np.ndarray, logits: np.ndarray, temperature: float = 1.0) -> float:
    """Mean binary negative log-likelihood of ``sigmoid(logits / temperature)``, computed stably."""
    a = np.asarray(logits, dtype=np.float64) / temperature
    y = np.asarray(y, dtype=np.float64)
    return float(np.mean(y * np.logaddexp(0.0, -a) + (1 - y) * np.logaddexp(0.0, a)))


def fit_temperature(y: np.ndarray, logits: np.ndarray) -> float | None:
    """The T in [0.05, 20] minimizing the NLL; None when ``y`` has one class only (nothing to fit)."""
    y = np.asarray(y)
    if len(np.unique(y)) < 2:
        return None
    result = minimize_scalar(
        lambda u: nll(y, logits, float(np.exp(u))),
        bounds=(np.log(T_MIN), np.log(T_MAX)),
        method="bounded",
        options={"xatol": 1e-5},
    )
    return float(np.exp(result.x))


def at_bound(temperature: float) -> bool:
    return not T_MIN * 1.01 < temperature < T_MAX / 1.01


def remap_threshold(threshold: float, old_temperature: float, new_temperature: float) -> float:
    """The probability threshold under ``new_temperature`` that flags exactly the logits
    ``threshold`` flagged under ``old_temperature``."""
    return float(sigmoid(logit(threshold) * old_temperature / new_temperature))


@dataclass(frozen=True)
class TemperatureFit:
    label: str
    n: int
    temperature: float | None  # None: the label kept its temperature (one class, or not in the data)
    nll_before: float | None
    nll_after: float | None
    ece_before: float | None
    ece_after: float | None


def fit_temperatures(
    logits: np.ndarray,
    targets: np.ndarray,
    known: np.ndarray,
    labels: Sequence[str],
    current: dict[str, float],
) -> list[TemperatureFit]:
    """One fit per label over the rows where the label is known."""
    fits = []
    for j, label in enumerate(labels):
        y, z = known_rows(targets, logits, known, j)
        if not len(y):
            fits.append(TemperatureFit(label, 0, None, None, None, None, None))
            continue
        old = float(current.get(label, 1.0))
        new = fit_temperature(y, z)
        after = new if new is not None else old
        fits.append(
            TemperatureFit(
                label,
                len(y),
                new,
                nll(y, z, old),
                nll(y, z, after),
                expected_calibration_error(y, sigmoid(z / old)),
                expected_calibration_error(y, sigmoid(z / after)),
            )
        )
    return fits


def refitted_temperatures(fits: Sequence[TemperatureFit], current: dict[str, float]) -> dict[str, float]:
    """Each label's temperature after ``fits``: the fitted one, or ``current``'s where the data
    could not fit it."""
    return {**current, **{fit.label: fit.temperature for fit in fits if fit.temperature is not None}}
