"""Trace services on every backend: reachability against networkx, quantities, tiers, limits."""

from __future__ import annotations

import csv
import io
from typing import Any

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from traceapi.domain.gs1 import gtin_check_digit, lot_aliases
from traceapi.domain.model import FLOW_EDGE_TYPES, Alias, Batch, Edge, EdgeType, Node, NodeKind
from traceapi.errors import InvalidInput, LimitExceeded, NotFound
from traceapi.services.impact import (
    CONSIGNEE_COLUMNS,
    consignee_csv,
    recall_consignees,
    recall_impact,
)
from traceapi.services.lookup import resolve_lot, resolve_node
from traceapi.services.trace import trace_backward, trace_forward
from traceapi.store.base import GraphStore

GTIN = "0401234512345" + str(gtin_check_digit("0401234512345"))

# -- a hand-computable genealogy ---------------------------------------------------------------


def _lot(lot_id: str, lot_type: str, quantity: float | None, unit: str, **props: Any) -> Node:
    values: dict[str, Any] = {"lot_type": lot_type, "unit": unit, **props}
    if quantity is not None:
        values["quantity"] = quantity
    return Node(id=lot_id, kind=NodeKind.LOT, name=f"lot {lot_id}", props=values)


def _edge(source: str, edge_type: EdgeType, target: str, qty: float | None = None, unit=None):
    return Edge(source=source, target=target, type=edge_type, qty=qty, unit=unit)


def _customer(customer_id: str, customer_type: str, region: str) -> Node:
    return Node(
        id=customer_id,
        kind=NodeKind.CUSTOMER,
        name=f"{customer_type} {customer_id}",
        props={"customer_type": customer_type, "region": region, "address": f"{customer_id} St 1"},
    )


def _shipment(shipment_id: str, day: str, **props: Any) -> Node:
    return Node(id=shipment_id, kind=NodeKind.SHIPMENT, props={"shipped_at": day, **props})


def hand_genealogy() -> Batch:
    """R (seed, 100 kg) and clean C blend into B; B makes finished F1 and F2, shipped on.

    S1: R 30 kg + C 10 kg -> B 40 kg (balanced); S2: B 40 kg -> F1 100 pcs + F2 100 pcs;
    S3: R 20 kg + D (no quantity) -> G 50 kg; S4: R 10 kg -> H 12 kg (outputs exceed inputs).
    SH1 (ours): F1 60 pcs -> DIST; SH2 (ours): F2 30 pcs + BOX1 (unit U1 of F2) -> HOSP_A;
    SH3 (from DIST, edge): F1 25 pcs -> HOSP_B; SH4 (from HOSP_B, origin prop): F1 5 -> CLINIC.
    """
    nodes = [
        Node(id="SUP", kind=NodeKind.SUPPLIER, name="Resin Co"),
        Node(id="MAT-RESIN", kind=NodeKind.MATERIAL),
        Node(id="EQ1", kind=NodeKind.EQUIPMENT, name="Extruder 1"),
        _lot("R", "raw", 100, "kg", material="MAT-RESIN"),
        _lot("C", "raw", 100, "kg"),
        _lot("D", "raw", 100, "kg"),
        _lot("B", "intermediate", 40, "kg"),
        _lot("G", "intermediate", 50, "kg"),
        _lot("H", "intermediate", None, "kg"),
        _lot("F1", "finished", 100, "pcs", on_hand=15),
        _lot("F2", "finished", 100, "pcs"),
        Node(id="U1", kind=NodeKind.UNIT),
        Node(id="BOX1", kind=NodeKind.CONTAINER),
        *(
            Node(id=s, kind=NodeKind.PROCESS_STEP, props={"step_code": s})
            for s in ("S1", "S2", "S3", "S4")
        ),
        _shipment("SH1", "2026-01-05"),
        _shipment("SH2", "2026-01-06"),
        _shipment("SH3", "2026-01-20"),
        _shipment("SH4", "2026-02-01", origin="HOSP_B"),
        _customer("DIST", "distributor", "EU"),
        _customer("HOSP_A", "hospital", "EU"),
        _customer("HOSP_B", "hospital", "US"),
        _customer("CLINIC", "clinic", "US"),
    ]
    e = _edge
    edges = [
        e("SUP", EdgeType.SUPPLIED, "R"),
        e("R", EdgeType.OF, "MAT-RESIN"),
        e("R", EdgeType.CONSUMED_BY, "S1", 30, "kg"),
        e("C", EdgeType.CONSUMED_BY, "S1", 10, "kg"),
        e("S1", EdgeType.PRODUCED, "B", 40, "kg"),
        e("S1", EdgeType.ON, "EQ1"),
        e("B", EdgeType.CONSUMED_BY, "S2", 40, "kg"),
        e("S2", EdgeType.PRODUCED, "F1", 100, "pcs"),
        e("S2", EdgeType.PRODUCED, "F2", 100, "pcs"),
        e("R", EdgeType.CONSUMED_BY, "S3", 20, "kg"),
        e("D", EdgeType.CONSUMED_BY, "S3"),
        e("S3", EdgeType.PRODUCED, "G", 50, "kg"),
        e("R", EdgeType.CONSUMED_BY, "S4", 10, "kg"),
        e("S4", EdgeType.PRODUCED, "H", 12, "kg"),
        e("F2", EdgeType.HAS_UNIT, "U1"),
        e("U1", EdgeType.OF, "F2"),
        e("U1", EdgeType.PACKED_IN, "BOX1"),
        e("F1", EdgeType.SHIPPED_IN, "SH1", 60, "pcs"),
        e("SH1", EdgeType.DELIVERED_TO, "DIST"),
        e("F2", EdgeType.SHIPPED_IN, "SH2", 30, "pcs"),
        e("BOX1", EdgeType.SHIPPED_IN, "SH2"),
        e("SH2", EdgeType.DELIVERED_TO, "HOSP_A"),
        e("F1", EdgeType.SHIPPED_IN, "SH3", 25, "pcs"),
        e("SH3", EdgeType.SHIPPED_FROM, "DIST"),
        e("SH3", EdgeType.DELIVERED_TO, "HOSP_B"),
        e("F1", EdgeType.SHIPPED_IN, "SH4", 5, "pcs"),
        e("SH4", EdgeType.DELIVERED_TO, "CLINIC"),
    ]
    aliases = [Alias(alias=a, node_id="R") for a in [*lot_aliases(GTIN, "2291"), "RM-2291"]]
    return Batch(nodes=nodes, edges=edges, aliases=aliases, source="test_trace_services")


