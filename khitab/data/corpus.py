"""The project's authored corpus (JSONL, one sentence per row) and the seed gold file."""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from khitab.data.schema import Example
from khitab.errors import DataError  # re-exported: its home before khitab.errors
from khitab.text.split import split_sentences

CORPUS_FIELDS = ("id", "text", "dialect", "register", "source", "group", "borderline", "note")
DIALECTS = {"msa", "iraqi", "levantine", "gulf", "egyptian", "maghrebi"}
REGISTERS = {"news", "statement", "speech", "oped", "social", "headline"}


def corpus_files(path: Path, slices: Sequence[str] | None = None) -> list[Path]:
    """The JSONL files of a corpus given as a file or a folder; ``slices`` keeps only the
    files with those stems (every one must exist)."""
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.jsonl"))
    elif path.is_file():
        files = [path]
    else:
        raise FileNotFoundError(f"{path}: corpus not found")
    if slices is None:
        return files
    wanted = set(slices)
    missing = sorted(wanted - {f.stem for f in files})
    if missing:
        raise FileNotFoundError(f"{path}: no corpus slice named {', '.join(missing)} (data.corpus_slices)")
    return [f for f in files if f.stem in wanted]


def load_corpus(path: Path, labels: Sequence[str], slices: Sequence[str] | None = None) -> list[Example]:
    """Load and validate every row (of the named slices, if given); raise ``DataError``
    listing all bad rows at once."""
    examples, problems = [], []
    for file in corpus_files(path, slices):
        for where, row in _jsonl_rows(file, problems):
            example = parse_corpus_row(row, labels, where, problems)
            if example is not None:
                example.meta["slice"] = file.stem  # evaluation reports break results down by slice
                examples.append(example)
    if problems:
        raise DataError(problems)
    return examples


def parse_corpus_row(row: object, labels: Sequence[str], where: str, problems: list[str]) -> Example | None:
    if not isinstance(row, dict):
        problems.append(f"{where}: row is not a JSON object")
        return None
    before = len(problems)
    text = row.get("text")
    if not isinstance(text, str) or not text.strip():
        problems.append(f"{where}: text: missing or empty")
    values = {}
    for label in labels:
        value = row.get(label)
        if value is None:
            values[label] = None
        elif type(value) is int and value in (0, 1):
            values[label] = value
        else:
            problems.append(f"{where}: {label}: {value!r} is not 0, 1 or null")
    for name, allowed in (("dialect", DIALECTS), ("register", REGISTERS)):
        if name in row and row[name] not in allowed:
            problems.append(f"{where}: {name}: {row[name]!r} not in {sorted(allowed)}")
    if not isinstance(row.get("borderline", False), bool):
        problems.append(f"{where}: borderline: must be true or false")
    if len(problems) > before:
        return None
    return Example(
        id=str(row.get("id") or where),
        text=text,
        labels=values,
        source=str(row.get("source") or "authored"),
        group=str(row.get("group") or row.get("id") or where),
        dialect=str(row.get("dialect", "")),
        register=str(row.get("register", "")),
        borderline=bool(row.get("borderline", False)),
        note=str(row.get("note", "")),
    )


def _jsonl_rows(file: Path, problems: list[str]) -> Iterable[tuple[str, object]]:
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{file}: cannot read: {exc}")
        return
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{file}:{number}"
        try:
            yield where, json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: invalid JSON: {exc.msg}")


def load_seed_gold(gold_path: Path, text_path: Path, labels: Sequence[str]) -> list[Example]:
    """Seed gold rows, each expanded to the whole sentence that contains its fragment.

    A fragment must lie inside exactly one sentence of the text; otherwise the gold file and
    the splitter disagree, which is an error worth stopping for.
    """
    text = Path(text_path).read_text(encoding="utf-8")
    spans = split_sentences(text)
    examples, problems = [], []
    for where, row in _jsonl_rows(Path(gold_path), problems):
        fragment = row.get("fragment", "") if isinstance(row, dict) else ""
        holders = [i for i, span in enumerate(spans) if fragment and fragment in span.text]
        if len(holders) != 1:
            problems.append(f"{where}: fragment: found in {len(holders)} sentences, expected 1")
            continue
        index = holders[0]
        example = parse_corpus_row(
            {**row, "text": spans[index].text, "id": f"seed:{index}", "group": f"seed:{index}", "source": "seed"},
            labels,
            where,
            problems,
        )
        if example is not None:
            examples.append(example)
    if problems:
        raise DataError(problems)
    return examples
