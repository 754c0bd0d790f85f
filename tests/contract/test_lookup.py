"""Lookups on every backend: resolve, get_nodes, edges_of, list_nodes, whole-store views."""

from __future__ import annotations

import pytest

from tests.contract.graphs import edge, lot, step
from traceapi.domain.model import Alias, Batch, EdgeType, Node, NodeKind
from traceapi.errors import InvalidInput
from traceapi.store.base import EdgeRow, EdgeSide, GraphStore


@pytest.fixture
def loaded(store: GraphStore) -> GraphStore:
    store.apply_batch(
        Batch(
            nodes=[
                lot("RM-1", status="released", material="resin", quantity=10),
                lot("RM-2", status="on_hold", material="resin", quantity=4.5),
                lot("FG-1", status="released", material="catheter"),
                step("P-1"),
                Node(id="C-1", kind=NodeKind.CUSTOMER, name="St. Mary", aliases=["GLN-1"]),
            ],
            edges=[
                edge("RM-1", "CONSUMED_BY", "P-1", qty=3.0, unit="kg"),
                edge("RM-2", "CONSUMED_BY", "P-1", qty=1.0, unit="kg"),
                edge("P-1", "PRODUCED", "FG-1", qty=100.0, unit="ea"),
                edge("FG-1", "DELIVERED_TO", "C-1"),
                edge("P-1", "ON", "C-1"),
            ],
            aliases=[Alias(alias="urn:epc:class:lgtin:4012345.012345.2291", node_id="RM-1")],
        )
    )
    return store


def test_resolve_accepts_ids_and_aliases(loaded: GraphStore) -> None:
    assert loaded.resolve("RM-1") == "RM-1"
    assert loaded.resolve("urn:epc:class:lgtin:4012345.012345.2291") == "RM-1"
    assert loaded.resolve("GLN-1") == "C-1"
    assert loaded.resolve("rm-1") is None
    assert loaded.resolve("nothing") is None


def test_get_nodes_returns_what_exists_with_aliases(loaded: GraphStore) -> None:
    found = loaded.get_nodes(["RM-1", "C-1", "missing", "RM-1"])
    assert set(found) == {"RM-1", "C-1"}
    assert found["RM-1"].kind is NodeKind.LOT
    assert found["RM-1"].aliases == ["urn:epc:class:lgtin:4012345.012345.2291"]
    assert found["RM-1"].props == {"status": "released", "material": "resin", "quantity": 10}
    assert found["C-1"].name == "St. Mary" and found["C-1"].aliases == ["GLN-1"]
    assert loaded.get_nodes([]) == {}


def test_edges_of_by_side_and_type(loaded: GraphStore) -> None:
    out = loaded.edges_of(["P-1"], side="out")
    assert {(e.source, e.type, e.target) for e in out} == {
        ("P-1", EdgeType.PRODUCED, "FG-1"),
        ("P-1", EdgeType.ON, "C-1"),
    }
    into = loaded.edges_of(["P-1"], side="in")
    assert {(e.source, e.qty, e.unit) for e in into} == {("RM-1", 3.0, "kg"), ("RM-2", 1.0, "kg")}
    both = loaded.edges_of(
        ["P-1"], side="both", types=frozenset({EdgeType.CONSUMED_BY, EdgeType.PRODUCED})
    )
    assert len(both) == 3
    # An edge between two of the given nodes is reported once.
    between = loaded.edges_of(["P-1", "FG-1"], side="both")
    keys = [e.key for e in between]
    assert len(keys) == len(set(keys)) == 5
    assert loaded.edges_of(["C-1"], side="out") == []
    assert loaded.edges_of(["nope"], side="both") == []


@pytest.mark.parametrize("side", ["out", "in", "both"])
@pytest.mark.parametrize(
    "types", [None, frozenset({EdgeType.CONSUMED_BY}), frozenset({EdgeType.PRODUCED, EdgeType.ON})]
)
def test_edge_rows_are_the_edges_without_props(
    loaded: GraphStore, side: EdgeSide, types: frozenset[EdgeType] | None
) -> None:
    ids = ["P-1", "FG-1", "RM-1", "P-1", "nope"]
    rows = loaded.edge_rows_of(ids, side=side, types=types)
    edges = loaded.edges_of(ids, side=side, types=types)
    assert rows == [EdgeRow(e.source, e.target, e.type, e.qty, e.unit) for e in edges]
    assert all(type(row) is EdgeRow and isinstance(row.type, EdgeType) for row in rows)
    assert loaded.edge_rows_of([], side=side, types=types) == []


