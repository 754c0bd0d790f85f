"""verify_chain on a real SQLite store: intact chains pass; edits, gaps and relinks are named."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from traceapi.domain.audit import AuditDraft
from traceapi.services.audit import verify_chain
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
    conn = sqlite3.connect(path)
    try:
        with conn:
            conn.execute(statement)
    finally:
        conn.close()


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
        ("DELETE FROM audit WHERE seq = 6", 7, 5, "sequence gap"),
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
