"""What the service runs: the moderator (model + policy), its micro-batcher, the request
limits, the review store (when the service has one), and the domain metrics (batch sizes,
forward time, decisions, warnings, and per label the score distribution and flag count of
every scored sentence, for drift).

The model arrives loaded (``khitab serve`` loads it before uvicorn starts listening), so a
policy that does not fit it fails at construction. ``start`` (at startup) runs the batcher;
until then, and from ``stop`` on, scoring answers 503 ``not_ready``.
"""
from __future__ import annotations

import gc
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from khitab.inference.backends import SentenceScorer
from khitab.inference.microbatch import MicroBatcher, NotRunning, Overloaded
from khitab.models.base import SentenceClassifier
from khitab.models.runtime import RuntimeOptions
from khitab.moderation.moderator import Decision, Moderator
from khitab.moderation.policy import Policy
from khitab.review import ReviewStore, enqueue_decisions
from khitab.serving.errors import ServiceError

log = logging.getLogger("khitab.service")


@dataclass(frozen=True)
class ServiceLimits:
    max_body_bytes: int = 1_048_576  # 413 above it (Content-Length, or counted while reading)
    max_texts: int = 64  # sentences / documents / texts per request (422 above)
    max_chars: int = 20_000  # characters per text (422 above)
    max_batch: int = 64  # sentences per forward pass
    max_wait_ms: float = 5.0  # how long a forward pass waits for more requests to join
    max_pending: int = 20_000  # queued sentences before requests get 503 (overloaded)
    microbatch: bool = True  # False: one forward pass per request (for comparison)


SCORE_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


