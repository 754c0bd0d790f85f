"""One error shape for every REST answer that is not a success, and the handlers that make it."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Send

from traceapi.errors import TooManyRequests, TraceapiError, Unauthorized

log = logging.getLogger("traceapi.api")

_HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    413: "LIMIT_EXCEEDED",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "INVALID_INPUT",
    429: "TOO_MANY_REQUESTS",
    503: "STORE_UNAVAILABLE",
}


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    """``{"error": {"code", "message", ...}}``: the body of every error answer."""
    return {"error": {"code": code, "message": message, **extra}}


async def send_json(
    send: Send, status: int, body: dict[str, Any], *, headers: Mapping[str, str] | None = None
) -> None:
    """An error answer written straight to ASGI, for middleware that answers before the app."""
    payload = json.dumps(body).encode("utf-8")
    raw = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        *(
            (name.encode("latin-1"), value.encode("latin-1"))
            for name, value in (headers or {}).items()
        ),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})


def _count(request: Request, code: str) -> None:
    metrics = getattr(request.app.state, "metrics", None)
    if metrics is not None:
        metrics.count_error(code=code, interface="rest")


def _traceapi_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TraceapiError)
    _count(request, exc.code)
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else None
    if isinstance(exc, TooManyRequests):
        headers = {"Retry-After": str(exc.retry_after)}
    return JSONResponse({"error": exc.to_dict()}, status_code=exc.http_status, headers=headers)


def _field_name(loc: Sequence[Any]) -> str:
    return ".".join(str(part) for part in loc)


def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type", "")}
        for err in exc.errors()
    ]
    loc: list[Any] = problems[0]["loc"] if problems else []
    msg = str(problems[0]["msg"]) if problems else "invalid request"
    message = f"{_field_name(loc)}: {msg}" if loc else msg
    _count(request, "INVALID_INPUT")
    return JSONResponse(error_body("INVALID_INPUT", message, details=problems), status_code=422)


def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, f"HTTP_{exc.status_code}")
    _count(request, code)
    message = exc.detail if isinstance(exc.detail, str) else code.lower().replace("_", " ")
    return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=exc.headers)


def install_error_handlers(app: FastAPI) -> None:
    """Maps our errors, validation errors and HTTP errors to the one error shape."""
    app.add_exception_handler(TraceapiError, _traceapi_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