@pytest.fixture
def hand(store: GraphStore) -> GraphStore:
    store.apply_batch(hand_genealogy())
    return store


def _ids(views: list[Any]) -> list[tuple[str, int | None]]:
    return [(v.id, v.depth) for v in views]


# -- lookups -----------------------------------------------------------------------------------


def test_lot_resolves_from_alias_element_string_urn_and_digital_link(hand: GraphStore) -> None:
    for identifier in (
        "R",
        "RM-2291",
        f"(01){GTIN}(10)2291",
        *lot_aliases(GTIN, "2291"),
        f"https://id.gs1.org/01/{GTIN}/10/2291",
    ):
        assert resolve_lot(hand, identifier).id == "R", identifier


def test_identifier_stored_as_typed_wins_over_its_gs1_reading(hand: GraphStore) -> None:
    odd = "(01)123(10)X"  # not a valid GTIN, but some ERP exported it as a lot number
    hand.apply_batch(Batch(aliases=[Alias(alias=odd, node_id="C")], source="odd alias"))
    assert resolve_lot(hand, odd).id == "C"
    assert resolve_lot(hand, f"  {odd} ").id == "C"
    with pytest.raises(NotFound, match=r"\(01\)999"):
        resolve_lot(hand, "(01)999(10)X")


def test_unit_resolves_to_its_lot_and_container_to_itself(hand: GraphStore) -> None:
    assert resolve_lot(hand, "U1").id == "F2"
    assert resolve_lot(hand, "BOX1").id == "BOX1"
    assert resolve_node(hand, "U1").kind is NodeKind.UNIT


def test_unknown_identifier_is_not_found_naming_it(hand: GraphStore) -> None:
    with pytest.raises(NotFound, match="NO-SUCH-LOT"):
        trace_forward(hand, lot_id="NO-SUCH-LOT")
    with pytest.raises(NotFound, match="NO-SUCH-LOT"):
        recall_impact(hand, lot_ids=["R", "NO-SUCH-LOT"])


