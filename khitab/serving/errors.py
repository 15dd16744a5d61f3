"""Every error the service answers is ``{"error": CODE, "detail": ..., "request_id": ...}``
(plus ``limit``/``value`` for a named limit) and never holds a stack trace: those go to the
server log, tagged with the request id."""
from __future__ import annotations

import logging
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from khitab.inference.microbatch import ModelError

log = logging.getLogger("khitab.service")


class ServiceError(Exception):
    def __init__(self, status: int, error: str, detail: Any, **extra: Any):
        super().__init__(detail)
        self.status, self.error, self.detail, self.extra = status, error, detail, extra


def error_response(status: int, error: str, detail: Any, request_id: str,
                   headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body = {"error": error, "detail": detail, "request_id": request_id, **extra}
    return JSONResponse(body, status_code=status, headers=headers)


def request_id(request: Request) -> str:
    """The id ``middleware.RequestId`` gave this request."""
    return getattr(request.state, "request_id", "")


async def service_error(request: Request, exc: ServiceError) -> JSONResponse:
    headers = {"Retry-After": "1"} if exc.status == 503 else None
    return error_response(exc.status, exc.error, exc.detail, request_id(request), headers, **exc.extra)


async def model_error(request: Request, exc: ModelError) -> JSONResponse:
    request.app.state.runtime.metrics.model_errors.inc()
    log.error("model error [request %s]: %s", request_id(request), exc)
    return error_response(500, "model_error", "the model failed on this request; quote the request id",
                          request_id(request))


async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    if any(err.get("type") == "json_invalid" for err in errors):
        err = errors[0]
        detail = f"invalid JSON at position {err['loc'][-1]}: {err.get('ctx', {}).get('error', '')}".strip()
        return error_response(422, "invalid_json", detail, request_id(request))
    detail = [{"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type", "")}
              for err in errors]
    return error_response(422, "invalid_request", detail, request_id(request))


async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):  # undecodable body
        return error_response(422, "invalid_json", "the body is not valid UTF-8 JSON", request_id(request))
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, exc.detail, request_id(request), getattr(exc, "headers", None))


EXCEPTION_HANDLERS = {
    ServiceError: service_error,
    ModelError: model_error,
    RequestValidationError: invalid_request,
    StarletteHTTPException: http_error,
}
