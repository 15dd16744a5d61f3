"""The one model interface: sentences in, a probability per label out."""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from khitab.text.split import Span, split_sentences

Predict = Callable[[Sequence[str]], np.ndarray]
AsyncPredict = Callable[[Sequence[str]], Awaitable[np.ndarray]]


def flagged_labels(labels: Iterable[str], probs: Iterable[float], thresholds: Iterable[float]) -> list[str]:
    """The flag rule, the one place it is written: a label is flagged when its probability
    reaches its threshold."""
    return [label for label, p, t in zip(labels, probs, thresholds) if p >= t]


def label_scores(labels: Iterable[str], probs: Iterable[float]) -> dict[str, float]:
    return {label: float(p) for label, p in zip(labels, probs)}


@dataclass(frozen=True)
class ScoreMatrix:
    """Probabilities for ``len(texts)`` sentences x ``len(labels)`` labels."""

    labels: list[str]
    probs: np.ndarray
    thresholds: np.ndarray

    def row(self, i: int) -> dict[str, float]:
        return label_scores(self.labels, self.probs[i])

    def flagged(self, i: int) -> list[str]:
        return flagged_labels(self.labels, self.probs[i], self.thresholds)


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


def sentence_scores(doc_id: str, spans: Sequence[Span], probs: np.ndarray, labels: Sequence[str],
                    thresholds: np.ndarray) -> list[SentenceScore]:
    """One output row per span, from its probability row (``len(spans)`` x ``len(labels)``)."""
    return [
        SentenceScore(doc_id, i, span.start, span.end, span.text, label_scores(labels, p),
                      flagged_labels(labels, p, thresholds))
        for i, (span, p) in enumerate(zip(spans, probs))
    ]


@dataclass(frozen=True)
class SplitDocuments:
    """Documents split into sentences and flattened, so one scoring call covers them all;
    ``regroup`` cuts that call's rows back into one block per document by offset."""

    spans: list[list[Span]]

    @property
    def sentences(self) -> list[str]:
        return [span.text for spans in self.spans for span in spans]

    def regroup(self, probs: np.ndarray) -> list[np.ndarray]:
        bounds = np.cumsum([0, *(len(spans) for spans in self.spans)])
        return [probs[start:end] for start, end in zip(bounds[:-1], bounds[1:])]

    def scores(self, probs: np.ndarray, labels: Sequence[str], thresholds: np.ndarray,
               doc_ids: Sequence[str]) -> list[list[SentenceScore]]:
        return [sentence_scores(doc_id, spans, block, labels, thresholds)
                for doc_id, spans, block in zip(doc_ids, self.spans, self.regroup(probs))]


def split_documents(texts: Sequence[str], whole_if_empty: bool = False) -> SplitDocuments:
    """Each text's sentence spans (offsets index that text). ``whole_if_empty``: a text with
    no sentence (blank, or punctuation only) counts as one sentence, itself."""
    split = []
    for text in texts:
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, not {type(text).__name__}")
        spans = split_sentences(text)
        split.append(spans or ([Span(0, len(text), text)] if whole_if_empty else []))
    return SplitDocuments(split)


def score_documents(texts: Sequence[str], predict: Predict, labels: Sequence[str], thresholds: np.ndarray,
                    doc_ids: Sequence[str] | None = None) -> list[list[SentenceScore]]:
    """Split every text into sentences, score all of them in ONE ``predict`` call (the model's
    ``predict_proba``, a micro-batcher, the ONNX scorer...) and regroup: one list of sentence
    rows per text, in order. ``doc_ids`` default to ""."""
    split = split_documents(texts)
    ids = [""] * len(texts) if doc_ids is None else doc_ids
    return split.scores(predict(split.sentences), labels, thresholds, ids)


async def score_documents_async(texts: Sequence[str], predict: AsyncPredict, labels: Sequence[str],
                                thresholds: np.ndarray, doc_ids: Sequence[str] | None = None
                                ) -> list[list[SentenceScore]]:
    """``score_documents`` with an awaitable ``predict`` (the service's micro-batcher)."""
    split = split_documents(texts)
    ids = [""] * len(texts) if doc_ids is None else doc_ids
    return split.scores(await predict(split.sentences), labels, thresholds, ids)


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

    def use_backend(self, options) -> list[str]:
        """Run every encoder inside this model with ``options`` (a ``models.runtime.RuntimeOptions``:
        torch or ONNX, fp32 or int8); returns the engines' names, one per encoder. A model
        without an encoder has nothing to choose and returns []."""
        return []

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
        return score_documents([text], self.predict_proba, list(self.labels), self.threshold_vector(), [doc_id])[0]

    @property
    def version(self) -> str:
        return str(self.metadata.get("version", "unversioned"))

    @property
    def runtime_version(self) -> str:
        """The version batch outputs record (an encoder without one: a digest of its weights)."""
        return self.version


def manifest_fields(manifest: dict[str, Any]) -> dict[str, Any]:
    """The constructor arguments every kind reads from ``bundle.json``."""
    return {
        "labels": list(manifest["labels"]),
        "thresholds": dict(manifest.get("thresholds", {})),
        "temperature": dict(manifest.get("temperature", {})),
        "name": manifest.get("name", "model"),
        "metadata": dict(manifest.get("metadata", {})),
    }
