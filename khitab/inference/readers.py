"""Streaming readers for batch scoring: JSONL, CSV, Parquet, or a folder of ``.txt`` files.

Every reader yields one :class:`Record` per input row, in input order, holding either the
text to score or the reason it cannot be scored (missing field, invalid UTF-8, empty text,
not Arabic). Nothing is dropped silently, so ``rows read == rows scored + error rows``.
Memory stays flat in the input size: one line, CSV record, Parquet batch or file at a time.
"""
from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from khitab.inference.inputs import InputError
from khitab.io import LineError, iter_jsonl
from khitab.text.language import arabic_ratio

FORMATS = ("jsonl", "csv", "parquet", "txt")
MIN_ARABIC_RATIO = 0.5
PARQUET_BATCH_ROWS = 1024


@dataclass(frozen=True)
class Record:
    """Input row ``row`` (0-based, in input order); ``where`` locates it for people
    (``file:line``, ``file#row``, or the file of a folder). Exactly one of ``text`` and
    ``error`` is set."""

    row: int
    id: str
    where: str
    text: str | None = None
    error: str | None = None


def detect_format(path: Path) -> str:
    if path.is_dir():
        return "txt"
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".csv", ".tsv"):
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    raise InputError(f"{path}: cannot tell the input format from its name; give --input-format jsonl|csv|parquet")


def read_records(
    path: Path | str, text_field: str = "text", id_field: str = "id", input_format: str | None = None
) -> Iterator[Record]:
    """Every input row of ``path`` as a :class:`Record`, checked for scorability."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: input not found")
    kind = input_format or detect_format(path)
    if kind == "txt" and not path.is_dir():
        raise InputError(f"{path}: txt input is a folder of .txt files")
    readers = {"jsonl": _read_jsonl, "csv": _read_csv, "parquet": _read_parquet, "txt": _read_txt_folder}
    if kind not in readers:
        raise InputError(f"{path}: unknown input format {kind!r} (one of {', '.join(FORMATS)})")
    for record in readers[kind](path, text_field, id_field):
        yield _checked(record)


def count_rows(path: Path | str, input_format: str | None = None) -> int | None:
    """The number of rows ``read_records`` will yield, cheaply (a byte scan, Parquet
    metadata, a directory listing); approximate for CSV with multi-line fields."""
    path = Path(path)
    kind = input_format or detect_format(path)
    if kind == "parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows
    if kind == "txt":
        return sum(1 for _ in _txt_files(path))
    count = 0
    with path.open("rb") as handle:
        for line in handle:
            if line.strip():
                count += 1
    return max(count - 1, 0) if kind == "csv" else count


def make_record(row: int, raw_text, raw_id, text_field: str, where: str) -> Record:
    """A checked record from a row's raw text and id values (None when absent)."""
    text, error = _field_value(raw_text, text_field)
    return _checked(Record(row, _row_id(raw_id, row), where, text=text, error=error))


def _checked(record: Record) -> Record:
    if record.error is not None:
        return record
    text = record.text
    if not text.strip():
        return Record(record.row, record.id, record.where, error="empty text")
    ratio = arabic_ratio(text)
    if ratio < MIN_ARABIC_RATIO:
        return Record(record.row, record.id, record.where, error=f"not Arabic ({ratio:.0%} of letters are Arabic)")
    return record


def _field_value(value, field: str) -> tuple[str | None, str | None]:
    """(text, error) for a field value read from a row."""
    if value is None:
        return None, f"missing field {field!r}"
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError as exc:
            return None, f"invalid UTF-8 at byte {exc.start} of field {field!r}"
    if not isinstance(value, str):
        return None, f"field {field!r} is not text ({type(value).__name__})"
    return value.removeprefix("\ufeff"), None


def _row_id(value, row: int) -> str:
    """The input id, else the 0-based row number (as text)."""
    if value is None or value == "":
        return str(row)
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    return str(value)


def _read_jsonl(path: Path, text_field: str, id_field: str) -> Iterator[Record]:
    for row, (line_number, obj) in enumerate(iter_jsonl(path)):
        where = f"{path}:{line_number}"
        if isinstance(obj, LineError):
            yield Record(row, str(row), where, error=obj.reason)
        elif not isinstance(obj, dict):
            yield Record(row, str(row), where, error="not a JSON object")
        else:
            text, error = _field_value(obj.get(text_field), text_field)
            yield Record(row, _row_id(obj.get(id_field), row), where, text=text, error=error)


def _read_csv(path: Path, text_field: str, id_field: str) -> Iterator[Record]:
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    csv.field_size_limit(1 << 30)
    # surrogateescape keeps reading past invalid bytes; a field holding one is an error row.
    with path.open("r", encoding="utf-8", errors="surrogateescape", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        header = next(reader, None)
        if header is None:
            return
        header = [name.removeprefix("\ufeff") for name in header]
        if text_field not in header:
            raise InputError(f"{path}: no column {text_field!r} (columns: {', '.join(header)}); give --text-field")
        text_at = header.index(text_field)
        id_at = header.index(id_field) if id_field in header else None
        for row, values in enumerate(reader):
            where = f"{path}:{reader.line_num}"
            raw_id = values[id_at] if id_at is not None and id_at < len(values) else None
            row_id = _row_id(_escaped_to_text(raw_id), row)
            if text_at >= len(values):
                yield Record(row, row_id, where, error=f"missing field {text_field!r}")
                continue
            text = values[text_at]
            if any("\udc80" <= ch <= "\udcff" for ch in text):
                bad = text.encode("utf-8", errors="surrogateescape")
                try:
                    bad.decode("utf-8")
                except UnicodeDecodeError as exc:
                    yield Record(row, row_id, where, error=f"invalid UTF-8 at byte {exc.start} of field {text_field!r}")
                    continue
            yield Record(row, row_id, where, text=text)


def _escaped_to_text(value: str | None) -> str | None:
    if value is None:
        return None
    return value.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="replace")


def _read_parquet(path: Path, text_field: str, id_field: str) -> Iterator[Record]:
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(path)
    names = parquet.schema_arrow.names
    if text_field not in names:
        raise InputError(f"{path}: no column {text_field!r} (columns: {', '.join(names)}); give --text-field")
    columns = [text_field] + ([id_field] if id_field in names and id_field != text_field else [])
    row = 0
    for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS, columns=columns):
        texts = batch.column(text_field).to_pylist()
        ids = batch.column(id_field).to_pylist() if id_field in columns else [None] * len(texts)
        for value, raw_id in zip(texts, ids):
            text, error = _field_value(value, text_field)
            yield Record(row, _row_id(raw_id, row), f"{path}#{row}", text=text, error=error)
            row += 1


def _txt_files(folder: Path) -> Iterator[Path]:
    return iter(sorted(p for p in folder.rglob("*.txt") if p.is_file()))


def _read_txt_folder(folder: Path, text_field: str, id_field: str) -> Iterator[Record]:
    """One document per ``.txt`` file (recursively, sorted by path); its id is the path
    relative to the folder."""
    for row, file in enumerate(_txt_files(folder)):
        name = file.relative_to(folder).as_posix()
        try:
            data = file.read_bytes()
        except OSError as exc:
            yield Record(row, name, str(file), error=f"cannot read: {exc.strerror or exc}")
            continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield Record(row, name, str(file), error=f"invalid UTF-8 at byte {exc.start}")
            continue
        yield Record(row, name, str(file), text=text.removeprefix("\ufeff"))


