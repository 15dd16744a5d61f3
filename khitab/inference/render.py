"""Human-readable output for the terminal."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from khitab.models.base import SentenceScore


def print_table(rows: Sequence[SentenceScore], labels: Sequence[str], title: str = "") -> None:
    _print_scores(((row.doc_id, row.sentence, row.start, row.end, row.scores, row.flagged, row.text)
                   for row in rows), labels, title)


def _print_scores(rows: Iterable[tuple], labels: Sequence[str], title: str) -> None:
    """The score table: (doc_id, sentence, start, end, scores, flagged, text cell) per row."""
    table = Table(title=title, show_lines=False)
    for column in ("doc", "#", "span"):
        table.add_column(column, no_wrap=True)
    for label in labels:
        table.add_column(label, justify="right", no_wrap=True)
    table.add_column("flagged", no_wrap=True)
    table.add_column("text", overflow="fold")
    for doc_id, sentence, start, end, scores, flagged, text in rows:
        table.add_row(doc_id, str(sentence), f"{start}-{end}", *(f"{scores[label]:.2f}" for label in labels),
                      ",".join(flagged), text)
    Console(width=max(160, Console().width)).print(table)


def highlighted(row: dict[str, Any]) -> Text:
    """The sentence with its cue spans in bold red (offsets into the document, so shifted by
    the row's start), followed by its voice and speaker when it has them."""
    text = Text(row["text"])
    for cues in row.get("cues", {}).values():
        for cue in cues:
            text.stylize("bold red", cue["start"] - row["start"], cue["end"] - row["start"])
    if row.get("voice"):
        speaker = row.get("speaker")
        text.append(f"  [{row['voice']}" + (f": {speaker['text']}" if speaker else "") + "]", style="dim")
    return text


def print_explained_table(rows: Sequence[dict[str, Any]], labels: Sequence[str], title: str = "") -> None:
    """``print_table`` for explained rows (dicts): cue words highlighted, voice and speaker shown."""
    _print_scores(((row["doc_id"], row["sentence"], row["start"], row["end"], row["scores"], row["flagged"],
                    highlighted(row)) for row in rows), labels, title)


def print_stats(stats: dict, labels: Sequence[str]) -> None:
    """Corpus statistics (from ``khitab.data.stats.corpus_stats``) as terminal tables."""
    console = Console(width=max(120, Console().width))
    console.print(
        f"rows {stats['rows']}, groups {stats['groups']}, borderline {stats['borderline']}, "
        f"all-negative {stats['all_negative']} ({stats['all_negative'] / max(stats['rows'], 1):.0%}), "
        f"words min/median/max {stats['words']['min']}/{stats['words']['median']}/{stats['words']['max']}"
    )
    table = Table(title="positives / known, per split, source and corpus slice")
    table.add_column("part")
    table.add_column("rows", justify="right")
    for label in labels:
        table.add_column(label, justify="right")
    parts = [("all", stats)] + [(f"split {k}", v) for k, v in stats["splits"].items()]
    parts += [(f"source {k}", v) for k, v in stats["sources"].items()]
    parts += [(f"slice {k}", v) for k, v in stats.get("slices", {}).items()]
    for name, part in parts:
        table.add_row(
            name, str(part["rows"]),
            *(f"{part['labels'][lb]['positive']}/{part['labels'][lb]['known']}" for lb in labels),
        )
    console.print(table)
    co = Table(title="label co-occurrence (rows positive for both)")
    co.add_column("")
    for label in labels:
        co.add_column(label, justify="right")
    for label in labels:
        co.add_row(label, *(str(stats["cooccurrence"][label][other]) for other in labels))
    console.print(co)
    for key in ("combinations", "dialects", "registers"):
        console.print(f"{key}: " + ", ".join(f"{k} {v}" for k, v in stats[key].items()))
