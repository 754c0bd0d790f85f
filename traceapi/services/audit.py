"""Checks the audit trail's hash chain, so tampering with any stored entry is detected and named."""

from __future__ import annotations

from pydantic import BaseModel

from traceapi.domain.audit import GENESIS_HASH, AuditDraft, AuditEntry, entry_hash
from traceapi.store.base import GraphStore

_DRAFT_FIELDS = tuple(AuditDraft.model_fields)


class AuditVerification(BaseModel):
    """The outcome of walking the chain: ok, how many entries were checked, where it broke."""

    ok: bool
    checked: int
    first_broken_seq: int | None = None
    reason: str | None = None
    last_seq: int | None = None
    last_hash: str | None = None


def _problem(entry: AuditEntry, *, expected_seq: int, prev_hash: str) -> str | None:
    if entry.seq != expected_seq:
        return f"sequence gap: expected seq {expected_seq}, found {entry.seq}"
    if entry.prev_hash != prev_hash:
        return "prev_hash does not match the hash of the entry before it"
    draft = AuditDraft(**{name: getattr(entry, name) for name in _DRAFT_FIELDS})
    if entry_hash(entry.prev_hash, entry.seq, entry.at, draft) != entry.hash:
        return "content does not match its hash (the entry was changed after it was written)"
    return None


def verify_chain(store: GraphStore, *, page_size: int = 1000) -> AuditVerification:
    """Walks ``store.audit_entries`` in pages, recomputing each hash and checking each link."""
    checked = 0
    prev_hash = GENESIS_HASH
    expected_seq: int | None = None
    after = 0
    last: AuditEntry | None = None
    while True:
        page = store.audit_entries(after_seq=after, limit=page_size)
        if not page:
            break
        for entry in page:
            if expected_seq is None:
                expected_seq = 1
            problem = _problem(entry, expected_seq=expected_seq, prev_hash=prev_hash)
            if problem is not None:
                return AuditVerification(
                    ok=False,
                    checked=checked,
                    first_broken_seq=entry.seq,
                    reason=problem,
                    last_seq=last.seq if last else None,
                    last_hash=last.hash if last else None,
                )
            checked += 1
            prev_hash = entry.hash
            expected_seq = entry.seq + 1
            last = entry
        after = page[-1].seq
    return AuditVerification(
        ok=True,
        checked=checked,
        last_seq=last.seq if last else None,
        last_hash=last.hash if last else None,
    )
