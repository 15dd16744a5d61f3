"""Shared plumbing for the external-dataset adapters: file specs, readers, cleaning, dedupe."""
from __future__ import annotations

import csv
import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from khitab.data.external._lexicon import has_sect_term
from khitab.data.schema import Example
from khitab.text.clean import clean_social

LABELS = ("threat", "sectarian", "denial")

# Dataset-specific placeholders that clean_social does not know, folded in before it runs:
# "<LF>" (OSACT line breaks; clean_social leaves "<"/">" behind when it touches a non-word
# character), ArMI's reversed handle "مستخدم@", and the retweet marker "RT @USER:".
_LF = re.compile(r"<LF>")
_RT = re.compile(r"(?:^|(?<=\s))RT\s+@\w+:?")
_ARMI_USER = re.compile(r"مستخدم@")


@dataclass(frozen=True)
class SourceSpec:
    """Where an adapter's files live under the external root, and where to get them."""

    name: str
    folder: str
    files: tuple[str, ...]
    repository: str
    commit: str

    def paths(self, root: Path) -> list[Path]:
        return [Path(root) / self.folder / f for f in self.files]

    def missing(self, root: Path) -> list[Path]:
        return [p for p in self.paths(root) if not p.is_file()]

    def require(self, root: Path) -> list[Path]:
        """The adapter's paths; ``FileNotFoundError`` naming the first missing one otherwise."""
        missing = self.missing(root)
        if missing:
            folder = Path(root) / self.folder
            commit = _recorded_commit(folder) or self.commit
            raise FileNotFoundError(
                f"external dataset {self.name!r}: missing {missing[0]}"
                + (f" (and {len(missing) - 1} more file(s))" if len(missing) > 1 else "")
                + f". Obtain it from {self.repository} (commit {commit}, as recorded in "
                f"{self.folder}/COMMIT.txt) and copy the repository's files unchanged into {folder}. "
                "These datasets are never committed to this project (see SOURCES.md)."
            )
        return self.paths(root)


def _recorded_commit(folder: Path) -> str:
    try:
        return (folder / "COMMIT.txt").read_text(encoding="utf-8").split()[0]
    except (OSError, IndexError):
        return ""


def prep(text: object) -> str:
    """Fold dataset placeholders into ours, then ``clean_social``; '' for missing values."""
    if not isinstance(text, str):
        return ""
    text = html.unescape(text)
    text = _LF.sub("\n", text)
    text = _ARMI_USER.sub(" @USER ", text)
    text = _RT.sub(" ", text)
    return clean_social(text)


def read_tsv(path: Path, ncols: int, text_col: int, header: bool) -> list[list[str]]:
    """Rows of a tab-separated file read with ``QUOTE_NONE`` (tweets hold bare quotes).

    A record whose text was written as a quoted field holding a newline arrives as a short row
    followed by its tail; such rows are joined back and the wrapping quotes dropped. Extra tabs
    (more than ``ncols`` fields) are kept inside the text column.
    """
    with open(path, encoding="utf-8-sig", newline="") as f:
        raw = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    if header and raw:
        raw = raw[1:]
    rows: list[list[str]] = []
    pending: list[str] | None = None
    for row in raw:
        if pending is not None:
            pending[-1] += "\n" + (row[0] if row else "")
            row = pending + row[1:]
            pending = None
            if len(row) >= ncols:
                text = row[text_col].strip()
                if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
                    row[text_col] = text[1:-1].replace('""', '"')
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) < ncols:
            pending = row
            continue
        if len(row) > ncols:
            extra = len(row) - ncols
            row = row[:text_col] + ["\t".join(row[text_col:text_col + extra + 1])] + row[text_col + extra + 1:]
        rows.append(row)
    return rows


class Collector:
    """Builds one source's examples: cleans texts, drops empties, dedupes on the cleaned text.

    The first occurrence of a text keeps its id, group and metadata; a label survives only if
    every occurrence knows it with the same value (a conflict, or a copy where it is unknown,
    makes it unknown). Labels given as ``None`` are unknown and left out of ``labels``.
    """

    def __init__(self, source: str, dialect: str = "", register: str = ""):
        self.source = source
        self.dialect = dialect
        self.register = register
        self._first: dict[str, dict] = {}
        self._labels: dict[str, list[dict[str, int | None]]] = {}

    def add(
        self,
        raw_id: object,
        text: object,
        labels: Mapping[str, int | None],
        group: str | None = None,
        meta: Mapping[str, str] | None = None,
        *,
        cleaned: bool = False,
    ) -> None:
        unknown = set(labels) - set(LABELS)
        if unknown:
            raise ValueError(f"{self.source}: labels outside {LABELS}: {sorted(unknown)}")
        clean = text if cleaned else prep(text)
        if not isinstance(clean, str) or not clean:
            return
        if clean not in self._first:
            ex_id = f"{self.source}:{raw_id}"
            self._first[clean] = {
                "id": ex_id,
                "group": f"{self.source}:{group}" if group is not None else ex_id,
                "meta": dict(meta or {}),
            }
            self._labels[clean] = []
        self._labels[clean].append(dict(labels))

    def examples(self) -> list[Example]:
        out = []
        for text, first in self._first.items():
            copies = self._labels[text]
            labels = {}
            for label in LABELS:
                values = {c.get(label) for c in copies}
                if len(values) == 1 and None not in values:
                    labels[label] = int(values.pop())
            meta = first["meta"]
            if len(copies) > 1:
                meta = {**meta, "copies": str(len(copies))}
            out.append(Example(
                id=first["id"], text=text, labels=labels, source=self.source, group=first["group"],
                dialect=self.dialect, register=self.register, meta=meta,
            ))
        return out


def sectarian_from_hate(is_hate: bool | None, text: str) -> int | None:
    """The shared hate -> sectarian rule (see ``_lexicon``).

    ``is_hate`` True: religion/sect hate -> 1 only when the text names a sect, else unknown.
    ``is_hate`` False: "not hate" -> 0 only when the text names no sect, else unknown.
    ``is_hate`` None: the dataset gives no usable judgment -> unknown.
    """
    if is_hate is None:
        return None
    sect = has_sect_term(text)
    if is_hate:
        return 1 if sect else None
    return None if sect else 0
