"""The review endpoints over HTTP: ``khitab serve --review-store`` on a SQLite file (a real
process, the tiny TF-IDF bundle), checked against the store file itself and the Python API."""
from __future__ import annotations

import uuid

import httpx
import pytest

from khitab.review import ReviewStore, next_items, stats, verdict_history
from khitab.review.store import item_key
from tests.conftest import SEED_TEXT
from tests.review.conftest import make_items
from tests.serving.conftest import error, metric


@pytest.fixture
def http(review_server):
    with httpx.Client(base_url=review_server.url, timeout=30) as client:
        yield client


@pytest.fixture
def store(review_server):
    with ReviewStore(review_server.store_url) as opened:
        yield opened


def fresh(name: str) -> str:
    """A doc id or reviewer of this test alone (the server and its store live for the session)."""
    return f"{name}-{uuid.uuid4().hex[:8]}"


def queued_items(store, doc_id: str) -> list[str]:
    return [item.item_id for item in next_items(store, None, 10_000) if item.doc_id == doc_id]


def test_moderate_with_enqueue_queues_the_evidence_of_review_and_block_decisions(http, store):
    doc_id = fresh("seed")
    body = http.post("/v1/moderate", json={"text": SEED_TEXT.read_text(encoding="utf-8"), "doc_id": doc_id,
                                           "enqueue": True}).json()
    decision = body["decision"]
    assert decision["action"] in ("review", "block")
    expected = [item_key(doc_id, row["text"], row["start"], row["end"], decision["model_version"])
                for row in decision["evidence"]]
    assert body["queued"] == expected and expected
    assert sorted(queued_items(store, doc_id)) == sorted(expected)
    by_id = {item["item_id"]: item for item in http.get("/v1/reviews/queue", params={"limit": 500}).json()["items"]}
    for row, item_id in zip(decision["evidence"], expected):
        item = by_id[item_id]
        assert (item["text"], item["doc_id"], item["start"], item["end"]) == (row["text"], doc_id, row["start"],
                                                                              row["end"])
        assert item["scores"] == row["scores"] and item["flagged"] == row["flagged"]
        assert set(row["labels"]) <= set(item["asks"]) and item["decision"] == decision["action"]

    again = http.post("/v1/moderate", json={"texts": [SEED_TEXT.read_text(encoding="utf-8")], "doc_ids": [doc_id],
                                            "enqueue": True}).json()
    assert again["queued"] == expected  # the same sentences are the same items
    plain = http.post("/v1/moderate", json={"text": "سننتقم منهم قريبا", "doc_id": fresh("plain")}).json()
    assert set(plain) == {"request_id", "decision"}  # no enqueue: the body as it always was
    assert queued_items(store, plain["decision"]["doc_id"]) == []


def test_the_queue_is_next_items_and_drops_what_the_reviewer_judged(http, store):
    doc_id, reviewer, other = fresh("doc"), fresh("analyst"), fresh("other")
    ids = store.enqueue(make_items(doc_id=doc_id))
    queue = http.get("/v1/reviews/queue", params={"limit": 500, "reviewer": reviewer}).json()["items"]
    assert queue == [item.model_dump() for item in next_items(store, reviewer, 500)]
    mine = [item for item in queue if item["doc_id"] == doc_id]
    assert sorted(item["item_id"] for item in mine) == sorted(ids)
    assert [item["item_id"] for item in http.get("/v1/reviews/queue", params={"limit": 2}).json()["items"]] == [
        item.item_id for item in next_items(store, None, 2)]

    first = mine[0]
    verdicts = [{"item_id": first["item_id"], "label": label, "verdict": "confirm", "reviewer": reviewer}
                for label in first["asks"]]
    assert http.post("/v1/reviews", json=verdicts).status_code == 200
    left = http.get("/v1/reviews/queue", params={"limit": 500, "reviewer": reviewer}).json()["items"]
    assert first["item_id"] not in {item["item_id"] for item in left}
    assert len([item for item in left if item["doc_id"] == doc_id]) == len(ids) - 1
    others = http.get("/v1/reviews/queue", params={"limit": 500, "reviewer": other}).json()["items"]
    assert first["item_id"] in {item["item_id"] for item in others}  # another reviewer still sees it
    assert http.get("/v1/reviews/queue", params={"limit": 0}).status_code == 422


