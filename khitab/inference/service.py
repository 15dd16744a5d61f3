"""HTTP service: ``khitab serve`` runs ``create_app(model, policy, limits)`` on uvicorn.

    POST /v1/score      {"sentences": [...]} or {"documents": [{"doc_id": "a1", "text": "..."}]}
    POST /v1/moderate   {"text": "..."} or {"texts": [...], "doc_ids": [...]}
    GET  /healthz       the process answers
    GET  /readyz        the model is loaded and its worker runs (503 before and while stopping)
    GET  /metrics       Prometheus text: requests, latency, batch sizes, decisions
    GET  /openapi.json  the generated schema (and /docs)

Sentences of concurrent requests are scored in shared forward passes (``microbatch.py``).
Every response carries ``X-Request-ID`` (the client's, when it sent a well-formed one); every
error body is ``{"error": CODE, "detail": ..., "request_id": ...}`` and never holds a stack
trace (those go to the server log with the request id).
"""
from __future__ import annotations

import asyncio
import gc
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from contextlib import asynccontextmanager, nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from pydantic import BaseModel, ConfigDict, Field, StrictStr, model_validator
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException

from khitab.inference.microbatch import MicroBatcher, ModelError, NotRunning, Overloaded
from khitab.models.base import SentenceClassifier, score_documents_async, sentence_scores
from khitab.moderation.moderator import Moderator, language_warning
from khitab.moderation.policy import Policy
from khitab.text.split import Span

log = logging.getLogger("khitab.service")

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_SCORING_PATHS = {"/v1/score", "/v1/moderate"}
_KNOWN_PATHS = _SCORING_PATHS | {"/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/redoc"}


@dataclass(frozen=True)
class ServiceLimits:
    max_body_bytes: int = 1_048_576  # 413 above it (Content-Length, or counted while reading)
    max_texts: int = 64  # sentences / documents / texts per request (422 above)
    max_chars: int = 20_000  # characters per text (422 above)
    max_batch: int = 64  # sentences per forward pass
    max_wait_ms: float = 5.0  # how long a forward pass waits for more requests to join
    max_pending: int = 20_000  # queued sentences before requests get 503 (overloaded)
    microbatch: bool = True  # False: one forward pass per request (for comparison)


# ---------------------------------------------------------------- request and response bodies


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DocumentIn(_Body):
    doc_id: Optional[StrictStr] = Field(default=None, description="Echoed in the rows; default: its index.")
    text: StrictStr


class ScoreRequest(_Body):
    """Exactly one of ``sentences`` (each scored as it is) or ``documents`` (each split into
    sentences; offsets index its text)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"sentences": ["سننتقم منهم قريبا"]},
                                        {"documents": [{"doc_id": "a1", "text": "نفت الوزارة الخبر. سننتقم منهم."}]}]},
    )
    sentences: Optional[list[StrictStr]] = None
    documents: Optional[list[DocumentIn]] = None

    @model_validator(mode="after")
    def _one_input(self) -> ScoreRequest:
        if (self.sentences is None) == (self.documents is None):
            raise ValueError("give exactly one of 'sentences' or 'documents'")
        return self


class ModerateRequest(_Body):
    """Exactly one of ``text`` (answer: ``decision``) or ``texts`` (answer: ``decisions``, in order)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"text": "نفت الوزارة الخبر. سننتقم منهم قريبا."},
                                        {"texts": ["...", "..."], "doc_ids": ["p1", "p2"]}]},
    )
    text: Optional[StrictStr] = None
    doc_id: Optional[StrictStr] = None
    texts: Optional[list[StrictStr]] = None
    doc_ids: Optional[list[StrictStr]] = None

    @model_validator(mode="after")
    def _one_input(self) -> ModerateRequest:
        if (self.text is None) == (self.texts is None):
            raise ValueError("give exactly one of 'text' or 'texts'")
        if self.text is not None and self.doc_ids is not None:
            raise ValueError("'doc_ids' goes with 'texts'; use 'doc_id' with 'text'")
        if self.texts is not None and self.doc_id is not None:
            raise ValueError("'doc_id' goes with 'text'; use 'doc_ids' with 'texts'")
        if self.texts is not None and self.doc_ids is not None and len(self.doc_ids) != len(self.texts):
            raise ValueError(f"{len(self.texts)} texts but {len(self.doc_ids)} doc_ids")
        return self


