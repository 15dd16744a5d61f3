"""Transformer encoder classifier: any Hugging Face encoder with one sigmoid per label.

The weights are a standard ``AutoModelForSequenceClassification`` (``id2label``,
``problem_type="multi_label_classification"``), so plain ``transformers`` loads them; the
bundle adds thresholds, calibration and metadata around them. Adapter bundles store only
what training changed (LoRA weights, head) and rebuild the base from ``base``.
"""
from __future__ import annotations

import shutil
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from khitab.models.base import manifest_fields
from khitab.models.fastpath import fast_module
from khitab.models.pretrained import resolve_pretrained
from khitab.models.pretrained_input import PretrainedTextClassifier
from khitab.models.runtime import model_key

HF_DIR = "hf"
ADAPTER_DIR = "adapter"


@dataclass
class EncoderClassifier(PretrainedTextClassifier):
    model: Any = None
    adapter_source: Path | None = None  # the adapter folder a loaded (merged) model came from

    kind: ClassVar[str] = "encoder"

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @property
    def runtime_version(self) -> str:
        return model_key(self)

    def network(self):
        return self.model

    def forward_module(self, shortcut: bool = True, network=None):
        return fast_module(self.model if network is None else network, shortcut)

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        self.model.eval()
        return self.forward_rows(texts, len(self.labels))

    def save_weights(self, directory: Path) -> dict[str, Any]:
        if self.base is not None and hasattr(self.model, "peft_config"):
            self.model.save_pretrained(directory / ADAPTER_DIR)
            return {"encoder": self.input_settings(), "adapter": ADAPTER_DIR}
        if self.base is not None and self.adapter_source is not None:
            # Loaded adapters are merged for speed; re-saving keeps the small original files.
            shutil.copytree(self.adapter_source, directory / ADAPTER_DIR)
            return {"encoder": self.input_settings(), "adapter": ADAPTER_DIR}
        model = self.model.merge_and_unload() if hasattr(self.model, "peft_config") else self.model
        model.save_pretrained(directory / HF_DIR)
        self.tokenizer.save_pretrained(directory / HF_DIR)
        return {"encoder": {**self.input_settings(), "base": None}, "hf": HF_DIR}

    @classmethod
    def load(cls, directory: Path, manifest: dict[str, Any], load_bundle=None) -> EncoderClassifier:
        settings = dict(manifest["encoder"])
        fields = manifest_fields(manifest)
        if manifest.get("adapter"):
            from peft import PeftModel

            base_dir = resolve_pretrained(settings["base"])
            with transformers_errors_only():  # the head is absent from the base by design
                base_model = classification_model(base_dir, fields["labels"])
            model = PeftModel.from_pretrained(base_model, str(directory / manifest["adapter"])).merge_and_unload()
            tokenizer = load_tokenizer(base_dir)
            settings["adapter_source"] = directory / manifest["adapter"]
        else:
            model = classification_model(str(directory / manifest["hf"]), fields["labels"])
            tokenizer = load_tokenizer(str(directory / manifest["hf"]))
        return cls(model=model.eval(), tokenizer=tokenizer, **settings, **fields)

    @classmethod
    def from_hf_directory(cls, directory: Path) -> EncoderClassifier:
        """A plain sequence-classification folder, used as it is: its own tokenizer, no
        normalization, its max length, thresholds 0.5."""
        from transformers import AutoModelForSequenceClassification

        model = AutoModelForSequenceClassification.from_pretrained(str(directory)).eval()
        tokenizer = load_tokenizer(str(directory))
        labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
        limit = min(getattr(tokenizer, "model_max_length", 512) or 512, 512)
        multi_label = model.config.problem_type == "multi_label_classification" or model.config.num_labels == 1
        return cls(model=model, tokenizer=tokenizer, labels=labels, name=Path(directory).name, max_length=limit,
                   activation="sigmoid" if multi_label else "softmax")


@contextmanager
def transformers_errors_only():
    """Silence transformers' load report while building a base whose classification head an
    adapter is about to supply: "newly initialized ... consider training" would be false."""
    from transformers.utils import logging as hf_logging

    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        yield
    finally:
        hf_logging.set_verbosity(level)


def classification_model(path: str, labels: Sequence[str]):
    from transformers import AutoModelForSequenceClassification

    return AutoModelForSequenceClassification.from_pretrained(
        path,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
        problem_type="multi_label_classification",
    )


def load_tokenizer(path: str):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(path)
