import numpy as np
import pytest

from khitab.evaluation.calibration import (
    expected_calibration_error,
    fit_temperature,
    fit_temperatures,
    nll,
    reliability_bins,
    remap_threshold,
    sigmoid,
)


def test_ece_by_hand():
    # bins (width 0.1): [0.12 y0, 0.15 y1] -> |0.5 - 0.135|, 0.36 y1 -> 0.64, 0.44 y0 -> 0.44, 0.82 y1 -> 0.18
    y = np.array([0, 1, 1, 0, 1])
    p = np.array([0.12, 0.15, 0.36, 0.44, 0.82])
    assert expected_calibration_error(y, p) == pytest.approx((2 * 0.365 + 0.64 + 0.44 + 0.18) / 5)


def test_ece_is_zero_when_frequencies_match_and_none_when_empty():
    y = np.array([0, 1, 0, 1, 1, 1, 1, 1])
    p = np.array([0.55, 0.55, 0.99, 0.99, 0.99, 0.99, 0.99, 0.99])
    assert expected_calibration_error(y[:2], p[:2]) == pytest.approx(0.05)
    assert expected_calibration_error(np.array([1, 0]), np.array([0.5, 0.5])) == pytest.approx(0.0)
    assert expected_calibration_error(np.array([]), np.array([])) is None


def test_reliability_bins_count_mean_and_share():
    bins = reliability_bins(np.array([0, 1, 1]), np.array([0.05, 0.07, 1.0]))
    assert len(bins) == 10 and sum(b.n for b in bins) == 3
    assert bins[0].n == 2 and bins[0].mean_prob == pytest.approx(0.06) and bins[0].frac_pos == 0.5
    assert bins[9].n == 1 and bins[9].frac_pos == 1.0  # 1.0 falls in the last bin
    assert bins[5].n == 0 and bins[5].mean_prob is None


def test_temperature_fit_recovers_an_overconfident_scale():
    rng = np.random.default_rng(0)
    z = rng.normal(0, 2.0, 5000)
    y = (rng.random(5000) < sigmoid(z)).astype(int)
    fitted = fit_temperature(y, 3.0 * z)  # logits three times too confident
    assert fitted == pytest.approx(3.0, rel=0.1)
    assert nll(y, 3.0 * z, fitted) < nll(y, 3.0 * z, 1.0)
    assert fit_temperature(np.ones(10, dtype=int), z[:10]) is None  # one class: nothing to fit


def test_fit_temperatures_per_label_keeps_labels_without_both_classes():
    rng = np.random.default_rng(1)
    z = rng.normal(0, 2, (400, 2))
    targets = (rng.random((400, 2)) < sigmoid(z / 2)).astype(int)
    targets[:, 1] = 0
    known = np.ones_like(targets, dtype=bool)
    fits = fit_temperatures(z, targets, known, ["a", "b"], {"b": 1.7})
    assert fits[0].temperature == pytest.approx(2.0, rel=0.3) and fits[0].nll_after <= fits[0].nll_before
    assert fits[1].temperature is None and fits[1].n == 400


def test_remapped_threshold_keeps_every_decision():
    z = np.linspace(-6, 6, 1001)
    for old, new, t in [(1.0, 2.5, 0.3), (2.0, 0.5, 0.7), (1.0, 1.0, 0.42)]:
        t_new = remap_threshold(t, old, new)
        before = sigmoid(z / old) >= t
        after = sigmoid(z / new) >= t_new
        assert (before == after).mean() > 0.998  # equal up to the boundary point itself
    assert remap_threshold(0.3, 1.0, 2.5) == pytest.approx(sigmoid(np.log(0.3 / 0.7) / 2.5))
