"""A deterministic synthetic medical-device genealogy, sized for trace benchmarks.

Suppliers -> raw lots -> four intermediate levels -> finished lots -> our shipments to
distributors (and some hospitals) -> onward shipments from distributors to hospitals. Every
produced lot comes from one process step that consumes 2 to 10 inputs (mostly the level below,
sometimes raw lots directly: blending), chosen from a window of neighbours in production order,
so one raw lot reaches a customer by many routes while reachable sets stay realistic.

Scale 1.0 is "size M" of docs/performance.md: about 1.0M nodes and 3.3M edges. Batches come in
dependency order and are built with ``model_construct`` (no validation) for speed.

    python -m bench.genealogy --scale 0.01      # counts only, quick
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from traceapi.domain.model import Batch, Edge, EdgeType, Node, NodeKind

START = date(2023, 1, 1)
DAYS = 3 * 365
"""Raw lots arrive over three years; downstream lots follow in the same order."""

LEVEL_SIZES = (80_000, 60_000, 50_000, 40_000)
FINISHED = 40_000
RAW = 200_000
OWN_SHIPMENTS = 60_000
ONWARD_SHIPMENTS = 150_000
WINDOW = 12
"""Inputs come from this many neighbours (in production order) around a lot's own position."""
LINES = 20
"""Product lines; a lot draws its inputs from its own line one level down."""
RECIPE = 4
"""Raw materials in each line's recipe."""
CROSS_LINE = 0.1
"""Chance that a lot also takes one input from another line (shared sub-assemblies)."""


_NODE_FIELDS = set(Node.model_fields)
_EDGE_FIELDS = set(Edge.model_fields)


def _construct(cls: type[Node] | type[Edge], values: dict[str, object], names: set[str]) -> Any:
    """What ``model_construct`` does for complete values, minus its per-call overhead (5x)."""
    made = cls.__new__(cls)
    object.__setattr__(made, "__dict__", values)
    object.__setattr__(made, "__pydantic_fields_set__", names)
    object.__setattr__(made, "__pydantic_extra__", None)
    object.__setattr__(made, "__pydantic_private__", None)
    return made


def _node(node_id: str, kind: NodeKind, props: dict[str, object] | None = None) -> Node:
    values = {"id": node_id, "kind": kind, "name": None, "aliases": [], "props": props or {}}
    node: Node = _construct(Node, values, _NODE_FIELDS)
    return node


def _edge(
    source: str, edge_type: EdgeType, target: str, qty: float | None = None, unit: str | None = None
) -> Edge:
    values = {
        "source": source,
        "target": target,
        "type": edge_type,
        "qty": qty,
        "unit": unit,
        "props": {},
    }
    edge: Edge = _construct(Edge, values, _EDGE_FIELDS)
    return edge


