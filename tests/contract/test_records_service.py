"""Typed, versioned records through the service on every backend: versions, conflicts,
refusals, signatures, and exactly one audit entry per change (none per refusal)."""

from __future__ import annotations

import random
import threading

import pytest

from tests.contract.graphs import flow_batch
from tests.records_helpers import PASSWORD, cheap_hasher, person, system_key
from traceapi.domain.records import SignatureMeaning
from traceapi.domain.security import Role
from traceapi.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from traceapi.services import records
from traceapi.services.audit import verify_chain
from traceapi.services.policy import RequestContext
from traceapi.services.records import SignatureRequest
from traceapi.store.base import GraphStore


@pytest.fixture(autouse=True)
def _cheap(monkeypatch: pytest.MonkeyPatch) -> None:
    cheap_hasher(monkeypatch)


@pytest.fixture
def people(store: GraphStore) -> dict[str, RequestContext]:
    store.apply_batch(flow_batch([("A", "B"), ("B", "C")]))
    return {
        "alice": person(store, "alice", Role.COORDINATOR, name="Alice Raiser"),
        "quinn": person(store, "quinn", Role.QA, name="Quinn Approver"),
        "rita": person(store, "rita", Role.QA, name="Rita Approver"),
        "vic": person(store, "vic", Role.VIEWER),
    }


def _count(store: GraphStore) -> int:
    return len(store.audit_entries(limit=100_000))


def _to_dispositioned(store: GraphStore, ctx: RequestContext, record_id: str) -> int:
    records.transition_record(
        store, ctx, record_id=record_id, expected_version=1, action="investigate"
    )
    records.transition_record(
        store, ctx, record_id=record_id, expected_version=2, action="disposition", reason="scrap"
    )
    return 3


def test_create_update_and_transition_version_and_audit_each_change(
    store: GraphStore, people: dict[str, RequestContext]
) -> None:
    alice = people["alice"]
    before = _count(store)
    made = records.create_record(
        store, alice, kind="anomaly", data={"title": " Leak ", "lots": ["B", "A", "A"]}
    )
    assert (made.version, made.state, made.data) == (
        1,
        "open",
        {"title": "Leak", "lots": ["A", "B"]},
    )
    assert made.hash_is_intact() and made.created_by == alice.principal.id
    assert [link.target_id for link in store.record_links(made.id)] == ["A", "B"]
    entry = store.audit_entries(after_seq=before)[0]
    assert (entry.action, entry.entity_kind, entry.entity_id, entry.record_version) == (
        "anomaly.create",
        "anomaly",
        made.id,
        1,
    )
    assert (entry.actor, entry.actor_name, entry.auth_method) == (
        alice.principal.id,
        "Alice Raiser",
        "token",
    )
    assert (entry.request_id, entry.client_address) == ("req-alice", "127.0.0.1")
    assert entry.changes == {
        "state": [None, "open"],
        "lots": [None, ["A", "B"]],
        "title": [None, "Leak"],
    }

    updated = records.update_record(
        store, alice, record_id=made.id, expected_version=1, changes={"description": "drips"}
    )
    assert updated.version == 2 and updated.data["description"] == "drips"
    moved = records.transition_record(
        store, alice, record_id=made.id, expected_version=2, action="investigate"
    )
    assert (moved.version, moved.state) == (3, "investigating")
    assert [v.version for v in store.record_versions(made.id)] == [1, 2, 3]
    assert store.get_record(made.id, version=1) == made  # nothing overwritten
    entries = store.audit_entries(after_seq=before)
    assert [e.action for e in entries] == [
        "anomaly.create",
        "anomaly.update",
        "anomaly.investigate",
    ]
    assert entries[1].changes == {"description": [None, "drips"]}
    assert entries[2].changes == {"state": ["open", "investigating"]}
    assert verify_chain(store).ok


