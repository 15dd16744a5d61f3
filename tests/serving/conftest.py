"""Servers for the service tests: ``khitab serve`` on the tiny TF-IDF bundle (without and with a
review store in a SQLite file), and the fake model
(tests/fakes.py: raises on BOOM, sleeps on SLOW), each a real uvicorn process on loopback,
started once per session; and ``in_process`` for the app without a server."""
from __future__ import annotations

import asyncio
import gc
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT

LIMITS = {"max_body_bytes": 65536, "max_texts": 8, "max_chars": 2000}
STOPPED = (0, -signal.SIGTERM)  # uvicorn re-raises the SIGTERM it handled once it has shut down
FAKE_SERVER = ROOT / "tests" / "serving" / "fake_server.py"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, args: list[str], log: Path, port: int | None = None):
        self.port = port or free_port()  # a port given: a restart where the clients already point
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._log_file = log.open("ab")  # a restart appends to the log of the killed server
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

    def kill(self) -> int:
        """SIGKILL: no shutdown, no cleanup, as a crash or the OOM killer leaves it."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self._log_file.close()
        return self.process.returncode

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


def serve_command(bundle: Path, *options: str) -> list[str]:
    """``khitab serve`` on ``bundle``, quiet (``Server`` adds ``--port``)."""
    return [sys.executable, "-m", "khitab.cli", "serve", "--model", str(bundle), "--no-access-log",
            "--log-level", "warning", *options]


@contextmanager
def ready_server(command: list[str], log: Path) -> Iterator[Server]:
    """A started service, ready on ``/readyz``; on exit it must stop cleanly on SIGTERM."""
    running = Server(command, log)
    try:
        running.wait("/readyz")
        yield running
    finally:
        assert running.stop() in STOPPED


@pytest.fixture(scope="session")
def server(tiny_bundle, tmp_path_factory) -> Iterator[Server]:
    limits = [arg for key, value in LIMITS.items() for arg in (f"--{key.replace('_', '-')}", str(value))]
    with ready_server(serve_command(tiny_bundle, *limits), tmp_path_factory.mktemp("serve") / "server.log") as running:
        yield running


@pytest.fixture(scope="session")
def review_server(tiny_bundle, tmp_path_factory) -> Iterator[Server]:
    """``khitab serve --review-store`` on a SQLite file (``review_server.store_url``)."""
    folder = tmp_path_factory.mktemp("review-serve")
    store_url = f"sqlite:///{folder / 'reviews.db'}"
    with ready_server(serve_command(tiny_bundle, "--review-store", store_url), folder / "server.log") as running:
        running.store_url = store_url
        yield running


@pytest.fixture(scope="session")
def fake_server(tmp_path_factory) -> Iterator[Server]:
    running = Server([sys.executable, str(FAKE_SERVER)], tmp_path_factory.mktemp("fake") / "server.log")
    try:
        running.wait("/readyz")
        yield running
    finally:
        running.stop()


@pytest.fixture
def client(server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as http:
        yield http


def error(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code and body["request_id"] == response.headers["X-Request-ID"]
    return body


def metric(text: str, line_start: str) -> float:
    """The sum of the /metrics sample lines starting with ``line_start``."""
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(line_start))


def in_process(app, talk: Callable, started: bool = True):
    """Run ``await talk(http)`` against ``app`` in this process (``started``: after its startup,
    as uvicorn runs it; else before it)."""
    async def run():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app") as http:
            if not started:
                return await talk(http)
            async with app.router.lifespan_context(app):
                return await talk(http)

    try:
        return asyncio.run(asyncio.wait_for(run(), 60))
    finally:
        gc.unfreeze()  # the runtime freezes the heap at startup; a test process must not keep that