@dataclass
class Genealogy:
    """The plan of one synthetic genealogy; ``batches()`` emits it, the lists name its lots."""

    scale: float = 1.0
    seed: int = 7
    batch_nodes: int = 50_000
    raw_ids: list[str] = field(default_factory=list)
    raw_material: list[int] = field(default_factory=list)
    raw_day: list[int] = field(default_factory=list)
    finished_ids: list[str] = field(default_factory=list)
    materials: int = 0
    used_materials: list[int] = field(default_factory=list)
    """Materials some product line's recipe uses (recalls pick one of these)."""
    flow_edges: list[tuple[str, str]] = field(default_factory=list)
    """Every flow edge emitted (source, target), kept when ``keep_edges`` for the baselines."""
    keep_edges: bool = False

    def _n(self, full: int, minimum: int) -> int:
        return max(minimum, round(full * self.scale))

    def batches(self) -> Iterator[Batch]:
        """The whole genealogy, in batches of about ``batch_nodes`` nodes, inputs first."""
        rng = random.Random(self.seed)
        nodes: list[Node] = []
        edges: list[Edge] = []
        keep = self.flow_edges if self.keep_edges else None

        def add_edge(edge: Edge) -> None:
            edges.append(edge)
            if keep is not None and edge.type not in _ANNOTATIONS:
                keep.append((edge.source, edge.target))

        def flush(source: str) -> Iterator[Batch]:
            if nodes or edges:
                yield Batch.model_construct(
                    nodes=list(nodes), edges=list(edges), aliases=[], source=source
                )
                nodes.clear()
                edges.clear()

        suppliers = [f"SUP-{i:04d}" for i in range(self._n(200, 5))]
        self.materials = 60
        materials = [f"MAT-{i:03d}" for i in range(self.materials)]
        equipment = [f"EQ-{i:04d}" for i in range(self._n(300, 5))]
        distributors = [f"DIST-{i:04d}" for i in range(self._n(500, 3))]
        hospitals = [f"HOSP-{i:05d}" for i in range(self._n(5_000, 5))]
        nodes += [_node(s, NodeKind.SUPPLIER) for s in suppliers]
        nodes += [_node(m, NodeKind.MATERIAL) for m in materials]
        nodes += [_node(e, NodeKind.EQUIPMENT) for e in equipment]
        nodes += [
            _node(d, NodeKind.CUSTOMER, {"customer_type": "distributor", "region": f"R{i % 7}"})
            for i, d in enumerate(distributors)
        ]
        nodes += [
            _node(h, NodeKind.CUSTOMER, {"customer_type": "hospital", "region": f"R{i % 7}"})
            for i, h in enumerate(hospitals)
        ]
        yield from flush("genealogy:parties")

        raw = self._n(RAW, 50)
        self.raw_ids = [f"RAW-{i:07d}" for i in range(raw)]
        self.raw_material = [rng.randrange(self.materials) for _ in range(raw)]
        self.raw_day = [i * DAYS // raw for i in range(raw)]
        for i, lot_id in enumerate(self.raw_ids):
            material = self.raw_material[i]
            nodes.append(
                _node(
                    lot_id,
                    NodeKind.LOT,
                    {
                        "lot_type": "raw",
                        "status": "released",
                        "material": materials[material],
                        "quantity": 1000.0,
                        "unit": "kg",
                        "produced_at": (START + timedelta(days=self.raw_day[i])).isoformat(),
                    },
                )
            )
            add_edge(_edge(suppliers[material % len(suppliers)], EdgeType.SUPPLIED, lot_id))
            add_edge(_edge(lot_id, EdgeType.OF, materials[material]))
            if len(nodes) >= self.batch_nodes:
                yield from flush("genealogy:raw")
        yield from flush("genealogy:raw")

        # Product lines: each has a recipe of raw materials and draws its inputs from its own
        # line one level down, with some cross-line blending (shared sub-assemblies).
        by_material: list[list[str]] = [[] for _ in range(self.materials)]
        for lot_id, material in zip(self.raw_ids, self.raw_material, strict=True):
            by_material[material].append(lot_id)
        recipes = [
            rng.sample(range(self.materials), min(RECIPE, self.materials)) for _ in range(LINES)
        ]
        self.used_materials = sorted({m for recipe in recipes for m in recipe})
        below: list[list[str]] = []
        levels = [self._n(size, 20) for size in LEVEL_SIZES] + [self._n(FINISHED, 20)]
        for level, size in enumerate(levels, start=1):
            finished = level == len(levels)
            prefix = "FIN" if finished else f"L{level}"
            lot_ids = [f"{prefix}-{i:06d}" for i in range(size)]
            lines: list[list[str]] = [lot_ids[line::LINES] for line in range(LINES)]
            for i, lot_id in enumerate(lot_ids):
                step_id = f"P{level}-{i:06d}"
                day = i * DAYS // size
                line = i % LINES
                count = rng.randint(2, 10)
                if level == 1:
                    inputs = [
                        lot
                        for _ in range(count)
                        for lot in _near(rng, by_material[rng.choice(recipes[line])], i / size, 1)
                    ]
                else:
                    inputs = _near(rng, below[line], i / size, count)
                    if rng.random() < CROSS_LINE:
                        inputs += _near(rng, below[rng.randrange(LINES)], i / size, 1)
                    if rng.random() < 0.25:
                        material = rng.choice(recipes[line])
                        inputs += _near(rng, by_material[material], i / size, 1)
                total = 0.0
                for source in dict.fromkeys(inputs):
                    qty = float(rng.randint(1, 50))
                    total += qty
                    add_edge(_edge(source, EdgeType.CONSUMED_BY, step_id, qty, "kg"))
                nodes.append(
                    _node(
                        step_id,
                        NodeKind.PROCESS_STEP,
                        {
                            "step_code": "STERILIZE" if finished else f"OP{level}0",
                            "started_at": (START + timedelta(days=day)).isoformat(),
                        },
                    )
                )
                nodes.append(
                    _node(
                        lot_id,
                        NodeKind.LOT,
                        {
                            "lot_type": "finished" if finished else "intermediate",
                            "status": "released",
                            "quantity": total,
                            "unit": "kg",
                            "produced_at": (START + timedelta(days=day)).isoformat(),
                        },
                    )
                )
                add_edge(_edge(step_id, EdgeType.PRODUCED, lot_id, total, "kg"))
                add_edge(_edge(step_id, EdgeType.ON, equipment[rng.randrange(len(equipment))]))
                if len(nodes) >= self.batch_nodes:
                    yield from flush(f"genealogy:{prefix}")
            yield from flush(f"genealogy:{prefix}")
            below = lines
        self.finished_ids = lot_ids
        finished_lots = lot_ids

        own = self._n(OWN_SHIPMENTS, 10)
        received: list[tuple[str, list[str]]] = []
        for j in range(own):
            shipment_id = f"SHP-{j:06d}"
            day = j * DAYS // own
            lots = _near(rng, finished_lots, j / own, rng.randint(1, 4))
            to_distributor = rng.random() < 0.7
            customer = (
                distributors[rng.randrange(len(distributors))]
                if to_distributor
                else hospitals[rng.randrange(len(hospitals))]
            )
            nodes.append(
                _node(
                    shipment_id,
                    NodeKind.SHIPMENT,
                    {"shipped_at": (START + timedelta(days=day + 20)).isoformat()},
                )
            )
            for lot_id in lots:
                add_edge(_edge(lot_id, EdgeType.SHIPPED_IN, shipment_id, 5.0, "kg"))
            add_edge(_edge(shipment_id, EdgeType.DELIVERED_TO, customer))
            if to_distributor:
                received.append((customer, lots))
            if len(nodes) >= self.batch_nodes:
                yield from flush("genealogy:shipments")
        yield from flush("genealogy:shipments")

        onward = self._n(ONWARD_SHIPMENTS, 10) if received else 0
        for j in range(onward):
            shipment_id = f"OSH-{j:06d}"
            distributor, lots = received[j * len(received) // onward]
            carried = rng.sample(lots, min(len(lots), rng.randint(1, 3)))
            nodes.append(
                _node(
                    shipment_id,
                    NodeKind.SHIPMENT,
                    {
                        "origin": distributor,
                        "shipped_at": (START + timedelta(days=j * DAYS // onward + 30)).isoformat(),
                    },
                )
            )
            for lot_id in carried:
                add_edge(_edge(lot_id, EdgeType.SHIPPED_IN, shipment_id, 1.0, "kg"))
            add_edge(_edge(shipment_id, EdgeType.SHIPPED_FROM, distributor))
            add_edge(
                _edge(shipment_id, EdgeType.DELIVERED_TO, hospitals[rng.randrange(len(hospitals))])
            )
            if len(nodes) >= self.batch_nodes:
                yield from flush("genealogy:onward")
        yield from flush("genealogy:onward")

    def recall_seeds(self, rng: random.Random, *, window_days: int = 90) -> list[str]:
        """Every raw lot of one (used) material received within a ``window_days`` window."""
        material = rng.choice(self.used_materials)
        start = rng.randrange(max(1, DAYS - window_days))
        return [
            lot_id
            for lot_id, m, day in zip(self.raw_ids, self.raw_material, self.raw_day, strict=True)
            if m == material and start <= day < start + window_days
        ]


_ANNOTATIONS = frozenset({EdgeType.OF, EdgeType.ON, EdgeType.SHIPPED_FROM})


def _near(rng: random.Random, pool: list[str], at: float, count: int) -> list[str]:
    """``count`` distinct members of ``pool`` from the window around position ``at`` (0..1)."""
    centre = int(at * len(pool))
    low = max(0, min(centre - WINDOW // 2, len(pool) - WINDOW))
    high = min(len(pool), low + WINDOW)
    return rng.sample(pool[low:high], min(count, high - low))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = size M (1.0M nodes)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    started = time.perf_counter()
    genealogy = Genealogy(scale=args.scale, seed=args.seed)
    nodes = edges = 0
    for batch in genealogy.batches():
        nodes += len(batch.nodes)
        edges += len(batch.edges)
    seconds = time.perf_counter() - started
    print(f"{nodes:,} nodes, {edges:,} edges generated in {seconds:.1f} s")


if __name__ == "__main__":
    main()
