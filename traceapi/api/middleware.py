"""The outer edge of every request: request id, body size limit, masking of unexpected errors,
one JSON log line and the latency metric."""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from traceapi.api.metrics import ApiMetrics
from traceapi.api.problems import error_body, send_json

access_log = logging.getLogger("traceapi.access")
error_log = logging.getLogger("traceapi.api")

_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


class RequestContextMiddleware:
    """Gives each request an id (``X-Request-ID`` in and out), logs it, times it, and turns an
    unexpected exception into a 500 whose body names the request id and nothing else."""

    def __init__(self, app: ASGIApp, *, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        valid = incoming is not None and _CLIENT_REQUEST_ID.match(incoming) is not None
        request_id = incoming if valid and incoming else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            error_log.exception(
                "unexpected error", extra={"request_id": request_id, "path": scope.get("path")}
            )
            self.metrics.count_error(code="INTERNAL", interface="http")
            if not response_started:
                status = 500
                body = error_body("INTERNAL", "internal error", request_id=request_id)
                await send_json(send, 500, body, headers={"x-request-id": request_id})
        finally:
            seconds = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            self.metrics.observe_request(
                method=scope["method"], route=route, status=status, seconds=seconds
            )
            access_log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope.get("path"),
                    "status": status,
                    "duration_ms": round(seconds * 1000, 3),
                    "request_id": request_id,
                },
            )


class _BodyTooLarge(Exception):
    """Raised inside ``receive`` when the streamed body passes the limit."""


class BodyLimitMiddleware:
    """Answers 413 for a body over ``max_bytes``: from Content-Length before reading anything,
    and while streaming for chunked or lying clients (the app's own answer is then dropped)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(send)
            return
        received = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes and not started:
                    exceeded = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if not exceeded:
                started = True
                await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not exceeded:
                raise
        if exceeded:
            await self._reject(send)

    async def _reject(self, send: Send) -> None:
        body = error_body(
            "LIMIT_EXCEEDED",
            f"request body larger than {self.max_bytes} bytes",
            details={"max_body_bytes": self.max_bytes},
        )
        await send_json(send, 413, body)
