"""Opens the store the settings name; the one place that knows which backends exist."""

from __future__ import annotations

from traceapi.errors import InvalidInput, StoreMissing
from traceapi.settings import Settings
from traceapi.store.base import GraphStore


def require_existing_store(settings: Settings) -> None:
    """Raise ``StoreMissing`` when the embedded store file is not there (a Neo4j database is the
    server's to have; connecting tells)."""
    if settings.backend == "embedded" and not settings.sqlite_path.is_file():
        data_dir = settings.data_dir.resolve()
        raise StoreMissing(
            f"no traceapi store in {data_dir} (no {settings.sqlite_path.name} there)",
            details={"data_dir": str(data_dir)},
        )


def open_store(settings: Settings, *, create: bool = True) -> GraphStore:
    """Open (and create or migrate, when needed) the configured backend.

    With ``create=False`` a missing embedded store raises ``StoreMissing`` instead of being made
    empty: a reader would otherwise answer "not found" from a store nobody loaded.
    """
    if not create:
        require_existing_store(settings)
    if settings.backend == "embedded":
        from traceapi.store.embedded import EmbeddedStore

        return EmbeddedStore(settings.sqlite_path)
    if settings.backend == "neo4j":
        if not settings.neo4j_uri:
            raise InvalidInput("TRACEAPI_BACKEND=neo4j needs NEO4J_URI")
        from traceapi.store.neo4j_store import Neo4jStore

        return Neo4jStore.connect(settings)
    raise InvalidInput(f"unknown backend {settings.backend!r}")
