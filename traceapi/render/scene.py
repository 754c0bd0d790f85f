"""What a picture shows: one box per node of an answer, its look, and the edges among the boxes.

Reads the store once for the drawn nodes (one ``edges_of`` call), and a where-used trace once
more for who sent and received its shipments; placing and drawing happen in ``layout`` and
``svg``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from traceapi.domain.model import FLOW_EDGE_TYPES, EdgeType
from traceapi.domain.results import ImpactReport, NodeView, TraceReport
from traceapi.render.layout import Columns, Slot, columns_of, move_to_layers, order_columns
from traceapi.services.rootcause.service import Candidate, RootCauseReport, SubgraphEdge
from traceapi.store.base import EdgeSide, GraphStore

MAX_NODES = 300
"""Answers with more nodes than this are cut per column."""
COLUMN_CAP = 20
"""Nodes each column keeps when an answer is cut."""

KIND_ORDER = {
    "Supplier": 0,
    "Lot": 1,
    "Unit": 2,
    "Container": 3,
    "ProcessStep": 4,
    "Equipment": 5,
    "Shipment": 6,
    "Customer": 7,
    "Material": 8,
}

CATEGORY_FILL = {
    "Supplier": "#9b7cb6",
    "Lot (raw)": "#f1d27a",
    "Lot (intermediate)": "#f4a86a",
    "Lot (finished)": "#e0684b",
    "Lot": "#e8c39e",
    "Unit": "#d6b48c",
    "Container": "#b99470",
    "Process step": "#93bf85",
    "Equipment": "#c4c4c4",
    "Shipment": "#7fb5dc",
    "Customer": "#2f5d7c",
    "Customer (tier 1)": "#1f3f56",
    "Customer (tier 2)": "#3d7396",
    "Customer (tier 3+)": "#7aa7c6",
    "Material": "#e9e4cf",
    "Other": "#dddddd",
}

MARKED_RANKS = 10
"""Root-cause candidates down to this rank are marked in the picture (a badge, a dashed frame);
significant ones always are (a red frame). Every listed one says its rank in its tooltip."""

SHARE_LOW = (255, 238, 232)
SHARE_HIGH = (178, 24, 43)
"""Impact lots are shaded between these by quantity share (0 to 1)."""

_ANNOTATIONS = frozenset({EdgeType.ON, EdgeType.SHIPPED_FROM})


@dataclass(frozen=True, slots=True)
class Box:
    """A node as drawn: its colour category, two lines of text and a tooltip."""

    id: str
    kind: str
    category: str
    fill: str
    depth: int
    label: str
    tooltip: str
    seed: bool = False
    rank: int | None = None
    """Its root-cause candidate rank (or that of a listed window it ran in), if any."""
    significant: bool | None = None
    """Whether that candidate is significant; None for a box that is no candidate."""


@dataclass(frozen=True, slots=True)
class Link:
    """A line between two drawn boxes; ``style`` is flow, via (through a step not drawn),
    runs-on (equipment), of (a lot's material) or onward (a customer shipping on)."""

    source: str
    target: str
    style: str
    via: str | None = None


@dataclass(slots=True)
class Scene:
    title: str
    subtitle: str
    note: str | None
    boxes: dict[str, Box]
    columns: Columns
    links: list[Link]
    shares: bool = False
    """Whether lots are shaded by quantity share (impact)."""
    seed_label: str = "seed lot"
    """What the legend calls the thick-framed boxes."""
    tiers: dict[str, int] = field(default_factory=dict)
    """Delivery tier of shipments and customers: 1 for ours, one more per customer shipping on.
    Columns of deliveries are headed by tier and depth, since an onward shipment is as deep as
    the first one (the lot is in both) yet drawn after the customer who sent it."""


def trace_scene(
    store: GraphStore,
    report: TraceReport,
    *,
    max_nodes: int = MAX_NODES,
    column_cap: int = COLUMN_CAP,
) -> Scene:
    """where-used: the lot on the left, customers on the right; where-from: suppliers on the
    left, the lot on the right. Columns are depths."""
    backward = report.direction == "backward"
    views = _by_id(
        [
            report.lot,
            *report.suppliers,
            *report.lots,
            *report.process_steps,
            *report.equipment,
            *report.shipments,
            *report.customers,
        ]
    )
    layer = {i: -(v.depth or 0) if backward else v.depth or 0 for i, v in views.items()}
    seed = report.lot.id
    counts = [
        (len(report.lots), "lot"),
        (len(report.process_steps), "process step"),
        (len(report.equipment), "equipment"),
        (len(report.suppliers), "supplier"),
        (len(report.shipments), "shipment"),
        (len(report.customers), "customer"),
    ]
    heading = "where-from (upstream)" if backward else "where-used (downstream)"
    depth_note = f" · max depth {report.max_depth}" if report.max_depth is not None else ""
    origin_of, delivered_by = _deliveries(store, [v.id for v in report.shipments])
    _after_senders(layer, origin_of, delivered_by)
    scene = _scene(
        store,
        title=f"{heading} of {report.lot.id}",
        subtitle=_counts(counts) + depth_note,
        views=views,
        layer=layer,
        seeds={seed},
        make_box=lambda view: _trace_box(view, seed=view.id == seed),
        side="out",
        types=FLOW_EDGE_TYPES | {EdgeType.ON, EdgeType.SHIPPED_FROM},
        max_nodes=max_nodes,
        column_cap=column_cap,
    )
    scene.tiers = _delivery_tiers([v.id for v in report.shipments], origin_of, delivered_by)
    return scene


def impact_scene(
    store: GraphStore,
    report: ImpactReport,
    *,
    max_nodes: int = MAX_NODES,
    column_cap: int = COLUMN_CAP,
) -> Scene:
    """Seed lots on the left, affected lots shaded by quantity share, then shipments and
    customers; onward shipments sit right of the customer who sent them, and customers right
    of the shipments they received.
    Lots made through process steps (not part of the answer) are joined through them."""
    seeds = {v.id for v in report.seed_lots}
    on_hand = {v.id: _field(v, "on_hand") for v in report.stock_on_hand}
    lots = _by_id([*report.seed_lots, *report.lots])
    shipments = _by_id(report.shipments)
    customers = {c.id: c for c in report.customers}
    views: dict[str, NodeView] = {**customers, **shipments, **lots}
    layer = {i: v.depth or 0 for i, v in views.items()}
    origin_of = {
        i: str(o) for i, v in shipments.items() if (o := _field(v, "origin_customer")) is not None
    }
    delivered_by = {i: c.shipments for i, c in customers.items()}
    _after_senders(layer, origin_of, delivered_by)

    def make_box(view: NodeView) -> Box:
        if view.id in lots:
            return _impact_lot_box(view, seed=view.id in seeds, on_hand=on_hand.get(view.id))
        if view.id in shipments:
            return _trace_box(view, seed=False)
        return _customer_box(view, tier=customers[view.id].tier)

    summary = report.summary
    tiers = ", ".join(f"tier {t}: {n}" for t, n in summary.customers_by_tier.items())
    subtitle = _counts(
        [
            (summary.affected_lots, "affected lot"),
            (summary.shipments, "shipment"),
            (summary.customers, "customer"),
        ]
    )
    if tiers:
        subtitle += f" ({tiers})"
    if report.max_depth is not None:
        subtitle += f" · max depth {report.max_depth}"
    scene = _scene(
        store,
        title=f"Recall impact of {_listing([v.id for v in report.seed_lots])}",
        subtitle=subtitle,
        views=views,
        layer=layer,
        seeds=seeds,
        make_box=make_box,
        side="both",
        types=FLOW_EDGE_TYPES | {EdgeType.SHIPPED_FROM},
        max_nodes=max_nodes,
        column_cap=column_cap,
    )
    scene.shares = True
    scene.tiers = {
        **_delivery_tiers(list(shipments), origin_of, delivered_by),
        **{i: c.tier for i, c in customers.items()},
    }
    return scene


_UPSTREAM = frozenset({"SUPPLIED", "CONSUMED_BY", "PRODUCED"})


def rootcause_scene(
    store: GraphStore,
    report: RootCauseReport,
    *,
    max_nodes: int = MAX_NODES,
    column_cap: int = COLUMN_CAP,
) -> Scene:
    """A root-cause neighbourhood (``report.subgraph``): the anomalous lots on the right, their
    upstream in columns by depth to the left, suppliers leftmost, equipment under the step that
    ran on it and a material under its nearest lot. Listed candidates carry their rank and
    adjusted p-value (significant ones framed in red), and the steps of a listed machine window
    carry the window's. Boxes and lines are the subgraph's; the store is read once for the
    drawn nodes' properties (colour, tooltip)."""
    subgraph = report.subgraph
    if subgraph is None:
        raise ValueError("the report has no subgraph: ask root_cause for it (subgraph=True)")
    anomalous = [v.id for v in report.lots]
    depth = _upstream_depths(subgraph.edges, anomalous)
    found = store.get_nodes([n.id for n in subgraph.nodes])
    unreached = max(depth.values(), default=0) + 1
    views: dict[str, NodeView] = {}
    for n in subgraph.nodes:
        d = depth.get(n.id, unreached)
        node = found.get(n.id)
        views[n.id] = (
            NodeView.of(node, depth=d)
            if node is not None
            else NodeView(id=n.id, kind=n.kind, name=n.name, depth=d)
        )
    seeds = set(anomalous)
    candidates = {c.id: c for c in report.candidates}
    window_of: dict[str, Candidate] = {}
    for listed in report.candidates:  # best rank first: a step keeps the best window it ran in
        for step in listed.steps:
            window_of.setdefault(step, listed)
    marked: dict[str, Candidate] = {}
    for node_id in views:
        mark = candidates.get(node_id) or window_of.get(node_id)
        if mark is not None:
            marked[node_id] = mark
    level = report.level

    def make_box(view: NodeView) -> Box:
        box = _trace_box(view, seed=view.id in seeds)
        c = marked.get(view.id)
        if c is None:
            return box
        own = c.id == view.id
        what = "" if own else f"in window #{c.rank} · "  # the badge shows a box's own rank
        label = box.label
        if c.significant or c.rank <= MARKED_RANKS:
            label = f"{what}adj. p {_p(c.adjusted_p_value)} · {box.label}"
        tooltip = box.tooltip + "\n" + _candidate_line(c, own=own, level=level)
        return Box(
            id=box.id,
            kind=box.kind,
            category=box.category,
            fill=box.fill,
            depth=box.depth,
            label=label,
            tooltip=tooltip,
            seed=box.seed,
            rank=c.rank,
            significant=c.significant,
        )

    links = [
        Link(
            e.source,
            e.target,
            "runs-on" if e.type == "ON" else "of" if e.type == "OF" else "flow",
        )
        for e in subgraph.edges
        if e.source != e.target
    ]
    baseline = report.baseline
    if baseline is not None:
        top = report.candidates[0] if report.candidates else None
        subtitle = (
            f"baseline ({baseline.rule.value}): {len(baseline.lots)} lots · "
            f"{report.tested} factors tested · {report.significant} significant at {level:g}"
        )
        if top is not None:
            subtitle += f" · top: {top.id} ({top.kind.value}, adj. p {_p(top.adjusted_p_value)})"
    else:
        subtitle = f"{len(subgraph.nodes)} nodes upstream (no baseline: nothing ranked)"
    scene = _scene(
        store,
        title=f"Root cause of {_listing(anomalous)}: upstream neighbourhood",
        subtitle=subtitle,
        views=views,
        layer={i: -v.depth if v.depth is not None else 0 for i, v in views.items()},
        seeds=seeds,
        make_box=make_box,
        side="out",
        types=FLOW_EDGE_TYPES,
        max_nodes=max_nodes,
        column_cap=column_cap,
        links=links,
        order={i: c.rank for i, c in marked.items()},
    )
    scene.seed_label = "anomalous lot"
    return scene


def _upstream_depths(edges: Iterable[SubgraphEdge], anomalous: Sequence[str]) -> dict[str, int]:
    """Fewest flow edges from each node forward to an anomalous lot; equipment at the depth of
    its nearest step, a material at that of its nearest lot."""
    into: dict[str, list[str]] = defaultdict(list)
    annotations: list[SubgraphEdge] = []
    for e in edges:
        if e.type in _UPSTREAM:
            into[e.target].append(e.source)
        else:
            annotations.append(e)
    depth = dict.fromkeys(anomalous, 0)
    frontier = list(anomalous)
    while frontier:
        following: list[str] = []
        for node_id in frontier:
            for source in into.get(node_id, ()):
                if source not in depth:
                    depth[source] = depth[node_id] + 1
                    following.append(source)
        frontier = following
    for e in annotations:  # ON (step -> equipment), OF (lot -> material)
        if e.source in depth:
            near = depth[e.source]
            depth[e.target] = min(depth.get(e.target, near), near)
    return depth


def _candidate_line(c: Candidate, *, own: bool, level: float) -> str:
    verdict = "significant" if c.significant else "not significant"
    head = f"candidate #{c.rank} ({c.kind.value})" if own else f"in window {c.id}: #{c.rank}"
    return (
        f"{head}: {len(c.anomalous_lots)} anomalous lots, {len(c.baseline_lots)} baseline "
        f"lots, p {_p(c.p_value)}, adjusted {_p(c.adjusted_p_value)}, {verdict} at {level:g}"
    )


def _p(value: float) -> str:
    return f"{value:.2g}" if value >= 0.001 else f"{value:.1e}"


def _scene(
    store: GraphStore,
    *,
    title: str,
    subtitle: str,
    views: dict[str, NodeView],
    layer: dict[str, int],
    seeds: set[str],
    make_box: Callable[[NodeView], Box],
    side: EdgeSide,
    types: frozenset[EdgeType],
    max_nodes: int,
    column_cap: int,
    links: Sequence[Link] | None = None,
    order: dict[str, int] | None = None,
) -> Scene:
    """Cuts, then builds boxes and links for what is kept only, so big answers stay cheap.

    ``links`` (when given) are the lines to draw instead of reading them from the store;
    ``order`` puts nodes earlier in their column, after seeds (lowest first), so a cut keeps
    them."""
    first = order or {}
    slots = [
        Slot(
            i,
            layer[i],
            (
                0 if i in seeds else 1,
                first.get(i, 1 << 30),
                KIND_ORDER.get(v.kind, len(KIND_ORDER)),
            ),
        )
        for i, v in views.items()
    ]
    columns = columns_of(slots, max_nodes=max_nodes, column_cap=column_cap)
    kept = columns.kept()
    if links is None:
        links = links_among(store, kept, side=side, types=types)
    else:
        shown = set(kept)
        links = [link for link in links if link.source in shown and link.target in shown]
    moves = _suppliers_leftmost(links, columns, views)
    if moves:
        columns = move_to_layers(columns, moves)
    columns.anchors.update(_equipment_anchors(links, columns))
    columns = order_columns(columns, ((link.source, link.target) for link in links))
    note = None
    if columns.hidden_total:
        note = (
            f"Large answer ({len(slots)} nodes): each column shows its first {column_cap}; "
            f"{columns.hidden_total} more are not drawn (see --json for all)."
        )
    return Scene(
        title=title,
        subtitle=subtitle,
        note=note,
        boxes={node_id: make_box(views[node_id]) for node_id in kept},
        columns=columns,
        links=links,
    )


def links_among(
    store: GraphStore, ids: Sequence[str], *, side: EdgeSide, types: frozenset[EdgeType]
) -> list[Link]:
    """Lines among ``ids`` from one ``edges_of`` call: flow edges between two of them, flow
    through one node not among them (a process step) as a ``via`` link, equipment and onward
    origins as annotations. Sorted and without duplicates."""
    shown = set(ids)
    if not shown:
        return []
    links: dict[tuple[str, str], Link] = {}
    into: dict[str, set[str]] = defaultdict(set)
    out_of: dict[str, set[str]] = defaultdict(set)
    for edge in store.edges_of(list(ids), side=side, types=types):
        source, target = edge.source, edge.target
        if edge.type is EdgeType.SHIPPED_FROM:  # drawn from the customer to what it ships
            source, target = target, source
        if source == target:
            continue
        if source in shown and target in shown:
            style = (
                "runs-on"
                if edge.type is EdgeType.ON
                else ("onward" if edge.type is EdgeType.SHIPPED_FROM else "flow")
            )
            key = (source, target)
            if key not in links or links[key].style != "flow":
                links[key] = Link(source, target, style)
        elif edge.type not in _ANNOTATIONS:
            if source in shown:
                into[target].add(source)
            elif target in shown:
                out_of[source].add(target)
    for hidden in sorted(into.keys() & out_of.keys()):
        for source in sorted(into[hidden]):
            for target in sorted(out_of[hidden]):
                if source != target and (source, target) not in links:
                    links[(source, target)] = Link(source, target, "via", via=hidden)
    return [links[key] for key in sorted(links)]


def _deliveries(
    store: GraphStore, shipment_ids: list[str]
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Who sent each shipment on (shipment -> customer, for onward ones) and which shipments
    reached each customer, from one ``edges_of`` call."""
    origin_of: dict[str, str] = {}
    delivered_by: dict[str, list[str]] = defaultdict(list)
    if not shipment_ids:
        return origin_of, delivered_by
    types = frozenset({EdgeType.SHIPPED_FROM, EdgeType.DELIVERED_TO})
    for edge in store.edges_of(shipment_ids, side="out", types=types):
        if edge.type is EdgeType.SHIPPED_FROM:
            origin_of.setdefault(edge.source, edge.target)
        else:
            delivered_by[edge.target].append(edge.source)
    return origin_of, delivered_by


def _delivery_tiers(
    shipment_ids: Iterable[str], origin_of: dict[str, str], delivered_by: dict[str, list[str]]
) -> dict[str, int]:
    """Tier 1 for our own shipments and the customers they reach; a shipment a customer sends
    on is one tier more than its sender, each customer at the lowest tier that reached it."""
    tier: dict[str, int] = {s: 1 for s in shipment_ids if s not in origin_of}
    for _ in range(len(origin_of) + 2):  # each round settles at least one more hop
        changed = False
        for customer, shipments in delivered_by.items():
            reached = [tier[s] for s in shipments if s in tier]
            if reached and tier.get(customer, 1 << 30) > min(reached):
                tier[customer] = min(reached)
                changed = True
        for shipment, origin in origin_of.items():
            if origin in tier and tier.get(shipment, 1 << 30) > tier[origin] + 1:
                tier[shipment] = tier[origin] + 1
                changed = True
        if not changed:
            break
    return tier


def _after_senders(
    layer: dict[str, int],
    origin_of: dict[str, str],
    delivered_by: dict[str, list[str]],
    *,
    rounds: int = 8,
) -> None:
    """Moves onward shipments right of the customer who sent them, and customers right of every
    shipment that reached them, so deliveries read left to right. A few rounds at most: a ring
    of distributors shipping to each other keeps a backward edge."""
    for _ in range(rounds):
        moved = False
        for shipment, origin in origin_of.items():
            if origin in layer and shipment in layer and layer[shipment] <= layer[origin]:
                layer[shipment] = layer[origin] + 1
                moved = True
        for customer, shipments in delivered_by.items():
            needed = max((layer[s] + 1 for s in shipments if s in layer), default=0)
            if customer in layer and layer[customer] < needed:
                layer[customer] = needed
                moved = True
        if not moved:
            return


def _suppliers_leftmost(
    links: Iterable[Link], columns: Columns, views: dict[str, NodeView]
) -> dict[str, int]:
    """New layers for suppliers drawn right of a lot they supplied (their depth came from
    another lot): one column left of the leftmost lot they supplied."""
    layer = {n: columns.layers[c] for n, c in columns.column_of().items()}
    wanted: dict[str, int] = {}
    for link in links:
        if link.style == "flow" and views[link.source].kind == "Supplier":
            target = layer[link.target] - 1
            wanted[link.source] = min(target, wanted.get(link.source, target))
    return {n: new for n, new in wanted.items() if new < layer[n]}


def _equipment_anchors(links: Iterable[Link], columns: Columns) -> dict[str, str]:
    """Equipment drawn right below the first step of its column that runs on it (and a
    material below the first lot of its column that is of it)."""
    column_of = columns.column_of()
    anchors: dict[str, str] = {}
    for link in links:
        if link.style in ("runs-on", "of") and column_of.get(link.source) == column_of.get(
            link.target
        ):
            anchors.setdefault(link.target, link.source)
    return anchors


def _trace_box(view: NodeView, *, seed: bool) -> Box:
    category = _category(view)
    return Box(
        id=view.id,
        kind=view.kind,
        category=category,
        fill=CATEGORY_FILL[category],
        depth=view.depth or 0,
        label=_label(view),
        tooltip=_tooltip(view),
        seed=seed,
    )


def _impact_lot_box(view: NodeView, *, seed: bool, on_hand: object) -> Box:
    share = max(0.0, min(1.0, view.quantity_share or 0.0))
    detail = f"{share:.0%} of seed"
    if isinstance(on_hand, int | float):
        detail += f" · {on_hand:g} on hand"
    name = view.name or _text(_field(view, "material"))
    return Box(
        id=view.id,
        kind=view.kind,
        category=_category(view),
        fill=share_fill(share),
        depth=view.depth or 0,
        label=f"{detail} · {name}" if name else detail,
        tooltip=_tooltip(view, on_hand=on_hand),
        seed=seed,
    )


def _customer_box(view: NodeView, *, tier: int) -> Box:
    category = f"Customer (tier {tier})" if tier < 3 else "Customer (tier 3+)"
    kind_of = _text(_field(view, "customer_type"))
    label = " · ".join(x for x in (f"tier {tier}", view.name or kind_of) if x)
    return Box(
        id=view.id,
        kind=view.kind,
        category=category,
        fill=CATEGORY_FILL[category],
        depth=view.depth or 0,
        label=label,
        tooltip=_tooltip(view, tier=tier),
    )


def share_fill(share: float) -> str:
    """The shade of an affected lot: pale for a trace of the seed, deep red for all of it."""
    weight = 0.12 + 0.88 * max(0.0, min(1.0, share))
    rgb = (round(lo + (hi - lo) * weight) for lo, hi in zip(SHARE_LOW, SHARE_HIGH, strict=True))
    return "#" + "".join(f"{c:02x}" for c in rgb)


def _category(view: NodeView) -> str:
    kind = view.kind
    if kind == "Lot":
        lot_type = _field(view, "lot_type")
        return f"Lot ({lot_type})" if f"Lot ({lot_type})" in CATEGORY_FILL else "Lot"
    if kind == "ProcessStep":
        return "Process step"
    return kind if kind in CATEGORY_FILL else "Other"


def _label(view: NodeView) -> str:
    """The second line of a box: its name, or the most telling property of its kind."""
    if view.name:
        return view.name
    for field_name in ("material", "step_code", "shipped_at", "customer_type", "lot_type"):
        value = _text(_field(view, field_name))
        if value:
            return value[:10] if field_name == "shipped_at" else value
    return view.kind


def _tooltip(view: NodeView, **extra: object) -> str:
    parts = [f"{view.id} ({view.kind})"]
    if view.name:
        parts.append(view.name)
    fields = (
        "depth",
        "lot_type",
        "status",
        "quantity",
        "unit",
        "quantity_share",
        "step_code",
        "shipped_at",
        "origin_customer",
        "customer_type",
        "region",
    )
    for field_name in fields:
        value = _field(view, field_name)
        if value is not None:
            shown = f"{value:.1%}" if field_name == "quantity_share" else _text(value)
            parts.append(f"{field_name.replace('_', ' ')}: {shown}")
    parts.extend(f"{k.replace('_', ' ')}: {_text(v)}" for k, v in extra.items() if v is not None)
    return "\n".join(parts)


def _by_id(views: Iterable[NodeView]) -> dict[str, NodeView]:
    """Views keyed by id, the first of each id kept."""
    result: dict[str, NodeView] = {}
    for view in views:
        result.setdefault(view.id, view)
    return result


def _field(view: NodeView, name: str) -> object:
    """A declared or extra field of a view, None when absent (without pydantic's slow miss)."""
    extra = view.model_extra or {}
    if name in extra:
        return extra[name]
    return getattr(view, name) if name in type(view).model_fields else None


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _counts(pairs: Iterable[tuple[int, str]]) -> str:
    shown = [f"{n} {word}{'' if n == 1 or word == 'equipment' else 's'}" for n, word in pairs if n]
    return " · ".join(shown) or "nothing reached"


def _listing(ids: Sequence[str], *, at_most: int = 4) -> str:
    if len(ids) <= at_most:
        return ", ".join(ids)
    return f"{', '.join(ids[:at_most])} and {len(ids) - at_most} more"
