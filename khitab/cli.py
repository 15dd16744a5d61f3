"""`khitab` command line: parses arguments and calls the library, nothing more."""
from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from khitab.config import SourceRoots, load_labels, load_train_config
from khitab.defaults import default_labels_path, default_train_config_path, project_root
from khitab.errors import DataError, KhitabError, OptionError
from khitab.inference.inputs import read_document
from khitab.models.bundle import load_model

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Arabic threat / sectarian / denial scoring.")

# What a user can fix (a config, data, input, model, option or missing file); the rest are bugs.
USER_ERRORS = (KhitabError, FileNotFoundError)


def say(message: str) -> None:
    typer.echo(message, err=True)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn expected failures into one line on stderr and exit status 2."""
    try:
        yield
    except USER_ERRORS as exc:
        say(f"error: {exc}")
        raise typer.Exit(2) from None


class OutputFormat(str, Enum):
    table = "table"
    jsonl = "jsonl"


def resolve_model(model: Optional[Path], labels_path: Optional[Path]):
    from khitab.training.train import default_bundle

    labels = load_labels(labels_path or default_labels_path()).names
    return load_model(model or default_bundle(log=say), labels=labels)


@app.command()
def score(
    paths: Annotated[list[str], typer.Argument(help="Text files to score; '-' reads standard input.")],
    model: Annotated[Optional[Path], typer.Option(help="Model bundle or Hugging Face folder.")] = None,
    format: Annotated[OutputFormat, typer.Option("--format", help="table or jsonl.")] = OutputFormat.table,
    only_flagged: Annotated[bool, typer.Option("--only-flagged", help="Print flagged sentences only.")] = False,
    labels: Annotated[Optional[Path], typer.Option(help="Labels config (default configs/labels.yaml).")] = None,
) -> None:
    """Split each document into sentences and score every sentence."""
    with user_errors():
        documents = [read_document(path) for path in paths]
        classifier = resolve_model(model, labels)
        rows = [
            row
            for document in documents
            for row in classifier.score_document(document.text, doc_id=document.doc_id)
            if row.flagged or not only_flagged
        ]
    if format is OutputFormat.jsonl:
        for row in rows:
            sys.stdout.write(json.dumps(row.to_row(), ensure_ascii=False) + "\n")
    else:
        from khitab.inference.render import print_table

        print_table(rows, classifier.labels, title=f"{classifier.name} ({classifier.version})")


@app.command()
def train(
    config: Annotated[Path, typer.Option(help="Training config (YAML).")],
    set_: Annotated[Optional[list[str]], typer.Option("--set", help="Override a config key: a.b=value.")] = None,
) -> None:
    """Train a model from a config and write its bundle."""
    from khitab.training.train import train as run_training

    with user_errors():
        loaded = load_train_config(config, set_ or [])
        run_training(loaded, log=say)


class EvalUnit(str, Enum):
    sentence = "sentence"
    document = "document"


class ThresholdStrategy(str, Enum):
    max_f1 = "max_f1"
    target_precision = "target_precision"


def _eval_model(model: Optional[Path]):
    """The bundle to evaluate: ``--model`` as it is (any labels), else the default bundle."""
    from khitab.training.train import default_bundle

    path = model or default_bundle(log=say)
    return path, load_model(path)


def _source_roots(config: Optional[Path]) -> Callable[[], SourceRoots]:
    """Where named sources live: read from ``config`` (default baseline) only when asked."""
    return lambda: load_train_config(config or default_train_config_path()).source_roots()


def _calibrate(path: Path, data: str, labels: list[str], config: Optional[Path], output: Optional[Path] = None,
               remedy: str = "give --output DIR to calibrate a copy") -> Path:
    """``calibrate`` and ``evaluate --fit-temperature``: the bundle written (``path`` or ``output``)."""
    from khitab.evaluation.datasets import load_datasets
    from khitab.tuning import calibrate_bundle, writable_bundle

    (dataset,) = load_datasets([data], labels, _source_roots(config))
    target = writable_bundle(path, output, remedy)
    calibrate_bundle(target, dataset, log=say)
    return target


@app.command()
def evaluate(
    data: Annotated[
        Optional[list[str]],
        typer.Option(
            "--data",
            help="[NAME=]FILE.jsonl|.csv, corpus:train|dev|test, context:dev|test or external:SOURCE; "
            "repeat for several datasets.",
        ),
    ] = None,
    model: Annotated[Optional[Path], typer.Option(help="Bundle to evaluate (default: the default bundle).")] = None,
    output: Annotated[Path, typer.Option(help="Folder for metrics.json, report.html, report.md.")] = Path(
        "reports/evaluation"
    ),
    unit: Annotated[
        EvalUnit, typer.Option(help="sentence: each row is one unit; document: max over its sentences.")
    ] = EvalUnit.sentence,
    seed_gold: Annotated[
        Optional[Path], typer.Option("--seed-gold", help="Seed gold file (X.gold.jsonl next to X.txt): dataset 'seed'.")
    ] = None,
    compare: Annotated[Optional[Path], typer.Option(help="Another bundle to compare against.")] = None,
    fit_temperature: Annotated[
        Optional[str],
        typer.Option("--fit-temperature", metavar="DATA", help="First fit a temperature per label on DATA "
                     "(e.g. corpus:dev) and save it into the --model bundle."),
    ] = None,
    config: Annotated[
        Optional[Path], typer.Option(help="Training config locating corpus:/external: sources (default baseline).")
    ] = None,
    bootstrap: Annotated[int, typer.Option(min=0, help="Bootstrap resamples for the 95 % CIs (0: none).")] = 1000,
    top: Annotated[int, typer.Option(min=0, help="False positives/negatives listed per label.")] = 10,
) -> None:
    """Measure a model on labeled datasets; write metrics.json, report.html and report.md."""
    from khitab.evaluation.datasets import load_datasets, load_seed
    from khitab.evaluation.evaluate import evaluate as run_evaluation
    from khitab.evaluation.evaluate import row_verdicts, score_dataset
    from khitab.evaluation.report import summary_text

    with user_errors():
        if not data and seed_gold is None and fit_temperature is None:
            raise DataError(["nothing to evaluate: give --data FILE_OR_SOURCE and/or --seed-gold FILE"])
        path, classifier = _eval_model(model)
        if fit_temperature is not None:
            _calibrate(path, fit_temperature, classifier.labels, config,
                       remedy="calibrate a copy (khitab calibrate --output DIR), then evaluate --model DIR")
            classifier = load_model(path)
        datasets = load_datasets(data or [], classifier.labels, _source_roots(config))
        if seed_gold is not None:
            datasets.append(load_seed(seed_gold, classifier.labels))
        if not datasets:
            return
        other = load_model(compare) if compare is not None else None
        metrics = run_evaluation(
            classifier, datasets, unit=unit.value, compare=other, output_dir=output, model_path=path,
            compare_path=compare, resamples=bootstrap, top_k=top, log=say,
        )
        if seed_gold is not None:
            for line in row_verdicts(score_dataset(classifier, datasets[-1], unit.value)):
                say(line)
    typer.echo(summary_text(metrics))


@app.command()
def calibrate(
    data: Annotated[str, typer.Option(help="Dev data: FILE, corpus:dev (default) or external:SOURCE.")] = "corpus:dev",
    model: Annotated[Optional[Path], typer.Option(help="Bundle to calibrate (default: the default bundle).")] = None,
    output: Annotated[
        Optional[Path], typer.Option(help="Write the calibrated bundle here (a new folder) and leave --model as it is; "
                                     "needed for the shipped default.")
    ] = None,
    config: Annotated[
        Optional[Path], typer.Option(help="Training config locating corpus:/external: sources (default baseline).")
    ] = None,
) -> None:
    """Fit a temperature per label on dev data and save it into the bundle (decisions unchanged)."""
    with user_errors():
        path, classifier = _eval_model(model)
        path = _calibrate(path, data, classifier.labels, config, output)
        say(f"saved temperatures into {path}")


@app.command()
def thresholds(
    data: Annotated[
        list[str],
        typer.Option("--data", help="Labeled data to tune on: FILE, corpus:dev, context:dev or external:SOURCE; "
                     "repeat to pool several."),
    ],
    model: Annotated[Optional[Path], typer.Option(help="Bundle to re-tune (default: the default bundle).")] = None,
    strategy: Annotated[
        ThresholdStrategy,
        typer.Option(help="max_f1: best F1 per label; target_precision: the lowest threshold reaching "
                     "--target-precision (most recall at that precision)."),
    ] = ThresholdStrategy.max_f1,
    target_precision: Annotated[
        float, typer.Option(min=0.01, max=1.0, help="Precision asked of each label (target_precision).")
    ] = 0.9,
    output: Annotated[
        Optional[Path], typer.Option(help="Write the re-tuned bundle here (a new folder) and leave --model as it is.")
    ] = None,
    config: Annotated[
        Optional[Path], typer.Option(help="Training config locating corpus:/external: sources (default baseline).")
    ] = None,
) -> None:
    """Re-tune each label's decision threshold on labeled data (e.g. a sample of your own traffic)
    and save them into the bundle; scores are unchanged, decisions follow the new thresholds."""
    from khitab.config import ThresholdConfig
    from khitab.evaluation.datasets import load_datasets
    from khitab.models.bundle import copy_bundle
    from khitab.tuning import retune_bundle

    with user_errors():
        path, classifier = _eval_model(model)
        datasets = load_datasets(data, classifier.labels, _source_roots(config))
        if output is not None:
            path = copy_bundle(path, output)
        retune_bundle(path, datasets, ThresholdConfig(strategy=strategy.value, target_precision=target_precision),
                      log=say, model=classifier)
        say(f"saved thresholds into {path}")


data_app = typer.Typer(no_args_is_help=True, help="Inspect and check labeled data.")
app.add_typer(data_app, name="data")
DEFAULT_CORPUS = Path("data/authored")


def corpus_path(path: Optional[Path]) -> Path:
    return path or project_root() / DEFAULT_CORPUS


@data_app.command("validate")
def data_validate(
    path: Annotated[Optional[Path], typer.Argument(help="Corpus file or folder (default data/authored).")] = None,
    labels: Annotated[Optional[Path], typer.Option(help="Labels config (default configs/labels.yaml).")] = None,
    held_out: Annotated[
        Optional[list[Path]],
        typer.Option(help="Text that no row may quote (5-word spans); repeatable (default seeds/*.txt)."),
    ] = None,
) -> None:
    """Schema, empty or non-Arabic text, duplicates, near-duplicates, leaks between splits and
    spans copied from the held-out seed articles."""
    from khitab.data.validate import validate_corpus

    with user_errors():
        target = corpus_path(path)
        if held_out is None:
            held_out = sorted((project_root() / "seeds").glob("*.txt"))
        report = validate_corpus(target, load_labels(labels or default_labels_path()).names, held_out)
    for warning in report.warnings:
        say(f"warning: {warning}")
    for error in report.errors:
        say(f"error: {error}")
    verdict = "ok" if report.ok else "FAILED"
    typer.echo(f"{target}: {report.rows} rows, {len(report.errors)} errors, {len(report.warnings)} warnings: {verdict}")
    real_ok = path is not None or _validate_real_corpus()
    if not report.ok or not real_ok:
        raise typer.Exit(1)


def _validate_real_corpus() -> bool:
    """The real-text label file (data/real), checked with the default config's external root."""
    from khitab.data.real.corpus import validate_real

    roots = _source_roots(None)()
    if roots.real is None:
        return True
    rows, problems, note = validate_real(roots.real, roots.external)
    for problem in problems:
        say(f"error: {problem}")
    verdict = "ok" if not problems else "FAILED"
    typer.echo(f"{roots.real}: {rows} rows, {len(problems)} errors ({note}): {verdict}")
    return not problems