class Warning_(BaseModel):
    code: str = Field(description="'language' (not mainly Arabic, still scored) or 'empty'.")
    message: str
    index: Optional[int] = None
    doc_id: Optional[str] = None
    arabic_ratio: Optional[float] = None


class Row(BaseModel):
    """The project's output row (README, "Output schema")."""

    doc_id: str
    sentence: int
    start: int
    end: int
    text: str
    scores: dict[str, float]
    flagged: list[str]


class ScoreResponse(BaseModel):
    model: str
    model_version: str
    request_id: str
    rows: list[Row]
    warnings: list[Warning_]


class EvidenceRow(Row):
    labels: list[str] = Field(description="The triggered labels this sentence is evidence for.")


class DecisionOut(BaseModel):
    doc_id: str
    action: str = Field(description="allow / review / block")
    labels: list[str]
    label_actions: dict[str, str]
    scores: dict[str, float]
    evidence: list[EvidenceRow]
    warnings: list[Warning_]
    model: str
    model_version: str
    policy_version: str


class ModerateResponse(BaseModel):
    request_id: str
    decision: Optional[DecisionOut] = None
    decisions: Optional[list[DecisionOut]] = None


class ErrorBody(BaseModel):
    error: str = Field(description="invalid_json, invalid_request, limit_exceeded, body_too_large, "
                                   "model_error, internal_error, not_ready, overloaded, not_found, ...")
    detail: Any
    request_id: str
    limit: Optional[str] = None
    value: Optional[int] = None


_ERRORS = {
    413: {"model": ErrorBody, "description": "Body larger than max_body_bytes."},
    422: {"model": ErrorBody, "description": "Invalid JSON, wrong types, or a limit (named in `limit`) exceeded."},
    500: {"model": ErrorBody, "description": "Model or server error; quote the request id."},
    503: {"model": ErrorBody, "description": "Model not loaded yet, stopping, or overloaded."},
}


class ServiceError(Exception):
    def __init__(self, status: int, error: str, detail: Any, **extra: Any):
        super().__init__(detail)
        self.status, self.error, self.detail, self.extra = status, error, detail, extra


# ---------------------------------------------------------------- metrics


