"""SVG pictures of traces and recall impacts, drawn from a real embedded store."""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from traceapi.domain.model import FLOW_EDGE_TYPES, Batch, Edge, EdgeType, Node, NodeKind
from traceapi.domain.results import ImpactReport, NodeView, TraceReport
from traceapi.render import impact_svg, trace_svg
from traceapi.render.scene import share_fill
from traceapi.services.impact import recall_impact
from traceapi.services.trace import trace_backward, trace_forward
from traceapi.store.embedded import EmbeddedStore

SVG = "{http://www.w3.org/2000/svg}"
ODD_ID = 'RM-<&">'
ODD_NAME = 'St. <Mary> & "Joseph"'


def _genealogy() -> Batch:
    """A diamond (RM-A -> INT-B, INT-C -> FG-D), a rework loop (FG-D -> PS-RW -> INT-B), an
    input with an awkward id, equipment, and an onward shipment from a distributor."""

    def n(node_id: str, kind: NodeKind, name: str | None = None, **props: object) -> Node:
        return Node(id=node_id, kind=kind, name=name, props=props)

    lot, step = NodeKind.LOT, NodeKind.PROCESS_STEP
    nodes = [
        n("SUP-1", NodeKind.SUPPLIER, "Resin & Co"),
        n("RM-A", lot, "Resin A", lot_type="raw", quantity=100.0, unit="kg"),
        n(ODD_ID, lot, "Odd <lot>", lot_type="raw", quantity=10.0, unit="kg"),
        n("INT-B", lot, lot_type="intermediate", material="MAT-TUBE"),
        n("INT-C", lot, lot_type="intermediate", material="MAT-TUBE"),
        n("FG-D", lot, "Set D", lot_type="finished", quantity=80.0, unit="pcs"),
        n("PS-1", step, step_code="extrude"),
        n("PS-2", step, step_code="extrude"),
        n("PS-3", step, step_code="assemble"),
        n("PS-RW", step, step_code="rework"),
        n("EQ-1", NodeKind.EQUIPMENT, "Extruder"),
        n("EQ-2", NodeKind.EQUIPMENT, "Bench"),
        n("SHP-1", NodeKind.SHIPMENT, shipped_at="2024-01-02T00:00:00Z"),
        n("SHP-2", NodeKind.SHIPMENT, shipped_at="2024-01-09T00:00:00Z"),
        n("CUS-DIST", NodeKind.CUSTOMER, "Distributor", customer_type="distributor"),
        n("CUS-HOSP", NodeKind.CUSTOMER, ODD_NAME, customer_type="hospital"),
    ]

    def e(source: str, edge_type: EdgeType, target: str, qty: float | None = None) -> Edge:
        return Edge(source=source, target=target, type=edge_type, qty=qty)

    C, P, S = EdgeType.CONSUMED_BY, EdgeType.PRODUCED, EdgeType.SHIPPED_IN
    edges = [
        e("SUP-1", EdgeType.SUPPLIED, "RM-A"),
        e("SUP-1", EdgeType.SUPPLIED, ODD_ID),
        e("RM-A", C, "PS-1", 60),
        e("PS-1", P, "INT-B", 60),
        e("RM-A", C, "PS-2", 40),
        e("PS-2", P, "INT-C", 40),
        e("INT-B", C, "PS-3", 50),
        e("INT-C", C, "PS-3", 40),
        e(ODD_ID, C, "PS-3", 10),
        e("PS-3", P, "FG-D", 80),
        e("FG-D", C, "PS-RW", 5),
        e("PS-RW", P, "INT-B", 5),
        e("PS-1", EdgeType.ON, "EQ-1"),
        e("PS-3", EdgeType.ON, "EQ-1"),
        e("PS-RW", EdgeType.ON, "EQ-2"),
        e("FG-D", S, "SHP-1", 60),
        e("SHP-1", EdgeType.DELIVERED_TO, "CUS-DIST"),
        e("FG-D", S, "SHP-2", 20),
        e("SHP-2", EdgeType.DELIVERED_TO, "CUS-HOSP"),
        e("SHP-2", EdgeType.SHIPPED_FROM, "CUS-DIST"),
    ]
    return Batch(nodes=nodes, edges=edges, source="test")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    opened = EmbeddedStore(tmp_path / "render.sqlite3")
    opened.apply_batch(_genealogy())
    try:
        yield opened
    finally:
        opened.close()


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("version") == "1.1"
    width, height = float(root.get("width", "0")), float(root.get("height", "0"))
    assert width > 0 and height > 0
    assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"
    return root


