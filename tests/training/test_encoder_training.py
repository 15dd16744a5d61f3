import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from khitab import load_model
from khitab.config import load_train_config
from khitab.models.bundle import save_bundle
from khitab.training import encoder_trainer
from khitab.training.encoder_trainer import StaleCheckpointError, epoch_batches, masked_bce
from khitab.training.train import train
from tests.conftest import ROOT, TINY_ENCODER, TINY_OPTIM, write_config

SENTENCES = ["سنحرق مقراتهم قريبا", "نفت الوزارة الخبر", "افتتحت الكنيسة اليوم", "الروافض خونة", "مرحبا"]


def test_encoder_bundle_round_trip_gives_identical_scores(tiny_encoder_bundle, tmp_path):
    model = load_model(tiny_encoder_bundle)
    assert model.kind == "encoder" and model.labels == ["threat", "sectarian", "denial"]
    copy = load_model(save_bundle(model, tmp_path / "copy"))
    np.testing.assert_allclose(model.predict_proba(SENTENCES), copy.predict_proba(SENTENCES), atol=1e-6)


def test_encoder_weights_load_in_plain_transformers(tiny_encoder_bundle):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    hf_dir = tiny_encoder_bundle / "hf"
    model = AutoModelForSequenceClassification.from_pretrained(hf_dir)
    assert model.config.problem_type == "multi_label_classification"
    assert model.config.id2label == {0: "threat", 1: "sectarian", 2: "denial"}
    ours = load_model(tiny_encoder_bundle)
    tokenizer = AutoTokenizer.from_pretrained(hf_dir)
    batch = tokenizer(ours.prepare(SENTENCES[:1]), return_tensors="pt")
    with torch.no_grad():
        logits = model(**batch).logits.numpy()
    np.testing.assert_allclose(ours.logits(SENTENCES[:1]), logits, atol=1e-5)


def test_plain_hf_folder_is_accepted_with_default_thresholds(tiny_encoder_bundle):
    model = load_model(tiny_encoder_bundle / "hf")
    assert model.thresholds == {} and list(model.threshold_vector()) == [0.5, 0.5, 0.5]
    assert model.normalizer == "none"
    from transformers import pipeline

    pipe = pipeline("text-classification", model=str(tiny_encoder_bundle / "hf"), top_k=None)
    expected = pipe(SENTENCES, function_to_apply="sigmoid")
    ours = model.score_sentences(SENTENCES)
    for i, scores in enumerate(expected):
        for item in scores:
            assert abs(ours.row(i)[item["label"]] - item["score"]) < 1e-5


def test_metrics_log_and_run_folder(tiny_encoder_bundle):
    run = tiny_encoder_bundle.parent
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records] == [1, 2]
    assert all(0 <= r["dev_macro_f1"] <= 1 and r["train_sentences_per_s"] > 0 for r in records)
    assert (run / "config.yaml").is_file() and (run / "checkpoint" / "state.pt").is_file()
    manifest = json.loads((tiny_encoder_bundle / "bundle.json").read_text())
    assert manifest["metadata"]["training"]["best_epoch"] in (1, 2)


def test_masked_loss_ignores_unknown_labels():
    logits = torch.tensor([[2.0, -1.0, 0.5]])
    known = torch.tensor([[1.0, 0.0, 1.0]])
    weights, pos_weight = torch.ones(1), torch.ones(3)
    a = masked_bce(logits, torch.tensor([[1.0, 0.0, 0.0]]), known, weights, pos_weight)
    b = masked_bce(logits, torch.tensor([[1.0, 1.0, 0.0]]), known, weights, pos_weight)
    assert torch.equal(a, b)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        torch.tensor([2.0, 0.5]), torch.tensor([1.0, 0.0])
    )
    assert torch.allclose(a, expected)
    c = masked_bce(logits, torch.tensor([[1.0, 0.0, 1.0]]), known, weights, pos_weight)
    assert not torch.equal(a, c)


def test_batches_group_lengths_and_depend_only_on_seed_and_epoch():
    ids = [[0] * n for n in np.random.default_rng(0).integers(1, 60, size=200)]
    first = epoch_batches(ids, 8, seed=1, epoch=0)
    assert first == epoch_batches(ids, 8, seed=1, epoch=0)
    assert first != epoch_batches(ids, 8, seed=1, epoch=1)
    assert sorted(i for b in first for i in b) == list(range(200))
    spread = np.mean([max(len(ids[i]) for i in b) - min(len(ids[i]) for i in b) for b in first])
    assert spread < 10  # random batches would spread over ~45 tokens


