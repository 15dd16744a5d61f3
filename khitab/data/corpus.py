"""The project's authored corpus (JSONL, one sentence per row) and the seed gold file."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from khitab.data.rows import RowRules, parse_labeled_row
from khitab.data.schema import Example
from khitab.errors import DataError  # re-exported: its home before khitab.errors
from khitab.io import LineError, iter_jsonl
from khitab.text.split import split_sentences

DIALECTS = frozenset({"msa", "iraqi", "levantine", "gulf", "egyptian", "maghrebi"})
REGISTERS = frozenset({"news", "statement", "speech", "oped", "social", "headline"})
# the authored corpus: rows without a source are ours, and dialect and register are closed sets
CORPUS_RULES = RowRules(default_source="authored", allowed={"dialect": DIALECTS, "register": REGISTERS})


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
        for where, row in jsonl_rows(file, problems):
            example = parse_labeled_row(row, labels, where, problems, CORPUS_RULES)
            if example is not None:
                example.meta["slice"] = file.stem  # evaluation reports break results down by slice
                examples.append(example)
    if problems:
        raise DataError(problems)
    return examples


def jsonl_rows(file: Path, problems: list[str]) -> Iterator[tuple[str, object]]:
    """``('file:line', value)`` for every JSON line of ``file``; a line that is not JSON, or a
    file that cannot be opened, becomes a problem instead."""
    try:
        for number, value in iter_jsonl(file):
            where = f"{file}:{number}"
            if isinstance(value, LineError):
                problems.append(f"{where}: {value.reason}")
            else:
                yield where, value
    except OSError as exc:
        problems.append(f"{file}: cannot read: {exc}")


def load_seed_gold(gold_path: Path, text_path: Path, labels: Sequence[str]) -> list[Example]:
    """Seed gold rows, each expanded to the whole sentence that contains its fragment.

    A fragment must lie inside exactly one sentence of the text; otherwise the gold file and
    the splitter disagree, which is an error worth stopping for.
    """
    text = Path(text_path).read_text(encoding="utf-8")
    spans = split_sentences(text)
    examples, problems = [], []
    for where, row in jsonl_rows(Path(gold_path), problems):
        fragment = row.get("fragment", "") if isinstance(row, dict) else ""
        holders = [i for i, span in enumerate(spans) if fragment and fragment in span.text]
        if len(holders) != 1:
            problems.append(f"{where}: fragment: found in {len(holders)} sentences, expected 1")
            continue
        index = holders[0]
        example = parse_labeled_row(
            {**row, "text": spans[index].text, "id": f"seed:{index}", "group": f"seed:{index}", "source": "seed"},
            labels,
            where,
            problems,
            CORPUS_RULES,
        )
        if example is not None:
            examples.append(example)
    if problems:
        raise DataError(problems)
    return examples
