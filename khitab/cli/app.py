"""The command line's shared parts: the Typer app, one-line user errors, and resolving the model
and the named data sources every command group uses."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from khitab.config import SourceRoots, load_labels, load_train_config
from khitab.defaults import default_labels_path, default_train_config_path
from khitab.errors import KhitabError
from khitab.models.bundle import load_model

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Arabic threat / sectarian / denial scoring.")

# How every encoder in the model runs: `khitab batch` and `khitab serve` take the same two options.
BackendOption = Annotated[
    str, typer.Option(help="torch (default) or onnx (ONNX Runtime, CPU), for every encoder in the model.")
]
QuantizeOption = Annotated[
    Optional[str], typer.Option(help="int8: 8-bit weights and activations in blocks of 32 (onnx backend).")
]

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



def source_roots(config: Optional[Path]) -> Callable[[], SourceRoots]:
    """Where named sources live: read from ``config`` (default baseline) only when asked."""
    return lambda: load_train_config(config or default_train_config_path()).source_roots()
