import csv
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from khitab.cli import app
from khitab.errors import OptionError
from khitab.inference.backends import SentenceScorer
from khitab.inference.batch import run_batch
from khitab.models.bundle import BundleError, load_model
from tests.conftest import SEED_TEXT, TINY_CORPUS

CORPUS = [json.loads(line)["text"] for line in TINY_CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]


def documents(n: int = 40) -> list[dict]:
    """Documents of one to four corpus sentences, plus every kind of bad row."""
    rows = [{"id": f"d{i}", "text": " ".join(CORPUS[(i * 7 + k) % len(CORPUS)] for k in range(1 + i % 4))}
            for i in range(n)]
    rows[3] = {"id": "missing"}
    rows[5] = {"id": "empty", "text": " \n "}
    rows[8] = {"id": "english", "text": "Nothing Arabic in this one."}
    rows[9] = {"id": "seed", "text": SEED_TEXT.read_text(encoding="utf-8")}
    return rows


def write_jsonl(path: Path, rows: list[dict], bad_utf8_at: int | None = None) -> Path:
    with path.open("wb") as handle:
        for i, row in enumerate(rows):
            if i == bad_utf8_at:
                handle.write(b'{"id": "utf8", "text": "\xd9\xff"}\n')
            handle.write(json.dumps(row, ensure_ascii=False).encode() + b"\n")
    return path


def expected_rows(model, rows: list[dict]) -> list[dict]:
    out = []
    for row in rows:
        text = row.get("text") or ""
        if not text.strip() or row["id"] == "english":
            continue
        out += [{"id": row["id"], **s.to_row(), "model": model.name, "model_version": model.version}
                for s in model.score_document(text, doc_id=row["id"])]
    return out


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_sentence_rows_equal_score_document_and_nothing_is_lost(tiny_bundle, tmp_path):
    model = load_model(tiny_bundle)
    rows = documents()
    source = write_jsonl(tmp_path / "in.jsonl", rows, bad_utf8_at=20)
    summary = run_batch(source, tmp_path / "out.jsonl", model, chunk_rows=7, progress=False)
    assert read_jsonl(tmp_path / "out.jsonl") == expected_rows(model, rows)
    errors = read_jsonl(tmp_path / "out.errors.jsonl")
    assert [(e["id"], e["reason"].split(" (")[0].split(" at ")[0]) for e in errors] == [
        ("missing", "missing field 'text'"), ("empty", "empty text"), ("english", "not Arabic"),
        ("20", "invalid UTF-8"),
    ]
    assert errors[3]["where"] == f"{source}:21"
    assert summary.rows_read == 41 == summary.rows_scored + summary.rows_error and summary.rows_error == 4
    assert summary.chunks == 6 and summary.output_rows == summary.sentences
    assert "rows read 41 = scored 37 + errors 4" in summary.text()
    assert not (tmp_path / "out.jsonl.parts").exists()


@pytest.mark.parametrize("kind", ["csv", "parquet", "txt"])
def test_every_input_format_gives_the_same_rows(tiny_bundle, tmp_path, kind):
    model = load_model(tiny_bundle)
    rows = [r for r in documents(12) if r.get("text", "").strip() and r["id"] != "english"]
    if kind == "csv":
        source = tmp_path / "in.csv"
        with source.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=["id", "text"])
            writer.writeheader()
            writer.writerows(rows)
    elif kind == "parquet":
        source = tmp_path / "in.parquet"
        pq.write_table(pa.Table.from_pylist(rows), source)
    else:
        source = tmp_path / "docs"
        source.mkdir()
        for row in rows:
            (source / f"{row['id']}.txt").write_text(row["text"], encoding="utf-8")
        rows = sorted(({"id": f"{r['id']}.txt", "text": r["text"]} for r in rows), key=lambda r: r["id"])
    summary = run_batch(source, tmp_path / "out.jsonl", model, chunk_rows=5, progress=False)
    assert read_jsonl(tmp_path / "out.jsonl") == expected_rows(model, rows)
    assert summary.rows_read == len(rows) == summary.rows_scored


def test_parquet_and_csv_output(tiny_bundle, tmp_path):
    model = load_model(tiny_bundle)
    source = write_jsonl(tmp_path / "in.jsonl", documents(15))
    run_batch(source, tmp_path / "out.jsonl", model, chunk_rows=4, progress=False)
    reference = read_jsonl(tmp_path / "out.jsonl")
    run_batch(source, tmp_path / "out.parquet", model, chunk_rows=4, progress=False)
    table = pq.read_table(tmp_path / "out.parquet")
    assert table.to_pylist() == reference
    run_batch(source, tmp_path / "out.csv", model, chunk_rows=4, progress=False)
    with (tmp_path / "out.csv").open(encoding="utf-8", newline="") as handle:
        flat = list(csv.DictReader(handle))
    assert list(flat[0]) == ["id", "doc_id", "sentence", "start", "end", "text", "score_threat", "score_sectarian",
                             "score_denial", "flagged", "model", "model_version"]
    assert [r["text"] for r in flat] == [r["text"] for r in reference]
    assert [float(r["score_denial"]) for r in flat] == [r["scores"]["denial"] for r in reference]
    assert [r["flagged"] for r in flat] == [";".join(r["flagged"]) for r in reference]


