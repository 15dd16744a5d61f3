"""The micro-batcher on its own: merging, chunking, errors, draining, back-pressure."""
from __future__ import annotations

import asyncio
import threading
import time

import numpy as np
import pytest

from khitab.inference.microbatch import MicroBatcher, ModelError, NotRunning, Overloaded


class Recorder:
    """predict(texts) -> one row per text holding its number; records batch sizes."""

    def __init__(self, delay: float = 0.0, fail_on: str | None = None):
        self.batches: list[list[str]] = []
        self.delay, self.fail_on = delay, fail_on
        self.threads: set[str] = set()

    def __call__(self, texts):
        self.batches.append(list(texts))
        self.threads.add(threading.current_thread().name)
        if self.fail_on and any(self.fail_on in t for t in texts):
            raise RuntimeError("boom")
        time.sleep(self.delay)
        return np.array([[float(t.split("-")[-1]), 0.0] for t in texts])


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, 30))


def texts(owner: int, n: int) -> list[str]:
    return [f"r{owner}-{owner * 100 + i}" for i in range(n)]


def test_concurrent_requests_share_forward_passes_and_get_their_own_rows():
    async def scenario():
        model = Recorder(delay=0.02)
        batcher = MicroBatcher(model, max_batch=16, max_wait_ms=50)
        await batcher.start()
        requests = [texts(k, 1 + k % 3) for k in range(12)]
        results = await asyncio.gather(*(batcher.submit(r) for r in requests))
        await batcher.stop()
        return model, requests, results

    model, requests, results = run(scenario())
    for request, result in zip(requests, results):
        assert result[:, 0].tolist() == [float(t.split("-")[-1]) for t in request]
    assert len(model.batches) < len(requests)
    assert all(len(batch) <= 16 for batch in model.batches)
    assert model.threads == {next(iter(model.threads))} and "khitab-model" in next(iter(model.threads))


def test_large_requests_are_chunked_and_no_merge_means_one_request_per_pass():
    async def scenario(merge):
        model = Recorder()
        batcher = MicroBatcher(model, max_batch=4, max_wait_ms=20, merge=merge)
        await batcher.start()
        results = await asyncio.gather(batcher.submit(texts(1, 10)), batcher.submit(texts(2, 1)),
                                       batcher.submit(texts(3, 1)))
        await batcher.stop()
        return model, results

    model, results = run(scenario(merge=True))
    assert results[0][:, 0].tolist() == [100.0 + i for i in range(10)]
    assert all(len(batch) <= 4 for batch in model.batches)
    model, _ = run(scenario(merge=False))
    assert [len(b) for b in model.batches] == [4, 4, 2, 1, 1]


def test_batch_leaves_at_once_when_no_request_is_on_its_way():
    async def scenario():
        batcher = MicroBatcher(Recorder(), max_batch=64, max_wait_ms=2000)
        await batcher.start()
        started = time.perf_counter()
        with batcher.track():
            await batcher.submit(["a-1"])
        elapsed = time.perf_counter() - started
        await batcher.stop()
        return elapsed

    assert run(scenario()) < 1.0  # not the 2 s max_wait: nobody else was coming


def test_model_error_fails_that_batch_only():
    async def scenario():
        batcher = MicroBatcher(Recorder(fail_on="bad"), max_batch=8, max_wait_ms=30)
        await batcher.start()
        outcome = await asyncio.gather(batcher.submit(["bad-1"]), batcher.submit(["ok-2"]), return_exceptions=True)
        after = await batcher.submit(["ok-3"])
        await batcher.stop()
        return outcome, after

    outcome, after = run(scenario())
    assert all(isinstance(o, ModelError) for o in outcome)  # merged into the failing batch
    assert "boom" not in str(outcome[0]) and after[0, 0] == 3.0


def test_stop_drains_and_then_refuses_and_overload_is_refused():
    async def scenario():
        batcher = MicroBatcher(Recorder(delay=0.05), max_batch=2, max_wait_ms=0, max_pending=5)
        await batcher.start()
        pending = [asyncio.ensure_future(batcher.submit([f"x-{i}"])) for i in range(5)]
        await asyncio.sleep(0)
        with pytest.raises(Overloaded):
            await batcher.submit(["y-1"])
        await batcher.stop()
        done = [r[0, 0] for r in await asyncio.gather(*pending)]
        with pytest.raises(NotRunning):
            await batcher.submit(["z-1"])
        return done

    assert run(scenario()) == [0.0, 1.0, 2.0, 3.0, 4.0]