def test_non_traceable_node_is_invalid_input(hand: GraphStore) -> None:
    with pytest.raises(InvalidInput, match="HOSP_A"):
        trace_backward(hand, lot_id="HOSP_A")
    with pytest.raises(InvalidInput):
        recall_impact(hand, lot_ids=[])


# -- traces ------------------------------------------------------------------------------------


def test_where_from_lists_steps_equipment_lots_and_suppliers(hand: GraphStore) -> None:
    report = trace_backward(hand, lot_id="F1")
    assert report.direction == "backward"
    assert (report.lot.id, report.lot.depth) == ("F1", 0)
    assert _ids(report.process_steps) == [("S2", 1), ("S1", 3)]
    assert _ids(report.lots) == [("B", 2), ("C", 4), ("R", 4)]
    assert _ids(report.suppliers) == [("SUP", 5)]
    assert _ids(report.equipment) == [("EQ1", 3)]
    assert report.shipments == [] and report.customers == []
    assert report.lots[0].model_dump()["lot_type"] == "intermediate"


def test_where_used_reaches_customers_through_onward_shipments(hand: GraphStore) -> None:
    report = trace_forward(hand, lot_id="RM-2291")
    assert report.lot.id == "R"
    assert _ids(report.shipments) == [("SH1", 5), ("SH2", 5), ("SH3", 5), ("SH4", 5)]
    assert _ids(report.customers) == [("CLINIC", 6), ("DIST", 6), ("HOSP_A", 6), ("HOSP_B", 6)]
    assert ("BOX1", 6) in _ids(report.lots) and ("U1", 5) in _ids(report.lots)
    assert report.suppliers == []
    assert _ids(report.equipment) == [("EQ1", 1)]


def test_max_depth_bounds_the_trace(hand: GraphStore) -> None:
    report = trace_forward(hand, lot_id="R", max_depth=2)
    assert report.max_depth == 2
    assert _ids(report.lots) == [("B", 2), ("G", 2), ("H", 2)]
    assert [v.id for v in report.process_steps] == ["S1", "S3", "S4"]
    assert report.shipments == []


def test_node_cap_answers_limit_exceeded(hand: GraphStore) -> None:
    with pytest.raises(LimitExceeded):
        trace_forward(hand, lot_id="R", max_nodes=5)
    with pytest.raises(LimitExceeded):
        recall_impact(hand, lot_ids=["R"], max_nodes=5)
    assert trace_forward(hand, lot_id="R", max_nodes=1000).lot.id == "R"


# -- recall impact -----------------------------------------------------------------------------


def test_recall_impact_quantities_shares_and_stock(hand: GraphStore) -> None:
    report = recall_impact(hand, lot_ids=["(01)" + GTIN + "(10)2291"])
    assert [s.id for s in report.seed_lots] == ["R"]
    share = {lot.id: lot.quantity_share for lot in report.lots}
    assert share == pytest.approx({"R": 1.0, "B": 0.75, "G": 0.5, "H": 1.0, "F1": 0.75, "F2": 0.75})
    assert [lot.id for lot in report.finished_lots] == ["F1", "F2"]
    stock = {
        v.id: (v.model_dump()["on_hand"], v.model_dump()["on_hand_source"])
        for v in report.stock_on_hand
    }
    assert stock == {
        "R": (40.0, "derived"),
        "G": (50.0, "derived"),
        "H": (12.0, "derived"),
        "F1": (15.0, "recorded"),
        "F2": (69.0, "derived"),
    }
    shipments = {s.id: s.model_dump() for s in report.shipments}
    assert shipments["SH1"]["quantity"] == 60 and shipments["SH1"][
        "seed_equivalent"
    ] == pytest.approx(45)
    assert shipments["SH2"]["quantities"] == {"pcs": 31.0}
    assert shipments["SH2"]["lots"] == ["F2"]
    assert shipments["SH3"]["origin_customer"] == "DIST"
    assert shipments["SH4"]["origin_customer"] == "HOSP_B"
    assert "origin_customer" not in shipments["SH1"]
    summary = report.summary
    assert summary.quantity_shipped == {"pcs": 91.0}
    assert summary.quantity_on_hand == pytest.approx({"kg": 102.0, "pcs": 84.0})
    assert (summary.seed_lots, summary.affected_lots, summary.finished_lots) == (1, 6, 2)
    assert (summary.shipments, summary.customers, summary.lots_with_stock_on_hand) == (4, 4, 5)