def _nodes(root: ET.Element) -> dict[str, ET.Element]:
    groups = [g for g in root.iter(f"{SVG}g") if g.get("data-id") is not None]
    ids = Counter(g.get("data-id") for g in groups)
    assert all(count == 1 for count in ids.values()), ids
    return {str(g.get("data-id")): g for g in groups}


def _x(group: ET.Element) -> float:
    rect = group.find(f"{SVG}rect")
    assert rect is not None
    return float(rect.get("x", "nan"))


def _links(root: ET.Element) -> list[ET.Element]:
    return [p for p in root.iter(f"{SVG}path") if "edge" in (p.get("class") or "").split()]


def _trace_views(report: TraceReport) -> list[NodeView]:
    return [
        report.lot,
        *report.lots,
        *report.process_steps,
        *report.equipment,
        *report.suppliers,
        *report.shipments,
        *report.customers,
    ]


def _impact_views(report: ImpactReport) -> list[NodeView]:
    return [*report.seed_lots, *report.lots, *report.shipments, *report.customers]


def _flow_pairs_among(store: EmbeddedStore, ids: set[str]) -> set[tuple[str, str]]:
    return {
        (e.source, e.target)
        for e in store.iter_edges()
        if e.type in FLOW_EDGE_TYPES and e.source in ids and e.target in ids
    }


@pytest.mark.parametrize(("direction", "lot"), [("forward", "RM-A"), ("backward", "FG-D")])
def test_a_trace_draws_each_node_once_in_depth_columns_with_its_flow_edges(
    store: EmbeddedStore, direction: str, lot: str
) -> None:
    trace = trace_forward if direction == "forward" else trace_backward
    report = trace(store, lot_id=lot)
    root = _parse(trace_svg(store, report))
    drawn = _nodes(root)
    views = _trace_views(report)
    assert set(drawn) == {v.id for v in views}
    assert len(views) == len(drawn) >= 8

    depth = {v.id: v.depth or 0 for v in views}
    sign = 1 if direction == "forward" else -1
    # suppliers stand left of what they supplied, deliveries in delivery order (tested below)
    placed_apart = {v.id for v in (*report.suppliers, *report.shipments, *report.customers)}
    columned = [i for i in drawn if i not in placed_apart]
    for a in columned:
        for b in columned:
            if depth[a] < depth[b]:
                assert sign * _x(drawn[a]) < sign * _x(drawn[b]), (a, b)
            elif depth[a] == depth[b]:
                assert _x(drawn[a]) == _x(drawn[b])
    supplied = [
        (e.source, e.target)
        for e in store.iter_edges()
        if e.type is EdgeType.SUPPLIED and e.source in drawn and e.target in drawn
    ]
    assert bool(supplied) == (direction == "backward")
    for supplier, lot_id in supplied:  # suppliers stand left of every lot they supplied
        assert _x(drawn[supplier]) < _x(drawn[lot_id])

    links = _links(root)
    for path in links:
        assert path.get("data-source") in drawn and path.get("data-target") in drawn
    flow = {
        (p.get("data-source"), p.get("data-target"))
        for p in links
        if not {"runs-on", "onward"} & set((p.get("class") or "").split())
    }
    assert flow == _flow_pairs_among(store, set(drawn))
    runs_on = {
        (p.get("data-source"), p.get("data-target"))
        for p in links
        if "runs-on" in (p.get("class") or "")
    }
    assert runs_on == {
        (e.source, e.target)
        for e in store.iter_edges()
        if e.type is EdgeType.ON and e.source in drawn and e.target in drawn
    }


def _headings(root: ET.Element) -> list[str]:
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    return [t for t in texts if re.fullmatch(r"(tier \S+ · )?depth \S+", t)]


def _heading_key(heading: str) -> tuple[int, int]:
    """(highest tier or 0, first depth) of a column heading such as "tier 1–2 · depth 5": a
    column of deliveries stands where its highest tier puts it."""
    tier = re.match(r"tier (\d+)(?:\u2013(\d+))?", heading)
    depth = int(re.findall(r"depth (\d+)", heading)[0])
    return (int(tier.group(2) or tier.group(1)), depth) if tier else (0, depth)


