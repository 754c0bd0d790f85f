"""Schema version 2: the unique keys of nodes and edges are named indexes, so a first bulk load
builds them once after its inserts; a version-1 file migrates keeping every rowid."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.contract.graphs import flow_batch
from traceapi.domain.model import Batch, Edge, EdgeType
from traceapi.store import sqlite_batch, sqlite_schema
from traceapi.store.base import Direction
from traceapi.store.embedded import EmbeddedStore


def _version_1_file(path: Path) -> None:
    """A file as traceapi with schema version 1 left it, holding a small genealogy whose
    edge rowids have a gap (as deletes by ``clear()`` leave them)."""
    with sqlite3.connect(path, isolation_level=None) as conn:
        for statement in sqlite_schema._statements(sqlite_schema._MIGRATIONS[1]):
            conn.execute(statement)
        conn.executemany(
            "INSERT INTO nodes (rid, id, kind, props) VALUES (?, ?, 'Lot', ?)",
            [(1, "A", "{}"), (2, "B", '{"quantity": 3}'), (5, "C", "{}")],
        )
        conn.executemany(
            "INSERT INTO edges (rowid, src, dst, type, qty, unit) VALUES (?, ?, ?, ?, ?, ?)",
            [(1, 1, 2, "PACKED_IN", 1.5, "kg"), (7, 2, 5, "PACKED_IN", None, None)],
        )
        conn.execute("INSERT INTO aliases (alias, rid) VALUES ('alpha', 1)")
        conn.execute(
            "INSERT INTO counters (what, name, n) VALUES ('node', 'Lot', 3), "
            "('edge', 'PACKED_IN', 2)"
        )
        conn.execute("PRAGMA user_version = 1")


def _schema(path: Path) -> dict[str, str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE tbl_name IN ('nodes', 'edges') "
            "AND sql IS NOT NULL"
        ).fetchall()
    return dict(rows)


def test_a_version_1_file_migrates_keeping_rowids_and_data(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    _version_1_file(path)
    with EmbeddedStore(path) as store:
        assert store.resolve("alpha") == "A"
        assert store.get_nodes(["B"])["B"].props == {"quantity": 3}
        assert store.reach(["A"], direction=Direction.FORWARD).ids == ["A", "B", "C"]
        (edge,) = store.edges_of(["A"])
        assert (edge.target, edge.qty, edge.unit) == ("B", 1.5, "kg")
        # the key still merges a repeated edge instead of storing it twice
        again = store.apply_batch(
            Batch(edges=[Edge(source="A", target="B", type=EdgeType.PACKED_IN, qty=2.0)])
        )
        assert (again.edges_added, again.edges_updated) == (0, 1)
        assert store.stats().edges == {"PACKED_IN": 2}
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == sqlite_schema.SCHEMA_VERSION
        assert conn.execute("SELECT rid, id FROM nodes ORDER BY rid").fetchall() == [
            (1, "A"),
            (2, "B"),
            (5, "C"),
        ]
        assert conn.execute("SELECT rowid, src, dst FROM edges ORDER BY rowid").fetchall() == [
            (1, 1, 2),
            (7, 2, 5),
        ]
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    schema = _schema(path)
    assert "UNIQUE INDEX nodes_id" in schema["nodes_id"]
    assert "UNIQUE INDEX edges_key" in schema["edges_key"]
    assert "UNIQUE" not in schema["nodes"] and "UNIQUE" not in schema["edges"]


def test_the_keys_refuse_repeats_in_the_file_itself(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    EmbeddedStore(path).apply_batch(flow_batch([("A", "B")]))
    with sqlite3.connect(path) as conn:
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("INSERT INTO nodes (id, kind) VALUES ('A', 'Lot')")
        src, dst, type_ = conn.execute("SELECT src, dst, type FROM edges").fetchone()
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("INSERT INTO edges (src, dst, type) VALUES (?, ?, ?)", (src, dst, type_))


def test_a_bulk_load_drops_and_rebuilds_the_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_batch, "BULK_ROWS", 1)
    path = tmp_path / "s.sqlite3"
    store = EmbeddedStore(path)
    dropped: list[str] = []
    drop = sqlite_batch._drop_secondary_indexes

    def spy(conn: sqlite3.Connection) -> list[str]:
        statements = drop(conn)
        dropped.extend(statements)
        return statements

    monkeypatch.setattr(sqlite_batch, "_drop_secondary_indexes", spy)
    store.apply_batch(flow_batch([("A", "B"), ("B", "C")]))
    assert any("nodes_id" in s for s in dropped) and any("edges_key" in s for s in dropped)
    assert set(_schema(path)) >= {"nodes_id", "edges_key", "edges_dst", "nodes_kind_id"}
    again = store.apply_batch(flow_batch([("A", "B"), ("B", "C")]))
    assert again.nodes_added == again.edges_added == 0 and again.edges_unchanged == 2
    store.close()
