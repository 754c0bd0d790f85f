"""The GraphQL schema and router, with the abuse limits and caches the settings ask for."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import anyio
import strawberry
from fastapi import Request
from fastapi.responses import HTMLResponse
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
)
from strawberry.fastapi import GraphQLRouter
from strawberry.types import ExecutionContext, ExecutionResult

from traceapi.console.explorer_pages import graphiql_page
from traceapi.gql.context import get_context
from traceapi.gql.errors import ErrorCodes, log_unexpected
from traceapi.gql.guard import DocumentChecks, QueryGuard, QueryRefused
from traceapi.gql.mutations import Mutation
from traceapi.gql.queries import Query
from traceapi.gql.types import GRAPH_NODE_TYPES
from traceapi.settings import Settings

GRAPHQL_PATH = "/graphql"
_CACHE_SIZE = 512


@dataclass(frozen=True, slots=True)
class Limits:
    """The settings a schema's extensions are built from (hashable, so schemas are cached)."""

    max_depth: int
    max_aliases: int
    max_tokens: int
    max_cost: int
    deadline_seconds: float
    production: bool

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(
            max_depth=settings.gql_max_depth,
            max_aliases=settings.gql_max_aliases,
            max_tokens=settings.gql_max_tokens,
            max_cost=settings.gql_max_cost,
            deadline_seconds=settings.gql_deadline_seconds,
            production=settings.profile == "production",
        )


class TraceapiSchema(strawberry.Schema):
    """Logs only unexpected errors (with the request id); expected ones are answers. An
    operation still running after ``deadline_seconds`` is cancelled and answers LIMIT_EXCEEDED
    (work already on a worker thread finishes, but nothing new starts)."""

    deadline_seconds: float | None = None

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        log_unexpected(errors, execution_context)

    async def execute(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        if self.deadline_seconds is None:
            return await super().execute(*args, **kwargs)
        with anyio.move_on_after(self.deadline_seconds) as scope:
            return await super().execute(*args, **kwargs)
        assert scope.cancelled_caught
        context = kwargs.get("context_value")
        metrics = getattr(context, "metrics", None)
        if metrics is not None:
            metrics.count_error(code="LIMIT_EXCEEDED", interface="graphql")
        error = QueryRefused(
            f"query stopped after its {self.deadline_seconds:g} s deadline: ask for less",
            details={"deadline_seconds": self.deadline_seconds},
        )
        return ExecutionResult(data=None, errors=[error])


def limit_extensions(limits: Limits) -> list[Callable[[], SchemaExtension]]:
    """Per-request extension factories: the token limit (while parsing), the parser cache, the
    query guard (key, depth, aliases, standard rules, cost) and error codes with masking.

    The extra validation rules and the guard's check cache are built once and shared across
    requests, so a repeated query text is checked once.
    """
    rules: list[Any] = []
    if limits.production:
        rules.extend(DisableIntrospection().validation_rules)
    checks = DocumentChecks(max_depth=limits.max_depth, max_aliases=limits.max_aliases)
    return [
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
        lambda: AddValidationRules(rules),
        lambda: ParserCache(maxsize=_CACHE_SIZE),
        lambda: QueryGuard(checks=checks, max_cost=limits.max_cost, production=limits.production),
        lambda: ErrorCodes(hide_suggestions=limits.production),
    ]


def build_schema(settings: Settings | None = None) -> TraceapiSchema:
    """The schema; with ``settings`` it carries their limits (the SDL is the same either way)."""
    return _schema(None if settings is None else Limits.of(settings))


@lru_cache(maxsize=8)
def _schema(limits: Limits | None) -> TraceapiSchema:
    """One schema per set of limits: building one takes a while, and apps in tests are many."""
    extensions = [] if limits is None else limit_extensions(limits)
    schema = TraceapiSchema(
        query=Query, mutation=Mutation, types=list(GRAPH_NODE_TYPES), extensions=extensions
    )
    schema.deadline_seconds = None if limits is None else limits.deadline_seconds
    return schema


class TraceapiGraphQLRouter(GraphQLRouter[Any, None]):
    """Strawberry's router with our GraphiQL page, whose assets the service serves itself
    (strawberry's own page loads them from a CDN, which a plant network cannot reach)."""

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        return graphiql_page(graphql_url=GRAPHQL_PATH)


def graphql_router(settings: Settings) -> GraphQLRouter[Any, None]:
    """``/graphql``: POST (and GET in dev) queries; GraphiQL in the dev profile only."""
    dev = settings.profile != "production"
    return TraceapiGraphQLRouter(
        build_schema(settings),
        path=GRAPHQL_PATH,
        graphql_ide="graphiql" if dev else None,
        allow_queries_via_get=dev,
        context_getter=get_context,
        tags=["graphql"],
    )


if __name__ == "__main__":  # python -m traceapi.gql.schema > schema.graphql
    print(build_schema())
