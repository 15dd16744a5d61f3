"""`khitab data validate` and `khitab data stats`: checks and counts of labeled data."""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from khitab.cli.app import app, say, source_roots, user_errors
from khitab.config import load_labels
from khitab.defaults import default_labels_path, project_root

data_app = typer.Typer(no_args_is_help=True, help="Inspect and check labeled data.")
app.add_typer(data_app, name="data")
DEFAULT_CORPUS = Path("data/authored")

if TYPE_CHECKING:
    from khitab.data.real.corpus import RealCheck
    from khitab.data.schema import Example


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
    if path is not None:
        if not report.ok:
            raise typer.Exit(1)
        return
    real = _validate_real_corpus()
    real_ok = real is None or not real.problems
    # the contrast check reuses the real texts just rebuilt: rebuilding them is most of the run
    contrast_ok = _validate_contrast(labels, held_out, real.examples if real is not None else [])
    if not report.ok or not real_ok or not contrast_ok:
        raise typer.Exit(1)


def _validate_contrast(labels: Optional[Path], held_out: list[Path], real: Sequence[Example]) -> bool:
    """The authored contrast pairs (data/contrast), where they exist; checked against the dev
    and test texts of ``real`` (the rebuilt real items; none where the external datasets are
    absent)."""
    from khitab.data.splits import select
    from khitab.data.validate import validate_contrast

    folder = project_root() / "data" / "contrast"
    if not folder.is_dir():
        return True
    names = load_labels(labels or default_labels_path()).names
    evaluation = [ex.text for split in ("dev", "test") for ex in select(real, split)]
    with user_errors():
        report = validate_contrast(folder, names, held_out, evaluation)
    for error in report.errors:
        say(f"error: {error}")
    verdict = "ok" if report.ok else "FAILED"
    checked = f"against {len(evaluation)} real dev/test texts" if evaluation else "real texts not present"
    typer.echo(f"{folder}: {report.rows} rows, {len(report.errors)} errors ({checked}): {verdict}")
    return report.ok


def _validate_real_corpus() -> RealCheck | None:
    """The real-text label file (data/real), checked with the default config's external root;
    None where no real-text corpus is configured."""
    from khitab.data.real.corpus import validate_real

    roots = source_roots(None)()
    if roots.real is None:
        return None
    check = validate_real(roots.real, roots.external)
    for problem in check.problems:
        say(f"error: {problem}")
    verdict = "ok" if not check.problems else "FAILED"
    typer.echo(f"{roots.real}: {check.rows} rows, {len(check.problems)} errors ({check.note}): {verdict}")
    return check


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

            root = external_root or source_roots(None)().external
            for source in external:
                examples += load_source(source, root)
        stats = corpus_stats(examples, names)
    if as_json:
        typer.echo(json.dumps(stats, ensure_ascii=False, indent=2))
    else:
        from khitab.inference.render import print_stats

        print_stats(stats, names)
