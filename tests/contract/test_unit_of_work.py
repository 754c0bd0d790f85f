"""``run_in_tx`` and its primitives on every backend: all of a unit of work or none of it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from tests.contract.graphs import flow_batch
from traceapi.domain.audit import AuditDraft, chain_entry
from traceapi.domain.records import (
    RecordLinkType,
    Signature,
    SignatureMeaning,
    StoredRecord,
    content_hash,
    signature_binding,
)
from traceapi.domain.security import Role, Session, User
from traceapi.errors import Conflict, NotFound
from traceapi.services.audit import verify_chain
from traceapi.store.base import GraphStore, StoreTx

NOW = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


def _record(record_id: str = "ANO-1", version: int = 1, **data: object) -> StoredRecord:
    values = {"title": "leak", **data}
    return StoredRecord(
        id=record_id,
        kind="anomaly",
        state="open",
        version=version,
        data=values,
        content_hash=content_hash(record_id=record_id, kind="anomaly", state="open", data=values),
        created_by="u-1",
        created_at=NOW,
        updated_by="u-1",
        updated_at=NOW + timedelta(seconds=version),
    )


def _append(tx: StoreTx, action: str) -> None:
    seq, prev = tx.audit_head()
    tx.put_audit(
        chain_entry(
            AuditDraft(actor="u-1", action=action, record_version=1, changes={"x": [None, 1]}),
            prev_seq=seq,
            prev_hash=prev,
            at=NOW,
        )
    )


def test_a_unit_of_work_commits_records_links_and_audit_together(store: GraphStore) -> None:
    store.apply_batch(flow_batch([("A", "B")]))

    def work(tx: StoreTx) -> str:
        assert tx.get_record("ANO-1") is None
        tx.put_record(_record())
        tx.link_record("ANO-1", link_type=RecordLinkType.CONCERNS, target_id="A")
        tx.link_record("ANO-1", link_type=RecordLinkType.CONCERNS, target_id="A")
        _append(tx, "anomaly.create")
        got = tx.get_record("ANO-1")
        assert got is not None and got.version == 1
        return "done"

    assert store.run_in_tx(work) == "done"
    stored = store.get_record("ANO-1")
    assert stored == _record()
    assert stored is not None and stored.hash_is_intact()
    assert [(link.link_type, link.target_id) for link in store.record_links("ANO-1")] == [
        (RecordLinkType.CONCERNS, "A")
    ]
    [entry] = store.audit_entries()
    assert (entry.action, entry.record_version, entry.changes) == (
        "anomaly.create",
        1,
        {"x": [None, 1]},
    )
    assert verify_chain(store).ok


def test_an_error_inside_the_work_leaves_nothing_behind(store: GraphStore) -> None:
    store.apply_batch(flow_batch([("A", "B")]))

    def work(tx: StoreTx) -> None:
        tx.put_record(_record())
        tx.link_record("ANO-1", link_type=RecordLinkType.CONCERNS, target_id="A")
        _append(tx, "anomaly.create")
        raise RuntimeError("the k-th step failed")

    with pytest.raises(RuntimeError, match="k-th"):
        store.run_in_tx(work)
    assert store.get_record("ANO-1") is None
    assert store.record_links("ANO-1") == []
    assert store.audit_entries() == []


def test_versions_are_kept_and_never_overwritten(store: GraphStore) -> None:
    store.run_in_tx(lambda tx: tx.put_record(_record()))
    store.run_in_tx(lambda tx: tx.put_record(_record(version=2, title="leak, worse")))
    with pytest.raises(Conflict) as refused:
        store.run_in_tx(lambda tx: tx.put_record(_record(version=2, title="overwrite")))
    assert refused.value.details == {"id": "ANO-1", "version": 2}
    assert [r.version for r in store.record_versions("ANO-1")] == [1, 2]
    latest = store.get_record("ANO-1")
    assert latest is not None and latest.data["title"] == "leak, worse"
    first = store.get_record("ANO-1", version=1)
    assert first is not None and first.data["title"] == "leak"
    assert store.get_record("ANO-1", version=3) is None
    store.run_in_tx(lambda tx: tx.put_record(_record("ANO-0")))
    assert [(r.id, r.version) for r in store.list_records(kind="anomaly")] == [
        ("ANO-0", 1),
        ("ANO-1", 2),
    ]
    assert [r.id for r in store.list_records(after="ANO-0")] == ["ANO-1"]
    assert store.list_records(kind="hold") == []


def test_a_link_to_a_missing_node_is_not_found(store: GraphStore) -> None:
    def work(tx: StoreTx) -> None:
        tx.put_record(_record())
        tx.link_record("ANO-1", link_type=RecordLinkType.CONCERNS, target_id="NOPE")

    with pytest.raises(NotFound, match="NOPE"):
        store.run_in_tx(work)
    assert store.get_record("ANO-1") is None


def test_signatures_users_and_sessions_are_stored(store: GraphStore) -> None:
    record = _record()
    fields = {
        "signature_id": "SIG-1",
        "record_id": record.id,
        "record_version": 1,
        "content_hash": record.content_hash,
        "user_id": "u-1",
        "printed_name": "Ada Lovelace",
        "meaning": SignatureMeaning.APPROVAL,
        "signed_at": NOW,
    }
    signature = Signature(**fields, binding=signature_binding(**fields))  # type: ignore[arg-type]
    user = User(
        user_id="u-1",
        username="ada",
        printed_name="Ada Lovelace",
        roles=[Role.QA, Role.VIEWER],
        password_hash="$argon2id$...",
        created_at=NOW,
    )
    session = Session(token_hash="t" * 64, user_id="u-1", issued_at=NOW, expires_at=NOW)

    def work(tx: StoreTx) -> None:
        tx.put_record(record)
        tx.put_signature(signature)
        tx.put_user(user)
        tx.put_session(session)

    store.run_in_tx(work)
    assert store.signatures_of("ANO-1") == [signature]
    assert store.get_user("ada") == user
    assert store.get_user_by_id("u-1") == user and store.get_user_by_id("u-9") is None
    assert store.get_session("t" * 64) == session
    assert store.get_session("nope") is None
    locked = user.model_copy(update={"failed_logins": 5, "locked_at": NOW})
    store.run_in_tx(lambda tx: tx.put_user(locked))
    assert store.get_user("ada") == locked
    assert store.list_users() == [locked]
    other = user.model_copy(update={"user_id": "u-2"})
    with pytest.raises(Conflict) as taken:
        store.run_in_tx(lambda tx: tx.put_user(other))
    assert taken.value.details == {"field": "username"}


def test_concurrent_units_of_work_queue_and_chain_without_gaps(store: GraphStore) -> None:
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            for step in range(10):
                action = f"w{number}.{step}"
                store.run_in_tx(lambda tx, action=action: _append(tx, action))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    entries = store.audit_entries(limit=1000)
    assert [e.seq for e in entries] == list(range(1, 81))
    result = verify_chain(store)
    assert result.ok and result.checked == 80


def test_audit_verify_reads_well_formed_entries_without_models(store: GraphStore) -> None:
    """The fast hash of a stored record is the chain's own hash, for every kind of entry."""
    from traceapi.domain.audit import stored_entry_hash

    drafts = [
        AuditDraft(actor="cli", action="key.create", new={"name": "wms", "n": 1.5e-05}),
        AuditDraft(actor="a", action="x.y", old={"deep": {"list": [1, "two", None]}}, reason="r"),
        AuditDraft(
            actor="u-1",
            actor_name="Zoë Ünicode",
            auth_method="token",
            request_id="req",
            client_address="::1",
            action="anomaly.update",
            entity_kind="anomaly",
            entity_id="ANO-1",
            record_version=7,
            changes={"title": [None, "naïve"], "lots": [["A"], ["A", "B"]]},
        ),
    ]
    for draft in drafts:
        store.append_audit(draft)
    stored = store.audit_records()
    assert len(stored) == 3
    for record in stored:
        assert stored_entry_hash(record) == record["hash"]


