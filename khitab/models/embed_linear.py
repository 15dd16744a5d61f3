"""Frozen encoder + linear heads: mean-pooled, L2-normalised sentence embeddings (the e5
convention) scored by one logistic regression per label. Only the heads are trained, so the
bundle holds a few kilobytes of NPZ plus the name of the base, rebuilt offline at load."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from khitab.models.base import manifest_fields
from khitab.models.pretrained import resolve_pretrained
from khitab.models.pretrained_input import PretrainedTextClassifier

HEADS_FILE = "heads.npz"


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """The e5 sentence embedding: token states averaged over the attention mask, L2-normalised."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
    return torch.nn.functional.normalize(pooled, dim=-1)


class MeanPooled(torch.nn.Module):
    """The encoder's forward ending in the e5 sentence embedding (for the runtime's engines)."""

    def __init__(self, encoder):
        super().__init__()
        self.encoder = encoder
        self.config = encoder.config

    def forward(self, input_ids, attention_mask, token_type_ids=None):
        kwargs = {"token_type_ids": token_type_ids} if token_type_ids is not None else {}
        return mean_pool(self.encoder(input_ids=input_ids, attention_mask=attention_mask, **kwargs).last_hidden_state,
                         attention_mask)


@dataclass
class EmbedLinearClassifier(PretrainedTextClassifier):
    encoder: Any = None
    coef: np.ndarray | None = None  # (labels, hidden)
    intercept: np.ndarray | None = None

    kind: ClassVar[str] = "embed_linear"

    def network(self):
        return self.encoder

    def forward_module(self, shortcut: bool = True, network=None):
        return MeanPooled(self.encoder if network is None else network)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), hidden) unit vectors; batches sorted by length, input order kept."""
        self.encoder.eval()
        return self.forward_rows(texts, self.encoder.config.hidden_size)

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed(texts) @ self.coef.T + self.intercept

    def save_weights(self, directory: Path) -> dict[str, Any]:
        np.savez(directory / HEADS_FILE, coef=self.coef, intercept=self.intercept)
        return {"embed_linear": self.input_settings(), "files": [HEADS_FILE]}

    @classmethod
    def load(cls, directory: Path, manifest: dict[str, Any], load_bundle=None) -> EmbedLinearClassifier:
        settings = dict(manifest["embed_linear"])
        with np.load(directory / HEADS_FILE, allow_pickle=False) as heads:
            coef, intercept = heads["coef"], heads["intercept"]
        encoder, tokenizer = load_encoder(settings["base"])
        return cls(encoder=encoder, tokenizer=tokenizer, coef=coef, intercept=intercept, **settings,
                   **manifest_fields(manifest))


def load_encoder(base: str):
    from transformers import AutoModel, AutoTokenizer

    path = resolve_pretrained(base)
    return AutoModel.from_pretrained(path, add_pooling_layer=False).eval(), AutoTokenizer.from_pretrained(path)


def fit_embed_linear(config, data, labels: Sequence[str], name: str, seed: int = 0) -> EmbedLinearClassifier:
    """Embed the training sentences once with the frozen encoder, then fit the heads on the
    rows where each label is known, weighted by source."""
    from sklearn.linear_model import LogisticRegression

    encoder, tokenizer = load_encoder(config.pretrained)
    model = EmbedLinearClassifier(
        labels=list(labels), name=name, encoder=encoder, tokenizer=tokenizer, base=config.pretrained,
        normalizer=config.normalizer, arabert_model=config.arabert_model, max_length=config.max_length,
        text_prefix=config.text_prefix,
    )
    features = model.embed(data.train.texts)
    targets, known = data.train.matrices(labels)
    weights = np.asarray(data.train.weights, dtype=float)
    coef = np.zeros((len(labels), features.shape[1]))
    intercept = np.zeros(len(labels))
    for j in range(len(labels)):
        rows = known[:, j]
        clf = LogisticRegression(C=config.C, class_weight=config.class_weight, max_iter=5000, random_state=seed)
        clf.fit(features[rows], targets[rows, j], sample_weight=weights[rows])
        coef[j], intercept[j] = clf.coef_[0], clf.intercept_[0]
    model.coef, model.intercept = coef, intercept
    return model
