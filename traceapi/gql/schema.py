"""The GraphQL schema and router, with the abuse limits and caches the settings ask for."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.fastapi import GraphQLRouter
from strawberry.types import ExecutionContext

from traceapi.gql.context import get_context
from traceapi.gql.errors import ErrorCodes, log_unexpected
from traceapi.gql.queries import Query
from traceapi.gql.types import GRAPH_NODE_TYPES
from traceapi.settings import Settings

GRAPHQL_PATH = "/graphql"
_CACHE_SIZE = 512


class TraceapiSchema(strawberry.Schema):
    """Logs only unexpected errors (with the request id); expected ones are answers."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        log_unexpected(errors, execution_context)


def limit_extensions(
    *, max_depth: int, max_aliases: int, max_tokens: int, production: bool
) -> list[Callable[[], SchemaExtension]]:
    """Per-request extension factories: token, depth and alias limits (and no introspection in
    production), the parser and validation caches, and error codes with masking.

    The validation rules are built once and shared, so the validation cache, which is keyed by
    the rule classes, keeps hitting across requests.
    """
    rules: list[Any] = [
        *QueryDepthLimiter(max_depth=max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=max_aliases).validation_rules,
    ]
    if production:
        rules.extend(DisableIntrospection().validation_rules)
    return [
        lambda: MaxTokensLimiter(max_token_count=max_tokens),
        lambda: AddValidationRules(rules),
        lambda: ParserCache(maxsize=_CACHE_SIZE),
        lambda: ValidationCache(maxsize=_CACHE_SIZE),
        ErrorCodes,
    ]


def build_schema(settings: Settings | None = None) -> TraceapiSchema:
    """The schema; with ``settings`` it carries their limits (the SDL is the same either way)."""
    if settings is None:
        return _schema(None)
    return _schema(
        (
            settings.gql_max_depth,
            settings.gql_max_aliases,
            settings.gql_max_tokens,
            settings.profile == "production",
        )
    )


@lru_cache(maxsize=8)
def _schema(limits: tuple[int, int, int, bool] | None) -> TraceapiSchema:
    """One schema per set of limits: building one takes a while, and apps in tests are many."""
    extensions: list[Callable[[], SchemaExtension]] = []
    if limits is not None:
        max_depth, max_aliases, max_tokens, production = limits
        extensions = limit_extensions(
            max_depth=max_depth,
            max_aliases=max_aliases,
            max_tokens=max_tokens,
            production=production,
        )
    return TraceapiSchema(query=Query, types=list(GRAPH_NODE_TYPES), extensions=extensions)


def graphql_router(settings: Settings) -> GraphQLRouter[Any, None]:
    """``/graphql``: POST (and GET in dev) queries; GraphiQL in the dev profile only."""
    dev = settings.profile != "production"
    return GraphQLRouter(
        build_schema(settings),
        path=GRAPHQL_PATH,
        graphql_ide="graphiql" if dev else None,
        allow_queries_via_get=dev,
        context_getter=get_context,
        tags=["graphql"],
    )


if __name__ == "__main__":  # python -m traceapi.gql.schema > schema.graphql
    print(build_schema())
