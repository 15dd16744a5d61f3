"""What the two pretrained-encoder kinds share: how text reaches the encoder.

Both the fine-tuned encoder classifier and the frozen-encoder + linear-heads model
normalize, prefix and truncate text the same way at training and at scoring time; the
fields and the manifest entry that records them live here once.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from khitab.models.base import SentenceClassifier
from khitab.models.runtime import EncoderRuntime, RuntimeOptions
from khitab.text.normalize import InputPreparer


@dataclass
class PretrainedTextClassifier(SentenceClassifier):
    tokenizer: Any = None
    normalizer: str = "none"  # "arabert": AraBERT v2 preprocessing, as in pre-training
    arabert_model: str = "bert-base-arabertv02"
    max_length: int = 128
    text_prefix: str = ""
    base: str | None = None  # the pretrained name rebuilt at load (adapter and head bundles)
    batch_size: int = 32  # sentences per forward pass at most (the runtime's max_batch)

    def __post_init__(self):
        self._prepare = InputPreparer(self.normalizer, self.arabert_model, self.text_prefix)
        self._options = RuntimeOptions(max_batch=self.batch_size)
        self._runtimes: dict[tuple, EncoderRuntime] = {}  # switching back and forth reuses engines

    def network(self):
        """The torch module holding the encoder's weights."""
        raise NotImplementedError

    def forward_module(self, shortcut: bool = True, network=None):
        """``forward(input_ids, attention_mask, token_type_ids=None)`` -> output rows, over
        ``network`` (default: this model's): what the runtime's engines run and ONNX exports."""
        raise NotImplementedError

    def use_backend(self, options: RuntimeOptions) -> list[str]:
        self._options = options
        return [self.runtime.name]

    @property
    def runtime(self) -> EncoderRuntime:
        key = self._options.key()
        if key not in self._runtimes:
            self._runtimes[key] = EncoderRuntime(self, self._options)
        return self._runtimes[key]

    def forward_rows(self, texts: Sequence[str], width: int) -> np.ndarray:
        """The forward module's rows for ``texts`` through the runtime, input order."""
        return self.runtime.run(self, texts, width)

    def prepare(self, texts: Sequence[str]) -> list[str]:
        """Text as the encoder saw it in training: normalized, with the model's prefix."""
        return self._prepare(texts)

    def tokenize(self, texts: Sequence[str]) -> dict[str, list[list[int]]]:
        return self.tokenizer(self.prepare(texts), truncation=True, max_length=self.max_length)

    def input_settings(self) -> dict[str, Any]:
        """The manifest entry a bundle needs to feed text exactly as in training."""
        return {
            "base": self.base,
            "normalizer": self.normalizer,
            "arabert_model": self.arabert_model,
            "max_length": self.max_length,
            "text_prefix": self.text_prefix,
        }
