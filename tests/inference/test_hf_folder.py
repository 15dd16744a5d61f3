"""A plain Hugging Face classification folder, used as it is, scores like its pipeline."""
import json

import numpy as np
import pytest

from khitab.inference.backends import SentenceScorer
from khitab.inference.batch import run_batch
from khitab.models.bundle import load_model
from tests.conftest import TINY_CORPUS

LABELS = ["threat", "sectarian", "denial"]
CORPUS = [json.loads(line)["text"] for line in TINY_CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]


def hf_folder(directory, multi_label: bool):
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    from khitab.models.tiny import build_tiny_encoder

    base = build_tiny_encoder(CORPUS, directory / "base", vocab_size=600)
    config = BertConfig.from_pretrained(base, num_labels=3, id2label=dict(enumerate(LABELS)),
                                        label2id={label: i for i, label in enumerate(LABELS)},
                                        problem_type="multi_label_classification" if multi_label else None)
    torch.manual_seed(1)
    model = BertForSequenceClassification(config)
    with torch.no_grad():  # a head that gives probabilities away from 0.5
        model.classifier.weight.normal_(0, 2.0)
    out = directory / "hf"
    model.save_pretrained(out)
    AutoTokenizer.from_pretrained(base).save_pretrained(out)
    return out


@pytest.mark.parametrize("multi_label", [True, False])
def test_plain_hf_folder_equals_the_transformers_pipeline(tmp_path, multi_label):
    from transformers import pipeline

    folder = hf_folder(tmp_path, multi_label)
    sentences = CORPUS[:24] + ["نص قصير", CORPUS[0] + " " + CORPUS[1]]
    pipe = pipeline("text-classification", model=str(folder), tokenizer=str(folder), device="cpu", top_k=None)
    expected = np.array([[{d["label"]: d["score"] for d in row}[label] for label in LABELS]
                         for row in pipe(sentences, batch_size=4)])
    model = load_model(folder)
    assert model.normalizer == "none" and model.text_prefix == "" and model.max_length == 128
    assert np.max(np.abs(model.predict_proba(sentences) - expected)) <= 1e-5  # the Python API too
    for backend in ("torch", "onnx"):
        scorer = SentenceScorer(model, backend=backend, cache_dir=tmp_path / "onnx", max_tokens=96, max_batch=5)
        assert scorer.model.activation == ("sigmoid" if multi_label else "softmax")
        assert np.max(np.abs(scorer.probabilities(sentences) - expected)) <= 1e-5, backend

    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"id": i, "text": s}, ensure_ascii=False) + "\n"
                              for i, s in enumerate(sentences[:5])), encoding="utf-8")
    run_batch(source, tmp_path / "out.jsonl", model, progress=False)
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["text"] for r in rows] == sentences[:5]  # one sentence each
    got = np.array([[r["scores"][label] for label in LABELS] for r in rows])
    assert np.max(np.abs(got - expected[:5])) <= 1e-5


def bert_tokenizer_folder(directory, architecture: dict):
    """A BERT classifier folder whose tokenizer is a ``BertTokenizerFast``, as AraBERT's is: its
    inputs come in BERT's order (ids, token types, mask), not the order of the model's forward."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    from khitab.models.tiny import wordpiece_vocab

    directory.mkdir(parents=True)
    (directory / "vocab.txt").write_text("\n".join(wordpiece_vocab(CORPUS, 600)) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast(vocab_file=str(directory / "vocab.txt"), do_lower_case=False)
    assert list(tokenizer.model_input_names) == ["input_ids", "token_type_ids", "attention_mask"]
    torch.manual_seed(0)
    config = BertConfig(num_labels=3, problem_type="multi_label_classification",
                        id2label=dict(enumerate(LABELS)), label2id={x: i for i, x in enumerate(LABELS)},
                        **architecture)
    BertForSequenceClassification(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def test_onnx_keeps_parity_at_arabert_width_with_a_bert_tokenizer(tmp_path):
    """AraBERT v2's hidden size, heads and vocabulary (one layer instead of twelve): the
    exported graph matched the tokenizer's input order, not the forward's, and scored with the
    attention mask and token types swapped (|Δp| 0.06)."""
    folder = bert_tokenizer_folder(tmp_path / "hf", {
        "vocab_size": 64000, "hidden_size": 768, "num_attention_heads": 12, "intermediate_size": 3072,
        "num_hidden_layers": 1,
    })
    model = load_model(folder)
    sentences = CORPUS[:6] + ["نص قصير"]
    torch_scorer = SentenceScorer(model, backend="torch")
    onnx_scorer = SentenceScorer(model, backend="onnx", cache_dir=tmp_path / "onnx", max_batch=3)
    assert onnx_scorer.parity(sentences) <= 1e-4
    for one in sentences[:2]:  # single unpadded sentences too
        assert np.max(np.abs(onnx_scorer.probabilities([one]) - torch_scorer.probabilities([one]))) <= 1e-4
