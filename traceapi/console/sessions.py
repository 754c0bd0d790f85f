"""Console sign-in sessions: an opaque random id in the cookie, the rest kept by the server.

The cookie holds only a random 256-bit session id (never the API key); the server keeps, under
the id's SHA-256, the hash of the key that signed in, the per-session CSRF token and the expiry.
Every request checks the key again in the store, so a revoked key ends its sessions at once.
Sessions live in memory: a restart signs everyone out. People's own sign-in (users with
passwords, from the write side) replaces the API key as the way in; the session stays as it is.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from traceapi.domain.security import ApiKey

SESSION_COOKIE = "traceapi_session"
SIGN_IN_COOKIE = "traceapi_sign_in"
"""Holds the sign-in form's CSRF token (double submit) before there is a session."""
SESSION_SECONDS = 8 * 3600.0
"""A working day: long enough for a recall meeting, short enough to end by itself."""


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    """Who signed in (the key's id, name, role and hash), the CSRF token and the expiry."""

    key_id: str
    key_name: str
    role: str
    key_hash: str
    csrf_token: str
    expires_at: float


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

    def start(self, key: ApiKey) -> tuple[str, ConsoleSession]:
        """A new session for ``key``: the id for the cookie, and the session."""
        session_id = secrets.token_urlsafe(32)
        session = ConsoleSession(
            key_id=key.key_id,
            key_name=key.name,
            role=key.role.value,
            key_hash=key.key_hash,
            csrf_token=secrets.token_urlsafe(32),
            expires_at=self._clock() + self.lifetime_seconds,
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