def test_refusals_change_nothing_and_write_no_entry(
    store: GraphStore, people: dict[str, RequestContext]
) -> None:
    alice, vic = people["alice"], people["vic"]
    made = records.create_record(store, alice, kind="anomaly", data={"title": "Leak"})
    before = _count(store)
    with pytest.raises(Conflict) as stale:
        records.update_record(
            store, alice, record_id=made.id, expected_version=7, changes={"title": "x"}
        )
    assert stale.value.details == {"current_version": 1, "expected_version": 7}
    with pytest.raises(InvalidInput) as unknown:
        records.update_record(
            store, alice, record_id=made.id, expected_version=1, changes={"colour": "red"}
        )
    assert unknown.value.details["field"] == "colour"
    with pytest.raises(InvalidInput) as typed:
        records.create_record(store, alice, kind="anomaly", data={"title": 5})
    assert typed.value.details == {"field": "title"}
    with pytest.raises(InvalidInput) as missing:
        records.create_record(store, alice, kind="anomaly", data={"description": "x"})
    assert missing.value.details == {"field": "title"}
    with pytest.raises(NotFound) as nodes:
        records.create_record(store, alice, kind="anomaly", data={"title": "x", "lots": ["Z", "Y"]})
    assert nodes.value.details["ids"] == ["Y", "Z"]
    with pytest.raises(Conflict) as wrong_state:
        records.transition_record(
            store, alice, record_id=made.id, expected_version=1, action="disposition", reason="r"
        )
    assert wrong_state.value.details == {
        "state": "open",
        "allowed_actions": ["investigate", "void"],
    }
    with pytest.raises(InvalidInput) as no_reason:
        records.transition_record(
            store, people["quinn"], record_id=made.id, expected_version=1, action="void"
        )
    assert no_reason.value.details == {"field": "reason"}
    with pytest.raises(Forbidden) as viewer:
        records.update_record(
            store, vic, record_id=made.id, expected_version=1, changes={"title": "x"}
        )
    assert viewer.value.details["rule"] == "role-required"
    with pytest.raises(NotFound):
        records.update_record(
            store, alice, record_id="ANO-NOPE", expected_version=1, changes={"title": "x"}
        )
    assert _count(store) == before
    assert store.record_versions(made.id) == [made]


def test_the_raiser_cannot_approve_closure_and_keys_never_sign(
    store: GraphStore, people: dict[str, RequestContext]
) -> None:
    quinn, rita = people["quinn"], people["rita"]
    made = records.create_record(store, quinn, kind="anomaly", data={"title": "Leak"})
    version = _to_dispositioned(store, quinn, made.id)
    approve = SignatureRequest(password=PASSWORD, meaning=SignatureMeaning.APPROVAL)
    before = _count(store)
    with pytest.raises(Forbidden) as own:
        records.transition_record(
            store,
            quinn,
            record_id=made.id,
            expected_version=version,
            action="close",
            reason="done",
            signature=approve,
        )
    assert own.value.details["rule"] == "raiser-cannot-approve-closure"
    with pytest.raises(Forbidden) as key:
        records.transition_record(
            store,
            system_key(Role.ADMIN),
            record_id=made.id,
            expected_version=version,
            action="close",
            reason="done",
            signature=approve,
        )
    assert key.value.details["rule"] == "api-keys-never-sign"
    with pytest.raises(Unauthorized) as token_alone:
        records.transition_record(
            store,
            rita,
            record_id=made.id,
            expected_version=version,
            action="close",
            reason="done",
            signature=None,
        )
    assert token_alone.value.details == {"field": "signature.password"}
    assert _count(store) == before
    with pytest.raises(Unauthorized):
        records.transition_record(
            store,
            rita,
            record_id=made.id,
            expected_version=version,
            action="close",
            reason="done",
            signature=SignatureRequest(password="wrong one!", meaning="approval"),
        )
    assert [e.action for e in store.audit_entries(after_seq=before)] == ["security.login_failed"]
    closed = records.transition_record(
        store,
        rita,
        record_id=made.id,
        expected_version=version,
        action="close",
        reason="done",
        signature=approve,
    )
    assert closed.state == "closed"
    [check] = records.check_signatures(store, made.id)
    assert check.status == "valid"
    signature = check.signature
    assert (signature.printed_name, signature.meaning, signature.record_version) == (
        "Rita Approver",
        SignatureMeaning.APPROVAL,
        closed.version,
    )
    assert signature.content_hash == closed.content_hash and signature.user_id == rita.principal.id
    last = store.audit_entries(after_seq=before)[-1]
    assert last.action == "anomaly.close" and last.new is not None
    assert last.new["signature"]["signature_id"] == signature.signature_id


