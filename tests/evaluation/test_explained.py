"""``khitab evaluate --faithfulness --explain-errors``: ERASER numbers for flagged positives in
metrics.json and the report, and the error lists' cue words marked."""
import json

import numpy as np
from typer.testing import CliRunner

from khitab.cli import app
from khitab.evaluation.datasets import read_eval_file
from khitab.evaluation.evaluate import evaluate, score_dataset
from khitab.evaluation.explained import error_pairs, explain_pairs, flagged_positives
from khitab.evaluation.report import Marked, _html_cell, _md_cell, marked
from khitab.models.bundle import load_model

runner = CliRunner()
KEYS = {"comprehensiveness", "sufficiency", "random_comprehensiveness"}


def test_faithfulness_is_opt_in_and_capped(tiny_bundle, eval_file):
    model = load_model(tiny_bundle)
    data = read_eval_file(eval_file, model.labels)
    plain = evaluate(model, [data], resamples=0)
    assert "faithfulness" not in plain["datasets"]["news"]
    faith = evaluate(model, [data], resamples=0, faithfulness=3)["datasets"]["news"]["faithfulness"]
    assert faith["sampled"] == min(3, faith["flagged_positives"]) and KEYS <= set(faith)
    assert faith["flagged_positives"] == len(flagged_positives(score_dataset(model, data)))
    assert all(KEYS <= set(m) for m in faith["labels"].values())


def test_error_cues_are_offsets_into_the_shown_text(tiny_bundle, eval_file):
    model = load_model(tiny_bundle)
    scored = score_dataset(model, read_eval_file(eval_file, model.labels))
    pairs = error_pairs(scored, 3)
    cues = explain_pairs(model, scored, pairs)
    assert set(cues) == set(pairs)
    for (i, _), spans in cues.items():
        text = scored.dataset.examples[i].text
        assert all(0 <= s < e <= len(text) for s, e in spans)


def test_marked_cells_render_as_mark_and_bold():
    text = "سوف  ننتقم منهم | غدا"
    at = text.index("ننتقم")
    cell = marked(text, [(at, at + 5)])
    assert isinstance(cell, Marked) and cell.pieces[1] == ("ننتقم", True)
    assert _html_cell(cell) == "سوف <mark>ننتقم</mark> منهم | غدا"
    assert _md_cell(cell) == "سوف **ننتقم** منهم \\| غدا"
    assert marked("نص بلا إشارات", []) == "نص بلا إشارات"
    long = marked("ا" * 400 + " ننتقم", [(401, 406)])  # the cue is cut off: the text still shortens
    assert sum(len(p) for p, _ in long.pieces) <= 300  # shortened like a plain cell


def test_cli_writes_faithfulness_and_marked_errors(tiny_bundle, tmp_path, eval_file):
    out = tmp_path / "report"
    result = runner.invoke(app, ["evaluate", "--model", str(tiny_bundle), "--data", str(eval_file), "--output",
                                 str(out), "--bootstrap", "0", "--faithfulness", "--faithfulness-sample", "5",
                                 "--explain-errors", "--top", "3"])
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert KEYS <= set(metrics["datasets"]["news"]["faithfulness"])
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Faithfulness of cue spans" in html and "Faithfulness of cue spans" in (out / "report.md").read_text()
    assert "<mark>" in html
    assert np.isfinite(metrics["datasets"]["news"]["faithfulness"]["comprehensiveness"])
