"""khitab.tuning: thresholds and temperatures re-fitted into saved bundles (scores or decisions
kept), and never into the shipped default in place."""
import json
import shutil

import numpy as np
import pytest
from typer.testing import CliRunner

from khitab.cli import app
from khitab.config import ThresholdConfig
from khitab.data.dataset import label_matrices
from khitab.defaults import shipped_bundle_path
from khitab.errors import OptionError
from khitab.evaluation.datasets import read_eval_file
from khitab.evaluation.thresholds import tune_one
from khitab.models.bundle import load_model
from khitab.tuning import calibrate_bundle, retune_bundle, writable_bundle
from tests.evaluation.conftest import eval_rows, write_jsonl

runner = CliRunner()


@pytest.fixture
def eval_file(tmp_path):
    return write_jsonl(tmp_path / "news.jsonl", eval_rows())


def _pooled(model, datasets, label):
    j = model.labels.index(label)
    probs = np.concatenate([model.predict_proba(d.texts)[:, j] for d in datasets])
    matrices = [label_matrices(d.examples, model.labels) for d in datasets]
    y = np.concatenate([t[:, j] for t, _ in matrices])
    known = np.concatenate([k[:, j] for _, k in matrices])
    return probs[known], y[known].astype(int)


def test_retune_pools_the_data_keeps_scores_and_labels_it_cannot_tune(tiny_bundle, tmp_path, eval_file):
    bundle = shutil.copytree(tiny_bundle, tmp_path / "bundle")
    before = load_model(bundle)
    full = read_eval_file(eval_file, before.labels)
    denial_only = read_eval_file(write_jsonl(tmp_path / "d.jsonl", eval_rows(labels=("denial",))), before.labels)
    threat_negatives = [r for r in eval_rows(labels=("threat",)) if not r["threat"]]
    no_threat_positives = read_eval_file(write_jsonl(tmp_path / "t.jsonl", threat_negatives), before.labels)

    changes = retune_bundle(bundle, [full, denial_only], ThresholdConfig())
    after = load_model(bundle)
    for change in changes:
        scores, y = _pooled(before, [full, denial_only], change.label)
        assert change.n == len(y) and change.after == pytest.approx(tune_one(scores, y, ThresholdConfig()))
        assert after.thresholds[change.label] == pytest.approx(change.after)
        assert change.f1_after >= change.f1_before
    assert {c.label: c.n for c in changes} == {"threat": 14, "sectarian": 14, "denial": 28}
    assert after.version == load_model(tiny_bundle).version
    np.testing.assert_allclose(after.predict_proba(full.texts), before.predict_proba(full.texts))
    saved = json.loads((bundle / "bundle.json").read_text(encoding="utf-8"))["metadata"]["thresholds"]
    assert saved["data"] == [full.origin, denial_only.origin] and saved["strategy"]["strategy"] == "max_f1"

    tuned = dict(after.thresholds)
    (threat,) = [c for c in retune_bundle(bundle, [no_threat_positives], ThresholdConfig()) if c.label == "threat"]
    assert threat.after == threat.before == tuned["threat"] and threat.f1_after is None
    assert load_model(bundle).thresholds == tuned  # the other labels are absent from that data


def test_calibration_saves_temperatures_and_keeps_decisions(tiny_bundle, tmp_path, eval_file):
    bundle = shutil.copytree(tiny_bundle, tmp_path / "bundle")
    before = load_model(bundle)
    data = read_eval_file(eval_file, before.labels)
    fits = calibrate_bundle(bundle, data)
    after = load_model(bundle)
    saved = json.loads((bundle / "bundle.json").read_text(encoding="utf-8"))
    assert set(saved["temperature"]) == {f.label for f in fits if f.temperature is not None} == set(before.labels)
    assert after.version == before.version and saved["metadata"]["calibration"]["data"] == str(eval_file)
    assert all(f.nll_after <= f.nll_before + 1e-9 for f in fits)
    texts = data.texts + ["نص لا علاقة له بشيء", "سنقتلهم جميعا"]
    old, new = before.score_sentences(texts), after.score_sentences(texts)
    assert not np.allclose(old.probs, new.probs)
    assert [old.flagged(i) for i in range(len(texts))] == [new.flagged(i) for i in range(len(texts))]




def test_the_shipped_default_is_refitted_only_as_a_copy(tiny_bundle, tmp_path):
    with pytest.raises(OptionError, match="shipped default"):
        writable_bundle(shipped_bundle_path(), None)
    assert writable_bundle(tiny_bundle, None) == tiny_bundle  # any other bundle: in place, as asked
    copy = writable_bundle(tiny_bundle, tmp_path / "copy")
    assert copy == tmp_path / "copy" and (copy / "bundle.json").is_file()


def test_cli_calibrate_into_a_new_bundle_leaves_the_source(tiny_bundle, tmp_path):
    data = write_jsonl(tmp_path / "dev.jsonl", eval_rows())
    source = (tiny_bundle / "bundle.json").read_bytes()
    result = runner.invoke(app, ["calibrate", "--model", str(tiny_bundle), "--data", str(data),
                                 "--output", str(tmp_path / "calibrated")])
    assert result.exit_code == 0, result.output
    assert f"saved temperatures into {tmp_path / 'calibrated'}" in result.stderr
    assert (tiny_bundle / "bundle.json").read_bytes() == source
    assert load_model(tmp_path / "calibrated").temperature != load_model(tiny_bundle).temperature


def test_cli_thresholds_with_a_target_precision_into_a_new_bundle(tiny_bundle, tmp_path, eval_file):
    source = (tiny_bundle / "bundle.json").read_bytes()
    bundle = tmp_path / "retuned"
    result = runner.invoke(app, ["thresholds", "--model", str(tiny_bundle), "--data", str(eval_file), "--strategy",
                                 "target_precision", "--target-precision", "0.8", "--output", str(bundle)])
    assert result.exit_code == 0, result.output
    assert "threat: threshold" in result.stderr and "saved thresholds" in result.stderr
    assert (tiny_bundle / "bundle.json").read_bytes() == source  # --output leaves the original as it was
    model = load_model(bundle)
    data = read_eval_file(eval_file, model.labels)
    config = ThresholdConfig(strategy="target_precision", target_precision=0.8)
    for label in model.labels:
        scores, y = _pooled(model, [data], label)
        assert model.thresholds[label] == pytest.approx(tune_one(scores, y, config))


@pytest.mark.parametrize("case", ["not a bundle", "output exists"])
def test_cli_thresholds_refuses_with_one_line(tiny_bundle, tmp_path, eval_file, case):
    (tmp_path / "plain").mkdir()
    args = ["--model", str(tmp_path / "plain")] if case == "not a bundle" else [
        "--model", str(tiny_bundle), "--output", str(tmp_path / "plain")]
    result = runner.invoke(app, ["thresholds", "--data", str(eval_file), *args])
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert ("already exists" in result.stderr) == (case == "output exists")
