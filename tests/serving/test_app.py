"""The app as deployed: graceful shutdown, and ``khitab serve`` refusing a policy that does not fit."""
from __future__ import annotations

import signal
import sys
import threading
import time

import httpx

from tests.serving.conftest import FAKE_SERVER, STOPPED, Server


def test_graceful_shutdown_lets_a_request_in_flight_finish(tmp_path):
    """SIGTERM while a slow request is in the model: that request still gets its 200."""
    running = Server([sys.executable, str(FAKE_SERVER)], tmp_path / "server.log")
    try:
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
