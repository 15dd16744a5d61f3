"""The review loop's endpoints (attached only when the service has a review store):

    GET  /v1/reviews/queue?limit=N&reviewer=NAME   the reviewer's next items, most informative first
    POST /v1/reviews                               verdicts: one object, a list, or {"verdicts": [...]}
    GET  /v1/reviews/stats                         counts and per-label agreement
    GET  /review, /review/review.js                the review page (static, no build step)

Each is one call of ``khitab.review``. They are plain ``def`` handlers: FastAPI runs them in
its thread pool, so the store's blocking database calls (a SQLite commit waits for its fsync)
never stall the event loop that the scoring requests share.
"""
from __future__ import annotations

from typing import Annotated, Any, Optional

from fastapi import APIRouter, Body, FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from khitab.review import ReviewStore, VerdictError, next_items, page_file, parse_verdict_body, record_verdicts, stats
from khitab.serving.errors import ServiceError
from khitab.serving.schemas import ERROR_RESPONSES, ErrorBody, ReviewQueue, ReviewStats, VerdictsRecorded

router = APIRouter(tags=["review"])
_BODY = {"response_class": JSONResponse, "response_model_exclude_unset": True}
MAX_QUEUE_LIMIT = 500
VERDICT_EXAMPLE = {"item_id": "3f1c0e9a7b2d4c6e8f0a1b2c", "label": "threat", "verdict": "confirm",
                   "reviewer": "analyst-1", "note": ""}


def attach_review_router(app: FastAPI) -> None:
    app.include_router(router)


def store_of(request: Request) -> ReviewStore:
    return request.app.state.runtime.review_store


@router.get("/v1/reviews/queue", response_model=ReviewQueue, **_BODY)
def review_queue(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=MAX_QUEUE_LIMIT, description="Items at most.")] = 20,
    reviewer: Annotated[Optional[str], Query(description="Leave out what this reviewer has judged.")] = None,
) -> ReviewQueue:
    """The next items to review, most informative first (nearest a threshold, then highest
    score); none that ``reviewer`` has judged on every label it asks about."""
    return ReviewQueue(items=next_items(store_of(request), reviewer or None, limit))


@router.post("/v1/reviews", response_model=VerdictsRecorded, **_BODY,
             responses={**ERROR_RESPONSES, 422: {"model": ErrorBody, "description": (
                 "`invalid_verdict`: an unknown item, label or verdict, or a missing field; `detail` lists "
                 "each problem as {index, field, message}. Nothing of the body was recorded.")}})
def post_verdicts(
    request: Request,
    body: Annotated[Any, Body(description="A verdict {item_id, label, verdict: confirm|reject, reviewer, note}, "
                                          "a list of them, or {\"verdicts\": [...]}; recorded all or none.",
                              examples=[VERDICT_EXAMPLE, {"verdicts": [VERDICT_EXAMPLE]}])],
) -> dict[str, list[int]]:
    """Record verdicts, appended to the audit trail (each reviewer's latest per item and label counts)."""
    try:
        return {"verdict_ids": record_verdicts(store_of(request), parse_verdict_body(body))}
    except VerdictError as exc:
        raise ServiceError(422, "invalid_verdict", exc.problems) from None


@router.get("/v1/reviews/stats", response_model=ReviewStats, **_BODY)
def review_stats(request: Request) -> dict[str, Any]:
    """Items, verdicts, reviewers, and per label the agreement with the model and between reviewers."""
    return stats(store_of(request))


@router.get("/review", response_class=Response, include_in_schema=False)
def review_page() -> Response:
    return page_response("index.html")


@router.get("/review/{name}", response_class=Response, include_in_schema=False)
def review_page_file(name: str) -> Response:
    return page_response(name)


def page_response(name: str) -> Response:
    try:
        content, media_type = page_file(name)
    except KeyError:
        raise HTTPException(404, f"no page file {name!r}") from None
    return Response(content, media_type=media_type, headers={"Cache-Control": "no-cache"})
