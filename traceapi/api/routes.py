"""Which routers the app serves: REST under /api/v1, GraphQL at /graphql, the static assets at
/static and the web console at /console."""

from __future__ import annotations

from fastapi import FastAPI

from traceapi.api import (
    rest_audit,
    rest_auth,
    rest_impact,
    rest_lots,
    rest_records,
    rest_root_cause,
    rest_units,
)
from traceapi.console.assets import mount_static
from traceapi.console.routes import include_console
from traceapi.gql.schema import graphql_router
from traceapi.settings import Settings


def include_routes(app: FastAPI, settings: Settings) -> None:
    """Adds the REST and GraphQL routers, the static assets and the console to ``app``."""
    app.include_router(rest_units.router)  # before lots: /lots/{id:path} would take /units
    app.include_router(rest_lots.router)
    app.include_router(rest_impact.router)
    app.include_router(rest_root_cause.router)
    app.include_router(rest_audit.router)
    app.include_router(rest_auth.router)
    app.include_router(rest_records.router)
    app.include_router(graphql_router(settings))
    mount_static(app)
    include_console(app)
