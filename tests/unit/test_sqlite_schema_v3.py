"""Schema version 3: an edge's ends and an alias's node must exist, held by SQLite itself
(foreign keys, on for every connection); an older file migrates keeping every rowid."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.contract.graphs import flow_batch
from tests.unit.test_sqlite_schema_v2 import _version_1_file
from traceapi.store import sqlite_schema
from traceapi.store.base import Direction
from traceapi.store.embedded import EmbeddedStore


def test_an_older_file_migrates_to_foreign_keys_keeping_rowids(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    _version_1_file(path)  # migrates 1 -> 2 -> 3 at open
    with EmbeddedStore(path) as store:
        assert store.reach(["A"], direction=Direction.FORWARD).ids == ["A", "B", "C"]
        assert store.resolve("alpha") == "A"
    with sqlite3.connect(path) as conn:
        assert (
            conn.execute("PRAGMA user_version").fetchone()[0] == sqlite_schema.SCHEMA_VERSION >= 3
        )
        assert conn.execute("SELECT rowid, src, dst FROM edges ORDER BY rowid").fetchall() == [
            (1, 1, 2),
            (7, 2, 5),
        ]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        sql = dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL"))
    assert sql["edges"].count("REFERENCES nodes (rid)") == 2
    assert "REFERENCES nodes (rid)" in sql["aliases"]


def test_a_dangling_edge_or_alias_is_refused_by_the_file(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    with EmbeddedStore(path) as store:
        store.apply_batch(flow_batch([("A", "B")]))
    conn = sqlite_schema.connect(path)  # the store's own connection settings
    try:
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            conn.execute("INSERT INTO edges (src, dst, type) VALUES (1, 999, 'PACKED_IN')")
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            conn.execute("INSERT INTO aliases (alias, rid) VALUES ('ghost', 999)")
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            conn.execute("DELETE FROM nodes WHERE id = 'A'")  # an edge still needs it
    finally:
        conn.close()


def test_clear_empties_a_store_whose_rows_reference_each_other(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "s.sqlite3") as store:
        store.apply_batch(flow_batch([("A", "B"), ("B", "C")]))
        store.clear()
        assert store.stats().node_total == 0 and store.stats().edge_total == 0
        store.apply_batch(flow_batch([("A", "B")]))
        assert store.reach(["A"], direction=Direction.FORWARD).ids == ["A", "B"]
