"""The review loop of issue 22 end to end, on real processes and a real SQLite file:

``khitab serve --review-store`` -> moderate the seed article with ``"enqueue": true`` -> the
queue -> 16 concurrent clients post 400 verdicts over HTTP -> ``kill -9`` of the server
mid-stream -> restart on the same store -> no acknowledged verdict lost, each reviewer's queue
continues where it was -> ``khitab reviews export`` -> ``khitab thresholds`` on the export.
"""
from __future__ import annotations

import json
import signal
import threading
import time

import httpx
from typer.testing import CliRunner

from khitab.cli import app
from khitab.models.bundle import load_model
from khitab.review import ReviewStore, next_items, verdict_history
from tests.conftest import SEED_TEXT
from tests.serving.conftest import STOPPED, Server, serve_command

CLIENTS, PER_CLIENT = 16, 25
KILL_AFTER = 120  # acknowledged verdicts before the kill -9


def reviewer_name(k: int) -> str:
    return f"analyst-{k:02d}"


def verdict_of(k: int, item: dict, label: str) -> str:
    """Reviewers agree with the model's flags, except every fifth one (a 12:4 majority)."""
    agrees = label in item["flagged"]
    return "confirm" if agrees != (k % 5 == 0) else "reject"


class Reviewers:
    """16 reviewers posting verdicts concurrently, one per request: each takes the next item of
    its own queue and judges its first unjudged asked label; with its queue done, it takes a
    second look at every (item, label) in turn. A request that fails because the server is
    down waits for the restart and continues from the queue."""

    def __init__(self, url: str, items: list[dict]):
        self.url, self.items = url, items
        self.pairs = [(item, label) for item in items for label in item["scores"]]
        self.acked: list[list[tuple[int, str]]] = [[] for _ in range(CLIENTS)]  # (verdict id, note)
        self.failures: list[BaseException] = []
        self.restarted = threading.Event()
        self.parked = threading.Semaphore(0)  # released by each client once it waits for the restart or is done
        self.threads = [threading.Thread(target=self.client, args=(k,)) for k in range(CLIENTS)]
        self.start = threading.Barrier(CLIENTS)

    def total(self) -> int:
        return sum(map(len, self.acked))

    def next_verdict(self, http: httpx.Client, k: int, n: int) -> dict:
        reviewer = reviewer_name(k)
        queue = http.get("/v1/reviews/queue", params={"reviewer": reviewer, "limit": 1})
        queue.raise_for_status()
        if queue.json()["items"]:
            item = queue.json()["items"][0]
            label = next(label for label in item["asks"] if label not in item["judged"])
        else:
            item, label = self.pairs[n % len(self.pairs)]
        return {"item_id": item["item_id"], "label": label, "verdict": verdict_of(k, item, label),
                "reviewer": reviewer, "note": f"{k}/{n}"}

    def client(self, k: int) -> None:
        try:
            with httpx.Client(base_url=self.url, timeout=60) as http:
                self.start.wait()
                n = 0
                while n < PER_CLIENT:
                    try:
                        verdict = self.next_verdict(http, k, n)
                        answer = http.post("/v1/reviews", json=verdict)
                    except httpx.TransportError:  # killed: wait for the restart, then ask the queue again
                        self.parked.release()
                        assert self.restarted.wait(180), "the server did not come back"
                        continue
                    assert answer.status_code == 200, answer.text
                    (verdict_id,) = answer.json()["verdict_ids"]
                    self.acked[k].append((verdict_id, verdict["note"]))
                    n += 1
        except BaseException as exc:  # reported by the test; a thread's exception is otherwise lost
            self.failures.append(exc)
            self.restarted.set()
        finally:
            self.parked.release()

    def all_parked(self, timeout: float = 60) -> None:
        """Every client waits for the restart (or is done): the store stands still."""
        for _ in range(CLIENTS):
            assert self.parked.acquire(timeout=timeout), "a client neither failed over nor finished"


def khitab(*args: str):
    """The command line, in this process (a fresh one would spend most of its time importing)."""
    return CliRunner().invoke(app, list(args))


