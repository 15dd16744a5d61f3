"""The encoder runtime: token-budget batching, one path for every encoder, backends chosen once."""
from pathlib import Path

import numpy as np
import onnx
import pytest

from khitab import load_model
from khitab.errors import BundleError
from khitab.inference.backends import SentenceScorer
from khitab.models.ensemble import EnsembleClassifier
from khitab.models.runtime import RuntimeOptions, plan_batches


def test_batches_are_length_sorted_and_bounded():
    lengths = [5, 80, 7, 6, 40, 41, 79, 5]
    batches = plan_batches(lengths, max_tokens=100, max_batch=3)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for batch in batches:
        assert len(batch) <= 3 and len(batch) * max(lengths[i] for i in batch) <= 100 or len(batch) == 1
    flat = [lengths[i] for b in batches for i in b]
    assert flat == sorted(flat)


SENTENCES = ["سنحرق مقراتهم قريبا", "نفت الوزارة الخبر", "افتتحت الكنيسة اليوم", "الروافض خونة",
             "هذا نص أطول قليلا من غيره لكي تختلف الأطوال داخل الدفعة الواحدة"]


def own_forward_logits(model, texts, batch_size):
    """The encoder's logits as the models layer computed them before the runtime: the model's
    own forward over length-sorted batches of ``batch_size``, padded by the tokenizer."""
    import torch

    encoded = model.tokenizer(model.prepare(texts), truncation=True, max_length=model.max_length)
    order = np.argsort([len(x) for x in encoded["input_ids"]], kind="stable")
    out = np.zeros((len(texts), len(model.labels)), dtype=np.float32)
    with torch.inference_mode():
        for begin in range(0, len(order), batch_size):
            chunk = order[begin:begin + batch_size]
            batch = model.tokenizer.pad({k: [encoded[k][i] for i in chunk] for k in encoded}, return_tensors="pt")
            out[chunk] = model.model(**batch).logits.float().numpy()
    return out


def test_the_default_torch_path_is_the_models_own_forward_bit_for_bit(tiny_encoder_bundle):
    model = load_model(tiny_encoder_bundle)
    model.batch_size = 2
    model.use_backend(RuntimeOptions(max_batch=2))
    assert np.array_equal(model.logits(SENTENCES), own_forward_logits(model, SENTENCES, 2))


def ensemble(tiny_bundle, tiny_encoder_bundle) -> EnsembleClassifier:
    members = [load_model(tiny_bundle), load_model(tiny_encoder_bundle)]
    return EnsembleClassifier(labels=list(members[0].labels), members=members, weights=[1.0, 1.0], name="pair")


def test_the_backend_is_chosen_once_for_every_encoder_in_an_ensemble(tiny_bundle, tiny_encoder_bundle, tmp_path):
    model = ensemble(tiny_bundle, tiny_encoder_bundle)
    reference = model.predict_proba(SENTENCES)
    assert model.use_backend(RuntimeOptions(backend="onnx", cache_dir=tmp_path)) == ["onnx-fp32"]
    encoder = model.members[1]
    assert encoder.runtime.graph.parent == tmp_path / encoder.version
    assert np.max(np.abs(model.predict_proba(SENTENCES) - reference)) <= 1e-4
    assert model.members[0].use_backend(RuntimeOptions(backend="onnx")) == []  # TF-IDF: its own scoring


def test_batch_scorer_runs_an_ensemble_on_onnx_and_checks_the_whole_of_it(tiny_bundle, tiny_encoder_bundle, tmp_path,
                                                                          monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    model = ensemble(tiny_bundle, tiny_encoder_bundle)
    before = sorted(p.name for p in Path(tiny_encoder_bundle).rglob("*"))
    scorer = SentenceScorer(model, backend="onnx", quantize="int8")
    assert scorer.name == "ensemble-onnx-int8" and scorer.precision == "int8"
    assert 0 < scorer.parity(SENTENCES) <= scorer.tolerance
    assert sorted(p.name for p in Path(tiny_encoder_bundle).rglob("*")) == before  # nothing written into the bundle
    graphs = list((tmp_path / "cache").rglob("model.int8.onnx"))
    assert len(graphs) == 1
    ops = {node.op_type for node in onnx.load(str(graphs[0])).graph.node}
    assert "MatMulNBits" in ops and "MatMulInteger" not in ops  # block-wise int8, not per-tensor dynamic
    with pytest.raises(BundleError, match="onnx backend runs encoder models"):
        SentenceScorer(load_model(tiny_bundle), backend="onnx")


def test_torch_fp32_through_the_own_forward_is_the_reference_so_has_no_parity_to_check(tiny_encoder_bundle):
    scorer = SentenceScorer(load_model(tiny_encoder_bundle), device="cpu")
    assert scorer.is_reference and scorer.parity(SENTENCES) is None
    shortcut = SentenceScorer(load_model(tiny_encoder_bundle), device="cpu", shortcut=True)
    assert not shortcut.is_reference and shortcut.parity(SENTENCES) <= 1e-4
