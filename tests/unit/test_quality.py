"""The data-quality report finds what was planted in a crafted store and nothing in a clean one."""

from __future__ import annotations

import math
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loaders.csv_bundle import load_csv_bundle
from traceapi.domain.model import FLOW_EDGE_TYPES, Batch, Edge, EdgeType, Node, NodeKind
from traceapi.services.quality import check_quality, percent
from traceapi.settings import Settings
from traceapi.store.base import GraphStore
from traceapi.store.factory import open_store

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def lot(node_id: str) -> Node:
    return Node(id=node_id, kind=NodeKind.LOT)


def step(node_id: str) -> Node:
    return Node(id=node_id, kind=NodeKind.PROCESS_STEP)


def edge(
    source: str, edge_type: EdgeType, target: str, qty: float | None = None, unit: str | None = None
) -> Edge:
    return Edge(source=source, target=target, type=edge_type, qty=qty, unit=unit)


def crafted_batch() -> Batch:
    e = EdgeType
    nodes = [
        Node(id="SUP", kind=NodeKind.SUPPLIER),
        Node(id="CUS", kind=NodeKind.CUSTOMER),
        lot("RAW"),
        lot("MID"),
        lot("ORPHAN"),
        lot("GHOST"),
        lot("LOOP-A"),
        lot("LOOP-B"),
        lot("OUT"),
        step("S-GOOD"),
        step("S-GAP"),
        step("S-LOOP-1"),
        step("S-LOOP-2"),
        step("S-SELF"),
        Node(id="SHP-1", kind=NodeKind.SHIPMENT),
        Node(id="SHP-NOWHERE", kind=NodeKind.SHIPMENT),
    ]
    edges = [
        edge("SUP", e.SUPPLIED, "RAW"),
        edge("RAW", e.CONSUMED_BY, "S-GOOD", 10, "kg"),
        edge("S-GOOD", e.PRODUCED, "MID", 10, "kg"),
        # mass-balance gap: 10 kg in, 14 kg out
        edge("MID", e.CONSUMED_BY, "S-GAP", 10, "kg"),
        edge("ORPHAN", e.CONSUMED_BY, "S-GAP", None, None),  # consumed, never produced
        edge("S-GAP", e.PRODUCED, "OUT", 14, "kg"),
        # a cycle: LOOP-A -> S-LOOP-1 -> LOOP-B -> S-LOOP-2 -> LOOP-A
        edge("LOOP-A", e.CONSUMED_BY, "S-LOOP-1", 1, "kg"),
        edge("S-LOOP-1", e.PRODUCED, "LOOP-B", 1, "kg"),
        edge("LOOP-B", e.CONSUMED_BY, "S-LOOP-2", 1, "kg"),
        edge("S-LOOP-2", e.PRODUCED, "LOOP-A", 1, "kg"),
        # a self-loop
        edge("S-SELF", e.PRODUCED, "S-SELF", 1, "kg"),
        # a shipped lot that was never produced or supplied
        edge("GHOST", e.SHIPPED_IN, "SHP-1", 3, "kg"),
        edge("OUT", e.SHIPPED_IN, "SHP-1", 3, "kg"),
        edge("SHP-1", e.DELIVERED_TO, "CUS"),
    ]
    return Batch(nodes=nodes, edges=edges)


def ids(report_finding_examples: list[dict[str, object]]) -> set[object]:
    return {example.get("id") for example in report_finding_examples}


