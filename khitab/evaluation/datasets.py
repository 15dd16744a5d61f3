"""Evaluation data: JSONL/CSV files and named sources, read into labeled rows.

A file has a ``text`` column and one 0/1 column per label; a missing column or an empty/null
value is unknown (masked, never read as 0). Optional columns: ``id``, ``dialect``, ``source``,
``register`` (breakdowns) and ``borderline`` (true: left out of scoring, per the guidelines).

Named sources: ``corpus:train|dev|test`` (the authored corpus of the training config, split by
group), ``context:dev|test`` (every row of that corpus split framed as wire copy beside a
neutral sentence of the same split, in framings training never uses: ``khitab.data.context``)
``real:train|dev|test`` (the real-text corpus: tweets and news sentences labeled here, texts
rebuilt from the external datasets; ``khitab.data.real``) and ``external:NAME`` (the test split
of an external dataset adapter). ``NAME=SPEC``
names a dataset; otherwise a file is named by its stem and a source by its spec.
"""
from __future__ import annotations

import csv
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from khitab.config import SourceRoots  # re-exported: its home before TrainConfig.source_roots
from khitab.data.corpus import DataError, load_corpus, load_seed_gold
from khitab.data.rows import GROUP_FIELDS, RowRules, parse_labeled_row
from khitab.data.schema import Example
from khitab.data.splits import SPLITS, select
from khitab.errors import OptionError
from khitab.io import LineError, iter_jsonl

# what reports break metrics down by: the row fields above, the corpus file a row came from, and
# a real-text item's annotation wave
BREAKDOWN_FIELDS = (*GROUP_FIELDS, "slice", "wave")
FILE_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".tsv": "tsv"}
_NAME = re.compile(r"^[\w.\-:]+$")


class EvalDataError(DataError):
    """Bad evaluation data, in one line: the first problem ('file:line: field: why') and how
    many more there are; ``problems`` holds them all."""

    def __init__(self, problems: Sequence[str]):
        super().__init__(problems)
        more = len(self.problems) - 1
        self.args = (self.problems[0] + (f" (and {more} more problem(s) in this data)" if more > 0 else ""),)


@dataclass
class EvalDataset:
    """Scorable rows of one dataset. ``labels`` are the model labels it carries (known in at
    least one row), ``where`` locates each row ('file:line' or an id), ``columns`` the fields
    its rows have."""

    name: str
    origin: str
    examples: list[Example]
    labels: list[str]
    where: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    n_borderline: int = 0

    def __len__(self) -> int:
        return len(self.examples)

    @property
    def texts(self) -> list[str]:
        return [ex.text for ex in self.examples]

    def group_values(self, name: str) -> list[str]:
        return [ex.meta.get(name) or getattr(ex, name, "") or "" for ex in self.examples]


def split_spec(spec: str) -> tuple[str | None, str]:
    """``NAME=SPEC`` -> (NAME, SPEC); a plain spec -> (None, spec)."""
    name, sep, rest = spec.partition("=")
    if sep and name and rest and _NAME.match(name):
        return name, rest
    return None, spec


NAMED_SOURCES = ("corpus:", "context:", "external:", "real:")


def default_name(spec: str) -> str:
    return spec if spec.startswith(NAMED_SOURCES) else Path(spec).stem


def load_dataset(spec: str, labels: Sequence[str], roots: SourceRoots = SourceRoots()) -> EvalDataset:
    """Resolve ``[NAME=]SPEC`` (a file or a named source) against the model's ``labels``."""
    name, source = split_spec(spec)
    name = name or default_name(source)
    if source.startswith("corpus:"):
        dataset = _corpus_split(source, labels, roots)
    elif source.startswith("context:"):
        dataset = _context_split(source, labels, roots)
    elif source.startswith("external:"):
        dataset = _external(source, labels, roots)
    elif source.startswith("real:"):
        dataset = _real_split(source, labels, roots)
    else:
        dataset = read_eval_file(Path(source), labels)
    dataset.name = name
    return dataset


