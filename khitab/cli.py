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


def main() -> None:  # console-script entry point
    app()


if __name__ == "__main__":
    main()
