"""Audit entries chained by SHA-256, so a changed or removed entry breaks the chain after it."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

GENESIS_HASH = "0" * 64


class AuditDraft(BaseModel):
    """What a caller wants recorded; the store adds sequence, time and hashes atomically."""

    actor: str
    action: str
    """A dotted verb such as ``load.batch``, ``key.create``, ``lot.status``."""
    entity_kind: str | None = None
    entity_id: str | None = None
    old: dict[str, Any] | None = None
    new: dict[str, Any] | None = None
    reason: str | None = None


class AuditEntry(AuditDraft):
    seq: int
    at: datetime
    prev_hash: str
    hash: str = Field(description="SHA-256 over prev_hash and this entry's canonical content")


def entry_hash(prev_hash: str, seq: int, at: datetime, draft: AuditDraft) -> str:
    """The chain link: a stable JSON encoding of the entry, hashed together with its predecessor."""
    content = {
        "seq": seq,
        "at": at.isoformat(),
        **draft.model_dump(mode="json"),
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()