def test_idempotent_answers_are_kept_and_replaced(store: GraphStore) -> None:
    from traceapi.domain.idempotency import IdempotentAnswer

    pending = IdempotentAnswer(key_hash="k" * 64, fingerprint="f", state="pending", created_at=NOW)
    store.run_in_tx(lambda tx: tx.put_idempotent(pending))
    assert store.run_in_tx(lambda tx: tx.get_idempotent("k" * 64)) == pending
    done = pending.model_copy(update={"state": "done", "status": 201, "body": "{}", "etag": '"1"'})
    store.run_in_tx(lambda tx: tx.put_idempotent(done))
    assert store.run_in_tx(lambda tx: tx.get_idempotent("k" * 64)) == done
    assert store.run_in_tx(lambda tx: tx.get_idempotent("nope")) is None


def test_key_management_runs_as_units_of_work(store: GraphStore) -> None:
    from traceapi.services.keys import create_key, revoke_key

    key, secret = create_key(store, role=Role.QA, name="LIMS", actor="alice")
    assert store.run_in_tx(lambda tx: tx.get_api_key_by_id(key.key_id)) == key
    revoked = revoke_key(store, key_id=key.key_id, actor="bob")
    assert revoked.revoked_at is not None
    assert revoke_key(store, key_id=key.key_id, actor="bob") == revoked  # no second entry
    with pytest.raises(NotFound):
        revoke_key(store, key_id="nope")
    clash = key.model_copy(update={"key_id": "other"})
    with pytest.raises(Conflict):
        store.run_in_tx(lambda tx: tx.put_api_key(clash))
    entries = store.audit_entries()
    assert [(e.action, e.actor) for e in entries] == [
        ("key.create", "alice"),
        ("key.revoke", "bob"),
    ]
    assert entries[1].changes == {"revoked_at": [None, revoked.revoked_at.isoformat()]}
    assert secret not in str([e.model_dump() for e in entries])
