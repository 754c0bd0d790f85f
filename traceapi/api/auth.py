"""API key checks for HTTP requests: where the key comes from, a short-lived cache, and the
throttle on addresses that keep sending keys that do not work.

Revocation bound: a key found valid is trusted for ``ttl_seconds`` (5 s by default) without
asking the store again, so a revoked key stops working at most that long after the revocation,
in every worker. Unknown or revoked keys are never cached; each attempt asks the store.

Guessing bound: an address that sent ``max_failures`` keys that did not work within a minute
is answered 429 without a look at its keys until the minute is over. Each failed key is a
security event in the audit trail (``security.key_refused``, the address and the key id it
claimed, never the secret); the one that starts a throttle is ``security.address_throttled``.
That is at most ``max_failures`` entries a minute per address: the trail cannot be flooded.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from traceapi.domain.audit import AuditDraft
from traceapi.domain.security import TOKEN_PREFIX, ApiKey, hash_key, key_id_of
from traceapi.errors import TooManyRequests, TraceapiError, Unauthorized
from traceapi.services import policy
from traceapi.services.keys import authenticate
from traceapi.services.policy import Principal
from traceapi.services.users import authenticate_token
from traceapi.store.base import GraphStore

KEY_CACHE_SECONDS = 5.0
FAILURE_WINDOW_SECONDS = 60.0

security_log = logging.getLogger("traceapi.security")


def credentials_of(headers: Mapping[str, str]) -> str | None:
    """The key a request carries: ``Authorization: Bearer <key>`` or else ``X-API-Key``."""
    authorization = headers.get("authorization")
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
    api_key = headers.get("x-api-key")
    return api_key.strip() if api_key and api_key.strip() else None


def client_address(scope: Mapping[str, Any]) -> str:
    """The peer's address as the server saw it (behind a proxy, run uvicorn with
    ``--proxy-headers`` and ``--forwarded-allow-ips`` so this is the client's)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def check_action(principal: Principal, action: str) -> None:
    """Forbidden (naming the rule) unless the policy lets ``principal`` do ``action``."""
    policy.require(principal, action)


