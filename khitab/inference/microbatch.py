"""Micro-batching: sentences from concurrent requests share one forward pass.

One worker task takes the oldest queued request, then keeps adding queued requests until the
batch holds ``max_batch`` sentences or ``max_wait_ms`` has passed since it started collecting
(it stops waiting early when no other request is on its way), runs the model once in its own
thread, and hands each request its rows. A request with more than ``max_batch`` sentences is
cut into chunks of at most ``max_batch``. With ``merge=False`` every request gets its own
forward pass (one-request-one-forward: the benchmark's comparison).

The model only ever runs in the one worker thread, so models that are not thread-safe
(tokenizers, torch modules) are safe here, and the event loop stays free for I/O.
"""
from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

log = logging.getLogger("khitab.service")

Predict = Callable[[Sequence[str]], np.ndarray]
BatchObserver = Callable[[int, int, float], None]  # (sentences, requests, seconds)


_REQUEST: contextvars.ContextVar[list[bool] | None] = contextvars.ContextVar("khitab_request", default=None)


class ModelError(RuntimeError):
    """The model failed on a batch; every request in that batch gets this error."""


class Overloaded(RuntimeError):
    """More sentences queued than ``max_pending``: the caller should retry later."""


class NotRunning(RuntimeError):
    """The batcher is not started, or is shutting down."""


@dataclass
class _Item:
    texts: list[str]
    future: asyncio.Future
    owner: int


class MicroBatcher:
    def __init__(
        self,
        predict: Predict,
        *,
        max_batch: int = 64,
        max_wait_ms: float = 5.0,
        max_pending: int = 10_000,
        merge: bool = True,
        on_batch: BatchObserver | None = None,
    ):
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.predict = predict
        self.max_batch = max_batch
        self.max_wait = max(max_wait_ms, 0.0) / 1000.0
        self.max_pending = max_pending
        self.merge = merge
        self.on_batch = on_batch
        self.pending = 0  # sentences queued, not yet in a forward pass
        self.expected = 0  # requests in progress that have not submitted yet (see ``track``)
        self._items: deque[_Item] = deque()
        self._wake: asyncio.Event | None = None
        self._worker: asyncio.Task | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._stopping = False
        self._owners = 0

    @property
    def running(self) -> bool:
        return self._worker is not None and not self._worker.done() and not self._stopping

    async def start(self) -> None:
        self._wake = asyncio.Event()
        self._stopping = False
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="khitab-model")
        self._worker = asyncio.get_running_loop().create_task(self._run(), name="khitab-microbatch")

    async def stop(self) -> None:
        """Finish every queued request, then stop the worker and its thread."""
        if self._worker is None:
            return
        self._stopping = True
        self._wake.set()
        await self._worker
        self._worker = None
        self._executor.shutdown(wait=True)

    @contextmanager
    def track(self):
        """Mark a request as on its way (reading, parsing) until it submits, so a batch being
        collected waits for it (up to ``max_wait_ms``) rather than leaving without it; with
        no request on its way, the batch runs at once."""
        submitted = [False]
        self.expected += 1
        token = _REQUEST.set(submitted)
        try:
            yield
        finally:
            _REQUEST.reset(token)
            if not submitted[0]:
                self.expected -= 1

    async def submit(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities for ``texts`` (one row each), computed with other requests' texts."""
        texts = list(texts)
        if not texts:
            raise ValueError("nothing to score")
        if not self.running:
            raise NotRunning("the model worker is not running")
        if self.pending + len(texts) > self.max_pending:
            raise Overloaded(f"{self.pending} sentences already queued (max_pending {self.max_pending})")
        loop = asyncio.get_running_loop()
        submitted = _REQUEST.get()
        if submitted is not None and not submitted[0]:
            submitted[0] = True
            self.expected -= 1
        self._owners += 1
        items = [
            _Item(texts[i:i + self.max_batch], loop.create_future(), self._owners)
            for i in range(0, len(texts), self.max_batch)
        ]
        self._items.extend(items)
        self.pending += len(texts)
        self._wake.set()
        parts = await asyncio.gather(*(item.future for item in items))
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if not self._items:
                if self._stopping:
                    return
                self._wake.clear()
                await self._wake.wait()
                continue
            batch = await self._collect(loop)
            await self._forward(loop, batch)

    async def _collect(self, loop: asyncio.AbstractEventLoop) -> list[_Item]:
        batch = [self._items.popleft()]
        size = len(batch[0].texts)
        deadline = loop.time() + self.max_wait
        while self.merge and size < self.max_batch:
            if self._items:
                if size + len(self._items[0].texts) > self.max_batch:
                    break
                item = self._items.popleft()
                batch.append(item)
                size += len(item.texts)
                continue
            remaining = deadline - loop.time()
            if remaining <= 0 or self._stopping or self.expected <= 0:
                break
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), remaining)
            except asyncio.TimeoutError:
                break
        return batch

    async def _forward(self, loop: asyncio.AbstractEventLoop, batch: list[_Item]) -> None:
        texts = [text for item in batch for text in item.texts]
        self.pending -= len(texts)
        started = time.perf_counter()
        try:
            probs = await loop.run_in_executor(self._executor, self._predict, texts)
        except Exception as exc:  # every waiting request fails with the batch; the worker lives on
            log.error("model failed on a batch of %d sentences", len(texts), exc_info=exc)
            error = ModelError(f"{type(exc).__name__} in the model")
            for item in batch:
                if not item.future.done():
                    item.future.set_exception(error)
            return
        seconds = time.perf_counter() - started
        if self.on_batch is not None:
            self.on_batch(len(texts), len({item.owner for item in batch}), seconds)
        at = 0
        for item in batch:
            if not item.future.done():
                item.future.set_result(probs[at:at + len(item.texts)])
            at += len(item.texts)

    def _predict(self, texts: list[str]) -> np.ndarray:
        probs = np.asarray(self.predict(texts))
        if probs.ndim != 2 or probs.shape[0] != len(texts):
            raise ValueError(f"the model returned shape {probs.shape} for {len(texts)} texts")
        return probs
