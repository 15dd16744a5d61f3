"""`khitab reviews export|import` (the review store's verdicts out as labeled data, and both ways
with Label Studio) and `khitab drift` (has the traffic moved away from the reference?)."""
from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from khitab.cli.app import app, say, user_errors
from khitab.errors import OptionError
from khitab.extras import require

reviews_app = typer.Typer(no_args_is_help=True,
                          help="Reviewers' verdicts out as labeled data; tasks and annotations with Label Studio.")
app.add_typer(reviews_app, name="reviews")
STORE_HELP = "The review store: the SQLAlchemy URL (or SQLite file) given to khitab serve --review-store."


class ExportFormat(str, Enum):
    jsonl = "jsonl"
    label_studio = "label-studio"


@contextmanager
def store_errors(option: str, url: str) -> Iterator[None]:
    """A review store that cannot be opened (a bad URL, a missing driver, a database that does
    not answer): an ``OptionError`` naming the option and the store, in one line."""
    require("serve", "sqlalchemy")  # the review store is part of the [serve] extra
    from sqlalchemy.exc import SQLAlchemyError

    try:
        yield
    except SQLAlchemyError as exc:
        text = str(exc).strip()
        raise OptionError(f"{option} {url}: {text.splitlines()[0] if text else type(exc).__name__}") from None


@contextmanager
def opened_store(url: str) -> Iterator:
    """The review store at ``--store url``, which must exist already: a mistyped SQLite path
    would otherwise be created empty and exported as nothing."""
    from sqlalchemy.engine import make_url

    from khitab.review import ReviewStore
    from khitab.review.store import store_url

    with store_errors("--store", url):
        parsed = make_url(store_url(url))
        database = parsed.database if parsed.get_backend_name() == "sqlite" else None
        if database not in (None, "", ":memory:") and not Path(database).expanduser().is_file():
            raise OptionError(f"--store {url}: no review store there (khitab serve --review-store creates one)")
        with ReviewStore(store_url(url)) as store:
            yield store


@contextmanager
def review_errors() -> Iterator[None]:
    """The review loop's user errors (verdicts that do not fit the store, a file that is not a
    Label Studio export) as the command line's other user errors: one line, exit status 2."""
    from khitab.review import LabelStudioError, VerdictError

    try:
        yield
    except (VerdictError, LabelStudioError) as exc:
        raise OptionError(str(exc)) from None


@reviews_app.command("export")
def reviews_export(
    store: Annotated[str, typer.Option(help=STORE_HELP)],
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write (replaced atomically).")],
    format: Annotated[
        ExportFormat, typer.Option("--format", help="jsonl: labeled rows for khitab thresholds/evaluate and "
                                   "training; label-studio: tasks with the model's pre-annotations (and the "
                                   "labeling config beside them).")
    ] = ExportFormat.jsonl,
) -> None:
    """Write the reviewed sentences (majority of each reviewer's latest verdict; ties and unjudged
    labels left unknown), or every queued item as a Label Studio task."""
    from khitab.review import EXPORT_FORMATS

    with user_errors(), opened_store(store) as opened:
        summary = EXPORT_FORMATS[format.value](opened, output)
    per_label = ", ".join(f"{label} {n}" for label, n in sorted(summary.labels.items())) or "none"
    what = "rows" if format is ExportFormat.jsonl else "tasks"
    say(f"wrote {summary.rows} {what} to {summary.path} (per label: {per_label})")


@reviews_app.command("import")
def reviews_import(
    path: Annotated[Path, typer.Argument(help="Label Studio JSON export of tasks made by khitab reviews export.")],
    store: Annotated[str, typer.Option(help=STORE_HELP)],
) -> None:
    """Record Label Studio annotations as verdicts, all or none (one already recorded is not
    appended again, so importing a file twice adds nothing)."""
    from khitab.review import import_label_studio

    with user_errors(), review_errors(), opened_store(store) as opened:
        summary = import_label_studio(opened, path)
    say(f"{path}: {summary.tasks} tasks, {summary.verdicts} new verdict(s) from "
        f"{len(summary.reviewers)} reviewer(s)")


@app.command()
def drift(
    reference: Annotated[Path, typer.Argument(help="Batch output (JSONL) the thresholds were tuned on.")],
    current: Annotated[Path, typer.Argument(help="Batch output (JSONL) of the traffic now.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Per-label score drift between two khitab batch outputs: PSI with a plain verdict, a KS
    test, and the flag rates."""
    from khitab.evaluation.drift import drift_report, render_text

    with user_errors():
        report = drift_report(reference, current)
    typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) if as_json else render_text(report))
