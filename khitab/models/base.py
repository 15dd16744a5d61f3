"""The one model interface: sentences in, a probability per label out."""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from khitab.text.split import split_sentences


@dataclass(frozen=True)
class ScoreMatrix:
    """Probabilities for ``len(texts)`` sentences x ``len(labels)`` labels."""

    labels: list[str]
    probs: np.ndarray
    thresholds: np.ndarray

    def row(self, i: int) -> dict[str, float]:
        return {label: float(p) for label, p in zip(self.labels, self.probs[i])}

    def flagged(self, i: int) -> list[str]:
        return [label for label, p, t in zip(self.labels, self.probs[i], self.thresholds) if p >= t]


@dataclass(frozen=True)
class SentenceScore:
    """One output row; ``to_row`` is the project's documented JSONL schema."""

    doc_id: str
    sentence: int
    start: int
    end: int
    text: str
    scores: dict[str, float]
    flagged: list[str]

    def to_row(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "sentence": self.sentence,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "scores": {k: round(v, 6) for k, v in self.scores.items()},
            "flagged": self.flagged,
        }


def probabilities_from_logits(logits: np.ndarray, temperature: np.ndarray, activation: str = "sigmoid") -> np.ndarray:
    z = np.asarray(logits, dtype=np.float64) / temperature
    if activation == "softmax":
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)
    return 1.0 / (1.0 + np.exp(-z))


@dataclass
class SentenceClassifier(ABC):
    """Base of every model kind. Subclasses compute raw logits; calibration (a temperature
    per label) and thresholds are applied here, identically for every kind."""

    labels: list[str]
    thresholds: dict[str, float] = field(default_factory=dict)
    temperature: dict[str, float] = field(default_factory=dict)
    name: str = "model"
    metadata: dict[str, Any] = field(default_factory=dict)
    # "sigmoid": one independent probability per label (every khitab bundle); "softmax" only
    # for a plain Hugging Face single-label classifier, scored as its own pipeline scores it.
    activation: str = "sigmoid"

    kind: ClassVar[str] = ""

    @abstractmethod
    def logits(self, texts: Sequence[str]) -> np.ndarray:
        """Raw scores, shape (len(texts), len(labels)); sigmoid gives probabilities."""

    @abstractmethod
    def save_weights(self, directory: Path) -> dict[str, Any]:
        """Write kind-specific files; return the manifest entries needed to load them."""

    def threshold_vector(self) -> np.ndarray:
        return np.array([self.thresholds.get(label, 0.5) for label in self.labels])

    def temperature_vector(self) -> np.ndarray:
        return np.array([self.temperature.get(label, 1.0) for label in self.labels])

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, len(self.labels)))
        return probabilities_from_logits(self.logits(list(texts)), self.temperature_vector(), self.activation)

    def score_sentences(self, sentences: Sequence[str]) -> ScoreMatrix:
        return ScoreMatrix(list(self.labels), self.predict_proba(sentences), self.threshold_vector())

    def score_document(self, text: str, doc_id: str = "") -> list[SentenceScore]:
        """Split ``text`` into sentences and score each; offsets index ``text``."""
        spans = split_sentences(text)
        matrix = self.score_sentences([span.text for span in spans])
        return [
            SentenceScore(doc_id, i, span.start, span.end, span.text, matrix.row(i), matrix.flagged(i))
            for i, span in enumerate(spans)
        ]

    @property
    def version(self) -> str:
        return str(self.metadata.get("version", "unversioned"))


def manifest_fields(manifest: dict[str, Any]) -> dict[str, Any]:
    """The constructor arguments every kind reads from ``bundle.json``."""
    return {
        "labels": list(manifest["labels"]),
        "thresholds": dict(manifest.get("thresholds", {})),
        "temperature": dict(manifest.get("temperature", {})),
        "name": manifest.get("name", "model"),
        "metadata": dict(manifest.get("metadata", {})),
    }
