"""Error bodies: ``{"error", "detail", "request_id"}`` with the right status, never a traceback."""
from __future__ import annotations

import httpx
import pytest

from tests.serving.conftest import error, metric


def test_limits_are_named_in_422(client):
    body = error(client.post("/v1/moderate", json={"texts": ["نص"] * 9}), 422, "limit_exceeded")
    assert body["limit"] == "max_texts" and "max_texts" in body["detail"] and body["value"] == 8
    body = error(client.post("/v1/score", json={"sentences": ["نص", "ب" * 2001]}), 422, "limit_exceeded")
    assert body["limit"] == "max_chars" and "sentences[1]" in body["detail"]
    body = error(client.post("/v1/score", json={"documents": [{"text": "ب" * 2001}]}), 422, "limit_exceeded")
    assert body["limit"] == "max_chars"


@pytest.mark.parametrize("content", [b'{"text": "abc"', b"not json", b"\xff\xfe\x00", b"[1, 2"])
def test_invalid_json_422(client, content):
    error(client.post("/v1/moderate", content=content, headers={"content-type": "application/json"}),
          422, "invalid_json")


@pytest.mark.parametrize(("path", "payload"), [
    ("/v1/score", {"sentences": "one string"}),
    ("/v1/score", {"sentences": [1, 2]}),
    ("/v1/score", {"documents": [{"doc_id": 3, "text": "نص"}]}),
    ("/v1/score", {"sentences": ["نص"], "documents": []}),
    ("/v1/score", {}),
    ("/v1/moderate", {"text": ["a list"]}),
    ("/v1/moderate", {"texts": ["a", "b"], "doc_ids": ["only one"]}),
    ("/v1/moderate", {"text": "نص", "colour": "red"}),
    ("/v1/moderate", [1, 2]),
])
def test_wrong_types_422(client, path, payload):
    body = error(client.post(path, json=payload), 422, "invalid_request")
    assert body["detail"] and all({"loc", "msg", "type"} <= set(item) for item in body["detail"])


def test_unknown_path_and_method(client):
    error(client.get("/nowhere"), 404, "not_found")
    response = client.get("/v1/score")
    assert error(response, 405, "method_not_allowed") and response.headers["Allow"] == "POST"


def test_model_error_is_500_with_request_id_and_no_traceback(fake_server):
    with httpx.Client(base_url=fake_server.url, timeout=30) as http:
        response = http.post("/v1/moderate", json={"text": "نص فيه BOOM هنا"})
        body = error(response, 500, "model_error")
        for leak in ("Traceback", "RuntimeError", "secret", "/srv/weights", 'File "'):
            assert leak not in response.text
        ok = http.post("/v1/moderate", json={"text": "سننتقم منهم قريبا"})
        assert ok.status_code == 200 and ok.json()["decision"]["action"] == "block"  # the worker lives on
        assert metric(http.get("/metrics").text, "khitab_model_errors_total") >= 1
    assert body["request_id"] in fake_server.log.read_text()  # the traceback is in the server log, by id