def test_every_planted_problem_is_found(store: GraphStore) -> None:
    store.apply_batch(crafted_batch())
    report = check_quality(store)
    cycles = report.finding("cycles")
    assert cycles.count == 1
    assert cycles.examples[0]["nodes"] == ["LOOP-A", "LOOP-B", "S-LOOP-1", "S-LOOP-2"]
    loops = report.finding("self_loops")
    assert loops.count == 1 and loops.examples[0]["node"] == "S-SELF"
    gaps = report.finding("mass_balance_gaps")
    assert ids(gaps.examples) == {"S-GAP"}
    assert gaps.examples[0]["gaps"] == [
        {"unit": "kg", "input": 10.0, "output": 14.0, "gap": round(4 / 14, 4)}
    ]
    assert ids(report.finding("lots_without_origin").examples) == {"ORPHAN", "GHOST"}
    assert ids(report.finding("consumed_lots_without_origin").examples) == {"ORPHAN"}
    assert ids(report.finding("shipped_lots_without_origin").examples) == {"GHOST"}
    assert ids(report.finding("steps_missing_quantities").examples) == {"S-GAP"}
    assert ids(report.finding("shipments_without_destination").examples) == {"SHP-NOWHERE"}
    assert report.nodes == 16 and report.lots == 7
    # origin 5/7, quantities 10/11, mass balance 3/4 (S-GOOD, S-LOOP-1, S-LOOP-2 balance),
    # delivery 1/2, acyclic: 4 of the 14 nodes on flow edges are on the cycle, 1 on a self-loop
    expected = 100 * (5 / 7 + 10 / 11 + 3 / 4 + 1 / 2 + 10 / 15) / 5
    assert report.score == math.floor(expected * 10) / 10  # cut, never rounded up
    assert report.score < 100
    assert report.finding("rework_loops").count == 0  # LOOP-A/B go through two steps


def test_a_clean_store_scores_100(store: GraphStore) -> None:
    assert load_csv_bundle(store, EXAMPLES / "erp-mes-bundle-a").rejected == 0
    report = check_quality(store)
    assert report.score == 100.0
    assert report.problems == []
    assert set(report.score_parts) == {
        "origin",
        "quantities",
        "mass_balance",
        "delivery",
        "acyclic",
    }


def test_an_empty_store_scores_100(store: GraphStore) -> None:
    report = check_quality(store)
    assert report.score == 100.0 and report.nodes == 0 and report.problems == []


def test_examples_are_bounded_but_counts_are_not(store: GraphStore) -> None:
    store.apply_batch(Batch(nodes=[lot(f"L-{i:03d}") for i in range(40)]))
    report = check_quality(store, examples=5)
    finding = report.finding("lots_without_origin")
    assert finding.count == 40
    assert len(finding.examples) == 5


def test_counted_units_only_flag_a_surplus(store: GraphStore) -> None:
    e = EdgeType
    store.apply_batch(
        Batch(
            nodes=[
                lot("A"),
                lot("B"),
                lot("KIT"),
                step("ASSEMBLE"),
                lot("X"),
                lot("Y"),
                step("MAGIC"),
            ],
            edges=[
                edge("A", e.CONSUMED_BY, "ASSEMBLE", 100, "pcs"),
                edge("B", e.CONSUMED_BY, "ASSEMBLE", 100, "pcs"),
                edge("ASSEMBLE", e.PRODUCED, "KIT", 100, "pcs"),
                edge("X", e.CONSUMED_BY, "MAGIC", 10, "pcs"),
                edge("MAGIC", e.PRODUCED, "Y", 50, "pcs"),
            ],
        )
    )
    gaps = check_quality(store).finding("mass_balance_gaps")
    assert ids(gaps.examples) == {"MAGIC"}


def test_duplicate_events_come_from_the_loader_counter(store: GraphStore) -> None:
    assert check_quality(store).finding("duplicate_events").count == 0
    store.set_meta("epcis.duplicate_events", "3")
    assert check_quality(store).finding("duplicate_events").count == 3


