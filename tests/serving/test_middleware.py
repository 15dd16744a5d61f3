"""Request ids, the body-size limit, the last-resort 500 and the HTTP metrics."""
from __future__ import annotations

import pytest

from khitab.moderation.moderator import Decision
from khitab.serving.app import create_app
from tests.fakes import fake_model
from tests.serving.conftest import error, in_process


def test_request_id_is_the_clients_when_well_formed(client):
    assert client.get("/healthz", headers={"X-Request-ID": "abc.DEF:1-2_3"}).headers["X-Request-ID"] == "abc.DEF:1-2_3"
    for bad in ("has space", "x" * 65, "semi;colon"):
        given = client.get("/healthz", headers={"X-Request-ID": bad}).headers["X-Request-ID"]
        assert given != bad and len(given) == 32
    assert error(client.get("/nowhere"), 404, "not_found")  # error bodies carry the header's id too


def test_body_too_large_413(client):
    big = {"text": "ا" * 40_000}  # 80 kB of UTF-8, over max_body_bytes (64 kiB)
    body = error(client.post("/v1/moderate", json=big), 413, "body_too_large")
    assert body["limit"] == "max_body_bytes" and "Content-Length" in body["detail"]

    def chunks():  # no Content-Length: counted while reading
        yield b'{"text": "'
        for _ in range(20):
            yield ("ب" * 2000).encode()
        yield b'"}'

    body = error(client.post("/v1/moderate", content=chunks(), headers={"content-type": "application/json"}),
                 413, "body_too_large")
    assert "read" in body["detail"]
    assert client.get("/healthz").status_code == 200


def test_metrics(client):
    client.post("/v1/moderate", json={"text": "سننتقم منهم قريبا"})
    client.post("/v1/moderate", json={"texts": "not a list"})
    client.post("/v1/moderate", json={"text": "ا" * 40_000})
    client.get("/nowhere")
    text = client.get("/metrics").text
    assert 'khitab_http_requests_total{method="POST",path="/v1/moderate",status="200"}' in text
    assert 'khitab_http_requests_total{method="POST",path="/v1/moderate",status="422"}' in text
    assert 'khitab_http_requests_total{method="POST",path="/v1/moderate",status="413"}' in text
    assert 'khitab_http_requests_total{method="GET",path="other",status="404"}' in text
    for name in ("khitab_http_request_duration_seconds_bucket", "khitab_batch_sentences_bucket",
                 "khitab_batch_requests_bucket", "khitab_forward_seconds_bucket", "khitab_decisions_total",
                 "khitab_model_info", "khitab_ready 1.0", "khitab_http_requests_in_flight 1.0"):
        assert name in text


def test_an_unhandled_error_is_500_without_traceback_and_responses_are_validated(monkeypatch, caplog):
    """A body that does not fit its declared response model is never sent: building the model
    fails, and the last-resort handler answers 500 ``internal_error`` (counted in the metrics)."""
    original = Decision.to_dict
    monkeypatch.setattr(Decision, "to_dict", lambda self: {**original(self), "action": ["not", "a", "str"]})

    async def talk(http):
        response = await http.post("/v1/moderate", json={"text": "سننتقم منهم قريبا"}, headers={"X-Request-ID": "r-1"})
        return response, (await http.get("/metrics")).text

    response, metrics = in_process(create_app(fake_model()), talk)
    body = error(response, 500, "internal_error")
    assert body == {"error": "internal_error", "detail": "internal server error; quote the request id",
                    "request_id": "r-1"}
    assert 'khitab_http_requests_total{method="POST",path="/v1/moderate",status="500"} 1.0' in metrics
    assert "unhandled error [request r-1]" in caplog.text and "validation error for ModerateResponse" in caplog.text


@pytest.mark.parametrize("apps", [2])
def test_apps_in_one_process_have_their_own_metrics(apps):
    async def talk(http):
        await http.get("/healthz")
        return (await http.get("/metrics")).text

    for _ in range(apps):  # a second app must not collide with the first's series
        text = in_process(create_app(fake_model()), talk)
        assert 'khitab_http_requests_total{method="GET",path="/healthz",status="200"} 1.0' in text
