"""The HTTP service as deployed: a real uvicorn process on loopback, driven with httpx.

One server runs `khitab serve` on the tiny TF-IDF bundle (happy paths, limits, metrics, load);
a second serves a fake model (tests/inference/fakes.py) that raises, sleeps and loads slowly.
"""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from khitab.models.bundle import load_model
from khitab.moderation import load_policy
from tests.conftest import ROOT

ROW_KEYS = {"doc_id", "sentence", "start", "end", "text", "scores", "flagged"}
LIMITS = {"max_body_bytes": 65536, "max_texts": 8, "max_chars": 2000}
STOPPED = (0, -signal.SIGTERM)  # uvicorn re-raises the SIGTERM it handled once it has shut down


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, args: list[str], log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._log_file = log.open("wb")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen([*args, "--port", str(self.port)], cwd=ROOT, env=env,
                                        stdout=self._log_file, stderr=subprocess.STDOUT)

    def wait(self, path: str = "/healthz", timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited {self.process.returncode}:\n{self.log.read_text()}")
            try:
                if httpx.get(self.url + path, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"server not answering {path} after {timeout} s:\n{self.log.read_text()}")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log_file.close()
        return self.process.returncode


@pytest.fixture(scope="module")
def server(tiny_bundle, tmp_path_factory) -> Iterator[Server]:
    limits = [arg for key, value in LIMITS.items() for arg in (f"--{key.replace('_', '-')}", str(value))]
    running = Server([sys.executable, "-m", "khitab.cli", "serve", "--model", str(tiny_bundle),
                      "--no-access-log", "--log-level", "warning", *limits],
                     tmp_path_factory.mktemp("serve") / "server.log")
    try:
        running.wait("/readyz")
        yield running
    finally:
        assert running.stop() in STOPPED


@pytest.fixture(scope="module")
def fake_server(tmp_path_factory) -> Iterator[Server]:
    running = Server([sys.executable, str(ROOT / "tests" / "inference" / "fakes.py")],
                     tmp_path_factory.mktemp("fake") / "server.log")
    try:
        running.wait("/readyz")
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def client(server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as http:
        yield http


def test_health_ready_and_openapi(client, tiny_bundle):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready"
    assert ready["model_version"] == load_model(tiny_bundle).version
    assert ready["policy_version"] == load_policy().version
    assert ready["limits"]["max_texts"] == LIMITS["max_texts"]
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
    assert decision["doc_id"] == "p1" and decision["action"] in ("allow", "review", "block")
    assert decision["policy_version"] == load_policy().version
    assert set(decision) >= {"labels", "label_actions", "scores", "evidence", "warnings", "model_version"}
    body = client.post("/v1/moderate", json={"texts": ["الطقس جميل", "سننتقم منهم"], "doc_ids": ["x", "y"]}).json()
    assert [d["doc_id"] for d in body["decisions"]] == ["x", "y"]


def test_non_arabic_text_is_scored_with_a_language_warning(client):
    body = client.post("/v1/score", json={"sentences": ["سننتقم منهم", "the weather is nice today"]}).json()
    assert len(body["rows"]) == 2
    assert [(w["code"], w["index"]) for w in body["warnings"]] == [("language", 1)]
    decision = client.post("/v1/moderate", json={"text": "We will deny everything."}).json()["decision"]
    assert decision["warnings"][0]["code"] == "language"


def error(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code and body["request_id"] == response.headers["X-Request-ID"]
    return body


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


def test_model_error_is_500_with_request_id_and_no_traceback(fake_server):
    with httpx.Client(base_url=fake_server.url, timeout=30) as http:
        response = http.post("/v1/moderate", json={"text": "نص فيه BOOM هنا"})
        body = error(response, 500, "model_error")
        for leak in ("Traceback", "RuntimeError", "secret", "/srv/weights", 'File "'):
            assert leak not in response.text
        ok = http.post("/v1/moderate", json={"text": "سننتقم منهم قريبا"})
        assert ok.status_code == 200 and ok.json()["decision"]["action"] == "block"  # the worker lives on
    assert body["request_id"] in fake_server.log.read_text()  # the traceback is in the server log, by id


def test_metrics(client):
    client.post("/v1/moderate", json={"text": "سننتقم منهم قريبا"})
    client.post("/v1/moderate", json={"texts": "not a list"})
    text = client.get("/metrics").text
    assert 'khitab_http_requests_total{method="POST",path="/v1/moderate",status="200"}' in text
    assert 'khitab_http_requests_total{method="POST",path="/v1/moderate",status="422"}' in text
    for name in ("khitab_http_request_duration_seconds_bucket", "khitab_batch_sentences_bucket",
                 "khitab_batch_requests_bucket", "khitab_forward_seconds_bucket", "khitab_decisions_total",
                 "khitab_model_info", "khitab_ready 1.0"):
        assert name in text


def metric(text: str, line_start: str) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(line_start))


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


def test_readyz_while_loading_and_graceful_shutdown(tmp_path):
    """A slow-loading model: /healthz answers and /readyz says 503 until it is loaded. Then
    SIGTERM while a slow request is in flight: that request still gets its 200."""
    running = Server([sys.executable, str(ROOT / "tests" / "inference" / "fakes.py"), "--load-seconds", "2"],
                     tmp_path / "server.log")
    try:
        running.wait("/healthz")
        with httpx.Client(base_url=running.url, timeout=30) as http:
            loading = http.get("/readyz")
            assert loading.status_code == 503 and loading.json()["status"] == "loading"
            error(http.post("/v1/score", json={"sentences": ["نص"]}), 503, "not_ready")
        running.wait("/readyz")

        outcome = {}

        def slow_request():
            with httpx.Client(base_url=running.url, timeout=30) as http:
                response = http.post("/v1/moderate", json={"text": "نص بطيء SLOW"})
                outcome["status"], outcome["body"] = response.status_code, response.json()

        thread = threading.Thread(target=slow_request)
        thread.start()
        time.sleep(0.5)  # the request is in the model (which sleeps 1.5 s)
        running.process.send_signal(signal.SIGTERM)
        thread.join(30)
        assert outcome.get("status") == 200, outcome
        assert outcome["body"]["decision"]["action"] == "allow"
        assert running.process.wait(30) in STOPPED
    finally:
        running.stop()
    log = running.log.read_text()
    assert "Application shutdown complete" in log and "Traceback" not in log, log


def test_serve_rejects_a_bad_policy_with_one_line(tmp_path, tiny_bundle):
    from typer.testing import CliRunner

    from khitab.cli import app

    bad = tmp_path / "policy.yaml"
    bad.write_text("version: x\nlabels:\n  threat: {reviw: 0.5}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["serve", "--model", str(tiny_bundle), "--policy", str(bad)])
    assert result.exit_code == 2 and "policy.yaml" in result.output and "reviw" in result.output
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("version: x\nlabels:\n  violence: {review: 0.5}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["serve", "--model", str(tiny_bundle), "--policy", str(unknown)])
    assert result.exit_code == 2 and "violence" in result.output