def test_recall_impact_tiers_customers_by_onward_shipments(hand: GraphStore) -> None:
    report = recall_impact(hand, lot_ids=["R"])
    tiers = [(c.id, c.tier, c.quantity, c.unit) for c in report.customers]
    assert tiers == [
        ("DIST", 1, 60.0, "pcs"),
        ("HOSP_A", 1, 31.0, "pcs"),
        ("HOSP_B", 2, 25.0, "pcs"),
        ("CLINIC", 3, 5.0, "pcs"),
    ]
    assert report.customers[1].shipments == ["SH2"] and report.customers[1].lots == ["F2"]
    assert report.summary.customers_by_tier == {"1": 2, "2": 1, "3": 1}
    rows = [
        (r.tier, r.customer_id, r.lot_id, r.quantity, r.shipment_ids, r.shipped_dates)
        for r in report.consignees
    ]
    assert rows == [
        (1, "DIST", "F1", 60.0, ["SH1"], ["2026-01-05"]),
        (1, "HOSP_A", "F2", 31.0, ["SH2"], ["2026-01-06"]),
        (2, "HOSP_B", "F1", 25.0, ["SH3"], ["2026-01-20"]),
        (3, "CLINIC", "F1", 5.0, ["SH4"], ["2026-02-01"]),
    ]
    parsed = list(csv.DictReader(io.StringIO(consignee_csv(report))))
    assert list(parsed[0]) == CONSIGNEE_COLUMNS
    assert [(p["tier"], p["customer_id"], p["quantity"]) for p in parsed] == [
        ("1", "DIST", "60"),
        ("1", "HOSP_A", "31"),
        ("2", "HOSP_B", "25"),
        ("3", "CLINIC", "5"),
    ]
    assert parsed[0]["customer_type"] == "distributor" and parsed[0]["address"] == "DIST St 1"


@pytest.mark.parametrize(
    ("seeds", "max_depth"),
    [(["R"], None), (["R", "C"], None), (["R"], 5), (["B", "(01)" + GTIN + "(10)2291"], 3)],
)
def test_the_consignee_list_alone_is_the_whole_answers_list(
    hand: GraphStore, seeds: list[str], max_depth: int | None
) -> None:
    report = recall_impact(hand, lot_ids=seeds, max_depth=max_depth)
    alone = recall_consignees(hand, lot_ids=seeds, max_depth=max_depth)
    assert alone.rows == report.consignees
    assert consignee_csv(alone) == consignee_csv(report)
    assert alone.reached == len(report.lots) + len(report.shipments) + len(report.customers)


def test_recall_impact_names_steps_whose_mass_balance_does_not_close(hand: GraphStore) -> None:
    report = recall_impact(hand, lot_ids=["R"])
    unaccounted = {u.step_id: u for u in report.unaccounted}
    assert set(unaccounted) == {"S3", "S4"}
    assert "1 of 2 inputs have no quantity" in unaccounted["S3"].reason
    assert unaccounted["S3"].share_unaccounted == pytest.approx(0.5)
    assert "outputs (12 kg) exceed inputs (10 kg)" in unaccounted["S4"].reason
    assert unaccounted["S4"].share_unaccounted == pytest.approx(2 / 12)
    assert report.summary.unaccounted_steps == 2


def test_recall_impact_with_max_depth_and_several_seeds(hand: GraphStore) -> None:
    report = recall_impact(hand, lot_ids=["R", "C", "R"], max_depth=2)
    assert [s.id for s in report.seed_lots] == ["C", "R"]
    assert [(v.id, v.depth) for v in report.lots] == [
        ("C", 0),
        ("R", 0),
        ("B", 2),
        ("G", 2),
        ("H", 2),
    ]
    assert {v.id: v.quantity_share for v in report.lots}["B"] == pytest.approx(1.0)
    assert report.shipments == [] and report.customers == []
    assert {v.id for v in report.stock_on_hand} == {"R", "C"}  # B, G, H sit at the depth bound
    assert report.stock_unknown == ["B", "G", "H"]  # said, not dropped


# -- reachability against networkx on random genealogies ---------------------------------------

