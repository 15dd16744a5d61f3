"""``khitab score --explain`` and ``khitab batch --explain`` on the tiny bundle."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from khitab.cli import app
from khitab.errors import OptionError
from khitab.explain import explain_document
from khitab.inference.batch import run_batch
from khitab.models.bundle import load_model
from tests.conftest import SEED_TEXT
from tests.inference.test_batch import documents, expected_rows, read_jsonl, write_jsonl

runner = CliRunner()
EXPLAINED = {"cues", "voice", "speaker"}


def test_score_explain_jsonl_rows_carry_the_explanations(tiny_bundle):
    text = SEED_TEXT.read_text(encoding="utf-8")
    plain = runner.invoke(app, ["score", str(SEED_TEXT), "--model", str(tiny_bundle), "--format", "jsonl"])
    result = runner.invoke(app, ["score", str(SEED_TEXT), "--model", str(tiny_bundle), "--format", "jsonl",
                                 "--explain"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    before = [json.loads(line) for line in plain.stdout.splitlines()]
    assert [{k: r[k] for k in b} for r, b in zip(rows, before)] == before  # scores unchanged
    flagged = [r for r in rows if r["flagged"]]
    assert flagged and all(EXPLAINED <= set(r) for r in flagged)
    assert all(not EXPLAINED & set(r) for r in rows if not r["flagged"])
    for row in flagged:
        for cues in row["cues"].values():
            assert all(text[c["start"]:c["end"]] == c["text"] for c in cues)


def test_score_explain_table_shows_voice(tiny_bundle):
    result = runner.invoke(app, ["score", str(SEED_TEXT), "--model", str(tiny_bundle), "--explain", "--only-flagged"])
    assert result.exit_code == 0, result.output
    assert "[quoted" in result.stdout or "[reported" in result.stdout or "[author" in result.stdout


def test_batch_explain_adds_the_fields_and_leaves_scores_alone(tiny_bundle, tmp_path):
    model = load_model(tiny_bundle)
    rows = documents(12)
    source = write_jsonl(tmp_path / "in.jsonl", rows)
    run_batch(source, tmp_path / "out.jsonl", model, chunk_rows=5, progress=False, explain=True)
    out = read_jsonl(tmp_path / "out.jsonl")
    expected = expected_rows(model, rows)
    assert [{k: r[k] for k in e} for r, e in zip(out, expected)] == expected
    seed = [r for r in out if r["id"] == "seed"]
    text = SEED_TEXT.read_text(encoding="utf-8")
    explained = explain_document(model, text, model.score_document(text, doc_id="seed"))
    assert [{k: v for k, v in r.items() if k not in ("id", "model", "model_version")} for r in seed] == explained
    assert any(EXPLAINED <= set(r) for r in seed)


def test_batch_explain_needs_jsonl_sentence_rows(tiny_bundle, tmp_path):
    model = load_model(tiny_bundle)
    source = write_jsonl(tmp_path / "in.jsonl", documents(12))
    with pytest.raises(OptionError, match="explain"):
        run_batch(source, tmp_path / "out.csv", model, progress=False, explain=True)
    with pytest.raises(OptionError, match="explain"):
        run_batch(source, tmp_path / "out.jsonl", model, progress=False, explain=True, level="document")