class Metrics:
    """One registry per app, so several apps (tests) never share counters."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("khitab_http_requests", "HTTP requests by path and status.",
                                ["method", "path", "status"], registry=r)
        self.latency = Histogram("khitab_http_request_duration_seconds", "Time to answer a request.",
                                 ["method", "path"], registry=r,
                                 buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30))
        self.in_flight = Gauge("khitab_http_requests_in_flight", "Requests being answered.", registry=r)
        self.batch_sentences = Histogram("khitab_batch_sentences", "Sentences per forward pass.", registry=r,
                                         buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512))
        self.batch_requests = Histogram("khitab_batch_requests", "Requests sharing one forward pass.", registry=r,
                                        buckets=(1, 2, 4, 8, 16, 32, 64, 128))
        self.forward_seconds = Histogram("khitab_forward_seconds", "Time of one forward pass.", registry=r,
                                         buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
        self.queued = Gauge("khitab_queued_sentences", "Sentences waiting for a forward pass.", registry=r)
        self.decisions = Counter("khitab_decisions", "Moderation decisions by action.", ["action"], registry=r)
        self.warnings = Counter("khitab_warnings", "Warnings attached to scored texts.", ["code"], registry=r)
        self.model_errors = Counter("khitab_model_errors", "Requests failed by a model error.", registry=r)
        self.ready = Gauge("khitab_ready", "1 when the model is loaded and its worker runs.", registry=r)
        self.info = Gauge("khitab_model_info", "The served model and policy (value 1).",
                          ["model", "model_version", "policy_version"], registry=r)

    def observe_batch(self, sentences: int, requests: int, seconds: float) -> None:
        self.batch_sentences.observe(sentences)
        self.batch_requests.observe(requests)
        self.forward_seconds.observe(seconds)


# ---------------------------------------------------------------- runtime: model, policy, batcher


ModelSource = Union[SentenceClassifier, str, Path, Callable[[], SentenceClassifier]]


class Runtime:
    def __init__(self, model: ModelSource, policy: Policy | str | Path | None, limits: ServiceLimits):
        self.limits = limits
        self.metrics = Metrics()
        self.policy_source = policy
        self.model_source = model
        self.moderator: Moderator | None = None
        self.batcher: MicroBatcher | None = None
        self.state = "loading"  # loading -> ready -> stopping; or failed
        self.error: str | None = None
        self._loader: asyncio.Task | None = None
        if isinstance(model, SentenceClassifier):
            self.moderator = Moderator(model, policy)  # a policy that does not fit fails here

    def _build(self) -> Moderator:
        source = self.model_source
        if callable(source) and not isinstance(source, SentenceClassifier):
            source = source()
        return Moderator(source, self.policy_source)

    async def start(self) -> None:
        if self.moderator is not None:
            await self._start_batcher()
        else:  # load in the background: /healthz answers, /readyz says 503 until ready
            self._loader = asyncio.get_running_loop().create_task(self._load())

    async def _load(self) -> None:
        try:
            self.moderator = await asyncio.get_running_loop().run_in_executor(None, self._build)
        except Exception as exc:
            self.state, self.error = "failed", f"{type(exc).__name__}: {exc}"
            log.error("could not load the model: %s", self.error)
            return
        await self._start_batcher()

    async def _start_batcher(self) -> None:
        limits, moderator = self.limits, self.moderator
        self.batcher = MicroBatcher(
            moderator.model.predict_proba,
            max_batch=limits.max_batch,
            max_wait_ms=limits.max_wait_ms,
            max_pending=limits.max_pending,
            merge=limits.microbatch,
            on_batch=self.metrics.observe_batch,
        )
        await self.batcher.start()
        # torch, transformers and the model leave millions of long-lived objects: a full garbage
        # collection scanning them stalls every in-flight request (~200 ms on 2 cores). Moved
        # out of the collector's view, they are never scanned again.
        gc.collect()
        gc.freeze()
        self.metrics.queued.set_function(lambda: self.batcher.pending)
        info = moderator.describe()
        self.metrics.info.labels(info["model"], info["model_version"], info["policy_version"]).set(1)
        self.metrics.ready.set(1)
        self.state = "ready"
        log.info("ready: model %s (%s), policy %s", info["model"], info["model_version"], info["policy_version"])

    async def stop(self) -> None:
        if self.state == "ready":
            self.state = "stopping"
        self.metrics.ready.set(0)
        if self._loader is not None and not self._loader.done():
            self._loader.cancel()
        if self.batcher is not None:
            await self.batcher.stop()

    def require_ready(self) -> Moderator:
        if self.state != "ready":
            detail = {"loading": "the model is still loading", "stopping": "the service is shutting down"}.get(
                self.state, f"the model could not be loaded: {self.error}")
            raise ServiceError(503, "not_ready", detail)
        return self.moderator

    async def probabilities(self, sentences: list[str]) -> np.ndarray:
        if not sentences:
            return np.zeros((0, len(self.moderator.model.labels)))
        try:
            return await self.batcher.submit(sentences)
        except Overloaded as exc:
            raise ServiceError(503, "overloaded", f"too many sentences queued; retry later ({exc})") from None
        except NotRunning:
            raise ServiceError(503, "not_ready", "the service is shutting down") from None

    def check_texts(self, texts: list[str], what: str) -> None:
        limits = self.limits
        if len(texts) > limits.max_texts:
            raise ServiceError(422, "limit_exceeded",
                               f"at most {limits.max_texts} {what} per request (max_texts); got {len(texts)}",
                               limit="max_texts", value=limits.max_texts)
        for i, text in enumerate(texts):
            if len(text) > limits.max_chars:
                raise ServiceError(422, "limit_exceeded",
                                   f"{what}[{i}] has {len(text)} characters; at most {limits.max_chars} (max_chars)",
                                   limit="max_chars", value=limits.max_chars)

    def warn(self, warnings: list[dict]) -> None:
        for warning in warnings:
            self.metrics.warnings.labels(warning["code"]).inc()


# ---------------------------------------------------------------- the gateway middleware


class Gateway:
    """Outermost layer (pure ASGI): request id, body-size limit, metrics, and a last-resort
    500 without stack trace for anything that escaped the handlers."""

    def __init__(self, app, runtime: Runtime):
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        runtime, metrics = self.runtime, self.runtime.metrics
        incoming = dict(scope.get("headers") or []).get(REQUEST_ID_HEADER.lower().encode(), b"").decode("latin-1")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope["khitab.request_id"] = request_id
        path = scope["path"] if scope["path"] in _KNOWN_PATHS else "other"
        method = scope["method"] if scope["method"] in ("GET", "POST", "HEAD") else "other"
        response = {"status": 500, "started": False}

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                response["status"], response["started"] = message["status"], True
                MutableHeaders(scope=message).append(REQUEST_ID_HEADER, request_id)
            await send(message)

        started = time.perf_counter()
        metrics.in_flight.inc()
        batcher = runtime.batcher
        tracking = batcher.track() if batcher is not None and scope["path"] in _SCORING_PATHS else nullcontext()
        try:
            with tracking:
                body_receive = await self._read_body(scope, receive, send_with_id, request_id)
                if body_receive is not None:
                    await self.app(scope, body_receive, send_with_id)
        except Exception:
            log.exception("unhandled error [request %s]", request_id)
            if not response["started"]:
                await _send_json(send_with_id, 500, _error_body(
                    "internal_error", "internal server error; quote the request id", request_id))
        finally:
            metrics.in_flight.dec()
            metrics.requests.labels(method, path, str(response["status"])).inc()
            metrics.latency.labels(method, path).observe(time.perf_counter() - started)

    async def _read_body(self, scope, receive, send, request_id):
        """The whole body, read up to the limit, replayed to the app; None when answered 413."""
        if scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            return receive
        limit = self.runtime.limits.max_body_bytes
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._too_large(send, request_id, limit, f"Content-Length {int(declared)}")
            return None
        chunks, total, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None  # the client left; nobody to answer
            chunk = message.get("body", b"")
            total += len(chunk)
            if total > limit:
                await self._too_large(send, request_id, limit, f"more than {limit} bytes read")
                return None
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replay

    @staticmethod
    async def _too_large(send, request_id: str, limit: int, seen: str) -> None:
        await _send_json(send, 413, _error_body(
            "body_too_large", f"request body over {limit} bytes (max_body_bytes; {seen})", request_id,
            limit="max_body_bytes", value=limit))


def _error_body(error: str, detail: Any, request_id: str, **extra: Any) -> dict[str, Any]:
    return {"error": error, "detail": detail, "request_id": request_id, **extra}


async def _send_json(send, status: int, body: dict[str, Any]) -> None:
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]})
    await send({"type": "http.response.body", "body": data})


def _request_id(request: Request) -> str:
    return request.scope.get("khitab.request_id", "")


# ---------------------------------------------------------------- the app


def create_app(
    model: ModelSource,
    policy: Policy | str | Path | None = None,
    limits: ServiceLimits | None = None,
) -> FastAPI:
    """The service app. ``model``: a loaded classifier (checked against the policy now), or
    a bundle path or a zero-argument loader (loaded in the background at startup; /readyz
    answers 503 until then). ``policy``: a Policy, a YAML path, or None for configs/policy.yaml."""
    limits = limits or ServiceLimits()
    runtime = Runtime(model, policy, limits)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await runtime.start()
        try:
            yield
        finally:  # uvicorn gets here after in-flight requests finished (graceful shutdown)
            await runtime.stop()

    app = FastAPI(
        title="khitab",
        summary="Arabic threat / sectarian / denial scoring and moderation decisions.",
        description=(
            f"Limits: body at most {limits.max_body_bytes} bytes (413), at most {limits.max_texts} texts per "
            f"request and {limits.max_chars} characters per text (422 naming the limit). Text that is not "
            "mainly Arabic is scored with a `language` warning. Errors: `{error, detail, request_id}`; the "
            "request id is also in the `X-Request-ID` header."
        ),
        version=_package_version(),
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.state.limits = limits
    app.add_middleware(Gateway, runtime=runtime)

    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError):
        headers = {"Retry-After": "1"} if exc.status == 503 else None
        return JSONResponse(_error_body(exc.error, exc.detail, _request_id(request), **exc.extra),
                            status_code=exc.status, headers=headers)

    @app.exception_handler(ModelError)
    async def _model_error(request: Request, exc: ModelError):
        runtime.metrics.model_errors.inc()
        log.error("model error [request %s]: %s", _request_id(request), exc)
        return JSONResponse(_error_body("model_error", "the model failed on this request; quote the request id",
                                        _request_id(request)), status_code=500)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        errors = exc.errors()
        if any(err.get("type") == "json_invalid" for err in errors):
            err = errors[0]
            detail = f"invalid JSON at position {err['loc'][-1]}: {err.get('ctx', {}).get('error', '')}".strip()
            return JSONResponse(_error_body("invalid_json", detail, _request_id(request)), status_code=422)
        detail = [{"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type", "")}
                  for err in errors]
        return JSONResponse(_error_body("invalid_request", detail, _request_id(request)), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):  # undecodable body
            return JSONResponse(_error_body("invalid_json", "the body is not valid UTF-8 JSON", _request_id(request)),
                                status_code=422)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(_error_body(code, exc.detail, _request_id(request)), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.post("/v1/score", response_model=ScoreResponse, responses=_ERRORS, tags=["scoring"])
    async def score(request: Request, body: ScoreRequest) -> JSONResponse:
        """Score sentences as given, or split documents into sentences and score each
        (rows: the project's output schema, offsets into each document)."""
        moderator = runtime.require_ready()
        model = moderator.model
        labels, thresholds = list(model.labels), model.threshold_vector()
        warnings = []
        if body.sentences is not None:
            runtime.check_texts(body.sentences, "sentences")
            spans = [Span(0, len(sentence), sentence) for sentence in body.sentences]  # scored as given
            rows = sentence_scores("", spans, await runtime.probabilities(body.sentences), labels, thresholds)
            for i, sentence in enumerate(body.sentences):
                warnings += _warnings_for(sentence, moderator, index=i)
        else:
            documents = body.documents
            runtime.check_texts([d.text for d in documents], "documents")
            doc_ids = [d.doc_id if d.doc_id is not None else str(i) for i, d in enumerate(documents)]
            scored = await score_documents_async([d.text for d in documents], runtime.probabilities, labels,
                                                 thresholds, doc_ids)
            rows = [sentence for sentences in scored for sentence in sentences]
            for i, (document, doc_id) in enumerate(zip(documents, doc_ids)):
                warnings += _warnings_for(document.text, moderator, index=i, doc_id=doc_id)
        rows = [row.to_row() for row in rows]
        runtime.warn(warnings)
        return JSONResponse({"model": model.name, "model_version": model.version,
                             "request_id": _request_id(request), "rows": rows, "warnings": warnings})

    @app.post("/v1/moderate", response_model=ModerateResponse, responses=_ERRORS, tags=["moderation"])
    async def moderate(request: Request, body: ModerateRequest) -> JSONResponse:
        """Policy decisions (allow / review / block) with evidence sentences: ``text`` gives
        ``decision``, ``texts`` gives ``decisions`` in the same order."""
        moderator = runtime.require_ready()
        single = body.text is not None
        texts = [body.text] if single else body.texts
        doc_ids = [body.doc_id or ""] if single else (body.doc_ids or [""] * len(texts))
        runtime.check_texts(texts, "texts")
        decisions = []
        for decision in await moderator.check_many_async(texts, doc_ids, runtime.probabilities):
            runtime.metrics.decisions.labels(decision.action).inc()
            runtime.warn(decision.warnings)
            decisions.append(decision.to_dict())
        payload: dict[str, Any] = {"request_id": _request_id(request)}
        payload.update({"decision": decisions[0]} if single else {"decisions": decisions})
        return JSONResponse(payload)

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        """The process is up (says nothing about the model: see /readyz)."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"], responses={503: {"description": "Loading, failed or stopping."}})
    async def readyz() -> JSONResponse:
        """200 once the model is loaded and its worker runs; 503 before, after a failed load and
        while shutting down."""
        if runtime.state != "ready":
            body = {"status": runtime.state, **({"error": runtime.error} if runtime.error else {})}
            return JSONResponse(body, status_code=503)
        return JSONResponse({"status": "ready", **runtime.moderator.describe(), "limits": asdict(limits)})

    @app.get("/metrics", tags=["operations"], response_class=Response)
    async def metrics() -> Response:
        """Prometheus text exposition."""
        return Response(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return app


def _warnings_for(text: str, moderator: Moderator, index: int, doc_id: str | None = None) -> list[dict[str, Any]]:
    where = {"index": index, **({"doc_id": doc_id} if doc_id is not None else {})}
    if not text.strip():
        return [{"code": "empty", "message": "empty text: nothing to score", **where}]
    warning = language_warning(text, moderator.policy.min_arabic_ratio)
    return [{**warning, **where}] if warning else []


def _package_version() -> str:
    from khitab import __version__

    return __version__


def serve(app: FastAPI, host: str = "127.0.0.1", port: int = 8080, *, shutdown_timeout: float = 30.0,
          log_level: str = "info", access_log: bool = True) -> None:
    """Run ``app`` on uvicorn until SIGINT/SIGTERM; in-flight requests finish first (up to
    ``shutdown_timeout`` seconds)."""
    import uvicorn

    logging.basicConfig(level=getattr(logging, log_level.upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=access_log,
                timeout_graceful_shutdown=shutdown_timeout)