def test_document_level_takes_the_maximum_per_label(tiny_bundle, tmp_path):
    model = load_model(tiny_bundle)
    rows = documents(12)
    source = write_jsonl(tmp_path / "in.jsonl", rows)
    summary = run_batch(source, tmp_path / "docs.jsonl", model, level="document", top_k=2, progress=False)
    out = read_jsonl(tmp_path / "docs.jsonl")
    scored = [r for r in rows if r.get("text", "").strip() and r["id"] != "english"]
    assert [r["id"] for r in out] == [r["id"] for r in scored] and summary.output_rows == len(scored)
    thresholds = model.threshold_vector()
    for doc, row in zip(out, scored):
        sentences = model.score_document(row["text"], doc_id=row["id"])
        assert doc["sentences"] == len(sentences)
        for j, label in enumerate(model.labels):
            best = max(s.scores[label] for s in sentences)
            assert doc["scores"][label] == round(best, 6)
            assert (label in doc["flagged"]) == (best >= thresholds[j])
        assert len(doc["top"]) == min(2, len(sentences))
        top_score = max(max(s.scores.values()) for s in sentences)
        assert max(doc["top"][0]["scores"].values()) == round(top_score, 6)
        assert doc["model"] == model.name and doc["model_version"] == model.version


def test_encoder_rows_match_score_document(tiny_encoder_bundle, tmp_path):
    model = load_model(tiny_encoder_bundle)
    rows = documents(16)
    source = write_jsonl(tmp_path / "in.jsonl", rows)
    run_batch(source, tmp_path / "out.jsonl", model, chunk_rows=6, max_tokens=256, max_batch=8, progress=False)
    got, want = read_jsonl(tmp_path / "out.jsonl"), expected_rows(model, rows)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert {k: v for k, v in g.items() if k != "scores"} == {k: v for k, v in w.items() if k != "scores"}
        assert np.allclose(list(g["scores"].values()), list(w["scores"].values()), atol=2e-6)


def test_onnx_parity_fp32_and_int8_and_the_export_is_cached(tiny_encoder_bundle):
    model = load_model(tiny_encoder_bundle)
    sentences = [s.text for text in CORPUS for s in model.score_document(text)][:60]
    reference = model.predict_proba(sentences)
    fp32 = SentenceScorer(model, backend="onnx", cache_dir=tiny_encoder_bundle / "onnx")
    graph = tiny_encoder_bundle / "onnx" / model.version / "model.opt.onnx"
    assert graph.is_file() and model.runtime.graph == graph
    assert np.max(np.abs(fp32.probabilities(sentences) - reference)) <= 1e-4
    assert fp32.parity(sentences) <= 1e-4
    int8 = SentenceScorer(model, backend="onnx", quantize="int8", cache_dir=tiny_encoder_bundle / "onnx")
    assert model.runtime.graph.name == "model.int8.onnx"
    assert 0 < int8.parity(sentences) <= 0.02
    stamp = graph.stat().st_mtime_ns
    SentenceScorer(model, backend="onnx", cache_dir=tiny_encoder_bundle / "onnx")
    assert graph.stat().st_mtime_ns == stamp  # exported once


def test_onnx_is_for_encoders_only(tiny_bundle):
    with pytest.raises(BundleError, match="onnx backend runs encoder models"):
        SentenceScorer(load_model(tiny_bundle), backend="onnx")
    with pytest.raises(OptionError, match="add --backend onnx"):
        SentenceScorer(load_model(tiny_bundle), quantize="int8")


def test_cli_batch(tiny_bundle, tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", documents(10))
    runner = CliRunner()
    result = runner.invoke(app, ["batch", str(source), "-o", str(tmp_path / "o.jsonl"), "--model", str(tiny_bundle),
                                 "--level", "document"])
    assert result.exit_code == 0, result.output
    assert "rows read 10 = scored 7 + errors 3" in result.stderr
    assert len(read_jsonl(tmp_path / "o.jsonl")) == 7 and len(read_jsonl(tmp_path / "o.errors.jsonl")) == 3
    quiet = runner.invoke(app, ["batch", str(source), "-o", str(tmp_path / "q.jsonl"), "--model", str(tiny_bundle),
                                "--quiet"])
    assert quiet.exit_code == 0 and quiet.stderr == ""
    bad = runner.invoke(app, ["batch", str(source), "-o", str(tmp_path / "b.jsonl"), "--model", str(tiny_bundle),
                              "--backend", "onnx"])
    assert bad.exit_code == 2 and bad.stderr.startswith("error: ") and len(bad.stderr.splitlines()) == 1