@data_app.command("stats")
def data_stats(
    path: Annotated[Optional[Path], typer.Argument(help="Corpus file or folder (default data/authored).")] = None,
    external: Annotated[
        Optional[list[str]], typer.Option(help="Also count an external source (repeatable), e.g. osact2022.")
    ] = None,
    external_root: Annotated[Optional[Path], typer.Option(help="Folder of external datasets.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    labels: Annotated[Optional[Path], typer.Option(help="Labels config (default configs/labels.yaml).")] = None,
) -> None:
    """Counts per label, source, split, dialect and register, and label co-occurrence."""
    from khitab.data.corpus import load_corpus
    from khitab.data.stats import corpus_stats

    with user_errors():
        names = load_labels(labels or default_labels_path()).names
        examples = load_corpus(corpus_path(path), names)
        if external:
            from khitab.data.external import load_source

            root = external_root or _source_roots(None)().external
            for source in external:
                examples += load_source(source, root)
        stats = corpus_stats(examples, names)
    if as_json:
        typer.echo(json.dumps(stats, ensure_ascii=False, indent=2))
    else:
        from khitab.inference.render import print_stats

        print_stats(stats, names)


@app.command()
def serve(
    model: Annotated[Optional[Path], typer.Option(help="Model bundle or Hugging Face folder (default bundle).")] = None,
    policy: Annotated[Optional[Path], typer.Option(help="Moderation policy YAML (configs/policy.yaml).")] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8080,
    labels: Annotated[Optional[Path], typer.Option(help="Labels config (default configs/labels.yaml).")] = None,
    max_body_bytes: Annotated[int, typer.Option(min=1, help="Largest request body (413 above).")] = 1_048_576,
    max_texts: Annotated[int, typer.Option(min=1, help="Texts per request (422 above).")] = 64,
    max_chars: Annotated[int, typer.Option(min=1, help="Characters per text (422 above).")] = 20_000,
    max_batch: Annotated[int, typer.Option(min=1, help="Sentences per forward pass.")] = 64,
    max_wait_ms: Annotated[float, typer.Option(min=0, help="How long a forward pass waits for more requests.")] = 5.0,
    microbatch: Annotated[bool, typer.Option(help="Share forward passes between concurrent requests.")] = True,
    threads: Annotated[
        Optional[int], typer.Option(min=1, help="Torch threads for the model (default: one per core; 1 on a busy box).")
    ] = None,
    shutdown_timeout: Annotated[float, typer.Option(min=0, help="Seconds in-flight requests get on SIGTERM.")] = 30.0,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = True,
) -> None:
    """Serve scoring and moderation over HTTP (FastAPI on uvicorn) until SIGINT/SIGTERM."""
    from khitab.moderation import load_policy
    from khitab.serving import ServiceLimits, create_app
    from khitab.serving import serve as run_server

    if threads is not None:
        import torch

        torch.set_num_threads(threads)
    with user_errors():  # a bad policy is a PolicyError, a ConfigError
        loaded_policy = load_policy(policy)
        application = create_app(resolve_model(model, labels), loaded_policy, ServiceLimits(
            max_body_bytes=max_body_bytes, max_texts=max_texts, max_chars=max_chars, max_batch=max_batch,
            max_wait_ms=max_wait_ms, microbatch=microbatch,
        ))
    run_server(application, host, port, shutdown_timeout=shutdown_timeout, log_level=log_level, access_log=access_log)


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
    backend: Annotated[str, typer.Option(help="torch (default) or onnx (ONNX Runtime, CPU).")] = "torch",
    quantize: Annotated[Optional[str], typer.Option(help="int8: dynamic int8 quantisation (onnx backend).")] = None,
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
) -> None:
    """Score a large input, fast and resumably: rows out, bad rows to an errors file."""
    from khitab.training.train import default_bundle

    log = (lambda _: None) if quiet else say
    with user_errors():
        path = model or default_bundle(log=log)
        classifier = load_model(path, labels=load_labels(labels or default_labels_path()).names)
        if engine == "ray":
            from khitab.inference.ray_engine import run_ray

            summary = run_ray(
                str(input), str(output), str(path), text_field=text_field, id_field=id_field, level=level,
                backend=backend, quantize=quantize, device=device, num_actors=actors,
                num_gpus_per_actor=gpus_per_actor, threads=threads, max_tokens=max_tokens, max_batch=batch_size,
                top_k=top, address=ray_address, log=log,
            )
        elif engine == "local":
            from khitab.inference.batch import run_batch

            summary = run_batch(
                input, output, classifier, model_path=path, text_field=text_field, id_field=id_field,
                input_format=input_format, output_format=format, level=level, resume=resume, backend=backend,
                quantize=quantize, device=device, chunk_rows=chunk_rows, max_tokens=max_tokens,
                max_batch=batch_size, threads=threads, top_k=top, errors_path=errors, progress=not quiet, log=log,
            )
        else:
            raise OptionError(f"unknown engine {engine!r} (local or ray)")
    if not quiet:
        say(summary.text())


def main() -> None:  # console-script entry point
    import warnings

    from transformers.utils import logging as hf_logging

    # peft calls a transformers API that warns about its own future renaming: not the user's concern.
    warnings.filterwarnings("ignore", category=FutureWarning, module=r"transformers\.")

    # Load reports and shard progress bars are noise for users; our own messages say what happens.
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    app()


if __name__ == "__main__":
    main()
