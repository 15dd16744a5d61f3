"""`khitab` command line: parses arguments and calls the library, nothing more."""
from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from khitab.config import ConfigError, load_labels, load_train_config
from khitab.data.corpus import DataError
from khitab.inference.inputs import InputError, read_document
from khitab.models.bundle import BundleError, load_model

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Arabic threat / sectarian / denial scoring.")

USER_ERRORS = (ConfigError, DataError, InputError, BundleError, FileNotFoundError, KeyError)


def say(message: str) -> None:
    typer.echo(message, err=True)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn expected failures into one line on stderr and exit status 2."""
    try:
        yield
    except USER_ERRORS as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        say(f"error: {message}")
        raise typer.Exit(2) from None


class OutputFormat(str, Enum):
    table = "table"
    jsonl = "jsonl"


def resolve_model(model: Optional[Path], labels_path: Optional[Path]):
    from khitab.defaults import default_bundle, default_labels_path

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


def _eval_model(model: Optional[Path]):
    """The bundle to evaluate: ``--model`` as it is (any labels), else the default bundle."""
    from khitab.defaults import default_bundle

    path = model or default_bundle(log=say)
    return path, load_model(path)


@app.command()
def evaluate(
    data: Annotated[
        Optional[list[str]],
        typer.Option(
            "--data",
            help="[NAME=]FILE.jsonl|.csv, corpus:train|dev|test or external:SOURCE; repeat for several datasets.",
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
    from khitab.evaluation.calibration import calibrate_bundle
    from khitab.evaluation.datasets import load_datasets, load_seed
    from khitab.evaluation.evaluate import evaluate as run_evaluation
    from khitab.evaluation.evaluate import row_verdicts, score_dataset
    from khitab.evaluation.report import summary_text

    with user_errors():
        if not data and seed_gold is None and fit_temperature is None:
            raise DataError(["nothing to evaluate: give --data FILE_OR_SOURCE and/or --seed-gold FILE"])
        path, classifier = _eval_model(model)
        if fit_temperature is not None:
            (calibration_set,) = load_datasets([fit_temperature], classifier.labels, config)
            calibrate_bundle(path, calibration_set, log=say)
            classifier = load_model(path)
        datasets = load_datasets(data or [], classifier.labels, config)
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
    config: Annotated[
        Optional[Path], typer.Option(help="Training config locating corpus:/external: sources (default baseline).")
    ] = None,
) -> None:
    """Fit a temperature per label on dev data and save it into the bundle (decisions unchanged)."""
    from khitab.evaluation.calibration import calibrate_bundle
    from khitab.evaluation.datasets import load_datasets

    with user_errors():
        path, classifier = _eval_model(model)
        (dataset,) = load_datasets([data], classifier.labels, config)
        calibrate_bundle(path, dataset, log=say)
        say(f"saved temperatures into {path}")


data_app = typer.Typer(no_args_is_help=True, help="Inspect and check labeled data.")
app.add_typer(data_app, name="data")
DEFAULT_CORPUS = Path("data/authored")


def corpus_path(path: Optional[Path]) -> Path:
    from khitab.defaults import project_root

    return path or project_root() / DEFAULT_CORPUS


@data_app.command("validate")
def data_validate(
    path: Annotated[Optional[Path], typer.Argument(help="Corpus file or folder (default data/authored).")] = None,
    labels: Annotated[Optional[Path], typer.Option(help="Labels config (default configs/labels.yaml).")] = None,
) -> None:
    """Schema, empty or non-Arabic text, duplicates, near-duplicates and leaks between splits."""
    from khitab.data.validate import validate_corpus
    from khitab.defaults import default_labels_path

    with user_errors():
        target = corpus_path(path)
        report = validate_corpus(target, load_labels(labels or default_labels_path()).names)
    for warning in report.warnings:
        say(f"warning: {warning}")
    for error in report.errors:
        say(f"error: {error}")
    verdict = "ok" if report.ok else "FAILED"
    typer.echo(f"{target}: {report.rows} rows, {len(report.errors)} errors, {len(report.warnings)} warnings: {verdict}")
    if not report.ok:
        raise typer.Exit(1)


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
    from khitab.defaults import default_labels_path, project_root

    with user_errors():
        names = load_labels(labels or default_labels_path()).names
        examples = load_corpus(corpus_path(path), names)
        if external:
            from khitab.data.external import load_source

            root = external_root or project_root().parent / "shared" / "data" / "external"
            for source in external:
                examples += load_source(source, root)
        stats = corpus_stats(examples, names)
    if as_json:
        typer.echo(json.dumps(stats, ensure_ascii=False, indent=2))
    else:
        from khitab.inference.render import print_stats

        print_stats(stats, names)


def main() -> None:  # console-script entry point
    from transformers.utils import logging as hf_logging

    # Load reports and shard progress bars are noise for users; our own messages say what happens.
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    app()


if __name__ == "__main__":
    main()
