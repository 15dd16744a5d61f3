"""The [CLS]-only last layer: exact on the locked transformers, and a plain forward (with one
warning) where transformers offers no public mask builder."""
import logging

import numpy as np
import pytest
import torch

from khitab.models import fastpath
from khitab.models.fastpath import ClsOnlyLastLayer, LogitsOnly, fast_module
from tests.inference.test_hf_folder import CORPUS, hf_folder


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    folder = hf_folder(tmp_path_factory.mktemp("fastpath"), multi_label=True)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    batch = tokenizer([CORPUS[0], "نص قصير", CORPUS[1] + " " + CORPUS[2]], padding=True, return_tensors="pt")
    assert batch["attention_mask"].min() == 0  # padded rows: the mask matters
    return AutoModelForSequenceClassification.from_pretrained(folder).eval(), dict(batch)


def logits(module, batch) -> np.ndarray:
    with torch.inference_mode():
        out = module(**batch)
    return (out.logits if hasattr(out, "logits") else out).numpy()


def test_shortcut_runs_on_the_locked_transformers_and_equals_the_full_forward(classifier):
    model, batch = classifier
    assert fastpath.shortcut_available()
    module = fast_module(model)
    assert isinstance(module, ClsOnlyLastLayer)
    assert np.max(np.abs(logits(module, batch) - logits(model, batch))) < 1e-5


def test_without_a_public_mask_builder_the_model_runs_its_own_forward_with_one_warning(
        classifier, monkeypatch, caplog):
    model, batch = classifier
    monkeypatch.setattr(fastpath, "_public_mask_builder", lambda: None)
    with caplog.at_level(logging.WARNING, logger="khitab.models.fastpath"):
        module = fast_module(model)
    assert isinstance(module, LogitsOnly)
    assert len(caplog.records) == 1 and "create_bidirectional_mask" in caplog.records[0].getMessage()
    assert np.max(np.abs(logits(module, batch) - logits(model, batch))) < 1e-6