def load_seed(gold_path: Path, labels: Sequence[str], name: str = "seed") -> EvalDataset:
    """The seed gold file, fragments matched to the sentences of its text (``X.gold.jsonl`` ->
    ``X.txt``)."""
    gold_path = Path(gold_path)
    if not gold_path.name.endswith(".gold.jsonl"):
        raise FileNotFoundError(f"{gold_path}: a seed gold file is named <text>.gold.jsonl next to <text>.txt")
    text_path = gold_path.with_name(gold_path.name[: -len(".gold.jsonl")] + ".txt")
    for path in (gold_path, text_path):
        if not path.is_file():
            raise FileNotFoundError(f"{path}: seed file not found")
    return from_examples(name, str(gold_path), load_seed_gold(gold_path, text_path, labels), labels)


def from_examples(name: str, origin: str, examples: Sequence[Example], labels: Sequence[str]) -> EvalDataset:
    """A dataset from loaded examples; borderline rows are counted and left out."""
    scorable = [ex for ex in examples if not ex.borderline]
    columns = ["text", *(g for g in GROUP_FIELDS if any(getattr(ex, g, "") for ex in scorable))]
    dataset = EvalDataset(
        name=name,
        origin=origin,
        examples=scorable,
        labels=carried_labels(scorable, labels),
        where=[ex.id for ex in scorable],
        columns=columns,
        n_borderline=len(examples) - len(scorable),
    )
    return check_scorable(dataset, labels)


def carried_labels(examples: Sequence[Example], labels: Sequence[str]) -> list[str]:
    return [label for label in labels if any(ex.labels.get(label) is not None for ex in examples)]


def check_scorable(dataset: EvalDataset, labels: Sequence[str], columns: Sequence[str] = ()) -> EvalDataset:
    """An empty dataset, or one sharing no label with the model, is an error naming it."""
    if not dataset.examples:
        why = f"all {dataset.n_borderline} rows are borderline" if dataset.n_borderline else "no rows"
        raise EvalDataError([f"{dataset.origin}: {why}; nothing to score"])
    if not dataset.labels:
        seen = f"; its columns: {', '.join(columns)}" if columns else ""
        raise EvalDataError(
            [
                f"{dataset.origin}: no label in common with the model "
                f"(the model scores {', '.join(labels)}; the data has no 0/1 value for any of them{seen})"
            ]
        )
    return dataset


# --- files -------------------------------------------------------------------------------


def read_eval_file(path: Path, labels: Sequence[str]) -> EvalDataset:
    """Read a JSONL or CSV/TSV evaluation file; every bad row is reported as 'file:line: field: why'."""
    path = Path(path)
    if path.is_dir():
        raise FileNotFoundError(f"{path}: is a directory; expected a JSONL or CSV file")
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: data not found (expected a .jsonl/.csv file, corpus:train|dev|test or external:NAME)"
        )
    kind = FILE_FORMATS.get(path.suffix.lower())
    if kind is None:
        raise EvalDataError([f"{path}: unsupported file type {path.suffix!r}; use .jsonl, .csv or .tsv"])
    problems: list[str] = []
    if kind == "jsonl":
        records = _jsonl_records(path, problems)
    else:
        records = _csv_records(path, _read_text(path), kind, problems)
    examples, where, columns, n_borderline = [], [], [], 0
    for line, row in records:
        for key in row:
            if isinstance(key, str) and key not in columns:
                columns.append(key)
        example = parse_labeled_row(row, labels, f"{path}:{line}", problems, RowRules(text_cells=kind != "jsonl"))
        if example is None:
            continue
        if example.borderline:
            n_borderline += 1
            continue
        examples.append(example)
        where.append(f"{path}:{line}")
    if problems:
        raise EvalDataError(problems)
    dataset = EvalDataset(
        name=path.stem,
        origin=str(path),
        examples=examples,
        labels=carried_labels(examples, labels),
        where=where,
        columns=columns,
        n_borderline=n_borderline,
    )
    return check_scorable(dataset, labels, columns)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise EvalDataError([f"{path}: invalid UTF-8 at byte {exc.start}"]) from None
    except OSError as exc:
        raise EvalDataError([f"{path}: cannot read: {exc.strerror or exc}"]) from None


def _jsonl_records(path: Path, problems: list[str]) -> list[tuple[int, dict]]:
    """Every JSON line of ``path``; invalid UTF-8 anywhere stops the read (the file is not
    text), a line that is not JSON is a problem."""
    records = []
    try:
        for number, value in iter_jsonl(path):
            if isinstance(value, LineError):
                if value.file_byte is not None:
                    raise EvalDataError([f"{path}: invalid UTF-8 at byte {value.file_byte}"])
                problems.append(f"{path}:{number}: {value.reason}")
            elif not isinstance(value, dict):
                problems.append(f"{path}:{number}: row is not a JSON object")
            else:
                records.append((number, value))
    except OSError as exc:
        raise EvalDataError([f"{path}: cannot read: {exc.strerror or exc}"]) from None
    return records