_KINDS = {
    "L": NodeKind.LOT,
    "P": NodeKind.PROCESS_STEP,
    "V": NodeKind.SUPPLIER,
    "H": NodeKind.SHIPMENT,
    "C": NodeKind.CUSTOMER,
    "E": NodeKind.EQUIPMENT,
    "M": NodeKind.MATERIAL,
}
_TYPES = {
    ("L", "P"): EdgeType.CONSUMED_BY,
    ("P", "L"): EdgeType.PRODUCED,
    ("V", "L"): EdgeType.SUPPLIED,
    ("L", "H"): EdgeType.SHIPPED_IN,
    ("H", "C"): EdgeType.DELIVERED_TO,
    ("P", "E"): EdgeType.ON,
    ("L", "M"): EdgeType.OF,
    ("H", "V"): EdgeType.SHIPPED_FROM,
}


@st.composite
def genealogies(draw: st.DrawFn) -> tuple[list[Node], list[Edge]]:
    """Lots and steps wired at random (diamonds, rework cycles), with suppliers, shipments,
    customers and annotation edges that traces must not walk."""
    counts = {prefix: draw(st.integers(1, 12 if prefix in "LP" else 3)) for prefix in _KINDS}
    nodes = [
        Node(id=f"{prefix}{i}", kind=kind)
        for prefix, kind in _KINDS.items()
        for i in range(counts[prefix])
    ]
    edges: dict[tuple[str, str, str], Edge] = {}
    for (a, b), edge_type in _TYPES.items():
        pairs = draw(
            st.lists(
                st.tuples(st.integers(0, counts[a] - 1), st.integers(0, counts[b] - 1)),
                max_size=3 * max(counts[a], counts[b]),
            )
        )
        for i, j in pairs:
            edge = Edge(source=f"{a}{i}", target=f"{b}{j}", type=edge_type, qty=float(i + j + 1))
            edges[edge.key] = edge
    return nodes, list(edges.values())


def _flow_graph(nodes: list[Node], edges: list[Edge]) -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_nodes_from(n.id for n in nodes)
    graph.add_edges_from((e.source, e.target) for e in edges if e.type in FLOW_EDGE_TYPES)
    return graph


def _reached(report: Any) -> dict[str, int]:
    views = [report.lot, *report.lots, *report.process_steps, *report.suppliers]
    views += [*report.shipments, *report.customers]
    found = {v.id: v.depth for v in views}
    assert len(found) == len(views), "a node is listed twice"
    return found


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(genealogies(), st.data())
def test_traces_reach_exactly_what_networkx_reaches(
    store: GraphStore, genealogy: tuple[list[Node], list[Edge]], data: st.DataObject
) -> None:
    nodes, edges = genealogy
    store.clear()
    store.apply_batch(Batch(nodes=nodes, edges=edges, source="hypothesis"))
    graph = _flow_graph(nodes, edges)
    lots = sorted(n.id for n in nodes if n.kind is NodeKind.LOT)
    seed = data.draw(st.sampled_from(lots))
    max_depth = data.draw(st.one_of(st.none(), st.integers(0, 6)))

    for trace, view in ((trace_forward, graph), (trace_backward, graph.reverse(copy=False))):
        report = trace(store, lot_id=seed, max_depth=max_depth)
        expected = nx.single_source_shortest_path_length(view, seed, cutoff=max_depth)
        assert _reached(report) == expected
        steps = {v.id: v.depth for v in report.process_steps}
        equipment: dict[str, int] = {}
        for e in edges:
            if e.type is EdgeType.ON and e.source in steps:
                depth = steps[e.source]
                equipment[e.target] = min(depth, equipment.get(e.target, depth))
        assert {v.id: v.depth for v in report.equipment} == equipment
        for listed in (report.lots, report.process_steps, report.shipments, report.customers):
            assert [(v.depth, v.id) for v in listed] == sorted((v.depth, v.id) for v in listed)

    impact = recall_impact(store, lot_ids=[seed], max_depth=max_depth)
    forward = nx.single_source_shortest_path_length(graph, seed, cutoff=max_depth)
    assert {v.id: v.depth for v in impact.lots} == {n: d for n, d in forward.items() if n[0] == "L"}
    assert all(0.0 <= (v.quantity_share or 0.0) <= 1.0 for v in impact.lots)
    assert {v.id for v in impact.shipments} == {n for n in forward if n[0] == "H"}
    consignees = recall_consignees(store, lot_ids=[seed], max_depth=max_depth)
    assert consignees.rows == impact.consignees
    assert consignees.reached == len(impact.lots) + len(impact.shipments) + len(impact.customers)


