"""A tamper corpus on a real 1,000-entry trail: each kind of tampering at 100 random positions
is named by exactly the first broken seq; untouched trails raise no false alarm; truncation and
a consistent rewrite show only against a checkpoint, and do there."""

from __future__ import annotations

import random
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.records_helpers import OPERATOR
from traceapi.domain.audit import AuditDraft, entry_hash
from traceapi.services.audit import draft_for, take_checkpoint, verify_chain
from traceapi.store.embedded import EmbeddedStore

pytestmark = pytest.mark.slow
ENTRIES = 1000
POSITIONS = 100
COLUMNS = "seq, at, actor, action, entity_kind, entity_id, old, new, reason, prev_hash, hash"


@pytest.fixture(scope="module")
def trail(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("trail") / "trail.sqlite3"
    with EmbeddedStore(path) as store:
        for number in range(ENTRIES):
            draft = draft_for(
                OPERATOR,
                action="anomaly.update",
                entity_kind="anomaly",
                entity_id=f"ANO-{number % 37}",
                record_version=number // 37 + 2,
                changes={"description": [f"v{number}", f"v{number + 1}"]},
                reason=f"reason {number}" if number % 3 else None,
            )
            store.append_audit(draft)
    return path


def _sql(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("DROP TRIGGER audit_append_only_update")
        conn.execute("DROP TRIGGER audit_append_only_delete")
        for statement in statements:
            conn.execute(statement)
    conn.close()


def _first_broken(path: Path) -> int | None:
    with EmbeddedStore(path) as store:
        result = verify_chain(store, page_size=257)
    return result.first_broken_seq


def _field_edit(seq: int) -> tuple[list[str], int]:
    return [f"UPDATE audit SET reason = 'edited' WHERE seq = {seq}"], seq


def _byte_flip(seq: int) -> tuple[list[str], int]:
    # One hex digit of the stored hash changed: this entry no longer matches its content.
    return [
        f"UPDATE audit SET hash = substr(hash, 1, 10) || "
        f"CASE substr(hash, 11, 1) WHEN 'a' THEN 'b' ELSE 'a' END || substr(hash, 12) "
        f"WHERE seq = {seq}"
    ], seq


def _row_delete(seq: int) -> tuple[list[str], int]:
    return [f"DELETE FROM audit WHERE seq = {seq}"], seq


def _forged_insert(seq: int) -> tuple[list[str], int]:
    # Every entry from seq on moves up one, and a forged one takes seq's place.
    return [
        f"UPDATE audit SET seq = -seq - 1 WHERE seq >= {seq}",
        "UPDATE audit SET seq = -seq WHERE seq < 0",
        f"INSERT INTO audit ({COLUMNS}) SELECT {seq}, at, 'mallory', action, entity_kind, "
        f"entity_id, old, new, reason, prev_hash, hash FROM audit WHERE seq = {seq + 1}",
    ], seq


def _swap(seq: int) -> tuple[list[str], int]:
    other = seq + 1
    return [
        f"UPDATE audit SET seq = -1 WHERE seq = {seq}",
        f"UPDATE audit SET seq = {seq} WHERE seq = {other}",
        f"UPDATE audit SET seq = {other} WHERE seq = -1",
    ], seq


def _duplicate(seq: int) -> tuple[list[str], int]:
    # Entry seq stored again in place of the next one.
    return [
        f"UPDATE audit SET at = (SELECT at FROM audit WHERE seq = {seq}), "
        f"actor = (SELECT actor FROM audit WHERE seq = {seq}), "
        f"new = (SELECT new FROM audit WHERE seq = {seq}), "
        f"prev_hash = (SELECT prev_hash FROM audit WHERE seq = {seq}), "
        f"hash = (SELECT hash FROM audit WHERE seq = {seq}) WHERE seq = {seq + 1}"
    ], seq + 1


def _timestamp_edit(seq: int) -> tuple[list[str], int]:
    return [f"UPDATE audit SET at = '2020-01-01T00:00:00+00:00' WHERE seq = {seq}"], seq


KINDS: dict[str, Callable[[int], tuple[list[str], int]]] = {
    "field_edit": _field_edit,
    "byte_flip": _byte_flip,
    "row_delete": _row_delete,
    "forged_insert": _forged_insert,
    "rows_swapped": _swap,
    "duplicated_row": _duplicate,
    "timestamp_edit": _timestamp_edit,
}


def test_an_untouched_trail_raises_no_alarm(trail: Path) -> None:
    assert _first_broken(trail) is None


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_tampering_is_named_by_its_first_broken_seq(
    trail: Path, tmp_path: Path, kind: str
) -> None:
    rng = random.Random(kind)
    for seq in rng.sample(range(1, ENTRIES), POSITIONS):  # every position with a successor
        copy = tmp_path / "copy.sqlite3"
        shutil.copyfile(trail, copy)
        statements, expected = KINDS[kind](seq)
        _sql(copy, *statements)
        assert _first_broken(copy) == expected, (kind, seq)
        copy.unlink()


def test_truncation_and_a_consistent_rewrite_show_only_against_a_checkpoint(
    trail: Path, tmp_path: Path
) -> None:
    with EmbeddedStore(trail) as store:
        checkpoint = take_checkpoint(store)
        entries = store.audit_entries(after_seq=ENTRIES - 10, limit=10)
    truncated = tmp_path / "truncated.sqlite3"
    shutil.copyfile(trail, truncated)
    _sql(truncated, f"DELETE FROM audit WHERE seq > {ENTRIES - 3}")
    rewritten = tmp_path / "rewritten.sqlite3"
    shutil.copyfile(trail, rewritten)
    prev = entries[0].prev_hash
    statements = []
    for entry in entries:
        draft = AuditDraft(**entry.model_dump(include=set(AuditDraft.model_fields)))
        draft = draft.model_copy(update={"actor": "mallory"})
        digest = entry_hash(prev, entry.seq, entry.at, draft)
        statements.append(
            f"UPDATE audit SET actor = 'mallory', prev_hash = '{prev}', hash = '{digest}' "
            f"WHERE seq = {entry.seq}"
        )
        prev = digest
    _sql(rewritten, *statements)
    for path, first in ((truncated, ENTRIES - 2), (rewritten, ENTRIES)):
        with EmbeddedStore(path) as store:
            assert verify_chain(store).ok  # alone, each looks intact
            against = verify_chain(store, checkpoint=checkpoint)
        assert not against.ok and against.first_broken_seq == first
