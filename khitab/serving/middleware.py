"""Pure ASGI middleware, one concern per class, plus the HTTP request metrics.

Outermost first (``app.create_app`` adds them): ``RequestId`` -> ``LastResortErrors`` ->
``InFlightRequests`` -> HTTP metrics (prometheus-fastapi-instrumentator) -> ``ScoringArrivals``
-> ``BodySizeLimit`` -> FastAPI. The metrics thus count the 413s and last-resort 500s too.
"""
from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_fastapi_instrumentator import Instrumentator
from prometheus_fastapi_instrumentator.metrics import Info
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from khitab.serving.errors import error_response
from khitab.serving.runtime import Runtime

log = logging.getLogger("khitab.service")

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
SCORING_PATHS = {"/v1/score", "/v1/moderate"}
# paths and methods named in the metrics; anything else is "other" (bounded label values)
_KNOWN_PATHS = SCORING_PATHS | {"/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/redoc",
                                "/v1/reviews", "/v1/reviews/queue", "/v1/reviews/stats", "/review", "/review/{name}"}
_KNOWN_METHODS = {"GET", "POST", "HEAD"}
_NO_BODY_METHODS = {"GET", "HEAD", "OPTIONS", "DELETE"}


def _request_id(scope: Scope) -> str:
    return scope.get("state", {}).get("request_id", "")


class RequestId:
    """Gives every request an id (the client's ``X-Request-ID`` when well formed, else a new
    one), in ``request.state.request_id`` and in the response's ``X-Request-ID`` header."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        incoming = Headers(scope=scope).get(REQUEST_ID_HEADER, "")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).append(REQUEST_ID_HEADER, request_id)
            await send(message)

        await self.app(scope, receive, send_with_id)


class LastResortErrors:
    """Anything the exception handlers did not answer: logged with its traceback and the
    request id, answered 500 ``internal_error`` without either (when nothing was sent yet)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            log.exception("unhandled error [request %s]", _request_id(scope))
            if not started:
                response = error_response(500, "internal_error", "internal server error; quote the request id",
                                          _request_id(scope))
                await response(scope, receive, send)


class InFlightRequests:
    """``khitab_http_requests_in_flight``: requests being answered. (The instrumentator's own
    in-progress gauge ignores its ``registry`` and lands in the global one, which breaks
    several apps in one process.)"""

    def __init__(self, app: ASGIApp, gauge: Gauge):
        self.app, self.gauge = app, gauge

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        with self.gauge.track_inprogress():
            await self.app(scope, receive, send)


class ScoringArrivals:
    """Tells the micro-batcher that a scoring request is on its way (its body is still being
    read and parsed) until it submits its sentences, so a batch being collected waits for it
    (up to ``max_wait_ms``), and leaves at once when no request is on its way.

    Kept, not replaced by a fixed wait, for latency: a lone request would otherwise always
    wait the full ``max_wait_ms`` (5 ms) before its forward pass, while the measured p50 of a
    single client is 1.4 ms (TF-IDF) and 2.2 ms (tiny encoder) micro-batched, the same as one
    forward per request (benchmarks/results/service_latency.md); and without any wait, requests
    arriving together would not share passes (8 clients: 7.5 sentences per forward, x3.2 req/s).
    The batcher only sees a counter (``track``); it knows nothing of HTTP."""

    def __init__(self, app: ASGIApp, runtime: Runtime):
        self.app, self.runtime = app, runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        batcher = self.runtime.batcher
        if scope["type"] != "http" or batcher is None or scope["path"] not in SCORING_PATHS:
            return await self.app(scope, receive, send)
        with batcher.track():
            await self.app(scope, receive, send)


class BodySizeLimit:
    """413 ``body_too_large`` for a body over ``max_bytes``: at once from its Content-Length,
    or as soon as more was read (chunked uploads). The body read is replayed to the app.
    (Starlette has no such limit.)"""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in _NO_BODY_METHODS:
            return await self.app(scope, receive, send)
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await self._too_large(scope, receive, send, f"Content-Length {int(declared)}")
        chunks, total, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left; nobody to answer
            chunk = message.get("body", b"")
            total += len(chunk)
            if total > self.max_bytes:
                return await self._too_large(scope, receive, send, f"more than {self.max_bytes} bytes read")
            chunks.append(chunk)
            more = message.get("more_body", False)
        await self.app(scope, _replay(b"".join(chunks), receive), send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, seen: str) -> None:
        response = error_response(
            413, "body_too_large", f"request body over {self.max_bytes} bytes (max_body_bytes; {seen})",
            _request_id(scope), limit="max_body_bytes", value=self.max_bytes)
        await response(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives ``body`` once, then whatever the client sends next (disconnect)."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def instrument_http(app, registry: CollectorRegistry) -> None:
    """HTTP request metrics by prometheus-fastapi-instrumentator, under the names and labels
    the service has always exported (``khitab_http_requests_total{method,path,status}``,
    ``khitab_http_request_duration_seconds{method,path}``, ``khitab_http_requests_in_flight``)."""
    instrumentator = Instrumentator(should_group_status_codes=False, registry=registry)
    instrumentator.add(_request_metrics(registry)).instrument(app)
    app.add_middleware(InFlightRequests, gauge=Gauge("khitab_http_requests_in_flight", "Requests being answered.",
                                                     registry=registry))


def _request_metrics(registry: CollectorRegistry) -> Callable[[Info], None]:
    requests = Counter("khitab_http_requests", "HTTP requests by path and status.",
                       ["method", "path", "status"], registry=registry)
    latency = Histogram("khitab_http_request_duration_seconds", "Time to answer a request.",
                        ["method", "path"], registry=registry,
                        buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30))

    def record(info: Info) -> None:
        path = info.modified_handler if info.modified_handler in _KNOWN_PATHS else "other"
        method = info.method if info.method in _KNOWN_METHODS else "other"
        requests.labels(method, path, info.modified_status).inc()
        latency.labels(method, path).observe(info.modified_duration)

    return record