def test_edits_after_signing_and_copied_signatures_are_flagged(
    store: GraphStore, people: dict[str, RequestContext]
) -> None:
    alice, quinn = people["alice"], people["quinn"]
    review = SignatureRequest(password=PASSWORD, meaning=SignatureMeaning.REVIEW)
    target = records.create_record(store, alice, kind="anomaly", data={"title": "Other"})
    for number in range(50):
        made = records.create_record(store, alice, kind="anomaly", data={"title": f"L{number}"})
        signed = records.sign_record(
            store, quinn, record_id=made.id, expected_version=1, signature=review
        )
        assert [c.status for c in records.check_signatures(store, made.id)] == ["valid"]
        records.update_record(
            store,
            alice,
            record_id=made.id,
            expected_version=1,
            changes={"description": f"edited {number}"},
        )
        [after_edit] = records.check_signatures(store, made.id)
        assert after_edit.status == "superseded" and "changed after signing" in str(
            after_edit.problem
        )
        # Copied onto another record: as it was, and with its binding recomputed for the target.
        moved = signed.model_copy(
            update={"signature_id": f"SIG-COPY-{number}", "record_id": target.id}
        )
        store.run_in_tx(lambda tx, moved=moved: tx.put_signature(moved))
    checks = records.check_signatures(store, target.id)
    assert len(checks) == 50 and {c.status for c in checks} == {"invalid"}


def test_the_kth_audit_append_failing_leaves_the_record_unchanged(
    store: GraphStore, people: dict[str, RequestContext], monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = people["alice"]
    made = records.create_record(store, alice, kind="anomaly", data={"title": "Leak"})
    real = records.append_in
    rng = random.Random(12)
    for _ in range(10):
        k = rng.randint(1, 3)
        calls = {"n": 0}

        def failing(tx, draft, k=k, calls=calls):  # type: ignore[no-untyped-def]
            calls["n"] += 1
            if calls["n"] == k:
                raise RuntimeError(f"audit append {k} failed")
            return real(tx, draft)

        monkeypatch.setattr(records, "append_in", failing)
        before = (store.record_versions(made.id), _count(store))
        current = store.get_record(made.id)
        assert current is not None
        done = 0
        for step in range(3):
            try:
                current = records.update_record(
                    store,
                    alice,
                    record_id=made.id,
                    expected_version=current.version,
                    changes={"description": f"{rng.random()} {step}"},
                )
                done += 1
            except RuntimeError:
                assert store.get_record(made.id) == current  # unchanged by the failed change
        assert done == 2
        versions, entries = before
        assert len(store.record_versions(made.id)) == len(versions) + 2
        assert _count(store) == entries + 2
        monkeypatch.setattr(records, "append_in", real)
    assert verify_chain(store).ok


def test_racing_approvals_on_one_version_let_exactly_one_win(
    store: GraphStore, people: dict[str, RequestContext]
) -> None:
    alice, quinn, rita = people["alice"], people["quinn"], people["rita"]
    approve = SignatureRequest(password=PASSWORD, meaning=SignatureMeaning.APPROVAL)
    for _ in range(200):
        made = records.create_record(store, alice, kind="anomaly", data={"title": "Race"})
        version = _to_dispositioned(store, alice, made.id)
        outcomes: list[str] = []
        start = threading.Barrier(2)

        def approver(
            ctx: RequestContext,
            record_id: str = made.id,
            version: int = version,
            start: threading.Barrier = start,
            outcomes: list[str] = outcomes,
        ) -> None:
            start.wait()
            try:
                records.transition_record(
                    store,
                    ctx,
                    record_id=record_id,
                    expected_version=version,
                    action="close",
                    reason="approved",
                    signature=approve,
                )
                outcomes.append("won")
            except Conflict:
                outcomes.append("conflict")

        threads = [threading.Thread(target=approver, args=(ctx,)) for ctx in (quinn, rita)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["conflict", "won"]
        assert len(store.signatures_of(made.id)) == 1
    assert verify_chain(store).ok


def test_concurrent_increments_through_the_service_lose_no_update(
    store: GraphStore, people: dict[str, RequestContext]
) -> None:
    alice = people["alice"]
    made = records.create_record(store, alice, kind="anomaly", data={"title": "0"})
    before = _count(store)

    def incrementer() -> None:
        done = 0
        while done < 100:
            current = store.get_record(made.id)
            assert current is not None
            try:
                records.update_record(
                    store,
                    alice,
                    record_id=made.id,
                    expected_version=current.version,
                    changes={"title": str(int(current.data["title"]) + 1)},
                )
                done += 1
            except Conflict:
                continue

    threads = [threading.Thread(target=incrementer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    final = store.get_record(made.id)
    assert final is not None and final.data["title"] == "800" and final.version == 801
    entries = store.audit_entries(after_seq=before, limit=10_000)
    assert len(entries) == 800 and [e.seq for e in entries] == list(range(before + 1, before + 801))
    assert verify_chain(store).ok
