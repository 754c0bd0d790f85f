"""One root exception and a few subclasses, each mapped once per interface (HTTP, GraphQL, CLI)."""

from __future__ import annotations

from typing import Any, ClassVar


class TraceapiError(Exception):
    """Root of every error traceapi raises on purpose.

    ``code`` is the stable machine name used in REST error bodies and GraphQL error extensions;
    ``http_status`` and ``exit_code`` are how the REST API and the CLI report it.
    """

    code: ClassVar[str] = "ERROR"
    http_status: ClassVar[int] = 500
    exit_code: ClassVar[int] = 1

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return body


class NotFound(TraceapiError):
    """An identifier that resolves to nothing in the store."""

    code = "NOT_FOUND"
    http_status = 404
    exit_code = 3


class InvalidInput(TraceapiError):
    """Input that cannot be accepted; ``details`` names where (file, line, field) when known."""

    code = "INVALID_INPUT"
    http_status = 422
    exit_code = 2


class Conflict(TraceapiError):
    """A write that contradicts what the store already holds."""

    code = "CONFLICT"
    http_status = 409
    exit_code = 4


class LimitExceeded(TraceapiError):
    """A request larger than the configured limits (node cap, page size, body size)."""

    code = "LIMIT_EXCEEDED"
    http_status = 413
    exit_code = 5


class StoreUnavailable(TraceapiError):
    """The backing store does not answer."""

    code = "STORE_UNAVAILABLE"
    http_status = 503
    exit_code = 6


class StoreMissing(StoreUnavailable):
    """No store where the settings point, and this caller reads one rather than creating it."""

    code = "STORE_MISSING"


class PortInUse(TraceapiError):
    """The port a server was asked to listen on is taken by another program."""

    code = "PORT_IN_USE"
    http_status = 500
    exit_code = 9


class Unauthorized(TraceapiError):
    """No credentials, or credentials that match no active key."""

    code = "UNAUTHORIZED"
    http_status = 401
    exit_code = 7


class Forbidden(TraceapiError):
    """Authenticated, but the role does not allow this."""

    code = "FORBIDDEN"
    http_status = 403
    exit_code = 7


class TooManyRequests(TraceapiError):
    """A client over one of its rates (requests, failed keys); it may try again later."""

    code = "RATE_LIMITED"
    http_status = 429
    exit_code = 5

    def __init__(self, message: str, *, retry_after: int, details: Any = None) -> None:
        super().__init__(message, details={"retry_after_seconds": retry_after, **(details or {})})
        self.retry_after = retry_after


class CorruptData(TraceapiError):
    """Something stored that does not decode; the message names it, ``db check`` lists all."""

    code = "CORRUPT_DATA"
    http_status = 500
    exit_code = 10


class PreconditionFailed(Conflict):
    """A conditional request (``If-Match``) whose version is no longer the current one."""

    code = "PRECONDITION_FAILED"
    http_status = 412
    exit_code = 4