def test_where_used_draws_onward_shipments_after_the_customer_who_sent_them(
    store: EmbeddedStore,
) -> None:
    """SHP-2 holds FG-D as SHP-1 does (same depth), but the distributor sent it: the picture
    must not show the plant shipping straight to the hospital."""
    root = _parse(trace_svg(store, trace_forward(store, lot_id="RM-A")))
    drawn = _nodes(root)
    links = {(p.get("data-source"), p.get("data-target")): p for p in _links(root)}
    assert "onward" in (links[("CUS-DIST", "SHP-2")].get("class") or "")
    assert _x(drawn["FG-D"]) < _x(drawn["SHP-1"]) < _x(drawn["CUS-DIST"])
    assert _x(drawn["CUS-DIST"]) < _x(drawn["SHP-2"]) < _x(drawn["CUS-HOSP"])
    headings = _headings(root)
    assert headings == sorted(headings, key=_heading_key)
    assert "tier 2 · depth 5" in headings  # SHP-2: one tier on, as deep as SHP-1


@pytest.mark.parametrize("lots", [["RM-A"], ["RM-A", ODD_ID]])
def test_impact_columns_are_headed_in_order(store: EmbeddedStore, lots: list[str]) -> None:
    root = _parse(impact_svg(store, recall_impact(store, lot_ids=lots)))
    headings = _headings(root)
    assert len(headings) >= 5
    assert headings == sorted(headings, key=_heading_key)
    assert len(set(headings)) == len(headings)  # never "depth 9, depth 10, depth 9, depth 10"


def test_edges_across_columns_pass_between_boxes(store: EmbeddedStore) -> None:
    """SUP-1 supplied RM-A (depth 4) and the odd lot (depth 2): its line to the odd lot crosses
    two columns and must not run behind any box there."""
    report = trace_backward(store, lot_id="FG-D")
    root = _parse(trace_svg(store, report))
    drawn = _nodes(root)
    boxes = []
    for group in drawn.values():
        rect = group.find(f"{SVG}rect")
        assert rect is not None
        x, y = float(rect.get("x", "0")), float(rect.get("y", "0"))
        boxes.append((x, y, x + float(rect.get("width", "0")), y + float(rect.get("height", "0"))))
    long_edges = 0
    for path in _links(root):
        numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", path.get("d", ""))]
        points = list(zip(numbers[::2], numbers[1::2], strict=True))
        for (xa, ya), (xb, yb) in zip(points, points[1:], strict=False):
            if ya == yb and abs(xb - xa) > 100:  # a straight run across a column
                long_edges += 1
                assert not any(
                    x0 < (xa + xb) / 2 < x1 and y0 < ya < y1 for x0, y0, x1, y1 in boxes
                ), path.get("d")
    assert long_edges >= 1


def test_the_rework_loop_is_drawn_as_a_backward_edge(store: EmbeddedStore) -> None:
    report = trace_forward(store, lot_id="RM-A")
    root = _parse(trace_svg(store, report))
    back = [p for p in _links(root) if "back" in (p.get("class") or "").split()]
    assert [(p.get("data-source"), p.get("data-target")) for p in back] == [("PS-RW", "INT-B")]
    assert back[0].get("marker-end") == "url(#arrow-back)"


def test_text_with_markup_characters_is_escaped(store: EmbeddedStore) -> None:
    report = trace_backward(store, lot_id="FG-D")
    svg = trace_svg(store, report)
    assert ODD_ID in {v.id for v in report.lots}
    assert 'data-id="RM-&lt;&amp;&quot;&gt;"' in svg
    assert "Odd &lt;lot&gt;" in svg and "Odd <lot>" not in svg
    assert ODD_ID in _nodes(_parse(svg))  # the parser gets the id back exactly

    impact = recall_impact(store, lot_ids=["RM-A"])
    svg = impact_svg(store, impact)
    assert "St. &lt;Mary&gt; &amp; &quot;Joseph&quot;" in svg and ODD_NAME not in svg
    texts = "".join(_parse(svg).itertext())
    assert ODD_NAME in texts


def test_an_impact_draws_each_node_once_shaded_by_share_with_onward_deliveries(
    store: EmbeddedStore,
) -> None:
    report = recall_impact(store, lot_ids=["RM-A"])
    svg = impact_svg(store, report)
    root = _parse(svg)
    drawn = _nodes(root)
    views = {v.id: v for v in _impact_views(report)}
    assert set(drawn) == set(views)
    assert {"RM-A", "INT-B", "FG-D", "SHP-1", "SHP-2", "CUS-DIST", "CUS-HOSP"} <= set(drawn)

    for lot in report.lots:
        rect = drawn[lot.id].find(f"{SVG}rect")
        assert rect is not None and rect.get("fill") == share_fill(lot.quantity_share or 0.0)
    assert len({share_fill(lot.quantity_share or 0.0) for lot in report.lots}) > 1

    # lots joined through the process steps the answer leaves out
    links = {(p.get("data-source"), p.get("data-target")): p for p in _links(root)}
    assert links[("RM-A", "INT-B")].get("data-via") == "PS-1"
    assert links[("INT-C", "FG-D")].get("data-via") == "PS-3"
    for source, target in links:
        assert source in drawn and target in drawn
    # the onward shipment sits right of the distributor who sent it, its consignee further on
    assert "onward" in (links[("CUS-DIST", "SHP-2")].get("class") or "")
    assert _x(drawn["CUS-DIST"]) < _x(drawn["SHP-2"]) < _x(drawn["CUS-HOSP"])
    assert _x(drawn["FG-D"]) < _x(drawn["SHP-1"]) < _x(drawn["CUS-DIST"])
    title = root.find(f"{SVG}title")
    assert title is not None and "RM-A" in (title.text or "")


