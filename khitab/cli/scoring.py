"""`khitab score` (a few documents, printed) and `khitab batch` (large inputs, resumable files)."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from khitab.cli.app import BackendOption, OutputFormat, QuantizeOption, app, resolve_model, say, user_errors
from khitab.config import load_labels
from khitab.defaults import default_labels_path
from khitab.errors import OptionError
from khitab.inference.inputs import read_document
from khitab.models.bundle import load_model


@app.command()
def score(
    paths: Annotated[list[str], typer.Argument(help="Text files to score; '-' reads standard input.")],
    model: Annotated[Optional[Path], typer.Option(help="Model bundle or Hugging Face folder.")] = None,
    format: Annotated[OutputFormat, typer.Option("--format", help="table or jsonl.")] = OutputFormat.table,
    only_flagged: Annotated[bool, typer.Option("--only-flagged", help="Print flagged sentences only.")] = False,
    labels: Annotated[Optional[Path], typer.Option(help="Labels config (default configs/labels.yaml).")] = None,
    explain: Annotated[bool, typer.Option(
        "--explain", help="Flagged sentences get cues (highlighted), voice, speaker and sectarian targets.")] = False,
) -> None:
    """Split each document into sentences and score every sentence."""
    with user_errors():
        documents = [read_document(path) for path in paths]
        classifier = resolve_model(model, labels)
        scored = [classifier.score_document(document.text, doc_id=document.doc_id) for document in documents]
        if explain:
            from khitab.explain import explain_documents

            explained = explain_documents(classifier, [d.text for d in documents], scored)
            rows = [row for document in explained for row in document if row["flagged"] or not only_flagged]
        else:
            rows = [row for document in scored for row in document if row.flagged or not only_flagged]
    if format is OutputFormat.jsonl:
        for row in rows:
            sys.stdout.write(json.dumps(row if explain else row.to_row(), ensure_ascii=False) + "\n")
    elif explain:
        from khitab.inference.render import print_explained_table

        print_explained_table(rows, classifier.labels, title=f"{classifier.name} ({classifier.version})")
    else:
        from khitab.inference.render import print_table

        print_table(rows, classifier.labels, title=f"{classifier.name} ({classifier.version})")



@app.command()
def batch(
    input: Annotated[Path, typer.Argument(help="JSONL, CSV or Parquet file, or a folder of .txt files.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Output file (.jsonl, .csv, .parquet).")],
    model: Annotated[Optional[Path], typer.Option(help="Model bundle or Hugging Face folder.")] = None,
    text_field: Annotated[str, typer.Option(help="Field or column holding the text.")] = "text",
    id_field: Annotated[str, typer.Option(help="Field or column holding the id (default: row number).")] = "id",
    format: Annotated[
        Optional[str], typer.Option("--format", help="Output format: jsonl|csv|parquet (default: from --output).")
    ] = None,
    input_format: Annotated[Optional[str], typer.Option(help="jsonl|csv|parquet|txt (default: from INPUT).")] = None,
    level: Annotated[str, typer.Option(help="sentence: a row per sentence; document: max per label.")] = "sentence",
    resume: Annotated[bool, typer.Option("--resume", help="Continue an interrupted run (same --output).")] = False,
    backend: BackendOption = "torch",
    quantize: QuantizeOption = None,
    device: Annotated[str, typer.Option(help="auto (GPU with bf16 when present), cpu or cuda.")] = "auto",
    chunk_rows: Annotated[int, typer.Option(min=1, help="Input rows per resumable chunk.")] = 1000,
    max_tokens: Annotated[int, typer.Option(min=1, help="Padded tokens per forward batch.")] = 4096,
    batch_size: Annotated[int, typer.Option(min=1, help="Sentences per forward batch at most.")] = 32,
    threads: Annotated[Optional[int], typer.Option(min=1, help="CPU threads (default: all cores).")] = None,
    top: Annotated[int, typer.Option(min=0, help="Top sentences kept per document (--level document).")] = 3,
    errors: Annotated[Optional[Path], typer.Option(help="Errors file (default OUT_STEM.errors.jsonl).")] = None,
    engine: Annotated[str, typer.Option(help="local (default) or ray (Ray Data actor pool; Parquet).")] = "local",
    ray_address: Annotated[
        Optional[str], typer.Option(help="Ray cluster: auto, ray://HEAD:10001 (default: RAY_ADDRESS or local).")
    ] = None,
    actors: Annotated[int, typer.Option(min=1, help="Ray actors scoring in parallel.")] = 2,
    gpus_per_actor: Annotated[float, typer.Option(min=0, help="GPUs per Ray actor (0: CPU actors).")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
    labels: Annotated[Optional[Path], typer.Option(help="Labels config (default configs/labels.yaml).")] = None,
    explain: Annotated[bool, typer.Option(
        "--explain", help="Flagged sentence rows gain cues, voice, speaker, targets (JSONL, level sentence).")] = False,
) -> None:
    """Score a large input, fast and resumably: rows out, bad rows to an errors file."""
    from khitab.training.train import default_bundle

    log = (lambda _: None) if quiet else say
    with user_errors():
        from khitab.inference.options import BatchOptions, RayOptions
        from khitab.models.runtime import RuntimeOptions

        runtime = RuntimeOptions(backend=backend, quantize=quantize, device=device, max_tokens=max_tokens,
                                 max_batch=batch_size, threads=threads)
        options = BatchOptions(text_field=text_field, id_field=id_field, input_format=input_format,
                               output_format=format, level=level, resume=resume, chunk_rows=chunk_rows, top_k=top,
                               errors_path=errors, progress=not quiet, explain=explain, runtime=runtime)
        if engine not in ("local", "ray"):
            raise OptionError(f"unknown engine {engine!r} (local or ray)")
        if explain and engine == "ray":
            raise OptionError("--explain runs with --engine local")
        path = model or default_bundle(log=log)
        # loaded once, here: a model whose labels differ from the config fails before Ray starts
        classifier = load_model(path, labels=load_labels(labels or default_labels_path()).names)
        if engine == "ray":
            from khitab.inference.ray_engine import run_ray

            summary = run_ray(str(input), str(output), classifier, str(path), options,
                              RayOptions(address=ray_address, num_actors=actors, num_gpus_per_actor=gpus_per_actor),
                              log=log)
        else:
            from khitab.inference.batch import run_batch

            summary = run_batch(input, output, classifier, options, log=log)
    if not quiet:
        say(summary.text())