def _csv_records(path: Path, content: str, kind: str, problems: list[str]) -> list[tuple[int, dict]]:
    reader = csv.DictReader(content.splitlines(keepends=True), delimiter="\t" if kind == "tsv" else ",")
    try:
        header = reader.fieldnames or []
    except csv.Error as exc:
        problems.append(f"{path}:1: invalid {kind.upper()} header: {exc}")
        return []
    if header and "text" not in header:
        problems.append(f"{path}:1: text: no 'text' column (columns: {', '.join(header)})")
        return []
    records = []
    try:
        for row in reader:
            records.append((reader.line_num, {k: v for k, v in row.items() if k is not None}))
    except csv.Error as exc:
        problems.append(f"{path}:{reader.line_num}: invalid {kind.upper()}: {exc}")
    return records


# --- named sources -----------------------------------------------------------------------


def _corpus_split(spec: str, labels: Sequence[str], roots: SourceRoots) -> EvalDataset:
    return from_examples(spec, f"{spec} ({roots.corpus})", _corpus_rows(spec, labels, roots), labels)


def _context_split(spec: str, labels: Sequence[str], roots: SourceRoots) -> EvalDataset:
    from khitab.data.context import EVAL_FRAMES, EVAL_SPEAKERS, context_composites, is_neutral

    rows = _corpus_rows(spec, labels, roots)
    if rows and not any(is_neutral(ex, labels) for ex in rows):
        raise EvalDataError([f"{spec}: the corpus split has no row negative on every label to frame with"])
    composites = context_composites(rows, labels, 1.0, EVAL_FRAMES, EVAL_SPEAKERS)  # in the rows' order
    return from_examples(spec, f"{spec} ({roots.corpus}, context composites)", composites, labels)


def _corpus_rows(spec: str, labels: Sequence[str], roots: SourceRoots) -> list[Example]:
    kind, _, split = spec.partition(":")
    if split not in SPLITS:
        raise OptionError(f"{spec}: unknown corpus split {split!r}; use {kind}:{'|'.join(SPLITS)}")
    if roots.corpus is None:
        raise FileNotFoundError(f"{spec}: no corpus configured (data.corpus in the training config)")
    return select(load_corpus(roots.corpus, labels), split)


def _real_split(spec: str, labels: Sequence[str], roots: SourceRoots) -> EvalDataset:
    from khitab.data.real.corpus import load_real

    split = spec.partition(":")[2]
    if split not in SPLITS:
        raise OptionError(f"{spec}: unknown real-text split {split!r}; use real:{'|'.join(SPLITS)}")
    if roots.real is None or roots.external is None:
        raise FileNotFoundError(f"{spec}: no real-text corpus configured (data.real_labels and data.external_root)")
    rows = select(load_real(roots.real, roots.external, labels), split)
    return from_examples(spec, f"{spec} ({roots.real} + texts from {roots.external})", rows, labels)


def _external(spec: str, labels: Sequence[str], roots: SourceRoots) -> EvalDataset:
    name = spec.partition(":")[2]
    try:
        from khitab.data.external import load_source
    except ImportError as exc:
        raise FileNotFoundError(f"{spec}: external dataset adapters are not available ({exc})") from None
    if roots.external is None:
        raise FileNotFoundError(f"{spec}: no external data root configured (data.external_root)")
    rows = load_source(name, roots.external)
    return from_examples(spec, f"{spec} ({roots.external}, test split)", select(rows, "test"), labels)


def load_datasets(
    specs: Sequence[str], labels: Sequence[str], roots: SourceRoots | Callable[[], SourceRoots] = SourceRoots()
) -> list[EvalDataset]:
    """Load every ``[NAME=]SPEC``. ``roots`` may be a function giving them (e.g. reading a
    training config): it is called only when a named source needs it, so files alone never
    depend on a config."""
    found: SourceRoots | None = roots if isinstance(roots, SourceRoots) else None
    datasets = []
    for spec in specs:
        if split_spec(spec)[1].startswith(NAMED_SOURCES) and found is None:
            found = roots()
        datasets.append(load_dataset(spec, labels, found or SourceRoots()))
    return datasets
