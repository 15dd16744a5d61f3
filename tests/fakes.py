"""Test doubles for the moderation and service tests: a model whose scores are looked up from
a table (so every decision is known in advance), that raises on "BOOM" and sleeps on "SLOW".
``tests/serving/fake_server.py`` serves it over HTTP."""
from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from khitab.models.base import SentenceClassifier

LABELS = ["threat", "sectarian", "denial"]
# Sentence (without final punctuation) -> probabilities; anything else scores 0.02.
TABLE: dict[str, dict[str, float]] = {
    "سننتقم منهم قريبا": {"threat": 0.95},
    "سنحرق بيوتهم": {"threat": 0.7},
    "قد نرد عليهم": {"threat": 0.4},
    "هؤلاء خونة بسبب مذهبهم": {"sectarian": 0.6},
    "نفت الوزارة الخبر": {"denial": 0.8},
    "الخبر كاذب ومفبرك": {"denial": 0.4},
    "وقال القائد إنهم سيحرقون بيوتهم": {"threat": 0.95},  # a reported threat
}
BASE = 0.02
SLOW_SECONDS = 1.5


def probability(sentence: str, label: str) -> float:
    return TABLE.get(sentence.strip().rstrip(".!?؟؛ "), {}).get(label, BASE)


@dataclass
class FakeModel(SentenceClassifier):
    calls: list[int] | None = None  # sizes of the batches scored

    kind: ClassVar[str] = "fake"

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        if self.calls is not None:
            self.calls.append(len(texts))
        if any("BOOM" in t for t in texts):
            raise RuntimeError("secret internal detail at /srv/weights/model.bin")
        if any("SLOW" in t for t in texts):
            time.sleep(SLOW_SECONDS)
        p = np.array([[probability(t, label) for label in self.labels] for t in texts], dtype=np.float64)
        return np.log(p / (1 - p)).reshape(len(texts), len(self.labels))

    def save_weights(self, directory: Path) -> dict[str, Any]:
        raise NotImplementedError


def fake_model(thresholds: dict[str, float] | None = None, **kwargs: Any) -> FakeModel:
    return FakeModel(
        labels=list(LABELS), thresholds=thresholds or {label: 0.5 for label in LABELS}, name="fake",
        metadata={"version": "fake-v1"}, calls=[], **kwargs,
    )


def logit(p: float) -> float:
    return math.log(p / (1 - p))
