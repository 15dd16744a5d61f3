"""Drift between two batch outputs: PSI on reference deciles, KS, flag rates, the verdict."""
import json

import numpy as np
import pytest

from khitab.evaluation.datasets import EvalDataError
from khitab.evaluation.drift import (
    EPSILON,
    bin_edges,
    drift_report,
    label_drift,
    psi,
    read_batch_output,
    render_text,
    verdict,
)

rng = np.random.default_rng(0)
REFERENCE = rng.beta(1, 8, 5000)  # scores crowding near 0, as a classifier's do on ordinary traffic


def test_identical_scores_give_zero_psi_and_a_stable_verdict():
    assert psi(REFERENCE, REFERENCE) == 0.0
    drift = label_drift("threat", REFERENCE, REFERENCE.copy())
    assert (drift.psi, drift.verdict, drift.ks_statistic, drift.ks_pvalue) == (0.0, "stable", 0.0, 1.0)


def test_a_fresh_sample_of_the_same_distribution_is_stable():
    drift = label_drift("threat", REFERENCE, rng.beta(1, 8, 5000))
    assert drift.psi < 0.02 and drift.verdict == "stable" and drift.ks_pvalue > 0.001


def test_a_shifted_beta_is_a_major_shift_and_a_small_one_moderate():
    major = label_drift("threat", REFERENCE, rng.beta(2, 5, 5000))
    assert major.psi > 0.25 and major.verdict == "major shift" and major.ks_pvalue < 1e-10
    # a 15 % slice of the traffic moving to high scores
    mixed = np.concatenate([rng.beta(1, 8, 4250), rng.beta(5, 2, 750)])
    moderate = label_drift("threat", REFERENCE, mixed)
    assert 0.1 <= moderate.psi < 0.25 and moderate.verdict == "moderate shift"


def test_psi_matches_the_formula_on_hand_made_bins():
    reference = np.repeat(np.linspace(0.05, 0.95, 10), 10)  # ten values, each a decile
    edges = bin_edges(reference)
    assert len(edges) == 9
    current = np.repeat(np.linspace(0.05, 0.95, 10)[:5], 20)  # all mass in the lower five deciles
    expected = 5 * (0.2 - 0.1) * np.log(0.2 / 0.1) + 5 * (EPSILON - 0.1) * np.log(EPSILON / 0.1)
    assert psi(reference, current) == pytest.approx(expected)
    assert [verdict(v) for v in (0.0, 0.0999, 0.1, 0.2499, 0.25, 3)] == [
        "stable", "stable", "moderate shift", "moderate shift", "major shift", "major shift"]


def test_tied_reference_scores_merge_bins_and_still_give_zero_for_identical():
    tied = np.r_[np.zeros(900), rng.random(100)]
    assert len(bin_edges(tied)) < 9
    assert psi(tied, tied) == 0.0


def batch_rows(scores, thresholds=(0.5, 0.5)):
    labels = ("threat", "denial")
    for i, values in enumerate(scores):
        yield {"id": str(i), "doc_id": str(i), "sentence": 0, "start": 0, "end": 4, "text": "نص ما",
               "scores": dict(zip(labels, values)),
               "flagged": [label for label, p, t in zip(labels, values, thresholds) if p >= t],
               "model": "tiny", "model_version": "v1"}


def write(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_drift_report_reads_two_batch_outputs(tmp_path):
    reference = write(tmp_path / "ref.jsonl", batch_rows(zip(REFERENCE[:2000], REFERENCE[2000:4000])))
    shifted = rng.beta(2, 5, 2000)
    current = write(tmp_path / "cur.jsonl", batch_rows(zip(shifted, REFERENCE[:2000])))
    report = drift_report(reference, current)
    threat, denial = report.labels
    assert threat.verdict == "major shift" and denial.verdict == "stable"
    assert threat.flag_rate_reference == pytest.approx(np.mean(REFERENCE[:2000] >= 0.5))
    assert threat.flag_rate_current == pytest.approx(np.mean(shifted >= 0.5))
    assert report.worst == "major shift"
    text = render_text(report)
    assert "threat: major shift (PSI" in text and "denial: stable" in text and "flag rate" in text
    assert report.to_dict()["labels"]["threat"]["flag_rate_change"] == pytest.approx(
        threat.flag_rate_current - threat.flag_rate_reference)


def test_a_real_batch_output_reads(tiny_bundle, tmp_path, eval_file):
    from khitab.inference.batch import run_batch
    from khitab.models.bundle import load_model

    out = tmp_path / "scored.jsonl"
    run_batch(eval_file, out, load_model(tiny_bundle))
    columns = read_batch_output(out)
    assert columns.labels == ["threat", "sectarian", "denial"] and len(columns.scores["threat"]) == 14
    report = drift_report(out, out)
    assert all(d.psi == 0.0 and d.verdict == "stable" for d in report.labels)


def test_rows_that_are_not_batch_output_are_errors(tmp_path):
    bad = write(tmp_path / "bad.jsonl", [{"text": "x"}, {"scores": {"threat": 1.5}}])
    with pytest.raises(EvalDataError, match="bad.jsonl:1: scores") as caught:
        read_batch_output(bad)
    assert "bad.jsonl:2: scores.threat: 1.5" in caught.value.problems[1]
