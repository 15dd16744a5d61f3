"""Chunked, atomic, resumable output for batch scoring.

A run writes ``OUT.parts/``: for each chunk of input rows one output part and one errors
part (each written to a temporary file, flushed and renamed into place), then
``manifest.json`` (rewritten the same way) records the chunk as complete. A process killed
at any point leaves complete parts and a manifest listing only complete chunks; a resumed
run skips those chunks and recomputes the rest (parts are deterministic, so a part that was
renamed in but not yet listed is simply rewritten). At the end the parts are concatenated
into ``OUT`` and the errors file (again through a temporary file and a rename) and
``OUT.parts/`` is removed.
"""
from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from khitab.inference.inputs import InputError
from khitab.io import atomic_file, write_bytes_atomic

OUTPUT_FORMATS = ("jsonl", "csv", "parquet")
MANIFEST = "manifest.json"
MANIFEST_FORMAT = "khitab-batch-manifest"


def default_errors_path(output: Path) -> Path:
    return output.with_name(output.stem + ".errors.jsonl")


def parts_dir(output: Path) -> Path:
    return output.with_name(output.name + ".parts")


# --- serialisation -----------------------------------------------------------------------


def flatten(row: dict[str, Any]) -> dict[str, Any]:
    """A CSV row: ``scores`` become ``score_<label>`` columns, lists of labels are joined
    with ``;``, anything nested deeper is JSON text."""
    flat: dict[str, Any] = {}
    for key, value in row.items():
        if key == "scores" and isinstance(value, dict):
            for label, p in value.items():
                flat[f"score_{label}"] = p
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            flat[key] = ";".join(value)
        elif isinstance(value, (list, dict)):
            flat[key] = json.dumps(value, ensure_ascii=False)
        else:
            flat[key] = value
    return flat


class RowFormat:
    """Encodes rows of one shape (given by ``template``, a representative row) as bytes
    of a part, and concatenates parts into the final file."""

    def __init__(self, kind: str, template: dict[str, Any]):
        if kind not in OUTPUT_FORMATS:
            raise InputError(f"unknown output format {kind!r} (one of {', '.join(OUTPUT_FORMATS)})")
        self.kind = kind
        self.columns = list(flatten(template))
        self._schema = None
        if kind == "parquet":
            import pyarrow as pa

            self._schema = pa.Table.from_pylist([template]).schema

    @property
    def suffix(self) -> str:
        return "." + self.kind

    def write_part(self, rows: Sequence[dict[str, Any]], path: Path) -> None:
        if self.kind == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            pq.write_table(pa.Table.from_pylist(list(rows), schema=self._schema), path)
            return
        with path.open("wb") as handle:
            handle.write(self.encode(rows))

    def encode(self, rows: Iterable[dict[str, Any]]) -> bytes:
        if self.kind == "jsonl":
            return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8")
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=self.columns, lineterminator="\n")
        for row in rows:
            writer.writerow(flatten(row))
        return buffer.getvalue().encode("utf-8")

    def header(self) -> bytes:
        if self.kind != "csv":
            return b""
        buffer = io.StringIO()
        csv.DictWriter(buffer, fieldnames=self.columns, lineterminator="\n").writeheader()
        return buffer.getvalue().encode("utf-8")

    def concatenate(self, parts: Sequence[Path], target: Path) -> None:
        """Write ``parts`` in order into ``target`` (atomically)."""
        with atomic_file(target) as tmp:
            if self.kind == "parquet":
                import pyarrow.parquet as pq

                with pq.ParquetWriter(tmp, self._schema) as writer:
                    for part in parts:
                        table = pq.read_table(part, schema=self._schema)
                        if table.num_rows:
                            writer.write_table(table)
                return
            with tmp.open("wb") as out:
                out.write(self.header())
                for part in parts:
                    with part.open("rb") as handle:
                        shutil.copyfileobj(handle, out, 1 << 20)


def encode_errors(errors: Iterable[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in errors).encode("utf-8")


# --- the chunk store ---------------------------------------------------------------------


class ChunkStore:
    """``OUT.parts/``: completed chunks and the manifest that lists them.

    ``settings`` identify the run (input fingerprint, fields, model version, level, chunk
    size, ...); ``resume`` continues a run with the same settings and refuses another.
    """

    def __init__(self, output: Path, row_format: RowFormat, errors_path: Path, settings: dict[str, Any],
                 resume: bool):
        self.output = Path(output)
        self.format = row_format
        self.errors_path = Path(errors_path)
        self.settings = settings
        self.directory = parts_dir(self.output)
        self.chunks: dict[int, dict[str, Any]] = {}
        manifest_path = self.directory / MANIFEST
        if resume and manifest_path.is_file():
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            if manifest.get("format") != MANIFEST_FORMAT or manifest.get("settings") != settings:
                differing = sorted(
                    key for key in set(settings) | set(manifest.get("settings", {}))
                    if settings.get(key) != manifest.get("settings", {}).get(key)
                )
                raise InputError(
                    f"{self.directory}: cannot resume, the earlier run differs in {', '.join(differing) or 'format'}; "
                    "run without --resume to start over"
                )
            self.chunks = {int(k): v for k, v in manifest["chunks"].items()}
        else:
            if self.directory.exists():
                shutil.rmtree(self.directory)
            self.directory.mkdir(parents=True)
            self._write_manifest()

    def part_path(self, index: int) -> Path:
        return self.directory / f"part-{index:06d}{self.format.suffix}"

    def errors_part_path(self, index: int) -> Path:
        return self.directory / f"errors-{index:06d}.jsonl"

    def is_complete(self, index: int) -> bool:
        return index in self.chunks

    def write_chunk(self, index: int, rows: Sequence[dict[str, Any]], errors: Sequence[dict[str, Any]],
                    stats: dict[str, Any]) -> None:
        with atomic_file(self.part_path(index)) as tmp:
            self.format.write_part(rows, tmp)
        write_bytes_atomic(self.errors_part_path(index), encode_errors(errors))
        self.chunks[index] = stats
        self._write_manifest()

    def _write_manifest(self) -> None:
        manifest = {
            "format": MANIFEST_FORMAT,
            "settings": self.settings,
            "chunks": {str(k): self.chunks[k] for k in sorted(self.chunks)},
        }
        write_bytes_atomic(self.directory / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1).encode())

    def finish(self, n_chunks: int, checkpoint: Callable[[str], None] = lambda stage: None) -> None:
        """Concatenate chunks ``0..n_chunks-1`` (all complete, rows contiguous) into the
        output and errors files, then remove the parts. ``checkpoint`` is called between
        steps (tests kill the process there)."""
        expected_row = 0
        for index in range(n_chunks):
            stats = self.chunks.get(index)
            if stats is None or stats["first_row"] != expected_row:
                raise RuntimeError(f"{self.directory}: chunk {index} missing or out of place; rerun with --resume")
            expected_row += stats["rows"]
        indices = range(n_chunks)
        self.format.concatenate([self.part_path(i) for i in indices], self.output)
        checkpoint("output")
        with atomic_file(self.errors_path) as tmp, tmp.open("wb") as out:
            for i in indices:
                with self.errors_part_path(i).open("rb") as handle:
                    shutil.copyfileobj(handle, out, 1 << 20)
        shutil.rmtree(self.directory)
