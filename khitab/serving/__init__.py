"""HTTP service (``khitab serve``): FastAPI on uvicorn, over the moderator and a micro-batcher.

    app.py           create_app(model, policy, limits, review_store=URL), serve(app, host, port)
    routes.py        the endpoints (an APIRouter): /v1/score, /v1/moderate, /healthz, /readyz, /metrics
    review_routes.py with a review store: /v1/reviews/queue, /v1/reviews, /v1/reviews/stats, /review
    schemas.py       request and response bodies (the OpenAPI schema)
    runtime.py       Runtime (moderator, micro-batcher, limits, review store) and the domain metrics
    middleware.py    request id, body-size limit, last-resort 500, HTTP metrics
    errors.py        error bodies and exception handlers

Sentences of concurrent requests are scored in shared forward passes
(``khitab.inference.microbatch``). Every response carries ``X-Request-ID`` (the client's, when
it sent a well-formed one); every error body is ``{"error": CODE, "detail": ..., "request_id": ...}``
and never holds a stack trace (those go to the server log with the request id).
"""
from khitab.extras import SERVE_MODULES, require

for _module in SERVE_MODULES:  # before the imports below: a missing extra is one clear line
    require("serve", _module)

from khitab.serving.app import create_app, serve  # noqa: E402
from khitab.serving.runtime import ServiceLimits  # noqa: E402

__all__ = ["ServiceLimits", "create_app", "serve"]
