"""API keys and the hash-chained audit trail on every backend."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from traceapi.domain.audit import (
    AUDIT_RECORD_FIELDS,
    GENESIS_HASH,
    AuditDraft,
    AuditEntry,
    decode_audit_record,
    entry_hash,
)
from traceapi.domain.model import Batch, Node, NodeKind
from traceapi.domain.security import ApiKey, Role, hash_key, key_id_of, new_key_secret
from traceapi.errors import NotFound
from traceapi.store.base import GraphStore


def _key(role: Role = Role.VIEWER, name: str = "erp") -> tuple[ApiKey, str]:
    secret = new_key_secret()
    key = ApiKey(
        key_id=key_id_of(secret),
        name=name,
        role=role,
        key_hash=hash_key(secret),
        created_at=datetime.now(UTC),
    )
    return key, secret


def _recomputed(entry: AuditEntry) -> str:
    draft = AuditDraft(**entry.model_dump(include=set(AuditDraft.model_fields)))
    return entry_hash(entry.prev_hash, entry.seq, entry.at, draft)


def test_keys_are_stored_listed_and_found_by_hash(store: GraphStore) -> None:
    viewer, secret = _key(Role.VIEWER, "dashboard")
    admin, _ = _key(Role.ADMIN, "ops")
    store.put_api_key(viewer)
    store.put_api_key(
        admin, audit=AuditDraft(actor="cli", action="key.create", entity_id=admin.key_id)
    )
    found = store.get_api_key(hash_key(secret))
    assert found is not None
    assert (found.key_id, found.role, found.name, found.active) == (
        viewer.key_id,
        Role.VIEWER,
        "dashboard",
        True,
    )
    assert found.created_at == viewer.created_at
    assert {k.key_id for k in store.list_api_keys()} == {viewer.key_id, admin.key_id}
    assert store.get_api_key(hash_key("tra_nope_nope")) is None
    assert [e.action for e in store.audit_entries()] == ["key.create"]


def test_revoking_a_key(store: GraphStore) -> None:
    key, secret = _key()
    store.put_api_key(key)
    revoked = store.revoke_api_key(key.key_id, audit=AuditDraft(actor="cli", action="key.revoke"))
    assert revoked.revoked_at is not None and not revoked.active
    stored = store.get_api_key(hash_key(secret))
    assert stored is not None and not stored.active
    again = store.revoke_api_key(key.key_id, audit=AuditDraft(actor="cli", action="key.revoke"))
    assert again.revoked_at == revoked.revoked_at
    assert [e.action for e in store.audit_entries()] == ["key.revoke"]
    with pytest.raises(NotFound):
        store.revoke_api_key("no-such-key")


def test_audit_entries_form_a_chain(store: GraphStore) -> None:
    drafts = [
        AuditDraft(
            actor="qa1",
            action="hold.place",
            entity_kind="Lot",
            entity_id="L-1",
            old={"status": "released"},
            new={"status": "on_hold"},
            reason="leak test",
        ),
        AuditDraft(
            actor="qa2",
            action="hold.release",
            entity_kind="Lot",
            entity_id="L-1",
            new={"status": "released", "at": "2026-01-01T00:00:00Z", "n": 1.5},
        ),
        AuditDraft(actor="sys", action="load.batch"),
    ]
    appended = [store.append_audit(d) for d in drafts]
    store.apply_batch(
        Batch(nodes=[Node(id="X", kind=NodeKind.LOT)]),
        audit=AuditDraft(actor="loader", action="load.batch", entity_id="f.csv"),
    )
    entries = store.audit_entries()
    assert [e.seq for e in entries] == [1, 2, 3, 4]
    assert entries[:3] == appended
    assert entries[0].prev_hash == GENESIS_HASH
    for before, after in zip(entries, entries[1:], strict=False):
        assert after.prev_hash == before.hash
    for entry in entries:
        assert entry.at.utcoffset() is not None and entry.at.utcoffset().total_seconds() == 0
        assert _recomputed(entry) == entry.hash
    assert entries[0].old == {"status": "released"} and entries[0].reason == "leak test"
    assert [e.seq for e in store.audit_entries(after_seq=2)] == [3, 4]
    assert [e.seq for e in store.audit_entries(after_seq=1, limit=2)] == [2, 3]


def test_clear_keeps_keys_and_the_audit_trail(store: GraphStore) -> None:
    key, _ = _key()
    store.put_api_key(key)
    store.append_audit(AuditDraft(actor="a", action="x.y"))
    store.clear()
    assert [k.key_id for k in store.list_api_keys()] == [key.key_id]
    assert len(store.audit_entries()) == 1
    nxt = store.append_audit(AuditDraft(actor="a", action="x.z"))
    assert nxt.seq == 2


def test_audit_records_are_the_entries_as_stored(store: GraphStore) -> None:
    store.append_audit(AuditDraft(actor="qa1", action="hold.place", new={"status": "on_hold"}))
    store.append_audit(AuditDraft(actor="sys", action="load.batch", reason="r"))
    records = store.audit_records()
    assert [r["seq"] for r in records] == [1, 2]
    assert set(records[0]) == set(AUDIT_RECORD_FIELDS)
    assert isinstance(records[0]["at"], str) and json.loads(records[0]["new_json"]) == {
        "status": "on_hold"
    }
    assert records[1]["old_json"] is None and records[1]["new_json"] is None
    assert [decode_audit_record(r) for r in records] == store.audit_entries()
    assert [r["seq"] for r in store.audit_records(after_seq=1, limit=5)] == [2]
    assert store.audit_records(limit=0) == []
