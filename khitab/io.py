"""Crash-safe writes and the one JSONL reader (the bottom layer: imports nothing from khitab).

``atomic_file(path)`` and ``atomic_dir(path)`` write beside the target and move the result in
with ``os.replace``/``os.rename`` after an ``fsync``, so a process killed at any moment leaves
either the old or the new file or folder, complete. A folder cannot be replaced by one rename
(POSIX refuses to rename onto a non-empty folder), so ``atomic_dir`` swaps in three renames:

    1. ``target`` -> ``.target.old``   (the old folder, complete, set aside)
    2. staging   -> ``target``        (the new folder, complete, in place)
    3. remove ``.target.old``

Killed after 1 there is no ``target``, but ``.target.old`` is complete: ``recover_dir`` (called
by the next ``atomic_dir`` on that target and by readers such as ``load_model``) renames it
back. Killed after 2, ``recover_dir`` removes the leftover aside folder.

``iter_jsonl(path)`` yields ``(line_no, value)`` for every non-blank line, ``value`` being the
parsed JSON or a :class:`LineError` saying why the line is not JSON, so batch readers can keep
one error record per bad row instead of dropping it.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ASIDE_SUFFIX = ".old"
# a staging folder this old belongs to a killed writer, not to one still running
STALE_STAGING_SECONDS = 3600.0


# --- files -------------------------------------------------------------------------------


@contextmanager
def atomic_file(path: Path | str) -> Iterator[Path]:
    """``with atomic_file(path) as tmp:`` write ``tmp``; on success it is fsynced and renamed
    to ``path``; on failure it is removed and ``path`` is untouched."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        replace_file(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes_atomic(path: Path | str, data: bytes) -> None:
    with atomic_file(path) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(path: Path | str, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def replace_file(source: Path, target: Path) -> None:
    """Move the finished file ``source`` onto ``target`` (same filesystem) durably."""
    fsync_path(source)
    os.replace(source, target)
    fsync_path(Path(target).parent)


def fsync_path(path: Path) -> None:
    """Flush a file's or a folder's contents to disk (folders: best effort, as some
    filesystems refuse to fsync them)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        if Path(path).is_dir():
            return
        raise
    try:
        os.fsync(fd)
    except OSError:
        if not Path(path).is_dir():
            raise
    finally:
        os.close(fd)


# --- folders -----------------------------------------------------------------------------


def aside_path(target: Path) -> Path:
    return target.with_name(f".{target.name}{ASIDE_SUFFIX}")


def staging_prefix(target: Path) -> str:
    return f".{target.name}.tmp-"


@contextmanager
def atomic_dir(target: Path | str, *, keep_existing: bool = False) -> Iterator[Path]:
    """``with atomic_dir(target) as staging:`` fill ``staging`` (a fresh folder beside
    ``target``); on success it replaces ``target`` (see the module docstring for why a kill
    at any moment leaves a complete folder); on failure it is removed and ``target`` is
    untouched. With ``keep_existing``, a ``target`` that appeared meanwhile (another process
    finished first) is kept and the staging folder dropped. Yields the staging path."""
    target = Path(target).absolute()
    target.parent.mkdir(parents=True, exist_ok=True)
    recover_dir(target)
    remove_stale_staging(target)
    staging = Path(tempfile.mkdtemp(prefix=staging_prefix(target), dir=target.parent))
    try:
        yield staging
        _make_readable(staging)
        _fsync_tree(staging)
        if keep_existing:
            _move_in_unless_taken(staging, target)
        else:
            _swap_in(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def recover_dir(target: Path | str) -> None:
    """Finish or undo a swap that a killed ``atomic_dir`` left half done: with ``target``
    present the aside folder is stale (removed); without it, the aside folder is the last
    complete version (renamed back)."""
    target = Path(target)
    aside = aside_path(target)
    if not aside.exists():
        return
    if target.exists():
        shutil.rmtree(aside, ignore_errors=True)
    else:
        os.rename(aside, target)
        fsync_path(target.parent)


def remove_stale_staging(target: Path) -> None:
    """Remove staging folders of ``target`` left by killed writers (older than an hour, so
    a writer still at work keeps its own)."""
    now = time.time()
    for path in target.parent.glob(staging_prefix(target) + "*"):
        try:
            if path.is_dir() and now - path.stat().st_mtime > STALE_STAGING_SECONDS:
                shutil.rmtree(path, ignore_errors=True)
        except OSError:
            pass


def _swap_in(staging: Path, target: Path) -> None:
    aside = aside_path(target)
    if target.exists():
        os.rename(target, aside)
    os.rename(staging, target)
    fsync_path(target.parent)
    if aside.exists():
        shutil.rmtree(aside)


def _move_in_unless_taken(staging: Path, target: Path) -> None:
    try:
        if target.is_dir():
            target.rmdir()  # only an empty folder may be replaced
    except OSError:
        return  # another process's folder: keep it
    try:
        os.rename(staging, target)
    except OSError:
        if not target.exists():
            raise
        return
    fsync_path(target.parent)


def _make_readable(directory: Path) -> None:
    """``mkdtemp`` creates an owner-only folder (and some writers owner-only files); give
    them the modes the umask gives any new file."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(directory, 0o777 & ~umask)
    for path in directory.iterdir():
        if path.is_file():
            os.chmod(path, 0o666 & ~umask)


def _fsync_tree(directory: Path) -> None:
    for path in sorted(directory.rglob("*"), reverse=True):
        if path.is_file() or path.is_dir():
            fsync_path(path)
    fsync_path(directory)


# --- JSONL -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineError:
    """Why a line is not a JSON value: ``reason`` for people; for invalid UTF-8 ``byte`` is
    the offset of the bad byte in the line and ``file_byte`` in the file."""

    reason: str
    byte: int | None = None
    file_byte: int | None = None


def iter_jsonl(path: Path | str) -> Iterator[tuple[int, object]]:
    """``(line_no, value)`` for every non-blank line of ``path`` (1-based, blank lines count),
    ``value`` being the parsed JSON or a :class:`LineError`; a byte-order mark at the start of
    a line is ignored. Reads one line at a time (flat memory); lines end at ``\\n`` only, as
    JSON text may hold other Unicode line separators."""
    offset = 0
    with Path(path).open("rb") as handle:
        for line_no, raw in enumerate(handle, start=1):
            start, offset = offset, offset + len(raw)
            if raw.strip():
                yield line_no, _parse_line(raw, start)


def _parse_line(raw: bytes, start: int) -> object:
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return LineError(f"invalid UTF-8 at byte {exc.start} of the line", exc.start, start + exc.start)
    try:
        return json.loads(line.removeprefix("\ufeff"))
    except json.JSONDecodeError as exc:
        return LineError(f"invalid JSON: {exc.msg}")