class AuthFailures:
    """Failed keys per address in fixed one-minute windows (at most ``max_addresses`` kept)."""

    def __init__(
        self,
        *,
        max_failures: int,
        window_seconds: float = FAILURE_WINDOW_SECONDS,
        max_addresses: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self.max_addresses = max_addresses
        self._clock = clock
        self._windows: OrderedDict[str, tuple[float, int]] = OrderedDict()
        self._lock = threading.Lock()

    def _window(self, address: str) -> tuple[float, int]:
        started, count = self._windows.get(address, (self._clock(), 0))
        if self._clock() - started >= self.window_seconds:
            return self._clock(), 0
        return started, count

    def check(self, address: str) -> None:
        """TooManyRequests while ``address`` is over its failures in this window."""
        if self.max_failures <= 0:
            return
        with self._lock:
            started, count = self._window(address)
        if count >= self.max_failures:
            wait = max(1, math.ceil(started + self.window_seconds - self._clock()))
            raise TooManyRequests(
                f"too many keys that did not work from {address}; try again in {wait} s",
                retry_after=wait,
            )

    def record(self, address: str) -> int:
        """Counts one failure; returns the address's count in this window."""
        with self._lock:
            started, count = self._window(address)
            self._windows.pop(address, None)
            self._windows[address] = (started, count + 1)
            while len(self._windows) > self.max_addresses:
                self._windows.popitem(last=False)
        return count + 1


class KeyCache:
    """Remembers valid keys by hash for ``ttl_seconds`` so most requests skip the store, and
    throttles addresses whose keys keep failing (``failures``)."""

    def __init__(
        self,
        *,
        ttl_seconds: float = KEY_CACHE_SECONDS,
        max_entries: int = 1024,
        failures: AuthFailures | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self.failures = failures or AuthFailures(max_failures=0)
        self._clock = clock
        self._entries: OrderedDict[str, tuple[ApiKey, float]] = OrderedDict()
        self._people: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        """Principals of valid login tokens, by the token's hash, for ``ttl_seconds``."""
        self._lock = threading.Lock()

    def cached(self, secret: str | None) -> ApiKey | None:
        """The key for ``secret`` if it was found valid less than ``ttl_seconds`` ago (no I/O)."""
        if not secret:
            return None
        with self._lock:
            hit = self._entries.get(hash_key(secret))
        return hit[0] if hit is not None and hit[1] > self._clock() else None

    def authenticate(
        self, store: GraphStore, secret: str | None, *, address: str = "unknown"
    ) -> ApiKey:
        """The active key for ``secret``; Unauthorized when missing, unknown or revoked, and
        TooManyRequests while ``address`` is throttled for failed keys."""
        if not secret:
            raise Unauthorized("missing API key: send 'Authorization: Bearer <key>' or X-API-Key")
        hit = self.cached(secret)
        if hit is not None:
            return hit
        self.failures.check(address)
        digest = hash_key(secret)
        now = self._clock()
        try:
            key = authenticate(store, secret)
        except Unauthorized as refused:
            self._refused(store, secret, address=address, reason=refused.message)
            raise
        if self.ttl_seconds > 0:
            with self._lock:
                self._entries[digest] = (key, now + self.ttl_seconds)
                self._entries.move_to_end(digest)
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
        return key

    def cached_principal(self, secret: str | None) -> Principal | None:
        """Who ``secret`` (an API key or a login token) stood for, if found valid less than
        ``ttl_seconds`` ago (no I/O)."""
        if not secret:
            return None
        if not secret.startswith(TOKEN_PREFIX):
            key = self.cached(secret)
            return None if key is None else Principal.of_key(key)
        with self._lock:
            hit = self._people.get(hash_key(secret))
        return hit[0] if hit is not None and hit[1] > self._clock() else None

    def principal(
        self, store: GraphStore, secret: str | None, *, address: str = "unknown"
    ) -> Principal:
        """Who the request acts as: a person for a login token (``trs_...``), a system for
        an API key. Unauthorized / TooManyRequests as ``authenticate``."""
        if not secret or not secret.startswith(TOKEN_PREFIX):
            return Principal.of_key(self.authenticate(store, secret, address=address))
        hit = self.cached_principal(secret)
        if hit is not None:
            return hit
        self.failures.check(address)
        now = self._clock()
        try:
            person = authenticate_token(store, secret)
        except Unauthorized as refused:
            self._refused(store, secret, address=address, reason=refused.message, token=True)
            raise
        if self.ttl_seconds > 0:
            digest = hash_key(secret)
            with self._lock:
                self._people[digest] = (person, now + self.ttl_seconds)
                self._people.move_to_end(digest)
                while len(self._people) > self.max_entries:
                    self._people.popitem(last=False)
        return person

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._people.clear()

    def _refused(
        self, store: GraphStore, secret: str, *, address: str, reason: str, token: bool = False
    ) -> None:
        """Counts, logs and audits one key (or login token) that did not work (the audit write
        is best effort: a store that cannot take it must not turn a 401 into a 500)."""
        count = self.failures.record(address)
        claimed = "token" if token else key_id_of(secret)[:16]
        security_log.warning(
            "API key refused", extra={"address": address, "key_id": claimed, "reason": reason}
        )
        throttled = count == self.failures.max_failures  # this failure starts the throttle
        draft = AuditDraft(
            actor=f"address:{address}",
            action="security.address_throttled"
            if throttled
            else "security.token_refused"
            if token
            else "security.key_refused",
            entity_kind="session" if token else "api_key",
            entity_id=claimed,
            new={"address": address, "reason": reason, "failures_this_minute": count},
        )
        try:
            store.append_audit(draft)
        except TraceapiError as exc:
            security_log.error("could not audit a refused key: %s", exc.message)
