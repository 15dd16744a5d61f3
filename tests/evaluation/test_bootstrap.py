import numpy as np
import pytest
from sklearn.metrics import average_precision_score, f1_score

from khitab.evaluation.bootstrap import (
    average_precision_at,
    f1_at,
    interval,
    label_intervals,
    paired_difference,
    resample_counts,
)


def data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.4).astype(int)
    scores = np.round(np.clip(0.35 * y + rng.random(n) * 0.7, 0, 1), 2)  # rounded: ties
    return y, scores


def test_resamples_draw_n_rows_each_and_are_reproducible():
    counts = resample_counts(7, 50, seed=3)
    assert counts.shape == (50, 7) and (counts.sum(axis=1) == 7).all()
    assert (counts == resample_counts(7, 50, seed=3)).all()


def test_statistics_per_resample_match_scikit_learn_with_weights():
    y, scores = data()
    counts = resample_counts(len(y), 40, seed=1)
    f1 = f1_at(y, scores, 0.5, counts)
    ap = average_precision_at(y, scores, counts)
    for row, w in enumerate(counts):
        assert f1[row] == pytest.approx(f1_score(y, scores >= 0.5, sample_weight=w, zero_division=0))
        assert ap[row] == pytest.approx(average_precision_score(y, scores, sample_weight=w))


def test_identity_resample_gives_the_point_estimate():
    y, scores = data(seed=2)
    ones = np.ones((1, len(y)), dtype=np.int64)
    assert f1_at(y, scores, 0.4, ones)[0] == pytest.approx(f1_score(y, scores >= 0.4))
    assert average_precision_at(y, scores, ones)[0] == pytest.approx(average_precision_score(y, scores))


def test_resample_without_positives_has_no_pr_auc_and_zero_f1():
    y = np.array([1, 0, 0])
    counts = np.array([[0, 2, 1]])
    assert np.isnan(average_precision_at(y, np.array([0.9, 0.2, 0.1]), counts)[0])
    assert f1_at(y, np.array([0.9, 0.2, 0.1]), 0.5, counts)[0] == 0.0


def test_intervals_contain_the_estimate_and_pr_auc_needs_both_classes():
    y, scores = data(200, seed=4)
    ci = label_intervals(y, scores, 0.5, resample_counts(len(y), 500))
    assert ci["f1_ci"][0] < f1_score(y, scores >= 0.5) < ci["f1_ci"][1]
    assert ci["pr_auc_ci"][0] < average_precision_score(y, scores) < ci["pr_auc_ci"][1]
    assert label_intervals(np.zeros(5), np.linspace(0, 1, 5), 0.5, resample_counts(5, 10))["pr_auc_ci"] is None
    assert interval(np.array([np.nan, np.nan])) is None
    assert interval(np.arange(101.0)) == pytest.approx([2.5, 97.5])


def test_paired_difference_of_a_model_with_itself_is_zero_and_a_better_model_exceeds_it():
    y, scores = data(300, seed=5)
    counts = resample_counts(len(y), 300)
    same = paired_difference(y, scores, 0.5, scores, 0.5, counts)
    assert same == {"f1": [0.0, 0.0], "pr_auc": [0.0, 0.0]}
    perfect = y * 0.9 + 0.05
    better = paired_difference(y, perfect, 0.5, scores, 0.5, counts)
    assert better["f1"][0] > 0 and better["pr_auc"][0] > 0
