"""Human-readable output for the terminal."""
from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from khitab.models.base import SentenceScore


def print_table(rows: Sequence[SentenceScore], labels: Sequence[str], title: str = "") -> None:
    table = Table(title=title, show_lines=False)
    for column in ("doc", "#", "span"):
        table.add_column(column, no_wrap=True)
    for label in labels:
        table.add_column(label, justify="right", no_wrap=True)
    table.add_column("flagged", no_wrap=True)
    table.add_column("text", overflow="fold")
    for row in rows:
        table.add_row(
            row.doc_id,
            str(row.sentence),
            f"{row.start}-{row.end}",
            *(f"{row.scores[label]:.2f}" for label in labels),
            ",".join(row.flagged),
            row.text,
        )
    Console(width=max(160, Console().width)).print(table)
