import json
import re
import shutil

import numpy as np
import pytest
from typer.testing import CliRunner

from khitab.cli import app
from khitab.evaluation.datasets import SourceRoots, load_dataset, read_eval_file
from khitab.evaluation.evaluate import evaluate, row_verdicts, score_dataset
from khitab.evaluation.metrics import dataset_metrics
from khitab.models.bundle import load_model
from tests.conftest import SEED_GOLD, two_slice_corpus
from tests.evaluation.conftest import eval_rows, write_jsonl

LABEL_KEYS = {"n_pos", "precision", "recall", "f1", "roc_auc", "pr_auc", "ece", "threshold"}
runner = CliRunner()


def test_metrics_follow_the_documented_shape_and_unknown_labels_are_absent(tiny_bundle, tmp_path, eval_file):
    model = load_model(tiny_bundle)
    partial = read_eval_file(write_jsonl(tmp_path / "partial.jsonl", eval_rows(labels=("threat",))), model.labels)
    full = read_eval_file(eval_file, model.labels)
    metrics = evaluate(model, [full, partial], resamples=200, output_dir=tmp_path / "out")
    assert set(metrics) >= {"model", "datasets"} and metrics["model"]["name"] == model.name
    assert list(metrics["datasets"]) == ["news", "partial"]
    news = metrics["datasets"]["news"]
    assert news["n"] == 14 and set(news["labels"]) == {"threat", "sectarian", "denial"}
    for entry in news["labels"].values():
        assert LABEL_KEYS <= set(entry)
        assert entry["f1_ci"][0] <= entry["f1"] <= entry["f1_ci"][1]
        assert sum(entry["confusion"].values()) == 14
    assert {"macro_f1", "micro_f1"} <= set(news) and set(news["breakdown"]) == {"dialect", "source"}
    assert set(news["breakdown"]["dialect"]) == {"msa", "gulf", "iraqi"}
    gulf = news["breakdown"]["dialect"]["gulf"]  # no denial rows among the gulf ones: F1 undefined
    assert gulf["labels"]["denial"]["n_pos"] == 0
    defined = (gulf["labels"]["threat"]["f1"] + gulf["labels"]["sectarian"]["f1"]) / 2
    assert gulf["macro_f1"] > 0 and gulf["macro_f1"] == pytest.approx(defined)
    assert list(metrics["datasets"]["partial"]["labels"]) == ["threat"]  # the others absent, never zero
    written = json.loads((tmp_path / "out" / "metrics.json").read_text(encoding="utf-8"))
    assert written == metrics
    predictions = (tmp_path / "out" / "predictions.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(predictions) == 28 and json.loads(predictions[-1])["gold"] == {"threat": 0}


def test_corpus_splits_break_down_by_slice(tiny_bundle, tmp_path, labels):
    corpus = two_slice_corpus(tmp_path / "corpus")
    model = load_model(tiny_bundle)
    data = load_dataset("corpus:train", model.labels, SourceRoots(corpus=corpus))
    slices = evaluate(model, [data], resamples=0)["datasets"]["corpus:train"]["breakdown"]["slice"]
    assert set(slices) == {"news", "social"}
    assert sum(part["n"] for part in slices.values()) == len(data)
    news_rows = [i for i, ex in enumerate(data.examples) if ex.meta["slice"] == "news"]
    scored = score_dataset(model, data)
    assert slices["news"]["n"] == len(news_rows) and slices["news"]["macro_f1"] == pytest.approx(
        dataset_metrics(scored.probs[news_rows], scored.targets[news_rows], scored.known[news_rows],
                        scored.labels, scored.thresholds)["macro_f1"])


def test_document_unit_takes_the_maximum_over_sentences(tiny_bundle, tmp_path):
    model = load_model(tiny_bundle)
    rows = eval_rows()
    docs = [
        {"text": rows[0]["text"] + ". " + rows[10]["text"] + ".", "threat": 1, "denial": 0},
        {"text": rows[8]["text"] + "! " + rows[11]["text"], "threat": 0, "denial": 1},
    ]
    data = read_eval_file(write_jsonl(tmp_path / "docs.jsonl", docs), model.labels)
    scored = score_dataset(model, data, unit="document")
    threat, denial = model.labels.index("threat"), model.labels.index("denial")
    for i, sentences in enumerate([[rows[0]["text"] + ".", rows[10]["text"] + "."],
                                   [rows[8]["text"] + "!", rows[11]["text"]]]):
        per_sentence = model.predict_proba(sentences)
        assert scored.probs[i] == pytest.approx(per_sentence[:, [threat, denial]].max(axis=0))
        best = int(np.argmax(per_sentence[:, threat]))
        assert scored.evidence[i][0] == sentences[best]
    whole = score_dataset(model, data)
    assert whole.evidence is None and not np.allclose(whole.probs, scored.probs)


def test_comparison_reports_differences_and_whether_they_exceed_the_ci(tiny_bundle, tmp_path, eval_file):
    model = load_model(tiny_bundle)
    data = read_eval_file(eval_file, model.labels)
    metrics = evaluate(model, [data], compare=load_model(tiny_bundle), resamples=100)
    diff = metrics["compare"]["datasets"]["news"]["differences"]["threat"]
    assert diff["f1"]["diff"] == 0 and diff["f1"]["ci"] == [0, 0] and diff["f1"]["exceeds_ci"] is False
    assert set(diff) == {"f1", "pr_auc", "roc_auc"}


def test_report_has_every_section_and_is_self_contained(tiny_bundle, tmp_path, eval_file):
    model = load_model(tiny_bundle)
    data = read_eval_file(eval_file, model.labels)
    evaluate(model, [data], compare=model, resamples=50, output_dir=tmp_path / "out", top_k=3)
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    markdown = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    for section in ("Summary", "Comparison with", "Confusion counts", "Threshold sweep", "By dialect",
                    "By source", "Top false positives", "Top false negatives"):
        assert section in html and section in markdown
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html)  # nothing loaded from outside
    assert html.count('src="data:image/png;base64,') == 3
    for plot in re.findall(r"\]\((plots/[^)]+\.png)\)", markdown):
        assert (tmp_path / "out" / plot).read_bytes().startswith(b"\x89PNG")
    assert 'dir="rtl"' in html


