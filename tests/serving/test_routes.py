"""The endpoints over HTTP, on ``khitab serve`` with the tiny TF-IDF bundle (a real process)."""
from __future__ import annotations

import asyncio
import time

import httpx

from khitab.models.bundle import load_model
from khitab.moderation import load_policy
from khitab.serving.app import create_app
from tests.fakes import fake_model
from tests.serving.conftest import LIMITS, error, in_process, metric

ROW_KEYS = {"doc_id", "sentence", "start", "end", "text", "scores", "flagged"}


def test_health_ready_and_openapi(client, tiny_bundle):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready"
    assert ready["model_version"] == load_model(tiny_bundle).version
    assert ready["policy_version"] == load_policy().version
    assert ready["limits"]["max_texts"] == LIMITS["max_texts"]
    assert ready["backend"] == "tfidf-predict_proba"  # no encoder: the model's own scoring
    schema = client.get("/openapi.json").json()
    assert {"/v1/score", "/v1/moderate", "/healthz", "/readyz", "/metrics"} <= set(schema["paths"])
    assert {"ScoreRequest", "ModerateRequest", "ErrorBody"} <= set(schema["components"]["schemas"])


def test_score_sentences_and_documents(client, labels):
    response = client.post("/v1/score", json={"sentences": ["سننتقم منهم قريبا", "نفت الوزارة الخبر"]})
    assert response.status_code == 200
    body = response.json()
    assert body["request_id"] == response.headers["X-Request-ID"]
    assert body["model"] == "tiny-tfidf" and body["model_version"] and body["warnings"] == []
    assert [row["text"] for row in body["rows"]] == ["سننتقم منهم قريبا", "نفت الوزارة الخبر"]
    for row in body["rows"]:
        assert set(row) == ROW_KEYS and set(row["scores"]) == set(labels)

    text = "نفت الوزارة الخبر جملة وتفصيلا.\nوقال المتحدث: سننتقم منهم قريبا!"
    response = client.post("/v1/score", json={"documents": [{"doc_id": "a1", "text": text}, {"text": "بيان قصير."}]},
                           headers={"X-Request-ID": "client-42"})
    body = response.json()
    assert response.headers["X-Request-ID"] == body["request_id"] == "client-42"
    assert [(row["doc_id"], row["sentence"]) for row in body["rows"]] == [("a1", 0), ("a1", 1), ("1", 0)]
    for row in body["rows"][:2]:
        assert text[row["start"]:row["end"]] == row["text"]


def test_moderate_text_and_texts(client):
    body = client.post("/v1/moderate", json={"text": "نفت الوزارة الخبر. سننتقم منهم!", "doc_id": "p1"}).json()
    decision = body["decision"]
    assert set(body) == {"request_id", "decision"}
    assert decision["doc_id"] == "p1" and decision["action"] in ("allow", "review", "block")
    assert decision["policy_version"] == load_policy().version
    assert set(decision) >= {"labels", "label_actions", "scores", "evidence", "warnings", "model_version"}
    body = client.post("/v1/moderate", json={"texts": ["الطقس جميل", "سننتقم منهم"], "doc_ids": ["x", "y"]}).json()
    assert set(body) == {"request_id", "decisions"}
    assert [d["doc_id"] for d in body["decisions"]] == ["x", "y"]


def test_non_arabic_text_is_scored_with_a_language_warning(client):
    body = client.post("/v1/score", json={"sentences": ["سننتقم منهم", "the weather is nice today"]}).json()
    assert len(body["rows"]) == 2
    assert [(w["code"], w["index"]) for w in body["warnings"]] == [("language", 1)]
    assert "doc_id" not in body["warnings"][0]  # sentences have no doc_id; documents' warnings do
    decision = client.post("/v1/moderate", json={"text": "We will deny everything."}).json()["decision"]
    assert decision["warnings"][0]["code"] == "language" and "index" not in decision["warnings"][0]


def test_moderate_gives_the_moderators_decisions():
    """The route is the moderator behind the micro-batcher: same decisions, same bytes."""
    from khitab.moderation import Moderator

    texts = ["نفت الوزارة الخبر. سننتقم منهم قريبا!", "هؤلاء خونة بسبب مذهبهم", "", "We deny it."]
    expected = [d.to_dict() for d in Moderator(fake_model()).check_many(texts, ["a", "b", "c", "d"])]

    async def talk(http):
        return (await http.post("/v1/moderate", json={"texts": texts, "doc_ids": ["a", "b", "c", "d"]})).json()

    assert in_process(create_app(fake_model()), talk)["decisions"] == expected


