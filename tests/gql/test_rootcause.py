"""Root-cause neighbourhood: shared upstream nodes, ranked; checked by hand and against networkx."""

from __future__ import annotations

import tempfile
from pathlib import Path

import networkx as nx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.fixtures import gql
from tests.api.genealogy import FINISHED_LOT
from traceapi.domain.model import Batch, Edge, EdgeType, Node, NodeKind
from traceapi.services.rootcause import root_cause_neighbourhood
from traceapi.store.embedded import EmbeddedStore


def test_two_finished_lots_share_the_extruder_resin_and_clamps(client, viewer):
    body = gql(
        client,
        """
        query ($lots: [ID!]!) { rootCauseNeighbourhood(lots: $lots) {
          lots { id }
          equipment { id sharedBy share lots minDepth }
          supplierLots { id sharedBy node { ... on Lot { status } } }
          materials { id sharedBy }
          suppliers { id sharedBy }
          processSteps { id sharedBy }
        } }""",
        viewer,
        lots=[FINISHED_LOT, "(01)09506000134369(10)F0812", "FG-2"],
    )
    assert "errors" not in body, body
    answer = body["data"]["rootCauseNeighbourhood"]
    assert [x["id"] for x in answer["lots"]] == [FINISHED_LOT, "FG-2"]  # duplicates merged
    assert answer["equipment"][0] == {
        "id": "EQ-EXT-1",
        "sharedBy": 2,
        "share": 1.0,
        "lots": [FINISHED_LOT, "FG-2"],
        "minDepth": 3,
    }
    assert {x["id"]: x["sharedBy"] for x in answer["equipment"]} == {
        "EQ-EXT-1": 2,
        "EQ-ASM-1": 1,
        "EQ-ASM-2": 1,
    }
    shared_lots = {x["id"]: x["sharedBy"] for x in answer["supplierLots"]}
    assert shared_lots == {"RM-RESIN-2292": 2, "RM-CLAMP-77": 2, "RM-RESIN-2291": 1}
    assert answer["supplierLots"][0]["sharedBy"] == 2
    assert {x["id"]: x["sharedBy"] for x in answer["materials"]} == {
        "MAT-RESIN": 2,
        "MAT-CLAMP": 2,
        "MAT-TUBE": 2,
    }
    assert {x["id"]: x["sharedBy"] for x in answer["suppliers"]} == {"SUP-RESIN": 2, "SUP-CLAMP": 2}
    sharing = [x["sharedBy"] for x in answer["processSteps"]]
    assert sharing == sorted(sharing, reverse=True)


@st.composite
def genealogies(draw: st.DrawFn) -> tuple[int, list[tuple[list[int], int]], list[int]]:
    """(raw lot count, steps as (input lot indexes, equipment index), given lot indexes)."""
    raw = draw(st.integers(min_value=1, max_value=6))
    steps: list[tuple[list[int], int]] = []
    for produced in range(draw(st.integers(min_value=1, max_value=10))):
        available = raw + produced
        inputs = draw(st.lists(st.integers(0, available - 1), min_size=1, max_size=4, unique=True))
        steps.append((inputs, draw(st.integers(0, 2))))
    total = raw + len(steps)
    given_lots = draw(st.lists(st.integers(0, total - 1), min_size=1, max_size=4, unique=True))
    return raw, steps, given_lots


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(genealogies())
def test_shared_counts_match_networkx_ancestors(case):
    raw, steps, given_lots = case
    lot = [f"L{i:02d}" for i in range(raw + len(steps))]
    nodes = [Node(id="SUP", kind=NodeKind.SUPPLIER)]
    nodes += [Node(id=f"EQ{e}", kind=NodeKind.EQUIPMENT) for e in range(3)]
    nodes += [
        Node(id=i, kind=NodeKind.LOT, props={"lot_type": "raw" if n < raw else "intermediate"})
        for n, i in enumerate(lot)
    ]
    edges = [Edge(source="SUP", target=lot[i], type=EdgeType.SUPPLIED) for i in range(raw)]
    graph = nx.DiGraph()
    graph.add_nodes_from(lot)
    for s, (inputs, equipment) in enumerate(steps):
        step, out = f"S{s:02d}", lot[raw + s]
        nodes.append(Node(id=step, kind=NodeKind.PROCESS_STEP))
        edges.append(Edge(source=step, target=out, type=EdgeType.PRODUCED))
        edges.append(Edge(source=step, target=f"EQ{equipment}", type=EdgeType.ON))
        for i in inputs:
            edges.append(Edge(source=lot[i], target=step, type=EdgeType.CONSUMED_BY))
            graph.add_edge(lot[i], step)
        graph.add_edge(step, out)
    step_equipment = {f"S{s:02d}": f"EQ{e}" for s, (_, e) in enumerate(steps)}
    given = [lot[i] for i in given_lots]

    with tempfile.TemporaryDirectory() as directory:
        store = EmbeddedStore(Path(directory) / "rc.sqlite3")
        try:
            store.apply_batch(Batch(nodes=nodes, edges=edges))
            report = root_cause_neighbourhood(store, lot_ids=given)
        finally:
            store.close()

    expected_lots: dict[str, int] = {}
    expected_equipment: dict[str, int] = {}
    for g in given:
        upstream = nx.ancestors(graph, g)
        for node in upstream:
            if node.startswith("L") and int(node[1:]) < raw:
                expected_lots[node] = expected_lots.get(node, 0) + 1
        for equipment in {step_equipment[n] for n in upstream if n.startswith("S")}:
            expected_equipment[equipment] = expected_equipment.get(equipment, 0) + 1
    assert {s.id: s.shared_by for s in report.supplier_lots} == expected_lots
    assert {s.id: s.shared_by for s in report.equipment} == expected_equipment
    ranks = [(-s.shared_by, s.min_depth, s.id) for s in report.equipment]
    assert ranks == sorted(ranks)