class DomainMetrics:
    """The model's side of /metrics, in one registry per app (tests run several apps); the
    HTTP request series join the same registry (``middleware.instrument_http``)."""

    def __init__(self) -> None:
        self.registry = r = CollectorRegistry()
        self.batch_sentences = Histogram("khitab_batch_sentences", "Sentences per forward pass.", registry=r,
                                         buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512))
        self.batch_requests = Histogram("khitab_batch_requests", "Requests sharing one forward pass.", registry=r,
                                        buckets=(1, 2, 4, 8, 16, 32, 64, 128))
        self.forward_seconds = Histogram("khitab_forward_seconds", "Time of one forward pass.", registry=r,
                                         buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
        self.queued = Gauge("khitab_queued_sentences", "Sentences waiting for a forward pass.", registry=r)
        self.decisions = Counter("khitab_decisions", "Moderation decisions by action.", ["action"], registry=r)
        self.warnings = Counter("khitab_warnings", "Warnings attached to scored texts.", ["code"], registry=r)
        self.model_errors = Counter("khitab_model_errors", "Requests failed by a model error.", registry=r)
        self.ready = Gauge("khitab_ready", "1 when the model is loaded and its worker runs.", registry=r)
        self.info = Gauge("khitab_model_info", "The served model and policy (value 1).",
                          ["model", "model_version", "policy_version"], registry=r)
        # drift: the scores' distribution and the flag rate (flags / the histogram's _count)
        self.scores = Histogram("khitab_sentence_score", "Scores of scored sentences, per label.", ["label"],
                                registry=r, buckets=SCORE_BUCKETS)
        self.flags = Counter("khitab_sentence_flags", "Scored sentences at or above the label's threshold.",
                             ["label"], registry=r)

    def observe_batch(self, sentences: int, requests: int, seconds: float) -> None:
        self.batch_sentences.observe(sentences)
        self.batch_requests.observe(requests)
        self.forward_seconds.observe(seconds)

    def observe_scores(self, probs: np.ndarray, labels: Sequence[str], thresholds: np.ndarray) -> None:
        """Each sentence's score per label into the histograms; those at or above the threshold
        into the flag counters (the same ``>=`` as the rows' ``flagged``)."""
        for column, label in enumerate(labels):
            histogram = self.scores.labels(label)
            for score in probs[:, column].tolist():
                histogram.observe(score)
            self.flags.labels(label).inc(int(np.count_nonzero(probs[:, column] >= thresholds[column])))


# Checked against torch fp32 at start-up when the service runs on another backend (as `khitab
# batch` checks its first chunk): short, mixed, one of each label's kind.
PARITY_SENTENCES = (
    "سنحرق بيوتكم إن لم ترحلوا من المدينة قبل الغد.",
    "نفت وزارة الصحة الأنباء المتداولة عن انتشار الوباء في المحافظة.",
    "هؤلاء الروافض خونة لا أمان لهم.",
    "افتتح الوزير معرض الكتاب في العاصمة صباح اليوم.",
)


class Runtime:
    def __init__(self, model: SentenceClassifier, policy: Policy | str | Path | None, limits: ServiceLimits,
                 review_store: ReviewStore | None = None, enqueue_reviews: bool = False,
                 runtime: RuntimeOptions | None = None):
        self.limits = limits
        self.metrics = DomainMetrics()
        self.moderator = Moderator(model, policy)  # a policy that does not fit the model fails here
        # every encoder in the model runs on this backend from here on (torch fp32 by default)
        self.scorer = SentenceScorer(model, options=runtime or RuntimeOptions())
        self.scorer.checked_parity(PARITY_SENTENCES)  # a drifting backend refuses to start
        self.review_store = review_store
        self.enqueue_reviews = enqueue_reviews  # every moderation's review/block evidence is queued
        self.batcher: MicroBatcher | None = None
        self.state = "loading"  # loading -> ready -> stopping

    async def start(self) -> None:
        limits, moderator = self.limits, self.moderator
        self.batcher = MicroBatcher(
            self.scorer.probabilities,
            max_batch=limits.max_batch,
            max_wait_ms=limits.max_wait_ms,
            max_pending=limits.max_pending,
            merge=limits.microbatch,
            on_batch=self.metrics.observe_batch,
        )
        await self.batcher.start()
        # torch, transformers and the model leave millions of long-lived objects: a full garbage
        # collection scanning them stalls every in-flight request (~200 ms on 2 cores). Moved
        # out of the collector's view, they are never scanned again.
        gc.collect()
        gc.freeze()
        self.metrics.queued.set_function(lambda: self.batcher.pending)
        info = moderator.describe()
        self.metrics.info.labels(info["model"], info["model_version"], info["policy_version"]).set(1)
        self.metrics.ready.set(1)
        self.state = "ready"
        log.info("ready: model %s (%s) on %s, policy %s", info["model"], info["model_version"], self.scorer.name,
                 info["policy_version"])

    async def stop(self) -> None:
        if self.state == "ready":
            self.state = "stopping"
        self.metrics.ready.set(0)
        if self.batcher is not None:
            await self.batcher.stop()
        if self.review_store is not None:
            self.review_store.close()

    def require_ready(self) -> Moderator:
        if self.state != "ready":
            detail = {"loading": "the model is still loading", "stopping": "the service is shutting down"}[self.state]
            raise ServiceError(503, "not_ready", detail)
        return self.moderator

    async def probabilities(self, sentences: Sequence[str]) -> np.ndarray:
        """The micro-batched ``predict``: rows for ``sentences``, computed with other requests'."""
        model = self.moderator.model
        if not sentences:
            return np.zeros((0, len(model.labels)))
        try:
            probs = await self.batcher.submit(sentences)
        except Overloaded as exc:
            raise ServiceError(503, "overloaded", f"too many sentences queued; retry later ({exc})") from None
        except NotRunning:
            raise ServiceError(503, "not_ready", "the service is shutting down") from None
        self.metrics.observe_scores(probs, model.labels, model.threshold_vector())
        return probs

    def require_review_store(self) -> ReviewStore:
        if self.review_store is None:
            raise ServiceError(422, "no_review_store",
                               "this service has no review store to queue into (khitab serve --review-store URL)")
        return self.review_store

    def enqueue(self, decisions: Sequence[Decision]) -> list[str]:
        """The item ids of the review/block evidence of ``decisions``, queued (blocking: call it
        from a worker thread)."""
        model = self.moderator.model
        thresholds = dict(zip(model.labels, model.threshold_vector().tolist()))
        return enqueue_decisions(self.require_review_store(), decisions, thresholds)

    def check_texts(self, texts: list[str], what: str) -> None:
        limits = self.limits
        if len(texts) > limits.max_texts:
            raise ServiceError(422, "limit_exceeded",
                               f"at most {limits.max_texts} {what} per request (max_texts); got {len(texts)}",
                               limit="max_texts", value=limits.max_texts)
        for i, text in enumerate(texts):
            if len(text) > limits.max_chars:
                raise ServiceError(422, "limit_exceeded",
                                   f"{what}[{i}] has {len(text)} characters; at most {limits.max_chars} (max_chars)",
                                   limit="max_chars", value=limits.max_chars)

    def warn(self, warnings: Sequence[dict[str, Any]]) -> None:
        for warning in warnings:
            self.metrics.warnings.labels(warning["code"]).inc()

    def count(self, decisions: Sequence[Decision]) -> None:
        for decision in decisions:
            self.metrics.decisions.labels(decision.action).inc()
            self.warn(decision.warnings)