def test_cli_evaluates_several_datasets_and_the_seed(tiny_bundle, tmp_path, eval_file):
    other = write_jsonl(tmp_path / "other.jsonl", eval_rows(labels=("denial",)))
    out = tmp_path / "report"
    result = runner.invoke(
        app,
        ["evaluate", "--model", str(tiny_bundle), "--data", str(eval_file), "--data", f"mine={other}",
         "--seed-gold", str(SEED_GOLD), "--output", str(out), "--bootstrap", "100"],
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert list(metrics["datasets"]) == ["news", "mine", "seed"]
    assert list(metrics["datasets"]["mine"]["labels"]) == ["denial"]
    assert metrics["datasets"]["seed"]["n_borderline_excluded"] > 0
    assert "news" in result.stdout and "macro/micro F1" in result.stdout
    verdicts = [line for line in result.stderr.splitlines() if line.startswith("seed:")]
    assert len(verdicts) == metrics["datasets"]["seed"]["n"]
    assert all(" right " in line or " WRONG " in line for line in verdicts)
    assert (out / "report.html").is_file() and (out / "report.md").is_file()


def test_row_verdicts_mark_wrong_labels(tiny_bundle, tmp_path):
    model = load_model(tiny_bundle)
    rows = [{"text": eval_rows()[10]["text"], "threat": 1}]  # a plain sentence labeled threat
    data = read_eval_file(write_jsonl(tmp_path / "one.jsonl", rows), model.labels)
    (line,) = row_verdicts(score_dataset(model, data))
    assert " WRONG " in line and "gold 1 ✗" in line


@pytest.mark.parametrize(
    "content, expected",
    [
        ('{"sentence": "نص", "threat": 1}\n', "bad.jsonl:1: text: missing or empty"),
        ('{"text": "نص", "threat": 3}\n', "bad.jsonl:1: threat: 3 is not 0, 1 or null"),
        ("", "bad.jsonl: no rows"),
        ('{"text": "نص", "insult": 1}\n', "bad.jsonl: no label in common with the model"),
    ],
)
def test_cli_bad_data_is_one_line_and_exit_2(tiny_bundle, tmp_path, content, expected):
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    result = runner.invoke(app, ["evaluate", "--model", str(tiny_bundle), "--data", str(path),
                                 "--output", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and expected in result.stderr


def test_cli_calibrate_command(tiny_bundle, tmp_path, eval_file):
    bundle = shutil.copytree(tiny_bundle, tmp_path / "bundle")
    result = runner.invoke(app, ["calibrate", "--model", str(bundle), "--data", str(eval_file)])
    assert result.exit_code == 0, result.output
    assert "temperature" in result.stderr and load_model(bundle).temperature


def test_cli_fit_temperature_then_evaluate_and_nothing_to_evaluate(tiny_bundle, tmp_path, eval_file):
    bundle = shutil.copytree(tiny_bundle, tmp_path / "bundle")
    result = runner.invoke(app, ["evaluate", "--model", str(bundle), "--fit-temperature", str(eval_file),
                                 "--data", str(eval_file), "--output", str(tmp_path / "out"), "--bootstrap", "0"])
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text(encoding="utf-8"))
    fitted = load_model(bundle).temperature
    assert fitted != load_model(tiny_bundle).temperature
    assert metrics["model"]["temperature"] == pytest.approx(fitted, abs=1e-6)
    assert metrics["datasets"]["news"]["labels"]["threat"]["f1_ci"] is None
    nothing = runner.invoke(app, ["evaluate", "--model", str(bundle)])
    assert nothing.exit_code == 2 and "give --data" in nothing.stderr


def test_an_encoder_bundle_is_judged_the_same_way(tiny_encoder_bundle, eval_file):
    model = load_model(tiny_encoder_bundle)
    metrics = evaluate(model, [read_eval_file(eval_file, model.labels)], resamples=20)
    assert metrics["model"]["kind"] == "encoder"
    assert set(metrics["datasets"]["news"]["labels"]) == {"threat", "sectarian", "denial"}


def test_real_text_rows_break_down_by_annotation_wave(tiny_bundle, tmp_path):
    """real:dev and real:test mix waves drawn by different designs (waves 1-2 stratified on
    proxies, 11-12 on what was left), so a report gives each wave's numbers beside the split's."""
    model = load_model(tiny_bundle)
    data = load_dataset("corpus:train", model.labels, SourceRoots(corpus=two_slice_corpus(tmp_path / "corpus")))
    for i, ex in enumerate(data.examples):
        ex.meta["wave"] = "01" if i % 3 else "12"
    waves = evaluate(model, [data], resamples=0)["datasets"]["corpus:train"]["breakdown"]["wave"]
    assert set(waves) == {"01", "12"}
    assert waves["12"]["n"] == len(range(0, len(data), 3)) and sum(w["n"] for w in waves.values()) == len(data)
