"""Embedded reads by rowid, named through the traversal index, answer as the reads by id do."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.contract.graphs import edge, lot, step
from traceapi.domain.model import Alias, Batch, Edge, EdgeType, Node
from traceapi.store import embedded
from traceapi.store.base import Direction, EdgeSide
from traceapi.store.embedded import EmbeddedStore

_TYPE_SETS: list[frozenset[EdgeType] | None] = [
    None,
    frozenset({EdgeType.CONSUMED_BY}),
    frozenset({EdgeType.CONSUMED_BY, EdgeType.PRODUCED, EdgeType.OF}),
]


def _plant(prefix: str, steps: int) -> Batch:
    """Lots through steps into lots, with quantities, a non-flow edge and aliases."""
    nodes: list[Node] = [lot(f"{prefix}M", note="a material")]
    edges: list[Edge] = []
    aliases: list[Alias] = []
    for i in range(steps):
        nodes += [lot(f"{prefix}L{i}", quantity=i), step(f"{prefix}S{i}")]
        edges.append(edge(f"{prefix}L{i}", EdgeType.CONSUMED_BY, f"{prefix}S{i}", qty=1.5))
        edges.append(edge(f"{prefix}S{i}", EdgeType.PRODUCED, f"{prefix}L{i + 1}", qty=2.0))
        edges.append(edge(f"{prefix}L{i}", EdgeType.OF, f"{prefix}M"))
        aliases.append(Alias(alias=f"{prefix}alias{i}", node_id=f"{prefix}L{i}"))
    nodes.append(lot(f"{prefix}L{steps}"))
    return Batch(nodes=nodes, edges=edges, aliases=aliases, source="test")


def _reads(store: EmbeddedStore, ids: list[str]) -> list[object]:
    answers: list[object] = [store.get_nodes(ids)]
    sides: list[EdgeSide] = ["out", "in", "both"]
    for side in sides:
        for types in _TYPE_SETS:
            answers.append(store.edges_of(ids, side=side, types=types))
            answers.append(store.edge_rows_of(ids, side=side, types=types))
    return answers


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> EmbeddedStore:
    monkeypatch.setattr(embedded, "NUMBERED_READS_FROM", 1)
    opened = EmbeddedStore(tmp_path / "store.sqlite3")
    opened.apply_batch(_plant("a", 30))
    return opened


def test_reads_by_rowid_match_reads_by_id(store: EmbeddedStore) -> None:
    ids = [f"aL{i}" for i in range(0, 31, 3)] + ["aS4", "aM", "aL3", "nowhere"]
    by_id = _reads(store, ids)  # no walk yet: no index, so by id
    store.reach(["aL0"], direction=Direction.FORWARD)
    assert store._index is not None
    assert _reads(store, ids) == by_id
    assert _reads(store, ids[:-1]) == _reads_without_index(store, ids[:-1])


def _reads_without_index(store: EmbeddedStore, ids: list[str]) -> list[object]:
    index = store._index
    store._index = None
    try:
        return _reads(store, ids)
    finally:
        store._index = index


def test_nodes_written_since_the_walk_are_read(store: EmbeddedStore, tmp_path: Path) -> None:
    store.reach(["aL0"], direction=Direction.FORWARD)
    with EmbeddedStore(tmp_path / "store.sqlite3") as writer:
        writer.apply_batch(_plant("b", 5))
        writer.apply_batch(Batch(edges=[edge("aL30", EdgeType.CONSUMED_BY, "bS0", qty=1.0)]))
    ids = ["aL30", "bL0", "bS0", "bL5"]
    assert _reads(store, ids) == _reads_without_index(store, ids)
    assert EdgeType.CONSUMED_BY in {e.type for e in store.edges_of(["aL30"], side="out")}


def test_a_clear_since_the_walk_renumbers_nothing(store: EmbeddedStore, tmp_path: Path) -> None:
    """Another process clears and reloads: rowids now name other nodes than the index knew."""
    store.reach(["aL0"], direction=Direction.FORWARD)
    with EmbeddedStore(tmp_path / "store.sqlite3") as writer:
        writer.clear()
        writer.apply_batch(_plant("c", 3))
        writer.apply_batch(_plant("a", 2))
    ids = ["aL0", "aL1", "aS0", "cL0", "cS2", "aM"]
    answers = _reads(store, ids)
    assert answers == _reads_without_index(store, ids)
    assert [e.target for e in store.edges_of(["aL0"], side="out", types=_TYPE_SETS[1])] == ["aS0"]


def test_an_index_from_another_epoch_is_not_used(store: EmbeddedStore) -> None:
    """As when a clear lands between the index refresh and the read transaction."""
    store.reach(["aL0"], direction=Direction.FORWARD)
    ids = ["aL0", "aL1", "aS0", "aM"]
    expected = _reads(store, ids)
    store._epoch -= 1
    with store._numbered_reads(len(ids)) as (_conn, index):
        assert index is None
    assert _reads(store, ids) == expected


def test_small_reads_go_by_id(store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch) -> None:
    store.reach(["aL0"], direction=Direction.FORWARD)
    monkeypatch.setattr(embedded, "NUMBERED_READS_FROM", 5)
    with store._numbered_reads(4) as (_conn, index):
        assert index is None
    with store._numbered_reads(5) as (_conn, index):
        assert index is store._index
