"""The real-text corpus as training and evaluation rows: committed labels joined with the texts
of the external datasets, which are never committed (their licences forbid redistribution).

``data/real/labels.jsonl`` holds, per item, its id in the external source, a digest of its
text, the gold labels, the votes behind them and the adjudication note. The texts are rebuilt
from ``external_root`` with the same units as were annotated (``khitab.data.real.units``); a
text whose digest differs (the dataset copy changed) is an error naming the item.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from khitab.data.corpus import DataError
from khitab.data.external import LABELS
from khitab.data.real.agreement import wave_of
from khitab.data.schema import Example
from khitab.data.splits import split_of
from khitab.io import LineError, iter_jsonl

# sources of real units that another adapter's files carry (ANS claims live beside its pairs)
SOURCE_ADAPTER = {"ans_claim": "ans"}
REQUIRED = ("id", "source", "group", "register", "stratum", "sha1", "labels", "votes")


def text_digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def read_label_rows(path: Path) -> list[dict]:
    """The committed label rows, checked field by field (``DataError`` naming line and field)."""
    problems: list[str] = []
    rows: list[dict] = []
    seen: set[str] = set()
    for number, row in iter_jsonl(path):  # an absent file raises FileNotFoundError
        where = f"{path}:{number}"
        if isinstance(row, LineError):
            problems.append(f"{where}: {row.reason}")
            continue
        if not isinstance(row, dict):
            problems.append(f"{where}: row is not a JSON object")
            continue
        missing = [f for f in REQUIRED if f not in row]
        if missing:
            problems.append(f"{where}: missing field(s) {', '.join(missing)}")
            continue
        labels = row["labels"]
        bad = [x for x in LABELS if labels.get(x) not in (0, 1)]
        if bad:
            problems.append(f"{where}: labels.{bad[0]} must be 0 or 1, got {labels.get(bad[0])!r}")
        if len(row["votes"]) < 2:
            problems.append(f"{where}: votes: at least two annotators per item, got {len(row['votes'])}")
        if row["id"] in seen:
            problems.append(f"{where}: id {row['id']!r} appears twice")
        seen.add(row["id"])
        rows.append(row)
    if problems:
        raise DataError(problems)
    return rows


def real_group(group: str) -> str:
    """The split group of a real item: its source group, kept apart from authored groups."""
    return f"real:{group}"


def real_split(group: str) -> str:
    """The split ("train", "dev" or "test") a real item with this source group falls in."""
    return split_of(real_group(group))


def load_real(labels_path: Path, external_root: Path, labels: Sequence[str] = LABELS) -> list[Example]:
    """Every labeled real item as an ``Example`` (``source`` = ``real``, ``meta['slice']`` = the
    external dataset it comes from), in the label file's order."""
    return join_texts(read_label_rows(labels_path), labels_path, Path(external_root), labels)


def join_texts(rows: Sequence[dict], labels_path: Path, external_root: Path,
               labels: Sequence[str] = LABELS) -> list[Example]:
    """The label rows joined with their texts; ``FileNotFoundError`` naming a dataset the rows
    need that is absent, ``DataError`` naming each item whose text is gone or changed."""
    from khitab.data.external import SPECS
    from khitab.data.real.units import real_units

    for name in sorted({SOURCE_ADAPTER.get(row["source"], row["source"]) for row in rows}):
        SPECS[name].require(external_root)
    units = {u.id: u for u in real_units(external_root)}
    problems: list[str] = []
    out: list[Example] = []
    for row in rows:
        unit = units.get(row["id"])
        if unit is None:
            problems.append(f"{labels_path}: {row['id']}: not found under {external_root} (dataset changed)")
            continue
        if text_digest(unit.text) != row["sha1"]:
            problems.append(f"{labels_path}: {row['id']}: text differs from the annotated one (sha1)")
            continue
        out.append(Example(
            id=f"real:{row['id']}", text=unit.text,
            labels={x: int(row["labels"][x]) for x in labels if x in row["labels"]},
            source="real", group=real_group(row["group"]), register=row["register"],
            borderline=bool(row.get("borderline")), note=row.get("note", ""),
            # the wave, zero-padded so reports list 01, 02, ..., 11: waves were drawn by different
            # designs, so numbers are read per wave as well as over a whole split
            meta={"slice": row["source"], "stratum": row["stratum"], "wave": f"{wave_of(row):02d}"},
        ))
    if problems:
        raise DataError(problems)
    return out


@dataclass(frozen=True)
class RealCheck:
    """What ``khitab data validate`` reports of the real-text corpus; ``examples`` holds the
    rebuilt items where the texts were checked, so later checks need not rebuild them again."""

    rows: int
    problems: list[str]
    note: str
    examples: list[Example] = field(default_factory=list)


def validate_real(labels_path: Path, external_root: Path | None) -> RealCheck:
    """The label file's schema always; the texts' presence and digests too where the external
    datasets are present."""
    try:
        rows = read_label_rows(labels_path)
    except DataError as exc:
        return RealCheck(0, exc.problems, "")
    if external_root is None or not Path(external_root).is_dir():
        return RealCheck(len(rows), [], f"texts not checked: no external datasets at {external_root}")
    try:
        examples = join_texts(rows, labels_path, Path(external_root))
    except (DataError, FileNotFoundError) as exc:
        return RealCheck(len(rows), getattr(exc, "problems", [str(exc)]), "")
    return RealCheck(len(rows), [], f"every text rebuilt from {external_root} with its digest", examples)
