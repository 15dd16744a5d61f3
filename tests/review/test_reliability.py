"""Reliability on a real SQLite file: concurrent writers lose nothing, a SIGKILLed writer
loses no acknowledged verdict, and its queue continues after the restart."""
import os
import random
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from khitab.review import ReviewStore, new_item, next_items, record_verdicts, verdict_history
from tests.review.conftest import LABELS, THRESHOLDS

ROOT = Path(__file__).resolve().parents[2]
WRITER = Path(__file__).with_name("verdict_writer.py")
CLIENTS, PER_CLIENT = 16, 25


def many_items(n: int, seed: int = 0):
    rng = random.Random(seed)
    return [
        new_item(f"جملة رقم {i} عن الأحداث", "doc-many", i * 40, i * 40 + 20,
                 {label: round(rng.random(), 3) for label in LABELS}, THRESHOLDS, "tiny", "v1")
        for i in range(n)
    ]


@pytest.mark.parametrize("shared", [True, False], ids=["one-store", "store-per-client"])
def test_16_clients_posting_400_verdicts_concurrently_lose_none(review_url, shared):
    url = review_url
    with ReviewStore(url) as store:
        ids = store.enqueue(many_items(50))
    acked: list[list[int]] = [[] for _ in range(CLIENTS)]
    failures: list[BaseException] = []
    start = threading.Barrier(CLIENTS)
    shared_store = ReviewStore(url) if shared else None

    def client(k: int) -> None:
        store = shared_store or ReviewStore(url)
        try:
            start.wait()
            for n in range(PER_CLIENT):
                verdict = {"item_id": ids[(k * PER_CLIENT + n) % len(ids)], "label": LABELS[n % 3],
                           "verdict": "confirm" if (k + n) % 2 else "reject", "reviewer": f"r{k}", "note": f"{k}/{n}"}
                acked[k].extend(record_verdicts(store, [verdict]))
        except BaseException as exc:  # reported below; a thread's exception is otherwise lost
            failures.append(exc)
        finally:
            if store is not shared_store:
                store.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if shared_store:
        shared_store.close()
    assert not failures, failures[:3]
    with ReviewStore(url) as store:
        history = verdict_history(store)
    assert sum(map(len, acked)) == len(history) == CLIENTS * PER_CLIENT
    assert sorted(v for ids_ in acked for v in ids_) == [v["verdict_id"] for v in history]
    notes = {(v["reviewer"], v["note"]) for v in history}
    assert notes == {(f"r{k}", f"{k}/{n}") for k in range(CLIENTS) for n in range(PER_CLIENT)}


def writer(url: str, reviewer: str) -> subprocess.Popen:
    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    return subprocess.Popen([sys.executable, str(WRITER), url, reviewer], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": path})


def test_a_sigkilled_writer_loses_no_acknowledged_verdict_and_the_queue_continues(review_url):
    url = review_url
    with ReviewStore(url) as store:
        store.enqueue(many_items(40, seed=1))
    process = writer(url, "w")
    acked = []
    for line in process.stdout:
        acked.append(tuple(line.split()[1:]))
        if len(acked) == 25:
            process.send_signal(signal.SIGKILL)  # mid-stream: the writer is between or inside commits
            break
    assert process.wait() == -signal.SIGKILL
    process.stdout.close()

    with ReviewStore(url) as store:
        stored = {(str(v["verdict_id"]), v["item_id"], v["label"]) for v in verdict_history(store)}
        assert set(acked) <= stored
        judged = {(item_id, label) for _, item_id, label in stored}
        # every item the writer finished is out of its queue; the others come back, unjudged labels asked
        for item in next_items(store, "w", limit=100):
            assert {(item.item_id, label) for label in item.asks} - judged
            assert set(item.judged) == {label for item_id, label in judged if item_id == item.item_id}

    restarted = writer(url, "w")
    out, _ = restarted.communicate(timeout=120)
    assert restarted.returncode == 0 and out.rstrip().endswith("done")
    with ReviewStore(url) as store:
        history = verdict_history(store)
        assert next_items(store, "w", limit=100) == []
    pairs = [(v["item_id"], v["label"]) for v in history]
    assert len(pairs) == len(set(pairs))  # the restarted writer judged nothing twice
    assert len(pairs) > len(stored)
