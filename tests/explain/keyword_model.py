"""A fake model whose probabilities depend on known words only, so true cues are known."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from khitab.models.base import SentenceClassifier

LABELS = ["threat", "sectarian", "denial"]
# label -> (word that fires it, probability with the word); without it every label scores LOW.
TRIGGERS = {"threat": ("الانتقام", 0.9), "sectarian": ("الشيعة", 0.85), "denial": ("كاذبين", 0.8)}
LOW = 0.1


@dataclass
class KeywordModel(SentenceClassifier):
    batches: list[int] = field(default_factory=list)  # size of every predict call

    kind: ClassVar[str] = "keyword-fake"

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        self.batches.append(len(texts))
        p = np.array([[TRIGGERS[label][1] if TRIGGERS[label][0] in t.split() else LOW for label in self.labels]
                      for t in texts])
        return np.log(p / (1 - p)).reshape(len(texts), len(self.labels))

    def save_weights(self, directory: Path) -> dict[str, Any]:
        raise NotImplementedError


def keyword_model() -> KeywordModel:
    return KeywordModel(labels=list(LABELS), thresholds={label: 0.5 for label in LABELS}, name="keywords")
