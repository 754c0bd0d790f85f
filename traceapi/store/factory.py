"""Opens the store the settings name; the one place that knows which backends exist."""

from __future__ import annotations

from traceapi.errors import InvalidInput
from traceapi.settings import Settings
from traceapi.store.base import GraphStore


def open_store(settings: Settings) -> GraphStore:
    """Open (and create or migrate, when needed) the configured backend."""
    if settings.backend == "embedded":
        from traceapi.store.embedded import EmbeddedStore

        return EmbeddedStore(settings.sqlite_path)
    if settings.backend == "neo4j":
        if not settings.neo4j_uri:
            raise InvalidInput("TRACEAPI_BACKEND=neo4j needs NEO4J_URI")
        from traceapi.store.neo4j_store import Neo4jStore

        return Neo4jStore.connect(settings)
    raise InvalidInput(f"unknown backend {settings.backend!r}")
