"""API key checks for HTTP requests: where the key comes from, and a short-lived cache.

Revocation bound: a key found valid is trusted for ``ttl_seconds`` (5 s by default) without
asking the store again, so a revoked key stops working at most that long after the revocation,
in every worker. Unknown or revoked keys are never cached; each attempt asks the store.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping

from traceapi.domain.security import ROLE_RANK, ApiKey, Role, hash_key
from traceapi.errors import Forbidden, Unauthorized
from traceapi.services.keys import authenticate
from traceapi.store.base import GraphStore

KEY_CACHE_SECONDS = 5.0


def credentials_of(headers: Mapping[str, str]) -> str | None:
    """The key a request carries: ``Authorization: Bearer <key>`` or else ``X-API-Key``."""
    authorization = headers.get("authorization")
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
    api_key = headers.get("x-api-key")
    return api_key.strip() if api_key and api_key.strip() else None


def check_role(key: ApiKey, role: Role) -> None:
    """Forbidden unless ``key``'s role ranks at least as high as ``role``."""
    if ROLE_RANK[key.role] < ROLE_RANK[role]:
        raise Forbidden(
            f"role {key.role.value!r} may not do this; it needs {role.value!r} or above",
            details={"role": key.role.value, "required": role.value},
        )


class KeyCache:
    """Remembers valid keys by hash for ``ttl_seconds`` so most requests skip the store."""

    def __init__(
        self,
        *,
        ttl_seconds: float = KEY_CACHE_SECONDS,
        max_entries: int = 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[ApiKey, float]] = OrderedDict()
        self._lock = threading.Lock()

    def cached(self, secret: str | None) -> ApiKey | None:
        """The key for ``secret`` if it was found valid less than ``ttl_seconds`` ago (no I/O)."""
        if not secret:
            return None
        with self._lock:
            hit = self._entries.get(hash_key(secret))
        return hit[0] if hit is not None and hit[1] > self._clock() else None

    def authenticate(self, store: GraphStore, secret: str | None) -> ApiKey:
        """The active key for ``secret``; Unauthorized when missing, unknown or revoked."""
        if not secret:
            raise Unauthorized("missing API key: send 'Authorization: Bearer <key>' or X-API-Key")
        hit = self.cached(secret)
        if hit is not None:
            return hit
        digest = hash_key(secret)
        now = self._clock()
        key = authenticate(store, secret)
        if self.ttl_seconds > 0:
            with self._lock:
                self._entries[digest] = (key, now + self.ttl_seconds)
                self._entries.move_to_end(digest)
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
        return key

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
