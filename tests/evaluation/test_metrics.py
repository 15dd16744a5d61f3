import numpy as np
import pytest

from khitab.evaluation.metrics import dataset_metrics, label_metrics


def test_label_metrics_by_hand():
    # predicted at 0.5: [1, 0, 1, 0, 1] -> tp 2, fp 1, fn 1
    y = np.array([1, 1, 0, 0, 1])
    p = np.array([0.9, 0.4, 0.6, 0.1, 0.7])
    m = label_metrics(y, p, 0.5)
    assert m["n"] == 5 and m["n_pos"] == 3 and m["threshold"] == 0.5
    assert m["precision"] == pytest.approx(2 / 3) and m["recall"] == pytest.approx(2 / 3)
    assert m["f1"] == pytest.approx(2 / 3)
    assert m["roc_auc"] == pytest.approx(5 / 6)  # 5 of 6 positive/negative pairs ordered right
    assert m["pr_auc"] == pytest.approx((1 + 1 + 3 / 4) / 3)  # precision at each positive, averaged
    assert m["ece"] == pytest.approx((0.1 + 0.6 + 0.6 + 0.1 + 0.3) / 5)


def test_one_class_has_no_auc_but_has_f1_and_ece():
    m = label_metrics(np.array([0, 0, 0]), np.array([0.2, 0.7, 0.1]), 0.5)
    assert m["roc_auc"] is None and m["pr_auc"] is None
    assert m["f1"] == 0.0 and m["precision"] == 0.0 and m["ece"] == pytest.approx((0.2 + 0.7 + 0.1) / 3)


def test_unknown_cells_are_masked_and_unknown_labels_absent():
    probs = np.array([[0.9, 0.8, 0.1], [0.2, 0.9, 0.2], [0.7, 0.1, 0.3], [0.1, 0.2, 0.9]])
    targets = np.array([[1, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]])
    known = np.array([[True, True, False], [True, False, False], [True, True, False], [True, False, False]])
    # label b is known on rows 0 and 2 only: its 0.9 on the unknown row 1 must not count as a false positive
    m = dataset_metrics(probs, targets, known, ["a", "b", "c"], np.array([0.5, 0.5, 0.5]))
    assert set(m["labels"]) == {"a", "b"}  # c: never known -> absent, not zero
    assert m["labels"]["b"]["n"] == 2 and m["labels"]["b"]["n_pos"] == 0
    assert m["labels"]["a"]["precision"] == pytest.approx(0.5) and m["labels"]["a"]["recall"] == 1.0
    # micro over known cells: a: tp 1, fp 1 (row 2); b: fp 1 (row 0) -> 2*1 / (2 + 2)
    assert m["micro_f1"] == pytest.approx(0.5)
    assert m["macro_f1"] == pytest.approx((2 / 3 + 0.0) / 2)
