"""Builds the ASGI app: the store's lifetime, the error mapping, middleware and every router."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import FastAPI

from traceapi import __version__
from traceapi.api import health
from traceapi.api.admission import AdmissionMiddleware
from traceapi.api.auth import AuthFailures, KeyCache
from traceapi.api.explorers import OPENAPI_PATH, include_docs, open_docs_url
from traceapi.api.logs import configure_logging
from traceapi.api.metrics import ApiMetrics
from traceapi.api.middleware import BodyLimitMiddleware, RequestContextMiddleware
from traceapi.api.problems import install_error_handlers
from traceapi.api.routes import include_routes
from traceapi.console.security import SecurityHeadersMiddleware
from traceapi.errors import StoreUnavailable
from traceapi.settings import Settings, load_settings
from traceapi.store.base import GraphStore
from traceapi.store.factory import open_store
from traceapi.store.pending import PendingStore

log = logging.getLogger("traceapi.api")

DESCRIPTION = """Lot traceability for medical-device makers: where-used, where-from and recall
impact over the genealogy of lots, process steps, shipments and customers.

Every `/api/v1` route needs an API key: `Authorization: Bearer <key>` or `X-API-Key: <key>`
(create one with `traceapi keys create --role viewer --name me`). Errors answer
`{"error": {"code", "message", "details"?}}`.

GraphQL at `/graphql` takes the same keys. It answers HTTP 200 and reports a missing, unknown
or revoked key as an error with `extensions.code` `UNAUTHENTICATED`, a role too low as
`FORBIDDEN`; the GraphiQL page and introspection load without a key (dev profile only)."""


def create_app(settings: Settings | None = None, *, store: GraphStore | None = None) -> FastAPI:
    """The traceapi ASGI app. Opens the configured store at startup (and closes it at shutdown)
    unless ``store`` is given, in which case the caller keeps ownership of it."""
    settings = settings or load_settings()
    configure_logging(settings.log_level)
    metrics = ApiMetrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        opened = store is None
        # Each worker thread keeps a read connection with its page cache: bound how many.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.worker_threads
        app.state.store = _open_or_wait(settings) if store is None else store
        try:
            yield
        finally:
            if opened:
                app.state.store.close()

    app = FastAPI(
        title="traceapi",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_url=open_docs_url(settings, OPENAPI_PATH),
        docs_url=None,  # ours, on local assets: traceapi.api.explorers
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.store = store
    app.state.key_cache = KeyCache(
        failures=AuthFailures(max_failures=settings.failed_keys_per_minute)
    )
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(health.metrics_router(settings))
    include_docs(app, settings)
    include_routes(app, settings)
    # Last added runs first: the request context wraps everything so every answer carries an
    # id and a log line; admission refuses before the body is read.
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(
        AdmissionMiddleware,
        max_in_flight=settings.max_in_flight,
        rate_per_address=settings.rate_per_address,
        rate_per_key=settings.rate_per_key,
        metrics=metrics,
    )
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    return app


def _open_or_wait(settings: Settings) -> Any:
    """The configured store; for a Neo4j server that does not answer yet, a ``PendingStore``
    that opens it once it does (a broken embedded file will not mend itself: that fails)."""
    try:
        return open_store(settings)
    except StoreUnavailable as exc:
        if settings.backend != "neo4j":
            raise
        log.warning("starting without the store, which does not answer: %s", exc.message)
        return PendingStore(lambda: open_store(settings), backend=settings.backend, reason=exc)
