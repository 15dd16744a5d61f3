"""The endpoints, on one ``APIRouter``; handlers take the runtime from ``request.app.state``.

    POST /v1/score      {"sentences": [...]} or {"documents": [{"doc_id": "a1", "text": "..."}]}
    POST /v1/moderate   {"text": "..."} or {"texts": [...], "doc_ids": [...]}; "enqueue": true queues
                        the review/block evidence for reviewers (review_routes.py has their endpoints)
                        with "explain": true (either endpoint) flagged rows and evidence gain cues, voice, speaker
    GET  /healthz       the process answers
    GET  /readyz        the model's worker runs (503 before and while stopping)
    GET  /metrics       Prometheus text: requests, latency, batch sizes, decisions, per-label score
                        histograms and flag counts (drift)

Success bodies are the declared response models, validated by FastAPI. They are written by
``JSONResponse`` (``json.dumps``), not FastAPI's pydantic fast path, so numbers keep their
bytes (``1e-05``; pydantic would write ``0.00001``).
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from khitab.explain import explain_documents_async
from khitab.models.base import score_documents_async, sentence_scores
from khitab.moderation.moderator import Moderator, language_warning
from khitab.serving.errors import request_id
from khitab.serving.runtime import Runtime
from khitab.serving.schemas import (
    ERROR_RESPONSES,
    ModerateRequest,
    ModerateResponse,
    ReadyResponse,
    ScoreRequest,
    ScoreResponse,
)
from khitab.text.split import Span

router = APIRouter()
# only the fields a body sets: optional keys stay absent, as they always were
_BODY = {"response_class": JSONResponse, "response_model_exclude_unset": True}


def attach_router(app: FastAPI) -> None:
    app.include_router(router)


def runtime_of(request: Request) -> Runtime:
    return request.app.state.runtime


@router.post("/v1/score", response_model=ScoreResponse, responses=ERROR_RESPONSES, tags=["scoring"], **_BODY)
async def score(request: Request, body: ScoreRequest) -> ScoreResponse:
    """Score sentences as given, or split documents into sentences and score each
    (rows: the project's output schema, offsets into each document)."""
    runtime = runtime_of(request)
    moderator = runtime.require_ready()
    model = moderator.model
    labels, thresholds = list(model.labels), model.threshold_vector()
    if body.sentences is not None:
        runtime.check_texts(body.sentences, "sentences")
        spans = [Span(0, len(sentence), sentence) for sentence in body.sentences]  # each scored as given
        rows = sentence_scores("", spans, await runtime.probabilities(body.sentences), labels, thresholds)
        if body.explain:
            rows = [row for [row] in await explain_documents_async(
                labels, runtime.probabilities, body.sentences, [[row] for row in rows])]
        warnings = [w for i, sentence in enumerate(body.sentences) for w in text_warnings(sentence, moderator, i)]
    else:
        runtime.check_texts([d.text for d in body.documents], "documents")
        doc_ids = [d.doc_id if d.doc_id is not None else str(i) for i, d in enumerate(body.documents)]
        texts = [d.text for d in body.documents]
        scored = await score_documents_async(texts, runtime.probabilities, labels, thresholds, doc_ids)
        if body.explain:
            scored = await explain_documents_async(labels, runtime.probabilities, texts, scored)
        rows = [row for document in scored for row in document]
        warnings = [w for i, (text, doc_id) in enumerate(zip(texts, doc_ids))
                    for w in text_warnings(text, moderator, i, doc_id)]
    runtime.warn(warnings)
    return ScoreResponse(model=model.name, model_version=model.version, request_id=request_id(request),
                         rows=[row if isinstance(row, dict) else row.to_row() for row in rows], warnings=warnings)


@router.post("/v1/moderate", response_model=ModerateResponse, responses=ERROR_RESPONSES, tags=["moderation"],
             **_BODY)
async def moderate(request: Request, body: ModerateRequest) -> ModerateResponse:
    """Policy decisions (allow / review / block) with evidence sentences: ``text`` gives
    ``decision``, ``texts`` gives ``decisions`` in the same order."""
    runtime = runtime_of(request)
    moderator = runtime.require_ready()
    single = body.text is not None
    texts = [body.text] if single else body.texts
    doc_ids = [body.doc_id or ""] if single else (body.doc_ids or [""] * len(texts))
    runtime.check_texts(texts, "texts")
    enqueue = bool(body.enqueue) or runtime.enqueue_reviews
    if enqueue:
        runtime.require_review_store()  # before scoring: nothing to queue into is the client's error
    decisions = await moderator.check_many_async(texts, doc_ids, runtime.probabilities, explain=bool(body.explain))
    runtime.count(decisions)
    answers = [decision.to_dict() for decision in decisions]
    # the store's commit blocks (SQLite waits for its fsync): off the event loop
    queued = {"queued": await run_in_threadpool(runtime.enqueue, decisions)} if enqueue else {}
    if single:
        return ModerateResponse(request_id=request_id(request), decision=answers[0], **queued)
    return ModerateResponse(request_id=request_id(request), decisions=answers, **queued)


@router.get("/healthz", tags=["operations"])
async def healthz() -> dict[str, str]:
    """The process is up (says nothing about the model: see /readyz)."""
    return {"status": "ok"}


@router.get("/readyz", response_model=ReadyResponse, tags=["operations"], **_BODY,
            responses={503: {"description": "Starting or stopping."}})
async def readyz(request: Request) -> ReadyResponse | JSONResponse:
    """200 once the model's worker runs; 503 before it and while shutting down."""
    runtime = runtime_of(request)
    if runtime.state != "ready":
        return JSONResponse({"status": runtime.state}, status_code=503)
    return ReadyResponse(status="ready", **runtime.moderator.describe(), backend=runtime.scorer.name,
                         limits=runtime.limits)


@router.get("/metrics", tags=["operations"], response_class=Response)
async def metrics(request: Request) -> Response:
    """Prometheus text exposition."""
    return Response(generate_latest(runtime_of(request).metrics.registry), media_type=CONTENT_TYPE_LATEST)


def text_warnings(text: str, moderator: Moderator, index: int, doc_id: str | None = None) -> list[dict[str, Any]]:
    """The warnings of one scored text: ``empty``, or ``language`` when not mainly Arabic."""
    where = {"index": index, **({"doc_id": doc_id} if doc_id is not None else {})}
    if not text.strip():
        return [{"code": "empty", "message": "empty text: nothing to score", **where}]
    warning = language_warning(text, moderator.policy.min_arabic_ratio)
    return [{**warning, **where}] if warning else []