def test_tiers_follow_onward_shipments_through_loops(store: GraphStore) -> None:
    """Ours -> D1 (1); D1 -> D2 (2); D2 -> D1 back (no change) and -> HOSP (3); a shipment from
    X, who got nothing affected from us, counts its consignee as tier 2."""
    nodes = [
        _lot("F", "finished", 50, "pcs"),
        *(_customer(c, "distributor", "EU") for c in ("D1", "D2", "X")),
        *(_customer(c, "hospital", "EU") for c in ("HOSP", "HOSP2")),
        _shipment("A", "2026-03-01"),
        _shipment("B", "2026-03-02"),
        _shipment("C", "2026-03-03"),
        _shipment("E", "2026-03-04"),
        _shipment("Y", "2026-03-05", origin="X"),
    ]
    e = _edge
    edges = [
        e("F", EdgeType.SHIPPED_IN, "A", 20, "pcs"),
        e("A", EdgeType.DELIVERED_TO, "D1"),
        e("F", EdgeType.SHIPPED_IN, "B", 10, "pcs"),
        e("B", EdgeType.SHIPPED_FROM, "D1"),
        e("B", EdgeType.DELIVERED_TO, "D2"),
        e("F", EdgeType.SHIPPED_IN, "C", 2, "pcs"),
        e("C", EdgeType.SHIPPED_FROM, "D2"),
        e("C", EdgeType.DELIVERED_TO, "D1"),
        e("F", EdgeType.SHIPPED_IN, "E", 3, "pcs"),
        e("E", EdgeType.SHIPPED_FROM, "D2"),
        e("E", EdgeType.DELIVERED_TO, "HOSP"),
        e("F", EdgeType.SHIPPED_IN, "Y", 1, "pcs"),
        e("Y", EdgeType.DELIVERED_TO, "HOSP2"),
    ]
    store.apply_batch(Batch(nodes=nodes, edges=edges, source="tiers"))
    report = recall_impact(store, lot_ids=["F"])
    assert [(c.id, c.tier, c.quantity) for c in report.customers] == [
        ("D1", 1, 22.0),
        ("D2", 2, 10.0),
        ("HOSP2", 2, 1.0),
        ("HOSP", 3, 3.0),
    ]
    assert report.summary.quantity_shipped == {"pcs": 20.0}
    # One row per route, each with its own tier: D1 got F from us (A, tier 1) and back from
    # D2 (C: D2 holds F at tier 2, so this route is tier 3).
    rows = [(r.customer_id, r.tier, r.route, r.via, r.shipment_ids) for r in report.consignees]
    assert rows == [
        ("D1", 1, "direct", None, ["A"]),
        ("D1", 3, "onward", "D2", ["C"]),
        ("D2", 2, "onward", "D1", ["B"]),
        ("HOSP2", 2, "onward", "X", ["Y"]),
        ("HOSP", 3, "onward", "D2", ["E"]),
    ]


def test_rows_of_one_lot_in_a_recorded_and_an_unrecorded_unit(store: GraphStore) -> None:
    """G has no unit; one shipment records pieces, the other no unit: two rows of the same
    customer, lot and route, told apart by unit (and ordered, None before "pcs")."""
    nodes = [
        Node(id="G", kind=NodeKind.LOT),
        _customer("H", "hospital", "EU"),
        _shipment("A", "2026-04-01"),
        _shipment("B", "2026-04-02"),
    ]
    e = _edge
    edges = [
        e("G", EdgeType.SHIPPED_IN, "A", 2, "pcs"),
        e("A", EdgeType.DELIVERED_TO, "H"),
        e("G", EdgeType.SHIPPED_IN, "B", 3),
        e("B", EdgeType.DELIVERED_TO, "H"),
    ]
    store.apply_batch(Batch(nodes=nodes, edges=edges, source="units"))
    report = recall_impact(store, lot_ids=["G"])
    rows = [(r.customer_id, r.tier, r.unit, r.quantity) for r in report.consignees]
    assert rows == [("H", 1, None, 3.0), ("H", 1, "pcs", 2.0)]
