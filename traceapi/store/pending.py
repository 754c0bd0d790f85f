"""A stand-in for a store whose server was not up when the service started.

Neo4j may come up after the API: the service starts anyway, answers ``/readyz`` and every
request with ``StoreUnavailable`` (503) naming the reason, and opens the real store on the first
call after the server answers, migrations included, with no restart. (A server that goes away
later needs none of this: the driver reconnects on the next call.)
Attempts are spaced ``retry_after_s`` apart so a flood of requests does not become a flood of
connection attempts; in between, the last reason is repeated at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from traceapi.errors import StoreUnavailable
from traceapi.store.base import GraphStore

RETRY_AFTER_S = 2.0
"""Least time between two attempts to open the store."""


class PendingStore:
    """Every ``GraphStore`` method, once ``opener`` has succeeded; ``StoreUnavailable`` until
    then. Thread-safe: one thread opens the store, the others wait for it or its failure."""

    def __init__(
        self,
        opener: Callable[[], GraphStore],
        *,
        backend: str,
        reason: StoreUnavailable,
        retry_after_s: float | None = None,
    ) -> None:
        self.backend = backend
        self._opener = opener
        self._retry_after_s = RETRY_AFTER_S if retry_after_s is None else retry_after_s
        self._lock = threading.Lock()
        self._store: GraphStore | None = None
        self._reason = reason
        self._tried_at = time.monotonic()
        self._closed = False

    def store(self) -> GraphStore:
        """The real store, opened now if the last attempt is old enough."""
        if self._store is not None:
            return self._store
        with self._lock:
            if self._store is not None:
                return self._store
            if self._closed:
                raise StoreUnavailable("the store is closed")
            if time.monotonic() - self._tried_at >= self._retry_after_s:
                self._tried_at = time.monotonic()
                try:
                    self._store = self._opener()
                    return self._store
                except StoreUnavailable as exc:
                    self._reason = exc
            raise StoreUnavailable(
                f"{self._reason.message} (the service started without its store and keeps "
                f"trying every {self._retry_after_s:g} s)",
                details=self._reason.details,
            )

    def ping(self) -> None:
        self.store().ping()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._store is not None:
                self._store.close()

    def __getattr__(self, name: str) -> Any:
        # Only names this class lacks get here: every GraphStore method but ping and close.
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.store(), name)