def test_resume_after_interruption_matches_uninterrupted_run(tmp_path, monkeypatch):
    def run(directory, interrupt_after=None):
        config = load_train_config(
            write_config(directory, name="resume", model=TINY_ENCODER, optim={**TINY_OPTIM, "epochs": 2})
        )
        if interrupt_after is None:
            return train(config, log=lambda _: None)
        saved = []
        original = encoder_trainer.save_checkpoint

        def save_then_die(*args, **kwargs):
            original(*args, **kwargs)
            saved.append(1)
            if len(saved) == interrupt_after:
                raise KeyboardInterrupt  # a kill right after a mid-epoch checkpoint
        monkeypatch.setattr(encoder_trainer, "save_checkpoint", save_then_die)
        with pytest.raises(KeyboardInterrupt):
            train(config, log=lambda _: None)
        monkeypatch.setattr(encoder_trainer, "save_checkpoint", original)
        progress = json.loads(torch.load(directory / "run" / "checkpoint" / "state.pt", weights_only=True)["progress"])
        assert progress["batch"] > 0  # stopped mid-epoch
        return train(config, log=lambda _: None)

    straight = load_model(run(tmp_path / "a"))
    resumed = load_model(run(tmp_path / "b", interrupt_after=1))
    np.testing.assert_array_equal(straight.logits(SENTENCES), resumed.logits(SENTENCES))
    assert straight.thresholds == resumed.thresholds


def test_a_checkpoint_from_other_data_or_settings_is_not_resumed(tmp_path):
    def config(**optim):
        path = write_config(tmp_path, name="stale", model=TINY_ENCODER, optim={**TINY_OPTIM, "epochs": 1, **optim})
        return load_train_config(path)

    train(config(), log=lambda _: None)
    assert (tmp_path / "run" / "checkpoint" / "state.pt").is_file()
    logged = []
    with pytest.raises(StaleCheckpointError, match="different training data or settings"):
        train(config(lr=5e-4), log=logged.append)  # the old run's finished epoch would be kept
    assert not any("resuming" in line for line in logged)
    fresh = train(config(lr=5e-4, resume=False), log=logged.append)
    assert [r["epoch"] for r in load_model(fresh).metadata["training"]["history"]] == [1]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs process spawning")
def test_two_process_ddp_training_with_gloo(tmp_path):
    config = write_config(tmp_path, name="ddp", model=TINY_ENCODER, optim={**TINY_OPTIM, "epochs": 1})
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--master_port=29533",
         "-m", "khitab.cli", "train", "--config", str(config)],
        capture_output=True, text=True, env=env, timeout=300, cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    model = load_model(tmp_path / "run" / "bundle")
    assert model.predict_proba(SENTENCES).shape == (5, 3)


@pytest.mark.parametrize(
    "overrides, error, message",
    [
        ({"optim": {**TINY_OPTIM, "pos_weight": {"threats": 2.0}}}, "ConfigError", "unknown label(s) ['threats']"),
        ({"data": {"corpus": "/nowhere/corpus"}}, "FileNotFoundError", "/nowhere/corpus: corpus not found"),
        ({"data": {"corpus": str(ROOT / "tests" / "fixtures" / "tiny_corpus.jsonl"), "external_root": "/nowhere",
                   "external": [{"name": "osact2022"}]}}, "FileNotFoundError", "/nowhere"),
        ({"data": {"corpus": str(ROOT / "tests" / "fixtures" / "tiny_corpus.jsonl"), "external_root": "/nowhere",
                   "external": [{"name": "no_such_source"}]}}, "OptionError", "no_such_source"),
    ],
)
def test_bad_training_input_fails_before_training_starts(tmp_path, monkeypatch, overrides, error, message):
    def must_not_run(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr("khitab.training.train.fit_model", must_not_run)
    settings = {"name": "bad", "model": TINY_ENCODER, "optim": TINY_OPTIM, **overrides}
    config = load_train_config(write_config(tmp_path, **settings))
    with pytest.raises(Exception) as info:
        train(config, log=lambda _: None)
    assert type(info.value).__name__ == error and message in str(info.value)