def assert_queues_continue(http: httpx.Client, store: ReviewStore) -> None:
    """Each reviewer's queue holds exactly the items it has not judged on every asked label."""
    judged: dict[tuple[str, str], set[str]] = {}
    for v in verdict_history(store):
        judged.setdefault((v["reviewer"], v["item_id"]), set()).add(v["label"])
    everything = next_items(store, None, 1000)
    for k in range(CLIENTS):
        reviewer = reviewer_name(k)
        queue = http.get("/v1/reviews/queue", params={"reviewer": reviewer, "limit": 500}).json()["items"]
        open_items = [item.item_id for item in everything
                      if not set(item.asks) <= judged.get((reviewer, item.item_id), set())]
        assert [item["item_id"] for item in queue] == open_items
        for item in queue:
            assert set(item["judged"]) == judged.get((reviewer, item["item_id"]), set())


def test_serve_enqueue_review_kill_restart_export_and_retune(tiny_bundle, tmp_path):
    store_url = f"sqlite:///{tmp_path / 'reviews.db'}"
    command = serve_command(tiny_bundle, "--review-store", store_url)
    server = Server(command, tmp_path / "server.log")
    server.wait("/readyz")
    try:
        http = httpx.Client(base_url=server.url, timeout=60)
        seed = SEED_TEXT.read_text(encoding="utf-8")
        moderated = http.post("/v1/moderate", json={"text": seed, "doc_id": SEED_TEXT.stem, "enqueue": True}).json()
        assert moderated["decision"]["action"] in ("review", "block")
        queued = moderated["queued"]
        assert len(queued) == len(moderated["decision"]["evidence"]) > 0
        items = http.get("/v1/reviews/queue", params={"limit": 100}).json()["items"]
        assert sorted(item["item_id"] for item in items) == sorted(queued)

        reviewers = Reviewers(server.url, items)
        for thread in reviewers.threads:
            thread.start()
        while reviewers.total() < KILL_AFTER and not reviewers.failures:
            time.sleep(0.005)
        assert server.kill() == -signal.SIGKILL  # mid-stream: requests are in flight
        reviewers.all_parked()
        acked_before = {verdict_id for acked in reviewers.acked for verdict_id, _ in acked}
        server = Server(command, tmp_path / "server.log", port=server.port)  # the clients' address
        server.wait("/readyz")
        http.close()
        http = httpx.Client(base_url=server.url, timeout=60)
        with ReviewStore(store_url) as store:
            stored = {v["verdict_id"] for v in verdict_history(store)}
            assert acked_before <= stored and len(acked_before) >= KILL_AFTER  # no acknowledged verdict lost
            assert_queues_continue(http, store)
        reviewers.restarted.set()
        for thread in reviewers.threads:
            thread.join(300)
        assert not reviewers.failures, reviewers.failures[:3]

        with ReviewStore(store_url) as store:
            history = verdict_history(store)
            assert_queues_continue(http, store)
        acked = {verdict_id for client in reviewers.acked for verdict_id, _ in client}
        assert len(acked) == CLIENTS * PER_CLIENT
        assert acked <= {v["verdict_id"] for v in history}
        # at most one verdict per client was committed but never acknowledged (in flight at the kill)
        assert CLIENTS * PER_CLIENT <= len(history) <= CLIENTS * PER_CLIENT + CLIENTS
        assert {(v["reviewer"], v["note"]) for v in history} == {
            (reviewer_name(k), f"{k}/{n}") for k in range(CLIENTS) for n in range(PER_CLIENT)}
        for k in range(CLIENTS):  # every queue done
            assert http.get("/v1/reviews/queue", params={"reviewer": reviewer_name(k)}).json()["items"] == []
        assert http.get("/v1/reviews/stats").json()["verdicts"] == len(history)
        http.close()
    finally:
        assert server.stop() in STOPPED

    export = tmp_path / "export.jsonl"
    done = khitab("reviews", "export", "--store", store_url, "-o", str(export))
    assert done.exit_code == 0, done.output
    rows = [json.loads(line) for line in export.read_text(encoding="utf-8").splitlines()]
    by_text = {item["text"]: item for item in items}
    assert rows and {row["text"] for row in rows} <= set(by_text)
    for row in rows:
        for label in by_text[row["text"]]["asks"]:  # judged by all 16: the 12:4 majority agrees with the model
            assert row[label] == int(label in by_text[row["text"]]["flagged"])

    retuned = tmp_path / "retuned"
    done = khitab("thresholds", "--data", str(export), "--model", str(tiny_bundle), "--output", str(retuned))
    assert done.exit_code == 0, done.output
    assert "saved thresholds into" in done.stderr
    assert str(export) in json.dumps(load_model(retuned).metadata["thresholds"]["data"])