def test_verdicts_are_recorded_all_or_none(http, store):
    doc_id, reviewer = fresh("doc"), fresh("analyst")
    ids = store.enqueue(make_items(doc_id=doc_id, model_version="v7"))
    good = [{"item_id": ids[0], "label": "threat", "verdict": "confirm", "reviewer": reviewer, "note": "واضح"},
            {"item_id": ids[1], "label": "sectarian", "verdict": "reject", "reviewer": reviewer}]
    before = len(verdict_history(store))
    for bad, field in [({"item_id": "no-such-item"}, "item_id"), ({"label": "spam"}, "label"),
                       ({"verdict": "maybe"}, "verdict"), ({"reviewer": ""}, "reviewer")]:
        body = error(http.post("/v1/reviews", json=[*good, {**good[0], **bad}]), 422, "invalid_verdict")
        assert [(p["index"], p["field"]) for p in body["detail"]] == [(2, field)]
    error(http.post("/v1/reviews", content=b'{"item_id": ', headers={"Content-Type": "application/json"}),
          422, "invalid_json")
    error(http.post("/v1/reviews", json=[]), 422, "invalid_verdict")
    assert len(verdict_history(store)) == before  # nothing of a refused body was written

    answer = http.post("/v1/reviews", json={"verdicts": good})
    assert answer.status_code == 200
    verdict_ids = answer.json()["verdict_ids"]
    assert len(verdict_ids) == 2
    history = {v["verdict_id"]: v for v in verdict_history(store)}
    assert [(history[i]["item_id"], history[i]["label"], history[i]["verdict"], history[i]["note"],
             history[i]["model_version"]) for i in verdict_ids] == [
        (ids[0], "threat", "confirm", "واضح", "v7"), (ids[1], "sectarian", "reject", "", "v7")]
    single = http.post("/v1/reviews", json={**good[0], "verdict": "reject"}).json()
    assert single["verdict_ids"][0] > max(verdict_ids)  # appended: the audit trail keeps both


def test_stats_are_the_stores(http, store):
    doc_id = fresh("doc")
    ids = store.enqueue(make_items(doc_id=doc_id))
    votes = [{"item_id": ids[0], "label": "threat", "verdict": verdict, "reviewer": fresh(name)}
             for name, verdict in (("a", "confirm"), ("b", "reject"))]
    assert http.post("/v1/reviews", json=votes).status_code == 200
    body = http.get("/v1/reviews/stats").json()
    assert body == stats(store)
    assert body["items"] >= len(ids) and body["verdicts"] >= 2 and body["labels"]["threat"]["pairs"] >= 1


def test_the_review_page_is_served(http):
    page = http.get("/review")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<html lang="ar" dir="rtl"' in page.text and 'src="review/review.js"' in page.text
    script = http.get("/review/review.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert "v1/reviews/queue" in script.text
    error(http.get("/review/secrets.txt"), 404, "not_found")
    paths = set(http.get("/openapi.json").json()["paths"])
    assert {"/v1/reviews/queue", "/v1/reviews", "/v1/reviews/stats"} <= paths


def test_metrics_carry_score_histograms_and_flag_counts(client, labels):
    before = client.get("/metrics").text
    rows = client.post("/v1/score", json={"sentences": ["سننتقم منهم قريبا", "نفت الوزارة الخبر", "الطقس جميل"]}
                       ).json()["rows"]
    after = client.get("/metrics").text
    for label in labels:
        counted = f'khitab_sentence_score_count{{label="{label}"}}'
        assert metric(after, counted) - metric(before, counted) == 3
        flags = f'khitab_sentence_flags_total{{label="{label}"}}'
        assert metric(after, flags) - metric(before, flags) == sum(label in row["flagged"] for row in rows)
        below = [f'khitab_sentence_score_bucket{{label="{label}",le="{edge}"}}' for edge in ("0.5", "1.0")]
        half = sum(row["scores"][label] <= 0.5 for row in rows)
        assert metric(after, below[0]) - metric(before, below[0]) == half
        assert metric(after, below[1]) - metric(before, below[1]) == 3


def test_a_service_without_a_store_has_no_review_endpoints(client):
    error(client.get("/v1/reviews/queue"), 404, "not_found")
    error(client.get("/review"), 404, "not_found")
    body = error(client.post("/v1/moderate", json={"text": "سننتقم منهم", "enqueue": True}), 422, "no_review_store")
    assert "--review-store" in body["detail"]
