"""`khitab batch`: score a large input file, fast, resumably, losing nothing.

    records (readers) -> fixed-size chunks of input rows -> sentences of the chunk, scored
    together (backends: one tokenizer call, length-sorted batches) -> rows in input order
    -> one atomic part per chunk + manifest (writers) -> concatenated output

Every input row ends either in the output (sentence level: one row per sentence; document
level: one row per document) or in the errors file with its reason, and the summary checks
``rows read == rows scored + error rows``.
"""
from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from khitab.errors import BundleError, OptionError
from khitab.inference.backends import SentenceScorer
from khitab.inference.options import BatchOptions
from khitab.inference.readers import Record, count_rows, detect_format, read_records
from khitab.inference.writers import OUTPUT_FORMATS, ChunkStore, RowFormat, default_errors_path
from khitab.models.base import SentenceClassifier, SentenceScore, flagged_labels, score_documents

PARITY_SAMPLE = 32


@dataclass
class Summary:
    input: str
    output: str
    errors: str
    level: str
    model: str
    model_version: str
    backend: str
    rows_read: int = 0
    rows_scored: int = 0
    rows_error: int = 0
    sentences: int = 0
    output_rows: int = 0
    chunks: int = 0
    chunks_resumed: int = 0
    startup_seconds: float = 0.0
    seconds: float = 0.0
    parity_max_abs_diff: float | None = None
    parity_tolerance: float | None = None
    error_reasons: dict[str, int] = field(default_factory=dict)

    @property
    def sentences_per_second(self) -> float:
        return self.sentences / self.seconds if self.seconds > 0 else 0.0

    def add(self, stats: dict[str, Any], resumed: bool) -> None:
        self.chunks += 1
        self.chunks_resumed += int(resumed)
        self.rows_read += stats["rows"]
        self.rows_scored += stats["scored"]
        self.rows_error += stats["errors"]
        self.sentences += stats["sentences"]
        self.output_rows += stats["output_rows"]
        for reason, n in stats.get("reasons", {}).items():
            self.error_reasons[reason] = self.error_reasons.get(reason, 0) + n

    def text(self) -> str:
        parity = ""
        if self.parity_max_abs_diff is not None:
            parity = (f"; parity vs torch fp32: max |Δp| = {self.parity_max_abs_diff:.2e} "
                      f"(≤ {self.parity_tolerance:g})")
        resumed = ""
        if self.chunks_resumed:
            resumed = f" ({self.chunks_resumed} of {self.chunks} chunks from the earlier run)"
        reasons = "".join(f"\n  {n} × {reason}" for reason, n in sorted(self.error_reasons.items()))
        return (
            f"rows read {self.rows_read} = scored {self.rows_scored} + errors {self.rows_error}{resumed}\n"
            f"{self.output_rows} {self.level} rows ({self.sentences} sentences) -> {self.output}; "
            f"errors -> {self.errors}"
            f"{reasons}\n"
            f"{self.model} {self.model_version}, {self.backend}: {self.sentences_per_second:.1f} sentences/s "
            f"({self.seconds:.1f} s scoring, {self.startup_seconds:.1f} s start-up){parity}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "sentences_per_second": round(self.sentences_per_second, 2)}


def output_format_for(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    return suffix if suffix in OUTPUT_FORMATS else "jsonl"


def run_batch(
    input_path: Path | str,
    output: Path | str,
    model: SentenceClassifier,
    options: BatchOptions | None = None,
    *,
    log: Callable[[str], None] = lambda message: print(message, file=sys.stderr),
    **fields: Any,
) -> Summary:
    """Score every row of ``input_path`` into ``output``; see the module docstring. ``options``
    (or, for a quick call, its fields as keywords: ``chunk_rows=10, progress=False``) says how.
    With ``explain`` the flagged sentence rows gain cues, voice, speaker and targets (JSONL,
    level sentence: their nested fields have no CSV or Parquet column)."""
    if options is not None and fields:
        raise TypeError("run_batch takes options or their fields as keywords, not both")
    options = options or BatchOptions.of(**fields)
    input_path, output = Path(input_path), Path(output)
    input_format = options.input_format or detect_format(input_path)
    output_format = options.output_format or output_format_for(output)
    errors_path = options.errors_path or default_errors_path(output)
    level, top_k, explain = options.level, options.top_k, options.explain
    if explain and output_format != "jsonl":
        raise OptionError("--explain writes nested fields: it needs --level sentence and JSONL output")

    started = time.perf_counter()
    # ONNX exports go to the user cache (never into the bundle, which stays as shipped)
    scorer = SentenceScorer(model, options=replace(options.runtime, log=log))
    version = model.runtime_version
    template = row_template(level, scorer.labels, model.name, version, top_k)
    settings = {
        **input_fingerprint(input_path),
        "input_format": input_format, "text_field": options.text_field, "id_field": options.id_field,
        "output_format": output_format, "level": level, "top_k": top_k, "chunk_rows": options.chunk_rows,
        "model": model.name, "model_version": version, "labels": scorer.labels,
        "thresholds": [float(t) for t in scorer.thresholds], "backend": scorer.name,
        **({"explain": True} if explain else {}),  # runs without it keep their settings (resume)
    }
    store = ChunkStore(output, RowFormat(output_format, template), errors_path, settings, options.resume)
    summary = Summary(str(input_path), str(output), str(errors_path), level, model.name, version, scorer.name,
                      startup_seconds=time.perf_counter() - started)

    total = count_rows(input_path, input_format) if options.progress else None
    bar = _progress_bar(total, options.progress)
    scoring_started = time.perf_counter()
    checked_parity = False
    n_chunks = 0
    try:
        records = read_records(input_path, options.text_field, options.id_field, input_format)
        for index, chunk in enumerate(chunked(records, options.chunk_rows)):
            n_chunks = index + 1
            if store.is_complete(index):
                stats = store.chunks[index]
                if stats["first_row"] != chunk[0].row or stats["rows"] != len(chunk):
                    raise BundleError(f"{store.directory}: chunk {index} no longer matches the input; "
                                      "run without --resume")
                summary.add(stats, resumed=True)
                bar.update(len(chunk))
                continue
            rows, errors, stats, sentences = score_chunk(scorer, chunk, level, model.name, version, top_k, explain)
            if not checked_parity and sentences:
                checked_parity = True
                _check_parity(scorer, sentences[:PARITY_SAMPLE], summary)
            store.write_chunk(index, rows, errors, stats)
            summary.add(stats, resumed=False)
            bar.update(len(chunk))
            bar.set_postfix_str(f"{summary.sentences / max(time.perf_counter() - scoring_started, 1e-9):.0f} sent/s",
                                refresh=False)
        store.finish(n_chunks)
    finally:
        bar.close()
    summary.seconds = time.perf_counter() - scoring_started
    if summary.rows_read != summary.rows_scored + summary.rows_error:  # every row out, or a bug: never -O'd away
        raise RuntimeError(f"rows read {summary.rows_read} != scored {summary.rows_scored} + errors "
                           f"{summary.rows_error}: a row was lost")
    return summary


def chunked(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    chunk: list[Record] = []
    for record in records:
        chunk.append(record)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def score_chunk(
    scorer: SentenceScorer, records: Sequence[Record], level: str, model_name: str, version: str, top_k: int = 3,
    explain: bool = False,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any], list[str]]:
    """Output rows, error rows and stats for one chunk; all its sentences are scored in one
    call so length sorting spans the whole chunk (and, with ``explain``, the flagged ones'
    cue variants in two more)."""
    texts = [record.text if record.error is None else "" for record in records]
    scored = score_documents(texts, scorer.probabilities, scorer.labels, scorer.thresholds,
                             [record.id for record in records])
    explained = explain_chunk(scorer, texts, scored) if explain else None
    errors: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    for k, (record, sentences) in enumerate(zip(records, scored)):
        if record.error is not None:
            errors.append(error_row(record, record.error))
        elif not sentences:
            errors.append(error_row(record, "no sentence to score"))
        elif explained is not None:
            rows.extend({"id": record.id, **row, "model": model_name, "model_version": version}
                        for row in explained[k])
        elif level == "sentence":
            rows.extend({"id": record.id, **s.to_row(), "model": model_name, "model_version": version}
                        for s in sentences)
        else:
            rows.append(document_row(record.id, sentences, scorer.labels, scorer.thresholds, model_name, version,
                                     top_k))
    texts_scored = [s.text for sentences in scored for s in sentences]
    reasons: dict[str, int] = {}
    for error in errors:
        key = error["reason"].split(" (")[0].split(" at byte")[0]
        reasons[key] = reasons.get(key, 0) + 1
    stats = {
        "first_row": records[0].row, "rows": len(records), "scored": len(records) - len(errors),
        "errors": len(errors), "sentences": len(texts_scored), "output_rows": len(rows), "reasons": reasons,
    }
    return rows, errors, stats, texts_scored


def explain_chunk(scorer: SentenceScorer, texts: Sequence[str],
                  scored: Sequence[Sequence[SentenceScore]]) -> list[list[dict[str, Any]]]:
    """A chunk's rows with their flagged sentences explained, the variants scored by the
    chunk's own scorer (same backend and batching as the scores)."""
    from khitab.explain import explain_documents

    return explain_documents(_ScorerModel(scorer), texts, scored)


class _ScorerModel:
    """A scorer seen as the model ``khitab.explain`` asks for: labels and predict_proba."""

    def __init__(self, scorer: SentenceScorer):
        self.labels = list(scorer.labels)
        self.predict_proba = scorer.probabilities


def error_row(record: Record, reason: str) -> dict[str, Any]:
    return {"row": record.row, "id": record.id, "where": record.where, "reason": reason}


def document_row(doc_id: str, scored: Sequence[SentenceScore], labels: Sequence[str], thresholds: np.ndarray,
                 model_name: str, version: str, top_k: int = 3) -> dict[str, Any]:
    """One row per document: the maximum probability per label over its sentences, the
    labels that maximum flags, and the ``top_k`` sentences by their highest probability."""
    maxima = {label: max(s.scores[label] for s in scored) for label in labels}
    ranked = sorted(scored, key=lambda s: (-max(s.scores.values()), s.sentence))[:top_k]
    top = []
    for s in ranked:
        row = s.to_row()
        row.pop("doc_id")
        top.append(row)
    return {
        "id": doc_id,
        "doc_id": doc_id,
        "sentences": len(scored),
        "scores": {label: round(p, 6) for label, p in maxima.items()},
        "flagged": flagged_labels(labels, maxima.values(), thresholds),
        "top": top,
        "model": model_name,
        "model_version": version,
    }


def row_template(level: str, labels: Sequence[str], model_name: str, version: str, top_k: int) -> dict[str, Any]:
    """A representative row of the level's schema (column order, Parquet types)."""
    sentence = SentenceScore("id", 0, 0, 1, "x", {label: 0.5 for label in labels}, [labels[0]])
    if level == "sentence":
        return {"id": "id", **sentence.to_row(), "model": model_name, "model_version": version}
    return document_row("id", [sentence], labels, np.zeros(len(labels)), model_name, version, max(top_k, 1))


def input_fingerprint(path: Path) -> dict[str, Any]:
    """What identifies the input for --resume: its path, size and modification time (for a
    folder: its .txt files' count, total size and latest modification)."""
    path = path.resolve()
    if path.is_dir():
        stats = [p.stat() for p in path.rglob("*.txt") if p.is_file()]
        return {"input": str(path), "input_files": len(stats), "input_size": sum(s.st_size for s in stats),
                "input_mtime_ns": max((s.st_mtime_ns for s in stats), default=0)}
    stat = path.stat()
    return {"input": str(path), "input_size": stat.st_size, "input_mtime_ns": stat.st_mtime_ns}


def _check_parity(scorer: SentenceScorer, sample: Sequence[str], summary: Summary) -> None:
    diff = scorer.checked_parity(sample)
    if diff is not None:
        summary.parity_max_abs_diff, summary.parity_tolerance = diff, scorer.tolerance


def _progress_bar(total: int | None, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, unit=" rows", file=sys.stderr, dynamic_ncols=True, smoothing=0.1, mininterval=0.5,
                disable=not enabled)