def test_pictures_do_not_depend_on_load_order(store: EmbeddedStore, tmp_path: Path) -> None:
    batch = _genealogy()
    reversed_batch = Batch(nodes=batch.nodes[::-1], edges=batch.edges[::-1], source="test")
    other = EmbeddedStore(tmp_path / "reversed.sqlite3")
    try:
        other.apply_batch(reversed_batch)
        for lot, trace in (("RM-A", trace_forward), ("FG-D", trace_backward)):
            first = trace_svg(store, trace(store, lot_id=lot))
            assert first == trace_svg(other, trace(other, lot_id=lot))
            assert first == trace_svg(store, trace(store, lot_id=lot))
        assert impact_svg(store, recall_impact(store, lot_ids=["RM-A"])) == impact_svg(
            other, recall_impact(other, lot_ids=["RM-A"])
        )
    finally:
        other.close()


def _fan_out(width: int) -> Batch:
    """RM-BIG consumed by ``width`` steps, each making one lot shipped to one customer."""
    nodes = [Node(id="RM-BIG", kind=NodeKind.LOT, props={"lot_type": "raw"})]
    edges: list[Edge] = []
    for i in range(width):
        step, lot = f"PS-{i:04d}", f"LOT-{i:04d}"
        nodes += [
            Node(id=step, kind=NodeKind.PROCESS_STEP),
            Node(id=lot, kind=NodeKind.LOT, props={"lot_type": "finished"}),
        ]
        edges += [
            Edge(source="RM-BIG", target=step, type=EdgeType.CONSUMED_BY),
            Edge(source=step, target=lot, type=EdgeType.PRODUCED),
        ]
    nodes += [Node(id="SHP-X", kind=NodeKind.SHIPMENT), Node(id="CUS-X", kind=NodeKind.CUSTOMER)]
    edges += [
        Edge(source="LOT-0007", target="SHP-X", type=EdgeType.SHIPPED_IN),
        Edge(source="SHP-X", target="CUS-X", type=EdgeType.DELIVERED_TO),
    ]
    return Batch(nodes=nodes, edges=edges, source="test")


def test_a_large_answer_is_cut_per_column_with_a_count_of_the_rest(tmp_path: Path) -> None:
    big = EmbeddedStore(tmp_path / "big.sqlite3")
    try:
        big.apply_batch(_fan_out(420))
        report = trace_forward(big, lot_id="RM-BIG")
        started = time.perf_counter()
        svg = trace_svg(big, report, max_nodes=300, column_cap=15)
        assert time.perf_counter() - started < 5
    finally:
        big.close()
    root = _parse(svg)
    drawn = _nodes(root)
    views = _trace_views(report)
    assert len(views) > 300
    assert set(drawn) <= {v.id for v in views}
    per_depth = Counter(v.depth or 0 for v in views)
    more = {
        int(g.get("data-more", "0")) for g in root.iter(f"{SVG}g") if g.get("data-more") is not None
    }
    expected = {count - 15 for count in per_depth.values() if count > 15}
    assert more == expected == {405}
    for depth, count in per_depth.items():
        shown = [i for i in drawn if int(drawn[i].get("data-depth", "-1")) == depth]
        assert len(shown) == min(count, 15)
    more_boxes = [g for g in root.iter(f"{SVG}g") if g.get("data-more") is not None]
    assert {"".join(g.itertext()).strip() for g in more_boxes} == {"+405 more"}
    hidden = sum(count - 15 for count in per_depth.values() if count > 15)
    assert re.search(rf"\b{hidden} more are not drawn", svg)
    assert "LOT-0007" in drawn  # among the first 15 by id, so its shipment's line has both ends
    assert ("LOT-0007", "SHP-X") in {
        (p.get("data-source"), p.get("data-target")) for p in _links(root)
    }
    for path in _links(root):
        assert path.get("data-source") in drawn and path.get("data-target") in drawn
