import json

import pytest
from typer.testing import CliRunner

from khitab.cli import app
from tests.conftest import ROOT, SEED_TEXT, write_config

runner = CliRunner()


def score(*args, input=None):
    return runner.invoke(app, ["score", *map(str, args)], input=input)


def test_score_jsonl_follows_the_documented_schema(tiny_bundle):
    result = score(SEED_TEXT, "--model", tiny_bundle, "--format", "jsonl")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    text = SEED_TEXT.read_text(encoding="utf-8")
    assert len(rows) >= 17
    for i, row in enumerate(rows):
        assert list(row) == ["doc_id", "sentence", "start", "end", "text", "scores", "flagged"]
        assert row["doc_id"] == str(SEED_TEXT) and row["sentence"] == i
        assert text[row["start"]:row["end"]] == row["text"]
        assert set(row["scores"]) == {"threat", "sectarian", "denial"}
        assert set(row["flagged"]) <= set(row["scores"])


def test_score_reads_stdin(tiny_bundle):
    result = score("-", "--model", tiny_bundle, "--format", "jsonl", input="سنحرق مقراتهم. نفت الوزارة الخبر.")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["text"] for r in rows] == ["سنحرق مقراتهم.", "نفت الوزارة الخبر."]
    assert rows[0]["doc_id"] == "stdin"


def test_table_and_only_flagged(tiny_bundle):
    full = score(SEED_TEXT, "--model", tiny_bundle)
    assert full.exit_code == 0 and "threat" in full.stdout and "0-178" in full.stdout
    flagged = score(SEED_TEXT, "--model", tiny_bundle, "--format", "jsonl", "--only-flagged")
    rows = [json.loads(line) for line in flagged.stdout.splitlines()]
    assert all(r["flagged"] for r in rows)


@pytest.mark.parametrize(
    "make, message",
    [
        ("missing", "cannot read"),
        ("directory", "is a directory"),
        ("invalid_utf8", "invalid UTF-8 at byte 2"),
        ("empty", "empty text"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_2(tiny_bundle, tmp_path, make, message):
    path = tmp_path / "doc.txt"
    if make == "directory":
        path.mkdir()
    elif make == "invalid_utf8":
        path.write_bytes("نص".encode()[:2] + b"\xff\xfe")
    elif make == "empty":
        path.write_text("  \n")
    result = score(path, "--model", tiny_bundle)
    assert result.exit_code == 2
    assert result.stderr.strip() == result.stderr.strip().splitlines()[0]
    assert str(path) in result.stderr and message in result.stderr


def test_bundle_with_other_labels_than_config_is_rejected(tiny_bundle, tmp_path):
    labels = tmp_path / "labels.yaml"
    text = (ROOT / "configs" / "labels.yaml").read_text(encoding="utf-8")
    labels.write_text(text + "  - name: insult\n    arabic: إهانة\n    definition: x\n", encoding="utf-8")
    result = score(SEED_TEXT, "--model", tiny_bundle, "--labels", labels)
    assert result.exit_code == 2 and str(tiny_bundle) in result.stderr and "insult" in result.stderr


def test_train_command_writes_a_bundle_and_rejects_unknown_keys(tmp_path):
    config = write_config(tmp_path)
    ok = runner.invoke(app, ["train", "--config", str(config)])
    assert ok.exit_code == 0, ok.output
    assert (tmp_path / "run" / "bundle" / "bundle.json").is_file()
    assert (tmp_path / "run" / "config.yaml").is_file()
    bad = runner.invoke(app, ["train", "--config", str(config), "--set", "model.nope=1"])
    assert bad.exit_code == 2 and "model.tfidf.nope" in bad.stderr


def test_a_bug_keeps_its_traceback_and_a_user_error_is_one_line(tiny_bundle, tmp_path, monkeypatch):
    def broken(path):
        raise KeyError("x")  # a bug, not the user's mistake

    monkeypatch.setattr("khitab.cli.scoring.read_document", broken)
    result = score(SEED_TEXT, "--model", tiny_bundle)
    assert result.exit_code == 1 and isinstance(result.exception, KeyError)
    assert "error: " not in result.stderr
    unknown = runner.invoke(app, ["evaluate", "--model", str(tiny_bundle), "--data", "corpus:validation",
                                  "--config", str(write_config(tmp_path))])
    assert unknown.exit_code == 2 and "unknown corpus split 'validation'" in unknown.stderr