_FLOW = sorted(FLOW_EDGE_TYPES)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11), st.sampled_from(_FLOW)), max_size=40)
)
def test_cycles_match_networkx(
    tmp_path_factory: pytest.TempPathFactory, pairs: list[tuple[int, int, EdgeType]]
) -> None:
    directory = tmp_path_factory.mktemp("q")
    store = open_store(Settings(backend="embedded", data_dir=directory))
    try:
        store.apply_batch(
            Batch(
                nodes=[lot(f"N{i}") for i in range(12)],
                edges=[edge(f"N{a}", t, f"N{b}") for a, b, t in pairs],
            )
        )
        report = check_quality(store)
    finally:
        store.close()
    consumed = {(a, b) for a, b, t in pairs if t is EdgeType.CONSUMED_BY}
    rework = {(a, b) for a, b, t in pairs if t is EdgeType.PRODUCED and (b, a) in consumed}
    graph = nx.DiGraph(
        (f"N{a}", f"N{b}")
        for a, b, t in pairs
        if a != b and not (t is EdgeType.PRODUCED and (a, b) in rework)
    )
    expected = sorted(sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1)
    found = report.finding("cycles")
    assert found.count == len(expected)
    # examples list a component's size and its first ten members
    assert sorted((example["size"], example["nodes"]) for example in found.examples) == sorted(
        (len(c), c[:10]) for c in expected
    )
    assert report.finding("self_loops").count == len({(a, t) for a, b, t in pairs if a == b})


def test_a_rework_loop_is_planned_not_an_error(store: GraphStore) -> None:
    """ASY is consumed by RWK-7 and produced by it again (a lot reworked into itself), then
    packed: a rework loop (info), no cycle, acyclic 100%; the step's name plays no part."""
    e = EdgeType
    store.apply_batch(
        Batch(
            nodes=[lot("ASY"), lot("PACKED"), step("RWK-7"), step("ASM"), step("PACK"), lot("C")],
            edges=[
                edge("C", e.CONSUMED_BY, "ASM", 1, "pcs"),
                edge("ASM", e.PRODUCED, "ASY", 1, "pcs"),
                edge("ASY", e.CONSUMED_BY, "RWK-7", 1, "pcs"),
                edge("RWK-7", e.PRODUCED, "ASY", 1, "pcs"),
                edge("ASY", e.CONSUMED_BY, "PACK", 1, "pcs"),
                edge("PACK", e.PRODUCED, "PACKED", 1, "pcs"),
            ],
        )
    )
    report = check_quality(store)
    assert report.finding("cycles").count == 0
    rework = report.finding("rework_loops")
    assert (rework.count, rework.severity, rework.examples) == (
        1,
        "info",
        [{"id": "RWK-7", "lot": "ASY"}],
    )
    assert report.score_parts["acyclic"] == 1.0


def test_figures_agree_with_the_findings(store: GraphStore) -> None:
    """A chain SUP -> L0 -> S0 -> L1 -> ... -> S999 with one error cycle, S999 -> L998 (L998,
    S998, L999, S999 on it): 2,001 flow nodes, 1,997 on no cycle, so acyclic is 0.998 (cut to
    4 places, written 99.8%) and the score is below 100. Rounded, ratios such as 0.9998 once
    showed as ``acyclic 100%`` and a score of ``100.0`` beside a listed cycle."""
    e = EdgeType
    nodes = [Node(id="SUP", kind=NodeKind.SUPPLIER)]
    nodes += [lot(f"L{i}") for i in range(1000)] + [step(f"S{i}") for i in range(1000)]
    edges = [edge("SUP", e.SUPPLIED, "L0")]
    edges += [edge(f"L{i}", e.CONSUMED_BY, f"S{i}", 1, "kg") for i in range(1000)]
    edges += [edge(f"S{i}", e.PRODUCED, f"L{i + 1}", 1, "kg") for i in range(999)]
    edges.append(edge("S999", e.PRODUCED, "L998", 1, "kg"))
    store.apply_batch(Batch(nodes=nodes, edges=edges))
    report = check_quality(store)
    assert report.finding("cycles").count == 1
    assert report.finding("rework_loops").count == 0
    acyclic = report.score_parts["acyclic"]
    assert acyclic == math.floor(1997 / 2001 * 10**4) / 10**4 == 0.998
    assert percent(acyclic) == "99.8%"
    assert percent(1.0) == "100%" and percent(0.99999) == "99.9%"
    assert report.score < 100
