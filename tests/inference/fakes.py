"""Test doubles for the moderation and service tests: a model whose scores are looked up from
a table (so every decision is known in advance), that raises on "BOOM" and sleeps on "SLOW".

Run as a script, it serves that model with ``create_app`` on uvicorn (a real server process):
    python tests/inference/fakes.py --port 8123 [--load-seconds 2] [--max-texts 8]
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from khitab.models.base import SentenceClassifier  # noqa: E402

LABELS = ["threat", "sectarian", "denial"]
# Sentence (without final punctuation) -> probabilities; anything else scores 0.02.
TABLE: dict[str, dict[str, float]] = {
    "سننتقم منهم قريبا": {"threat": 0.95},
    "سنحرق بيوتهم": {"threat": 0.7},
    "قد نرد عليهم": {"threat": 0.4},
    "هؤلاء خونة بسبب مذهبهم": {"sectarian": 0.6},
    "نفت الوزارة الخبر": {"denial": 0.8},
    "الخبر كاذب ومفبرك": {"denial": 0.4},
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


def main(argv: list[str] | None = None) -> None:
    from khitab.inference.service import ServiceLimits, create_app, serve

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--policy", default=None)
    parser.add_argument("--load-seconds", type=float, default=0.0, help="load the model in the background")
    parser.add_argument("--max-texts", type=int, default=8)
    args = parser.parse_args(argv)

    def load() -> FakeModel:
        time.sleep(args.load_seconds)
        return fake_model()

    model = load if args.load_seconds > 0 else fake_model()
    app = create_app(model, args.policy, ServiceLimits(max_texts=args.max_texts))
    serve(app, "127.0.0.1", args.port, shutdown_timeout=20, log_level="info", access_log=False)


if __name__ == "__main__":
    main()