def test_list_nodes_pages_by_id(loaded: GraphStore) -> None:
    everything = loaded.list_nodes(limit=100)
    ids = [n.id for n in everything]
    assert ids == sorted(ids) and len(ids) == 5
    pages: list[str] = []
    after = None
    while True:
        page = loaded.list_nodes(after=after, limit=2)
        if not page:
            break
        assert len(page) <= 2
        pages += [n.id for n in page]
        after = page[-1].id
    assert pages == ids


def test_list_nodes_filters_by_kind_and_props(loaded: GraphStore) -> None:
    lots = loaded.list_nodes(kind=NodeKind.LOT)
    assert [n.id for n in lots] == ["FG-1", "RM-1", "RM-2"]
    resin = loaded.list_nodes(kind=NodeKind.LOT, where={"material": "resin"})
    assert [n.id for n in resin] == ["RM-1", "RM-2"]
    held = loaded.list_nodes(where={"material": "resin", "status": "on_hold"})
    assert [n.id for n in held] == ["RM-2"]
    assert [n.id for n in loaded.list_nodes(where={"quantity": 4.5})] == ["RM-2"]
    assert [n.id for n in loaded.list_nodes(where={"quantity": 10})] == ["RM-1"]
    assert loaded.list_nodes(kind=NodeKind.LOT, after="RM-1", limit=5)[0].id == "RM-2"
    assert loaded.list_nodes(where={"material": "nothing"}) == []
    assert loaded.list_nodes(where={"no_such_prop": "x"}) == []
    assert loaded.list_nodes(kind=NodeKind.CAPA) == []
    customers = loaded.list_nodes(kind=NodeKind.CUSTOMER)
    assert customers[0].aliases == ["GLN-1"]


def test_list_nodes_matches_booleans_and_nested_values(store: GraphStore) -> None:
    store.apply_batch(
        Batch(
            nodes=[
                lot("A", sterile=True, spec={"max": 5, "min": 1}),
                lot("B", sterile=False, spec={"max": 6, "min": 1}),
                lot("C", sterile=1),
            ]
        )
    )
    assert [n.id for n in store.list_nodes(where={"sterile": True})] == ["A"]
    assert [n.id for n in store.list_nodes(where={"sterile": False})] == ["B"]
    assert [n.id for n in store.list_nodes(where={"spec": {"min": 1, "max": 6}})] == ["B"]


def test_list_nodes_refuses_a_negative_limit(loaded: GraphStore) -> None:
    with pytest.raises(InvalidInput):
        loaded.list_nodes(limit=-1)


def test_stats_and_iteration_cover_everything(loaded: GraphStore) -> None:
    stats = loaded.stats()
    assert stats.nodes == {"Lot": 3, "ProcessStep": 1, "Customer": 1}
    assert stats.edges == {"CONSUMED_BY": 2, "PRODUCED": 1, "DELIVERED_TO": 1, "ON": 1}
    assert stats.node_total == 5 and stats.edge_total == 5
    nodes = list(loaded.iter_nodes(chunk_size=2))
    assert sorted(n.id for n in nodes) == ["C-1", "FG-1", "P-1", "RM-1", "RM-2"]
    by_id = {n.id: n for n in nodes}
    assert by_id["C-1"].aliases == ["GLN-1"]
    edges = list(loaded.iter_edges(chunk_size=2))
    assert len(edges) == 5 and len({e.key for e in edges}) == 5
    produced = next(e for e in edges if e.type is EdgeType.PRODUCED)
    assert (produced.source, produced.target, produced.qty, produced.unit) == (
        "P-1",
        "FG-1",
        100.0,
        "ea",
    )


def test_meta_round_trips(store: GraphStore) -> None:
    assert store.get_meta("demo.seed") is None
    store.set_meta("demo.seed", "7")
    store.set_meta("demo.seed", "8")
    assert store.get_meta("demo.seed") == "8"


def test_clear_removes_the_graph_and_meta(loaded: GraphStore) -> None:
    loaded.set_meta("k", "v")
    loaded.clear()
    assert loaded.stats().node_total == 0 and loaded.stats().edge_total == 0
    assert loaded.resolve("GLN-1") is None and loaded.get_meta("k") is None
    assert list(loaded.iter_nodes()) == [] and list(loaded.iter_edges()) == []
    loaded.apply_batch(Batch(nodes=[lot("X")]))
    assert loaded.stats().nodes == {"Lot": 1}


def test_ping_answers(store: GraphStore) -> None:
    store.ping()
