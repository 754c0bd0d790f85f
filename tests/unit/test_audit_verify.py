"""verify_chain on a real SQLite store: intact chains pass; edits, gaps and relinks are named."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from traceapi.domain.audit import AuditDraft
from traceapi.errors import CorruptData, InvalidInput
from traceapi.services.audit import read_entries, take_checkpoint, verify_chain
from traceapi.store.embedded import EmbeddedStore


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    path = tmp_path / "data" / "traceapi.sqlite3"
    store = EmbeddedStore(path)
    try:
        for number in range(1, 8):
            store.append_audit(
                AuditDraft(
                    actor="tester",
                    action="lot.status",
                    entity_kind="Lot",
                    entity_id=f"L-{number}",
                    old={"status": "released"},
                    new={"status": "on_hold"},
                    reason=f"reason {number}",
                )
            )
    finally:
        store.close()
    return path


def _verify(path: Path, *, page_size: int = 3):  # type: ignore[no-untyped-def]
    store = EmbeddedStore(path)
    try:
        return verify_chain(store, page_size=page_size)
    finally:
        store.close()


def _sql(path: Path, statement: str) -> None:
    """Runs ``statement`` as someone with the file would: the append-only triggers dropped
    first (they stop the application and careless hands, not the owner of the file)."""
    conn = sqlite3.connect(path)
    try:
        with conn:
            conn.execute("DROP TRIGGER IF EXISTS audit_append_only_update")
            conn.execute("DROP TRIGGER IF EXISTS audit_append_only_delete")
            conn.execute(statement)
    finally:
        conn.close()


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit SET reason = 'nothing to see' WHERE seq = 1", "DELETE FROM audit WHERE seq = 7"],
)
def test_the_file_itself_refuses_to_update_or_delete_an_entry(
    store_path: Path, statement: str
) -> None:
    conn = sqlite3.connect(store_path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(statement)
    finally:
        conn.close()
    assert _verify(store_path).ok


def test_empty_trail_is_ok(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "empty.sqlite3")
    try:
        result = verify_chain(store)
    finally:
        store.close()
    assert result.ok and result.checked == 0 and result.first_broken_seq is None


def test_intact_chain_passes_across_pages(store_path: Path) -> None:
    result = _verify(store_path)
    assert result.ok
    assert result.checked == 7 and result.last_seq == 7


@pytest.mark.parametrize(
    ("statement", "seq", "intact", "words"),
    [
        ('UPDATE audit SET new = \'{"status": "released"}\' WHERE seq = 5', 5, 4, "content"),
        ("UPDATE audit SET reason = 'nothing to see' WHERE seq = 1", 1, 0, "content"),
        ("UPDATE audit SET at = '2020-01-01T00:00:00+00:00' WHERE seq = 4", 4, 3, "content"),
        ("DELETE FROM audit WHERE seq = 6", 6, 5, "entry 6 is missing"),
        ("DELETE FROM audit WHERE seq = 1", 1, 0, "entry 1 is missing"),
        ("UPDATE audit SET new = '{not json' WHERE seq = 4", 4, 3, "new_json is not JSON"),
        ("UPDATE audit SET old = '[1, 2]' WHERE seq = 2", 2, 1, "not a JSON object"),
        ("UPDATE audit SET at = 'yesterday' WHERE seq = 5", 5, 4, "not an ISO 8601 timestamp"),
        ("UPDATE audit SET actor = 42 WHERE seq = 7", 7, 6, "content"),
        ("UPDATE audit SET prev_hash = '" + "0" * 64 + "' WHERE seq = 3", 3, 2, "prev_hash"),
    ],
)
def test_tampering_names_the_first_broken_entry(
    store_path: Path, statement: str, seq: int, intact: int, words: str
) -> None:
    _sql(store_path, statement)
    result = _verify(store_path)
    assert not result.ok
    assert result.first_broken_seq == seq
    assert result.checked == intact
    assert result.reason is not None and words in result.reason


def test_a_rewritten_entry_with_a_fresh_hash_breaks_the_next_link(store_path: Path) -> None:
    # Someone who edits entry 2 and recomputes its hash still breaks entry 3's prev_hash.
    store = EmbeddedStore(store_path)
    try:
        entry = store.audit_entries(after_seq=1, limit=1)[0]
    finally:
        store.close()
    from traceapi.domain.audit import entry_hash

    forged = AuditDraft(
        actor="mallory",
        action=entry.action,
        entity_kind=entry.entity_kind,
        entity_id=entry.entity_id,
        old=entry.old,
        new=entry.new,
        reason=entry.reason,
    )
    new_hash = entry_hash(entry.prev_hash, entry.seq, entry.at, forged)
    _sql(store_path, f"UPDATE audit SET actor = 'mallory', hash = '{new_hash}' WHERE seq = 2")
    result = _verify(store_path)
    assert result.first_broken_seq == 3
    assert result.reason is not None and "prev_hash" in result.reason


def test_deleting_the_last_entries_is_caught_by_a_checkpoint(store_path: Path) -> None:
    store = EmbeddedStore(store_path)
    try:
        anchor = take_checkpoint(store)
    finally:
        store.close()
    assert anchor.seq == 7
    _sql(store_path, "DELETE FROM audit WHERE seq >= 6")
    assert _verify(store_path).ok  # the shorter chain is intact: only the checkpoint can tell
    store = EmbeddedStore(store_path)
    try:
        result = verify_chain(store, checkpoint=anchor)
    finally:
        store.close()
    assert not result.ok and result.first_broken_seq == 6 and result.checked == 5
    assert result.reason is not None and "entries 6 to 7 are missing" in result.reason


def test_a_replaced_head_is_caught_by_a_checkpoint(store_path: Path) -> None:
    store = EmbeddedStore(store_path)
    try:
        anchor = take_checkpoint(store)
    finally:
        store.close()
    # Delete the head and append a fresh, well-chained entry in its place.
    _sql(store_path, "DELETE FROM audit WHERE seq = 7")
    store = EmbeddedStore(store_path)
    try:
        store.append_audit(AuditDraft(actor="mallory", action="lot.status"))
        assert verify_chain(store).ok
        result = verify_chain(store, checkpoint=anchor)
    finally:
        store.close()
    assert not result.ok and result.first_broken_seq == 7
    assert result.reason is not None and "hash differs" in result.reason


def test_a_checkpoint_of_a_broken_chain_is_refused(store_path: Path) -> None:
    _sql(store_path, "UPDATE audit SET reason = 'x' WHERE seq = 3")
    store = EmbeddedStore(store_path)
    try:
        with pytest.raises(InvalidInput, match="broken at entry 3"):
            take_checkpoint(store)
    finally:
        store.close()


def test_readers_get_an_error_naming_the_damaged_entry(store_path: Path) -> None:
    _sql(store_path, "UPDATE audit SET new = '{not json' WHERE seq = 4")
    store = EmbeddedStore(store_path)
    try:
        assert [e.seq for e in read_entries(store, limit=3)] == [1, 2, 3]
        with pytest.raises(CorruptData, match="audit entry 4 does not decode") as caught:
            read_entries(store, after_seq=3)
        assert caught.value.details["seq"] == 4
        with pytest.raises(InvalidInput, match="after_seq must be between 0 and"):
            read_entries(store, after_seq=10**30)
    finally:
        store.close()
