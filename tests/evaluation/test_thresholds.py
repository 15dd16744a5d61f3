import numpy as np
import pytest
from sklearn.metrics import f1_score, precision_score

from khitab.config import ThresholdConfig
from khitab.evaluation.thresholds import tune_one

SCORES = np.array([0.95, 0.9, 0.8, 0.7, 0.65, 0.6, 0.4, 0.3, 0.2, 0.1])
Y = np.array([1, 1, 0, 1, 1, 0, 1, 0, 0, 0])


def test_max_f1_threshold_is_the_best_cut_of_the_scores():
    threshold = tune_one(SCORES, Y, ThresholdConfig())
    best = max(f1_score(Y, SCORES >= cut) for cut in SCORES)
    assert threshold in SCORES and f1_score(Y, SCORES >= threshold) == pytest.approx(best)


def test_target_precision_takes_the_lowest_cut_that_reaches_it():
    threshold = tune_one(SCORES, Y, ThresholdConfig(strategy="target_precision", target_precision=0.75))
    assert threshold == 0.65  # 4 of 5 above it are positive; 0.6 would give 4 of 6
    assert precision_score(Y, SCORES >= threshold) >= 0.75


def test_one_class_keeps_the_fixed_default():
    assert tune_one(SCORES, np.zeros(10, dtype=int), ThresholdConfig(fixed=0.4)) == 0.4
