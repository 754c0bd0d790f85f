"""JSON and GraphML export of a small hand-made graph with awkward values, read back."""

from __future__ import annotations

import io
import json
from pathlib import Path

import networkx as nx
import pytest

from traceapi.domain.model import Alias, Batch, Edge, EdgeType, Node, NodeKind
from traceapi.services.export import write_graphml, write_json
from traceapi.store.embedded import EmbeddedStore


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    opened = EmbeddedStore(tmp_path / "data" / "traceapi.sqlite3")
    opened.apply_batch(
        Batch(
            nodes=[
                Node(id="SUP-1", kind=NodeKind.SUPPLIER, name='Acme & Sons <"resins">'),
                Node(
                    id="L-1",
                    kind=NodeKind.LOT,
                    props={
                        "quantity": 5,
                        "status": "released",
                        "fragile": True,
                        "note": "tab\there",
                    },
                ),
                Node(id="L-2", kind=NodeKind.LOT, props={"quantity": 2.5, "kind": "shadow"}),
                Node(
                    id="S-1",
                    kind=NodeKind.PROCESS_STEP,
                    props={"params": {"temp_c": 54.2, "phase": ["a", "b"]}, "step_code": "x"},
                ),
            ],
            edges=[
                Edge(source="SUP-1", target="L-1", type=EdgeType.SUPPLIED, qty=5, unit="kg"),
                Edge(source="L-1", target="S-1", type=EdgeType.CONSUMED_BY, qty=5, unit="kg"),
                Edge(
                    source="S-1",
                    target="L-2",
                    type=EdgeType.PRODUCED,
                    qty=2.5,
                    unit="kg",
                    props={"yield_pct": 50},
                ),
            ],
            aliases=[Alias(alias="(01)04012345001808(10)B1", node_id="L-1")],
        )
    )
    try:
        yield opened
    finally:
        opened.close()


def test_json_export_round_trips(store) -> None:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    assert write_json(store, out) == (4, 3)
    graph = json.loads(out.getvalue())
    nodes = {node["id"]: node for node in graph["nodes"]}
    assert nodes["L-1"]["aliases"] == ["(01)04012345001808(10)B1"]
    assert nodes["L-1"]["fragile"] is True and nodes["L-1"]["quantity"] == 5
    assert nodes["L-2"]["kind"] == "Lot", "the node kind wins over a property of that name"
    assert nodes["S-1"]["params"] == {"temp_c": 54.2, "phase": ["a", "b"]}
    edges = {(e["source"], e["type"], e["target"]): e for e in graph["edges"]}
    assert edges[("S-1", "PRODUCED", "L-2")] == {
        "source": "S-1",
        "target": "L-2",
        "type": "PRODUCED",
        "qty": 2.5,
        "unit": "kg",
        "yield_pct": 50,
    }


def test_graphml_export_reads_back_in_networkx(store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "g.graphml"
    with path.open("w", encoding="utf-8") as out:
        assert write_graphml(store, out) == (4, 3)
    graph = nx.read_graphml(path)
    assert sorted(graph.nodes) == ["L-1", "L-2", "S-1", "SUP-1"]
    assert graph.number_of_edges() == 3
    assert graph.nodes["SUP-1"]["name"] == 'Acme & Sons <"resins">'
    assert graph.nodes["L-1"]["fragile"] is True
    assert graph.nodes["L-1"]["note"] == "tab\there"
    # quantity holds an int and a float across lots, so it is declared double for both.
    assert graph.nodes["L-1"]["quantity"] == 5.0 and graph.nodes["L-2"]["quantity"] == 2.5
    assert graph.nodes["L-2"]["kind"] == "Lot" and graph.nodes["L-2"]["prop_kind"] == "shadow"
    assert json.loads(graph.nodes["S-1"]["params"]) == {"temp_c": 54.2, "phase": ["a", "b"]}
    assert json.loads(graph.nodes["L-1"]["aliases"]) == ["(01)04012345001808(10)B1"]
    produced = graph.edges["S-1", "L-2"]
    assert produced == {"type": "PRODUCED", "qty": 2.5, "unit": "kg", "yield_pct": 50}
