"""GraphQL errors: our errors carry ``extensions.code``; anything unexpected is masked.

``TraceapiError`` becomes an error with ``extensions.code`` (NOT_FOUND, INVALID_INPUT,
LIMIT_EXCEEDED, ... and UNAUTHENTICATED for a missing or bad key, FORBIDDEN for a role too low)
and ``details`` when it has them. Any other exception answers ``internal error`` with code
INTERNAL and the request id, and is logged with its traceback under that id.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import MaskErrors
from strawberry.types import ExecutionContext

from traceapi.errors import TraceapiError, Unauthorized

log = logging.getLogger("traceapi.graphql")

_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")
"""graphql-core's hints ("Did you mean 'status'?"), which spell out the schema."""


def is_unexpected(error: GraphQLError) -> bool:
    """True for errors from a bug or an outage: not ours, not GraphQL's own."""
    original = error.original_error
    return original is not None and not isinstance(original, TraceapiError | GraphQLError)


def graphql_code(error: TraceapiError) -> str:
    return "UNAUTHENTICATED" if isinstance(error, Unauthorized) else error.code


def _request_id(execution_context: ExecutionContext | None) -> str | None:
    context = execution_context.context if execution_context is not None else None
    return getattr(context, "request_id", None)


def log_unexpected(errors: list[GraphQLError], execution_context: ExecutionContext | None) -> None:
    """Logs each unexpected error with its traceback and the request id; the rest are answers."""
    for error in errors:
        if is_unexpected(error):
            original = error.original_error
            assert original is not None
            log.error(
                "unexpected error in GraphQL resolver",
                exc_info=(type(original), original, original.__traceback__),
                extra={
                    "request_id": _request_id(execution_context),
                    "graphql_path": ".".join(str(p) for p in error.path or []),
                },
            )


class ErrorCodes(MaskErrors):
    """MaskErrors that also gives our own errors their code (and counts every error); with
    ``hide_suggestions`` (the production profile) GraphQL's own errors lose their hints."""

    def __init__(self, *, hide_suggestions: bool = False) -> None:
        super().__init__(should_mask_error=is_unexpected, error_message="internal error")
        self.hide_suggestions = hide_suggestions

    def _without_hints(self, error: GraphQLError) -> GraphQLError:
        message = _SUGGESTION.sub("", error.message)
        if message == error.message:
            return error
        return GraphQLError(
            message=message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions=error.extensions,
        )

    def _count(self, code: str) -> None:
        metrics = getattr(self.execution_context.context, "metrics", None)
        if metrics is not None:
            metrics.count_error(code=code, interface="graphql")

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        self._count("INTERNAL")
        return GraphQLError(
            message=self.error_message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions={"code": "INTERNAL", "request_id": _request_id(self.execution_context)},
        )

    def _with_code(self, error: GraphQLError, original: TraceapiError) -> GraphQLError:
        code = graphql_code(original)
        self._count(code)
        extensions: dict[str, Any] = {**(error.extensions or {}), "code": code}
        if original.details is not None:
            extensions["details"] = original.details
        return GraphQLError(
            message=original.message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions=extensions,
        )

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        processed: list[GraphQLError] = []
        for error in errors:
            original = error.original_error
            if isinstance(original, TraceapiError):
                processed.append(self._with_code(error, original))
            elif self.should_mask_error(error):
                processed.append(self.anonymise_error(error))
            else:
                if not (error.extensions or {}).get("code"):
                    self._count("GRAPHQL_ERROR")
                processed.append(self._without_hints(error) if self.hide_suggestions else error)
        return processed
