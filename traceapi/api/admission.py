"""Admission: which requests the service takes on at all, decided before any work is done.

Three rules, each answered at once so a client under refusal costs almost nothing:

- a bounded number of requests in flight: beyond it, 503 with ``Retry-After`` (the service is
  busy; more concurrency would only make every answer slower);
- a rate per client address and a rate per API key (token buckets: a steady rate with bursts of
  twice that): beyond them, 429 with ``Retry-After``;
- the health routes (``/livez``, ``/readyz``) are always admitted, so a busy service still says
  it is alive.

A key is told apart by the hash of what the client sent, before it is checked: a flood of
made-up keys from one address is held by the address rate and by the failed-key throttle
(``traceapi.api.auth.AuthFailures``).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from traceapi.api.auth import client_address, credentials_of
from traceapi.api.metrics import ApiMetrics
from traceapi.api.problems import error_body, send_json
from traceapi.domain.security import hash_key

ALWAYS_ADMITTED = frozenset({"/livez", "/readyz"})


class TokenBuckets:
    """One token bucket per name (address or key hash), ``rate`` tokens a second up to
    ``burst``; at most ``max_names`` buckets are kept (the least recently used go first), so
    memory stays bounded whatever the clients send."""

    def __init__(
        self,
        *,
        rate: float,
        burst: float,
        max_names: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.max_names = max_names
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, name: str) -> float | None:
        """Takes one token: None when there was one, else the seconds until there is."""
        now = self._clock()
        with self._lock:
            tokens, then = self._buckets.pop(name, (self.burst, now))
            tokens = min(self.burst, tokens + (now - then) * self.rate)
            if tokens >= 1.0:
                self._buckets[name] = (tokens - 1.0, now)
                wait = None
            else:
                self._buckets[name] = (tokens, now)
                wait = (1.0 - tokens) / self.rate
            while len(self._buckets) > self.max_names:
                self._buckets.popitem(last=False)
        return wait


def _buckets(rate: float) -> TokenBuckets | None:
    return TokenBuckets(rate=rate, burst=2 * rate) if rate > 0 else None


class AdmissionMiddleware:
    """Refuses what the service should not take on now: 503 past ``max_in_flight`` requests,
    429 past the per-address or per-key rate. A limit of 0 turns that rule off."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_in_flight: int,
        rate_per_address: float,
        rate_per_key: float,
        metrics: ApiMetrics,
    ) -> None:
        self.app = app
        self.max_in_flight = max_in_flight
        self.per_address = _buckets(rate_per_address)
        self.per_key = _buckets(rate_per_key)
        self.metrics = metrics
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in ALWAYS_ADMITTED:
            await self.app(scope, receive, send)
            return
        if self.max_in_flight and self.in_flight >= self.max_in_flight:
            await self._refuse(
                send,
                503,
                "OVERLOADED",
                f"the service is busy ({self.max_in_flight} requests in flight); try again",
                wait=1.0,
            )
            return
        refusal = self._over_rate(scope)
        if refusal is not None:
            message, wait = refusal
            await self._refuse(send, 429, "RATE_LIMITED", message, wait=wait)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1

    def _over_rate(self, scope: Scope) -> tuple[str, float] | None:
        if self.per_address is not None:
            address = client_address(scope)
            wait = self.per_address.take(address)
            if wait is not None:
                rate = self.per_address.rate
                return f"too many requests from {address}: at most {rate:g} a second", wait
        if self.per_key is not None:
            secret = credentials_of(Headers(scope=scope))
            if secret is not None:
                wait = self.per_key.take(hash_key(secret))
                if wait is not None:
                    rate = self.per_key.rate
                    return f"too many requests with this key: at most {rate:g} a second", wait
        return None

    async def _refuse(
        self, send: Send, status: int, code: str, message: str, *, wait: float
    ) -> None:
        self.metrics.count_error(code=code, interface="http")
        seconds = max(1, math.ceil(wait))
        body = error_body(code, message, details={"retry_after_seconds": seconds})
        await send_json(send, status, body, headers={"retry-after": str(seconds)})