def test_readyz_and_scoring_answer_503_before_startup():
    async def talk(http):
        return await http.get("/readyz"), await http.post("/v1/score", json={"sentences": ["نص"]})

    ready, scored = in_process(create_app(fake_model()), talk, started=False)
    assert ready.status_code == 503 and ready.json() == {"status": "loading"}
    assert error(scored, 503, "not_ready")["detail"] == "the model is still loading"
    assert scored.headers["Retry-After"] == "1"


def test_load_2000_requests_from_32_clients(client):
    """Bounded load: every request answered, none with a 5xx, responses matched to requests."""
    sentences = ["سننتقم منهم قريبا", "نفت الوزارة الخبر", "الطقس جميل اليوم", "هذا خبر كاذب",
                 "the weather is fine", "سنحرق بيوتهم إن لم يرحلوا"]
    total, concurrency = 2000, 32
    before = client.get("/metrics").text

    async def one(http: httpx.AsyncClient, i: int) -> tuple[int, int, bool]:
        text = sentences[i % len(sentences)] + f" رقم {i}"
        if i % 3 == 0:
            response = await http.post("/v1/score", json={"sentences": [text, sentences[(i + 1) % 6]]})
            matched = response.status_code == 200 and response.json()["rows"][0]["text"] == text
        else:
            response = await http.post("/v1/moderate", json={"text": text, "doc_id": f"r{i}"})
            matched = response.status_code == 200 and response.json()["decision"]["doc_id"] == f"r{i}"
        return i, response.status_code, matched

    async def drive() -> list[tuple[int, int, bool]]:
        queue = list(range(total))
        results = []
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(base_url=client.base_url, timeout=60, limits=limits) as http:
            async def worker():
                while queue:
                    results.append(await one(http, queue.pop()))
            await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(concurrency))), timeout=240)
        return results

    started = time.monotonic()
    results = asyncio.run(drive())
    elapsed = time.monotonic() - started
    statuses = [status for _, status, _ in results]
    assert sorted(i for i, _, _ in results) == list(range(total))  # no lost responses
    assert not [s for s in statuses if s >= 500]
    assert statuses.count(200) == total and all(matched for _, _, matched in results)
    after = client.get("/metrics").text
    answered = metric(after, "khitab_http_requests_total{method=\"POST\"") - metric(
        before, "khitab_http_requests_total{method=\"POST\"")
    forwards = metric(after, "khitab_batch_requests_count") - metric(before, "khitab_batch_requests_count")
    assert answered == total
    assert forwards < total  # concurrent requests shared forward passes
    print(f"\n{total} requests, {concurrency} clients: {total / elapsed:.0f} req/s, {forwards:.0f} forward passes")


def test_the_service_runs_encoders_on_the_backend_it_was_given(tiny_encoder_bundle, tmp_path):
    from khitab.models.runtime import RuntimeOptions

    sentences = ["سننتقم منهم قريبا", "نفت الوزارة الخبر", "افتتح الوزير المعرض"]

    async def talk(http):
        return (await http.get("/readyz")).json(), (await http.post("/v1/score", json={"sentences": sentences})).json()

    torch_ready, torch_scored = in_process(create_app(load_model(tiny_encoder_bundle)), talk)
    onnx_app = create_app(load_model(tiny_encoder_bundle),
                          runtime_options=RuntimeOptions(backend="onnx", cache_dir=tmp_path / "onnx"))
    onnx_ready, onnx_scored = in_process(onnx_app, talk)
    assert torch_ready["backend"] == "torch-fp32" and onnx_ready["backend"] == "onnx-fp32"
    assert any((tmp_path / "onnx").rglob("*.onnx"))  # the export the service scored with
    assert len(torch_scored["rows"]) == len(onnx_scored["rows"]) == 3
    for a, b in zip(torch_scored["rows"], onnx_scored["rows"]):
        assert a["text"] == b["text"]
        assert all(abs(a["scores"][k] - b["scores"][k]) < 1e-4 for k in a["scores"])


def test_the_service_refuses_a_backend_that_drifts_from_torch(tiny_encoder_bundle, tmp_path, monkeypatch):
    import pytest

    from khitab.errors import BundleError
    from khitab.inference.backends import SentenceScorer
    from khitab.models.runtime import RuntimeOptions

    monkeypatch.setattr(SentenceScorer, "tolerance", property(lambda self: 0.0))
    monkeypatch.setattr(SentenceScorer, "parity", lambda self, sentences: 0.5)
    with pytest.raises(BundleError, match="differ from torch fp32 by up to 0.5"):
        create_app(load_model(tiny_encoder_bundle),
                   runtime_options=RuntimeOptions(backend="onnx", cache_dir=tmp_path / "onnx"))
