"""The embedded store's fast paths: bulk loads into an empty store and chunked reads."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from traceapi.domain.model import Alias, Batch, Edge, EdgeType, Node, NodeKind
from traceapi.errors import InvalidInput, StoreUnavailable
from traceapi.store import sqlite_batch
from traceapi.store.embedded import EmbeddedStore


def _indexes(path: Path) -> set[tuple[str, str]]:
    with sqlite3.connect(path) as conn:
        return set(
            conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index'").fetchall()
        )


def _chain(n: int) -> Batch:
    ids = [f"L{i:04d}" for i in range(n)]
    return Batch(
        nodes=[
            Node(id=x, kind=NodeKind.LOT, props={"quantity": i} if i % 2 else {})
            for i, x in enumerate(ids)
        ],
        edges=[
            Edge(source=a, target=b, type=EdgeType.PACKED_IN, qty=1.0, unit="ea")
            for a, b in zip(ids, ids[1:], strict=False)
        ],
        aliases=[Alias(alias=f"ALT-{x}", node_id=x) for x in ids[::3]],
    )


@pytest.fixture
def bulk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every batch into an empty store takes the bulk path."""
    monkeypatch.setattr(sqlite_batch, "BULK_ROWS", 1)


@pytest.mark.usefixtures("bulk")
def test_bulk_load_rebuilds_indexes_and_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    store = EmbeddedStore(path)
    before = _indexes(path)
    result = store.apply_batch(_chain(50))
    assert (result.nodes_added, result.edges_added, result.aliases_added) == (50, 49, 17)
    assert _indexes(path) == before
    assert store.resolve("ALT-L0003") == "L0003"
    into = store.edges_of(["L0010"], side="in")
    assert [(e.source, e.target, e.qty, e.unit) for e in into] == [("L0009", "L0010", 1.0, "ea")]
    nodes = list(store.iter_nodes(chunk_size=7))
    assert [n.id for n in nodes] == [f"L{i:04d}" for i in range(50)]
    assert nodes[3].props == {"quantity": 3} and nodes[4].props == {}
    assert nodes[3].aliases == ["ALT-L0003"] and nodes[4].aliases == []
    again = store.apply_batch(_chain(50))
    assert again.nodes_added == again.edges_added == again.aliases_added == 0
    assert again.edges_unchanged == 49
    store.close()


@pytest.mark.usefixtures("bulk")
def test_bulk_load_merges_a_repeated_edge_once(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "s.sqlite3")
    batch = Batch(
        nodes=[Node(id="a", kind=NodeKind.LOT), Node(id="b", kind=NodeKind.SHIPMENT)],
        edges=[
            Edge(source="a", target="b", type=EdgeType.SHIPPED_IN, qty=1.0, props={"x": 1}),
            Edge(source="a", target="b", type=EdgeType.SHIPPED_IN, unit="kg", props={"y": 2}),
        ],
    )
    result = store.apply_batch(batch)
    assert (result.edges_added, result.edges_updated, result.edges_unchanged) == (1, 0, 0)
    (edge,) = store.edges_of(["a"])
    assert (edge.qty, edge.unit, edge.props) == (1.0, "kg", {"x": 1, "y": 2})
    assert store.stats().edges == {"SHIPPED_IN": 1}
    store.close()


@pytest.mark.usefixtures("bulk")
def test_bulk_load_refuses_a_dangling_edge_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    store = EmbeddedStore(path)
    before = _indexes(path)
    batch = _chain(10)
    batch.edges.insert(4, Edge(source="L0001", target="nowhere", type=EdgeType.PACKED_IN))
    with pytest.raises(InvalidInput, match=r"edge #4 .* 'nowhere'"):
        store.apply_batch(batch)
    assert store.stats().node_total == 0 and _indexes(path) == before
    store.close()


@pytest.mark.usefixtures("bulk")
def test_a_failure_after_dropping_indexes_rolls_them_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.sqlite3"
    store = EmbeddedStore(path)
    before = _indexes(path)
    monkeypatch.setattr(sqlite_batch, "_INSERT_EDGE", "INSERT INTO no_such_table VALUES (?)")
    with pytest.raises(StoreUnavailable):
        store.apply_batch(_chain(10))
    assert _indexes(path) == before
    assert store.stats().node_total == 0 and store.get_nodes(["L0001"]) == {}
    monkeypatch.undo()
    assert store.apply_batch(_chain(10)).edges_added == 9
    store.close()


def test_reads_of_sparse_and_dense_rows_carry_their_aliases(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "s.sqlite3")
    store.apply_batch(_chain(300))
    sparse = store.get_nodes(["L0000", "L0150", "L0297"])
    assert {k: v.aliases for k, v in sparse.items()} == {
        "L0000": ["ALT-L0000"],
        "L0150": ["ALT-L0150"],
        "L0297": ["ALT-L0297"],
    }
    dense = store.get_nodes([f"L{i:04d}" for i in range(100, 110)])
    assert [n for n, v in sorted(dense.items()) if v.aliases] == ["L0102", "L0105", "L0108"]
    assert dense["L0101"].props == {"quantity": 101}
    assert dense["L0101"] == Node(id="L0101", kind=NodeKind.LOT, props={"quantity": 101})
    store.close()
