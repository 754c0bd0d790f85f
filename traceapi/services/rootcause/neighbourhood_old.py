"""Root-cause neighbourhood: what the upstream genealogies of several lots have in common.

"The five lots that failed the leak test: which equipment, process steps, supplier lots and
materials do they share?" Each lot is traced backward once (a bounded node-level reach, never
path enumeration); every upstream node is then counted once per given lot that reaches it, and
the answer ranks them by that count, nearest first among equals.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from pydantic import BaseModel, Field

from traceapi.domain.model import EdgeType, LotType, NodeKind
from traceapi.domain.results import NodeView, TraceReport
from traceapi.errors import InvalidInput
from traceapi.services.lookup import resolve_lot
from traceapi.services.trace import trace_backward
from traceapi.store.base import GraphStore


class SharedNode(BaseModel):
    """An upstream node and the given lots whose genealogy contains it."""

    id: str
    kind: str
    name: str | None = None
    shared_by: int
    """How many of the given lots reach back to this node."""
    share: float
    """``shared_by`` over the number of given lots."""
    min_depth: int
    """The fewest edges from any of those lots back to this node."""
    lots: list[str] = Field(default_factory=list)


class RootCauseReport(BaseModel):
    """Shared upstream nodes of the given lots, most shared first in each list."""

    lots: list[NodeView]
    equipment: list[SharedNode] = Field(default_factory=list)
    process_steps: list[SharedNode] = Field(default_factory=list)
    supplier_lots: list[SharedNode] = Field(default_factory=list)
    """Upstream lots that came from a supplier (a ``SUPPLIED`` edge, or lot type raw)."""
    materials: list[SharedNode] = Field(default_factory=list)
    """Materials of the upstream lots."""
    suppliers: list[SharedNode] = Field(default_factory=list)


class _Tally:
    """Counts, per node, which given lots reach it and how near."""

    def __init__(self) -> None:
        self.lots: dict[str, dict[str, None]] = defaultdict(dict)
        self.depth: dict[str, int] = {}
        self.views: dict[str, NodeView] = {}

    def add(self, view: NodeView, *, lot_id: str, depth: int) -> None:
        self.lots[view.id].setdefault(lot_id, None)
        self.depth[view.id] = min(depth, self.depth.get(view.id, depth))
        self.views.setdefault(view.id, view)

    def ranked(self, total: int, *, keep: set[str] | None = None) -> list[SharedNode]:
        shared = [
            SharedNode(
                id=node_id,
                kind=self.views[node_id].kind,
                name=self.views[node_id].name,
                shared_by=len(lots),
                share=len(lots) / total,
                min_depth=self.depth[node_id],
                lots=list(lots),
            )
            for node_id, lots in self.lots.items()
            if keep is None or node_id in keep
        ]
        shared.sort(key=lambda s: (-s.shared_by, s.min_depth, s.id))
        return shared


def root_cause_neighbourhood(
    store: GraphStore,
    *,
    lot_ids: Sequence[str],
    max_depth: int | None = None,
    max_nodes: int | None = None,
) -> RootCauseReport:
    """The common upstream of ``lot_ids`` (any identifier form): equipment, process steps,
    supplier lots, materials and suppliers, ranked by how many of the lots share each."""
    if not lot_ids:
        raise InvalidInput("give at least one lot", details={"field": "lots"})
    seeds = list({lot.id: lot for lot in (resolve_lot(store, i) for i in lot_ids)}.values())
    reports: list[TraceReport] = [
        trace_backward(store, lot_id=seed.id, max_depth=max_depth, max_nodes=max_nodes)
        for seed in seeds
    ]
    tallies = {name: _Tally() for name in ("equipment", "steps", "lots", "suppliers")}
    for seed, report in zip(seeds, reports, strict=True):
        for name, views in (
            ("equipment", report.equipment),
            ("steps", report.process_steps),
            ("lots", report.lots),
            ("suppliers", report.suppliers),
        ):
            for view in views:
                if view.id != seed.id:
                    tallies[name].add(view, lot_id=seed.id, depth=view.depth or 0)
    upstream_lots = tallies["lots"]
    lot_ids_up = [i for i, v in upstream_lots.views.items() if v.kind == NodeKind.LOT.value]
    supplied: set[str] = set()
    materials = _Tally()
    if lot_ids_up:
        edges = store.edges_of(
            lot_ids_up, side="both", types=frozenset({EdgeType.SUPPLIED, EdgeType.OF})
        )
        supplied = {e.target for e in edges if e.type is EdgeType.SUPPLIED}
        material_of: dict[str, list[str]] = defaultdict(list)
        for edge in edges:
            if edge.type is EdgeType.OF and edge.source in upstream_lots.views:
                material_of[edge.source].append(edge.target)
        material_nodes = store.get_nodes(
            sorted({m for targets in material_of.values() for m in targets})
        )
        for lot_id, reaching_seeds in upstream_lots.lots.items():
            for material_id in material_of.get(lot_id, []):
                node = material_nodes.get(material_id)
                if node is None or node.kind is not NodeKind.MATERIAL:
                    continue
                view = NodeView.of(node)
                for seed_id in reaching_seeds:
                    materials.add(view, lot_id=seed_id, depth=upstream_lots.depth[lot_id])
    raw = {
        node_id
        for node_id, view in upstream_lots.views.items()
        if getattr(view, "lot_type", None) == LotType.RAW.value
    }
    total = len(seeds)
    return RootCauseReport(
        lots=[NodeView.of(seed, depth=0) for seed in seeds],
        equipment=tallies["equipment"].ranked(total),
        process_steps=tallies["steps"].ranked(total),
        supplier_lots=upstream_lots.ranked(total, keep=supplied | raw),
        materials=materials.ranked(total),
        suppliers=tallies["suppliers"].ranked(total),
    )
