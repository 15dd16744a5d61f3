"""The batch runner's scorer: a loaded model with its encoders switched to the chosen backend.

The encoder runtime itself (token-budget batching, the torch and ONNX Runtime engines) lives
in :mod:`khitab.models.runtime`; every model scores through it, so this scorer only *chooses*:
``backend`` / ``quantize`` / ``device`` apply to every encoder inside the model (an ensemble's
encoder members included), and :meth:`SentenceScorer.parity` compares the whole model's
probabilities with the torch fp32 reference (tolerances: fp32 1e-4, int8 0.02).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from khitab.errors import BundleError
from khitab.models.base import SentenceClassifier
from khitab.models.runtime import (
    DEFAULT_MAX_BATCH,
    DEFAULT_MAX_TOKENS,
    PARITY_TOLERANCE,
    REFERENCE,
    RuntimeOptions,
)

__all__ = ["DEFAULT_MAX_BATCH", "DEFAULT_MAX_TOKENS", "SentenceScorer"]


class ParityError(BundleError):
    """An accelerated backend whose probabilities drift beyond tolerance from torch fp32."""


class SentenceScorer:
    """Probabilities per label for many sentences, fast, in input order.

    ``model`` is any loaded :class:`SentenceClassifier`; its calibration (temperature) and
    thresholds apply exactly as in ``model.predict_proba``, which is what runs. ``cache_dir``
    is where ONNX exports live (default: the user cache, never the bundle).
    """

    def __init__(
        self,
        model: SentenceClassifier,
        backend: str = "torch",
        quantize: str | None = None,
        device: str = "auto",
        max_tokens: int = DEFAULT_MAX_TOKENS,
        max_batch: int = DEFAULT_MAX_BATCH,
        threads: int | None = None,
        cache_dir: Path | None = None,
        log: Callable[[str], None] = lambda _: None,
        shortcut: bool = False,
        *,
        options: RuntimeOptions | None = None,
    ):
        """The runtime from its fields, or whole as ``options`` (the batch runner's and the
        service's: the fields are then ignored)."""
        self.options = options or RuntimeOptions(backend, quantize, device, max_tokens, max_batch, threads, cache_dir,
                                                 shortcut, log=log)
        backend, threads = self.options.backend, self.options.threads
        if threads:
            import torch

            torch.set_num_threads(threads)
        self.engines = model.use_backend(self.options)
        if backend != "torch" and not self.engines:
            raise BundleError(
                f"the {backend} backend runs encoder models; {model.name!r} is a {model.kind or 'non-encoder'} "
                "model without one: use --backend torch (its own predict_proba)"
            )
        self.model = model
        self.labels = list(model.labels)
        self.thresholds = model.threshold_vector()
        self.precision = _precision(self.engines)
        self.name = scorer_name(model, self.engines)

    def probabilities(self, sentences: Sequence[str]) -> np.ndarray:
        # (re)selected on every call, cheaply (engines are kept per options): another scorer
        # over the same model object may have switched it since
        self.model.use_backend(self.options)
        return self.model.predict_proba(list(sentences))

    def parity(self, sentences: Sequence[str]) -> float | None:
        """Largest |probability − probability with every encoder on torch fp32 through its own
        forward| over ``sentences``, for the whole model (None without an encoder, and on torch
        fp32 through the model's own forward: that is the reference itself)."""
        if not self.engines or self.is_reference:
            return None
        if not len(sentences):
            return 0.0
        probs = self.probabilities(sentences)
        self.model.use_backend(REFERENCE)
        reference = self.model.predict_proba(list(sentences))
        return float(np.max(np.abs(probs - reference)))

    @property
    def is_reference(self) -> bool:
        options = self.options
        return options.backend == "torch" and not options.shortcut and self.precision == "fp32"

    @property
    def tolerance(self) -> float:
        return PARITY_TOLERANCE.get(self.precision, 0.0)

    def checked_parity(self, sentences: Sequence[str]) -> float | None:
        """``parity(sentences)``, refused with :class:`ParityError` beyond ``tolerance`` (fp32 and
        int8; bf16 on a GPU is only reported): the check batch runs and the service start make."""
        diff = self.parity(sentences)
        if diff is not None and diff > self.tolerance and self.precision in ("fp32", "int8"):
            raise ParityError(
                f"{self.name}: probabilities differ from torch fp32 by up to {diff:.3g} on the first "
                f"{len(sentences)} sentences (tolerance {self.tolerance:g}); use --backend torch"
            )
        return diff


def _precision(engines: list[str]) -> str:
    """fp32, int8 or bf16 (an engine name ends in its precision, "-cuda" aside); "model"
    without an encoder."""
    precisions = {name.removesuffix("-cuda").rsplit("-", 1)[-1] for name in engines}
    return precisions.pop() if len(precisions) == 1 else "model"


def scorer_name(model: SentenceClassifier, engines: list[str]) -> str:
    """An encoder model: its engine ("onnx-int8"); without an encoder: "<kind>-predict_proba";
    an ensemble: "<kind>-<its encoders' engines>" ("ensemble-onnx-int8")."""
    if not engines:
        return f"{model.kind}-predict_proba"
    unique = "+".join(sorted(set(engines)))
    return unique if len(engines) == 1 and not hasattr(model, "members") else f"{model.kind}-{unique}"
