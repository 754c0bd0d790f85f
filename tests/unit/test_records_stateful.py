"""Audit completeness, as a hypothesis state machine over the record service on a real SQLite
file: every change that succeeds writes exactly one audit entry with every field, every refusal
writes none and changes nothing; the model and the store agree on version and state."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from tests.contract.graphs import flow_batch
from tests.records_helpers import PASSWORD, person, system_key
from traceapi.domain.records import ANOMALY, SignatureMeaning
from traceapi.domain.security import Role
from traceapi.errors import TraceapiError
from traceapi.services import records, users
from traceapi.services.audit import verify_chain
from traceapi.services.records import SignatureRequest
from traceapi.store.embedded import EmbeddedStore

ACTIONS = sorted(ANOMALY.transitions)
FIELDS = {"title", "description", "lots", "disposition", "colour"}


class RecordMachine(RuleBasedStateMachine):
    made = Bundle("records")

    def __init__(self) -> None:
        super().__init__()
        users._HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        self.dir = Path(tempfile.mkdtemp())
        self.store = EmbeddedStore(self.dir / "s.sqlite3")
        self.store.apply_batch(flow_batch([("A", "B")]))
        self.people = {
            "alice": person(self.store, "alice", Role.COORDINATOR),
            "quinn": person(self.store, "quinn", Role.QA),
            "vic": person(self.store, "vic", Role.VIEWER),
            "erp": system_key(),
        }
        self.model: dict[str, tuple[int, str]] = {}
        self.entries = len(self.store.audit_entries(limit=10_000))

    def teardown(self) -> None:
        self.store.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _attempt(self, change: Any, record_id: str | None) -> Any:
        """Runs one change; checks one entry per success (with every field), none per refusal."""
        before = None if record_id is None else self.store.record_versions(record_id)
        try:
            result = change()
        except TraceapiError:
            # No entry about the record; a wrong password (or a locked account) is a security
            # event, audited as such, and the only entries a refusal may write.
            new = self.store.audit_entries(after_seq=self.entries, limit=10)
            assert all(e.action.startswith("security.") for e in new), [e.action for e in new]
            if new:
                self.entries = new[-1].seq
            if record_id is not None:
                assert self.store.record_versions(record_id) == before
            event("refused")
            return None
        new = self.store.audit_entries(after_seq=self.entries, limit=10)
        assert len(new) == 1, [e.action for e in new]
        entry = new[0]
        for name in ("actor", "actor_name", "auth_method", "request_id", "entity_id", "action"):
            assert getattr(entry, name), name
        assert entry.record_version is not None
        assert entry.changes or entry.new  # a sign changes no field and names its signature
        self.entries = entry.seq
        event(f"succeeded: {entry.action}")
        return result

    @rule(target=made, who=st.sampled_from(["alice", "quinn", "vic", "erp"]), lots=st.booleans())
    def create(self, who: str, lots: bool) -> str:
        data: dict[str, Any] = {"title": "leak", **({"lots": ["A"]} if lots else {})}
        ctx = self.people[who]
        made = self._attempt(
            lambda: records.create_record(self.store, ctx, kind="anomaly", data=data), None
        )
        if made is None:
            assert who == "vic"
            return "ANO-NOT-MADE"
        self.model[made.id] = (1, "open")
        return str(made.id)

    @rule(
        record_id=made,
        who=st.sampled_from(["alice", "quinn", "vic"]),
        field=st.sampled_from(sorted(FIELDS)),
        stale=st.booleans(),
    )
    def update(self, record_id: str, who: str, field: str, stale: bool) -> None:
        version, state = self.model.get(record_id, (1, "open"))
        value: Any = ["B"] if field == "lots" else f"{field} at {version}"
        expected = version - 1 if stale else version
        updated = self._attempt(
            lambda: records.update_record(
                self.store,
                self.people[who],
                record_id=record_id,
                expected_version=expected,
                changes={field: value},
            ),
            record_id,
        )
        if updated is not None:
            assert record_id in self.model and not stale and who != "vic" and field != "colour"
            assert state in ANOMALY.editable_in
            self.model[record_id] = (updated.version, updated.state)

    @rule(
        record_id=made,
        who=st.sampled_from(["alice", "quinn", "erp"]),
        action=st.sampled_from(ACTIONS),
        reason=st.sampled_from([None, "because"]),
        password=st.sampled_from([None, PASSWORD, "wrong password"]),
    )
    def transition(
        self, record_id: str, who: str, action: str, reason: str | None, password: str | None
    ) -> None:
        version, state = self.model.get(record_id, (1, "open"))
        signature = SignatureRequest(password=password, meaning=SignatureMeaning.APPROVAL)
        moved = self._attempt(
            lambda: records.transition_record(
                self.store,
                self.people[who],
                record_id=record_id,
                expected_version=version,
                action=action,
                reason=reason,
                signature=signature,
            ),
            record_id,
        )
        if moved is None:
            return
        spec = ANOMALY.transitions[action]
        assert state in spec.sources and moved.state == spec.target
        assert moved.version == version + 1
        self.model[record_id] = (moved.version, moved.state)

    @rule(record_id=made, who=st.sampled_from(["quinn", "erp"]))
    def sign(self, record_id: str, who: str) -> None:
        version, _ = self.model.get(record_id, (1, "open"))
        review = SignatureRequest(password=PASSWORD, meaning=SignatureMeaning.REVIEW)
        signed = self._attempt(
            lambda: records.sign_record(
                self.store,
                self.people[who],
                record_id=record_id,
                expected_version=version,
                signature=review,
            ),
            record_id,
        )
        if signed is not None:
            assert who == "quinn" and signed.record_version == version

    @invariant()
    def store_agrees_with_the_model(self) -> None:
        for record_id, (version, state) in self.model.items():
            stored = self.store.get_record(record_id)
            assert stored is not None and (stored.version, stored.state) == (version, state)
            assert stored.hash_is_intact()

    @invariant()
    def the_audit_trail_alone_rebuilds_every_record(self) -> None:
        for record_id in self.model:
            stored = self.store.get_record(record_id)
            rebuilt = records.rebuild_from_audit(self.store, record_id)
            assert stored is not None and rebuilt is not None
            assert (rebuilt.version, rebuilt.state, rebuilt.data) == (
                stored.version,
                stored.state,
                stored.data,
            )

    @invariant()
    def chain_verifies(self) -> None:
        assert verify_chain(self.store).ok


RecordMachine.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestRecordMachine = RecordMachine.TestCase
