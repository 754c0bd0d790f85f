"""Console sign-in sessions: an opaque random id in the cookie, the rest kept by the server.

A person signs in with username and password (the write side's login: a 30-minute token), a
system or a person without an account with an API key. The cookie holds only a random 256-bit
session id (never a key, password or token); the server keeps, under the id's SHA-256, how the
session was opened (the key's hash, or the person's login token), the per-session CSRF token
and the expiry. Every request checks the credential again, so a revoked key, a disabled
account or an expired token ends the session at once. Sessions live in memory: a restart signs
everyone out.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from traceapi.domain.security import ApiKey

SESSION_COOKIE = "traceapi_session"
SIGN_IN_COOKIE = "traceapi_sign_in"
"""Holds the sign-in form's CSRF token (double submit) before there is a session."""
SESSION_SECONDS = 8 * 3600.0
"""A working day: long enough for a recall meeting, short enough to end by itself."""


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    """Who signed in and how (an API key's hash, or a person's login token), the CSRF token
    and the expiry."""

    who: str
    roles: tuple[str, ...]
    method: str
    """``api_key`` or ``password``."""
    csrf_token: str
    expires_at: float
    key_hash: str | None = None
    token: str | None = field(default=None, repr=False)
    """A person's login token (``trs_...``): kept here, in the server's memory, only."""


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def tokens_match(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a submitted token with the expected one."""
    return bool(given) and hmac.compare_digest(str(given).encode(), expected.encode())


class SessionStore:
    """Sessions by the SHA-256 of their id; at most ``max_sessions`` (oldest dropped first)."""

    def __init__(
        self,
        *,
        lifetime_seconds: float = SESSION_SECONDS,
        max_sessions: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lifetime_seconds = lifetime_seconds
        self.max_sessions = max_sessions
        self._clock = clock
        self._sessions: OrderedDict[str, ConsoleSession] = OrderedDict()
        self._lock = threading.Lock()

    def start_for_key(self, key: ApiKey) -> tuple[str, ConsoleSession]:
        """A new session for an API key: the id for the cookie, and the session."""
        return self._start(
            who=key.name, roles=(key.role.value,), method="api_key", key_hash=key.key_hash
        )

    def start_for_person(
        self, *, who: str, roles: tuple[str, ...], token: str, seconds: float
    ) -> tuple[str, ConsoleSession]:
        """A new session for a person signed in with a password, as long as its token."""
        return self._start(who=who, roles=roles, method="password", token=token, seconds=seconds)

    def _start(
        self,
        *,
        who: str,
        roles: tuple[str, ...],
        method: str,
        key_hash: str | None = None,
        token: str | None = None,
        seconds: float | None = None,
    ) -> tuple[str, ConsoleSession]:
        session_id = secrets.token_urlsafe(32)
        lifetime = self.lifetime_seconds if seconds is None else min(seconds, self.lifetime_seconds)
        session = ConsoleSession(
            who=who,
            roles=roles,
            method=method,
            csrf_token=secrets.token_urlsafe(32),
            expires_at=self._clock() + lifetime,
            key_hash=key_hash,
            token=token,
        )
        with self._lock:
            self._sessions[_digest(session_id)] = session
            while len(self._sessions) > self.max_sessions:
                self._sessions.popitem(last=False)
        return session_id, session

    def get(self, session_id: str | None) -> ConsoleSession | None:
        """The live session of ``session_id``, or None (unknown or expired)."""
        if not session_id:
            return None
        digest = _digest(session_id)
        with self._lock:
            session = self._sessions.get(digest)
            if session is not None and session.expires_at <= self._clock():
                del self._sessions[digest]
                session = None
        return session

    def end(self, session_id: str | None) -> None:
        if session_id:
            with self._lock:
                self._sessions.pop(_digest(session_id), None)
