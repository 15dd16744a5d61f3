"""Reading the documents a user asks to score, with one clear error per bad input."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from khitab.errors import InputError  # re-exported: its home before khitab.errors


@dataclass(frozen=True)
class Document:
    doc_id: str
    text: str


def decode_utf8(data: bytes, name: str) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: invalid UTF-8 at byte {exc.start}") from exc
    return text.removeprefix("\ufeff")


def read_document(path: str, stdin: BinaryIO | None = None) -> Document:
    """Read ``path`` (or standard input for ``-``) as one UTF-8 document."""
    if path == "-":
        data = (stdin or sys.stdin.buffer).read()
        name = "stdin"
    else:
        file = Path(path)
        if file.is_dir():
            raise InputError(f"{path}: is a directory; give text files (or use `khitab batch` for folders)")
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
        name = path
    text = decode_utf8(data, name)
    if not text.strip():
        raise InputError(f"{name}: empty text")
    return Document(doc_id=name, text=text)
