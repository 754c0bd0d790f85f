"""Idempotent POSTs: what a client's ``Idempotency-Key`` was first answered, to answer it again."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel


class IdempotentAnswer(BaseModel):
    """One key's request and, once it finished, its answer. Keys are per caller: ``key_hash``
    is SHA-256 of the caller's id and the key, never the key alone."""

    key_hash: str
    fingerprint: str
    """SHA-256 of the method, path and body: the same key on another request is refused."""
    state: Literal["pending", "done", "failed"]
    status: int | None = None
    body: str | None = None
    etag: str | None = None
    created_at: datetime
