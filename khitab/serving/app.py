"""``create_app(model, policy, limits, review_store=URL)``: the service app; ``serve`` runs it on uvicorn."""
from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from khitab.models.base import SentenceClassifier
from khitab.models.runtime import RuntimeOptions
from khitab.moderation.policy import Policy
from khitab.review import ReviewStore
from khitab.serving.errors import EXCEPTION_HANDLERS
from khitab.serving.middleware import BodySizeLimit, LastResortErrors, RequestId, ScoringArrivals, instrument_http
from khitab.serving.review_routes import attach_review_router
from khitab.serving.routes import attach_router
from khitab.serving.runtime import Runtime, ServiceLimits
from khitab.version import __version__


@asynccontextmanager
async def lifespan(app: FastAPI):
    await app.state.runtime.start()
    try:
        yield
    finally:  # uvicorn gets here after in-flight requests finished (graceful shutdown)
        await app.state.runtime.stop()


def create_app(model: SentenceClassifier, policy: Policy | str | Path | None = None,
               limits: ServiceLimits | None = None, *, review_store: str | Path | None = None,
               enqueue_reviews: bool = False, runtime_options: RuntimeOptions | None = None) -> FastAPI:
    """The service app for a loaded ``model`` (a policy that does not fit it fails here).
    ``policy``: a Policy, a YAML path, or None for configs/policy.yaml. ``review_store``: a
    SQLAlchemy URL (a plain path: a SQLite file), opened and migrated here, which adds the
    review endpoints; ``enqueue_reviews``: queue every moderation's review/block evidence, as
    a request's ``"enqueue": true`` does for its own. ``runtime_options``: how the model's
    encoders run (backend, quantisation, batching; default torch fp32), checked against torch
    fp32 before the app exists."""
    limits = limits or ServiceLimits()
    if enqueue_reviews and review_store is None:
        raise ValueError("enqueue_reviews needs a review_store to queue into")
    store = ReviewStore(review_store) if review_store is not None else None
    try:
        runtime = Runtime(model, policy, limits, store, enqueue_reviews, runtime_options)
    except BaseException:
        if store is not None:
            store.close()
        raise
    app = FastAPI(
        title="khitab",
        summary="Arabic threat / sectarian / denial scoring and moderation decisions.",
        description=(
            f"Limits: body at most {limits.max_body_bytes} bytes (413), at most {limits.max_texts} texts per "
            f"request and {limits.max_chars} characters per text (422 naming the limit). Text that is not "
            "mainly Arabic is scored with a `language` warning. Errors: `{error, detail, request_id}`; the "
            "request id is also in the `X-Request-ID` header."
        ),
        version=__version__,
        lifespan=lifespan,
        exception_handlers=EXCEPTION_HANDLERS,
    )
    app.state.runtime = runtime
    attach_router(app)
    if store is not None:
        attach_review_router(app)
    # each middleware added wraps the ones before it: innermost first (order: middleware.py)
    app.add_middleware(BodySizeLimit, max_bytes=limits.max_body_bytes)
    app.add_middleware(ScoringArrivals, runtime=runtime)
    instrument_http(app, runtime.metrics.registry)
    app.add_middleware(LastResortErrors)
    app.add_middleware(RequestId)
    return app


def serve(app: FastAPI, host: str = "127.0.0.1", port: int = 8080, *, shutdown_timeout: float = 30.0,
          log_level: str = "info", access_log: bool = True) -> None:
    """Run ``app`` on uvicorn until SIGINT/SIGTERM; in-flight requests finish first (up to
    ``shutdown_timeout`` seconds)."""
    import uvicorn

    logging.basicConfig(level=getattr(logging, log_level.upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=access_log,
                timeout_graceful_shutdown=shutdown_timeout)
