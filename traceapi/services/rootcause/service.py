"""Root cause: what the anomalous lots' genealogies have in common that good lots' do not.

Every anomalous and baseline lot is traced backward once (``factors.extract_upstream``); each
factor found upstream of an anomalous lot is a candidate, held against the baseline by a
one-sided Fisher exact test (``statistics``), with Benjamini-Hochberg adjusted values over
every factor found upstream of any analysed lot. A candidate is ``significant`` when its
adjusted value is at most ``level``. The answer also keeps the plain counts of what the
anomalous lots share (``equipment``, ``process_steps``, ... as before), and, when asked, their
upstream neighbourhood as a subgraph for drawing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field

from traceapi.domain.model import EdgeType, Node, NodeKind
from traceapi.domain.results import NodeView
from traceapi.errors import InvalidInput, NotFound, TraceapiError
from traceapi.gc_pause import collector_paused
from traceapi.services.lookup import resolve_lots_naming_all
from traceapi.services.rootcause.baseline import (
    DEFAULT_MAX_BASELINE,
    DEFAULT_PERIOD_DAYS,
    BaselineReport,
    given_baseline,
    period_baseline,
)
from traceapi.services.rootcause.factors import (
    Factor,
    FactorKind,
    Upstream,
    add_window_factors,
    extract_upstream,
)
from traceapi.services.rootcause.statistics import (
    adjust,
    fisher_greater,
    fisher_greater_tables,
)
from traceapi.services.trace import node_cap
from traceapi.store.base import GraphStore

DEFAULT_LEVEL = 0.05
DEFAULT_LIMIT = 50
_KIND_ORDER = {kind: i for i, kind in enumerate(FactorKind)}
_DRAWN = frozenset(
    {EdgeType.SUPPLIED, EdgeType.CONSUMED_BY, EdgeType.PRODUCED, EdgeType.ON, EdgeType.OF}
)


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


class Candidate(BaseModel):
    """A factor upstream of some anomalous lots, held against the baseline."""

    rank: int
    """1 for the strongest; candidates with equal p-values share a rank."""
    id: str
    kind: FactorKind
    name: str | None = None
    coverage: float
    """Share of the anomalous lots that have it."""
    baseline_share: float
    """Share of the baseline lots that have it."""
    lift: float | None = None
    """``coverage / baseline_share``; null when no baseline lot has it."""
    p_value: float
    """One-sided Fisher exact test (for a window, times ``windows_possible``, at most 1)."""
    adjusted_p_value: float
    """Benjamini-Hochberg over every factor tested."""
    significant: bool
    """``adjusted_p_value`` at most the answer's ``level``."""
    anomalous_lots: list[str] = Field(default_factory=list)
    """The evidence: anomalous lots that have it ..."""
    baseline_lots: list[str] = Field(default_factory=list)
    """... and baseline lots that have it too."""
    equipment: str | None = None
    window_from: str | None = None
    window_to: str | None = None
    steps: list[str] = Field(default_factory=list)
    """For a window: the step records on the machine in it."""
    windows_possible: int | None = None
    """For a window: how many windows its machine's record allows (the scan correction)."""
    explained_by: list[str] = Field(default_factory=list)
    """Listed candidates that have every anomalous lot this one has and that, among the lots
    that have this one, still tell the anomalous from the baseline lots (one-sided Fisher at
    ``level``): a bystander that shares the failures' time or route. Descriptive, not a test
    of its own."""


class SubgraphNode(BaseModel):
    id: str
    kind: str
    name: str | None = None
    anomalous_lots: int = 0
    """How many anomalous lots reach back to it (0 for the anomalous lots themselves)."""
    rank: int | None = None
    """Its candidate rank, when it is a listed candidate."""


class SubgraphEdge(BaseModel):
    source: str
    target: str
    type: str


class Subgraph(BaseModel):
    """The anomalous lots' upstream: lots, steps, suppliers, equipment and materials, with the
    flow edges between them and their ``ON`` and ``OF`` annotations."""

    nodes: list[SubgraphNode] = Field(default_factory=list)
    edges: list[SubgraphEdge] = Field(default_factory=list)


class RootCauseReport(BaseModel):
    """Shared upstream nodes of the given lots, and candidate causes ranked against a
    baseline."""

    lots: list[NodeView]
    equipment: list[SharedNode] = Field(default_factory=list)
    process_steps: list[SharedNode] = Field(default_factory=list)
    supplier_lots: list[SharedNode] = Field(default_factory=list)
    """Upstream lots that came from a supplier (a ``SUPPLIED`` edge, or lot type raw)."""
    materials: list[SharedNode] = Field(default_factory=list)
    """Materials of the upstream lots."""
    suppliers: list[SharedNode] = Field(default_factory=list)
    baseline: BaselineReport | None = None
    level: float = DEFAULT_LEVEL
    tested: int = 0
    """Factors found upstream of the analysed lots: the family the adjustment is over."""
    significant: int = 0
    """How many candidates are significant at ``level``."""
    candidates: list[Candidate] = Field(default_factory=list)
    candidates_left_out: int = 0
    """Candidates past ``limit`` (the statistics are over all of them)."""
    subgraph: Subgraph | None = None


def root_cause(
    store: GraphStore,
    *,
    lot_ids: Sequence[str],
    baseline: Sequence[str] | None = None,
    passed_inspection: str | None = None,
    period_days: int = DEFAULT_PERIOD_DAYS,
    max_baseline: int = DEFAULT_MAX_BASELINE,
    level: float = DEFAULT_LEVEL,
    limit: int = DEFAULT_LIMIT,
    rank: bool = True,
    subgraph: bool = False,
    max_depth: int | None = None,
    max_nodes: int | None = None,
) -> RootCauseReport:
    """Candidate causes of the anomalies of ``lot_ids`` (any identifier form), ranked against
    ``baseline`` (lots, any form) or, by default, the period baseline (see ``baseline``).

    ``rank=False`` answers only what the lots share (no baseline needed)."""
    if not lot_ids:
        raise InvalidInput("give at least one lot", details={"field": "lots"})
    if not 0 < level < 1:
        raise InvalidInput("level must be between 0 and 1", details={"field": "level"})
    if limit < 1:
        raise InvalidInput("limit must be at least 1", details={"field": "limit"})
    if baseline is not None and passed_inspection is not None:
        raise InvalidInput(
            "give baseline lots or passed_inspection, not both",
            details={"field": "passed_inspection"},
        )
    if baseline is not None and not baseline:
        raise InvalidInput("baseline: give at least one lot", details={"field": "baseline"})
    with collector_paused():
        seeds, given = _resolve_both(store, lot_ids, baseline if rank else None)
        chosen: BaselineReport | None = None
        if rank:
            chosen = _baseline(
                store,
                list(seeds.values()),
                given,
                passed_inspection=passed_inspection,
                period_days=period_days,
                max_baseline=max_baseline,
            )
        anomalous = list(seeds)
        good = chosen.lots if chosen is not None else []
        upstream = extract_upstream(
            store, anomalous, good, max_depth=max_depth, max_nodes=node_cap(max_nodes)
        )
        report = _shared(upstream, anomalous)
        report.lots = [NodeView.of(seed, depth=0) for seed in seeds.values()]
        if chosen is not None:
            report.baseline = chosen
            report.level = level
            _rank(report, upstream, anomalous, good, level=level, limit=limit)
        if subgraph:
            report.subgraph = _subgraph(store, upstream, anomalous, report)
        return report


def root_cause_neighbourhood(
    store: GraphStore,
    *,
    lot_ids: Sequence[str],
    max_depth: int | None = None,
    max_nodes: int | None = None,
) -> RootCauseReport:
    """What the upstream genealogies of ``lot_ids`` share, without a baseline."""
    return root_cause(store, lot_ids=lot_ids, rank=False, max_depth=max_depth, max_nodes=max_nodes)


def _resolve_both(
    store: GraphStore, lot_ids: Sequence[str], baseline: Sequence[str] | None
) -> tuple[dict[str, Node], dict[str, Node] | None]:
    """The anomalous and the baseline lots resolved; an id that matches nothing (or no lot) in
    either list is named together with every other one: one field's error as
    ``resolve_lots_naming_all`` gives it, both fields' in one error whose details list each
    field's ids (``{"fields": ["lots", "baseline"], "unknown": {"lots": [...], ...}}``)."""
    failed: list[tuple[str, TraceapiError]] = []
    seeds: dict[str, Node] = {}
    given: dict[str, Node] | None = None
    try:
        seeds = resolve_lots_naming_all(store, lot_ids, field="lots")
    except (NotFound, InvalidInput) as err:
        failed.append(("lots", err))
    if baseline is not None:
        try:
            given = resolve_lots_naming_all(store, baseline, field="baseline")
        except (NotFound, InvalidInput) as err:
            failed.append(("baseline", err))
    if len(failed) == 1:
        raise failed[0][1]
    if failed:
        details: dict[str, Any] = {"fields": [field for field, _ in failed]}
        for field, problem in failed:
            for key in ("unknown", "not_lots"):
                if key in problem.details:
                    details.setdefault(key, {})[field] = problem.details[key]
        message = "; ".join(problem.message for _, problem in failed)
        if any(isinstance(problem, NotFound) for _, problem in failed):
            raise NotFound(message, details=details)
        raise InvalidInput(message, details=details)
    return seeds, given


def _baseline(
    store: GraphStore,
    anomalous: list[Node],
    lots: dict[str, Node] | None,
    *,
    passed_inspection: str | None,
    period_days: int,
    max_baseline: int,
) -> BaselineReport:
    if lots is None:
        return period_baseline(
            store,
            anomalous,
            period_days=period_days,
            passed_inspection=passed_inspection,
            max_lots=max_baseline,
        )
    both = sorted(set(lots) & {lot.id for lot in anomalous})
    if both:
        raise InvalidInput(
            f"baseline: lots both anomalous and in the baseline: {', '.join(both)}",
            details={"field": "baseline", "in_both": both},
        )
    return given_baseline(list(lots))


_SHARED_LISTS = {
    FactorKind.EQUIPMENT: "equipment",
    FactorKind.PROCESS_STEP: "process_steps",
    FactorKind.SUPPLIER_LOT: "supplier_lots",
    FactorKind.MATERIAL: "materials",
    FactorKind.SUPPLIER: "suppliers",
}
_NODE_KIND_OF = {
    FactorKind.EQUIPMENT: NodeKind.EQUIPMENT.value,
    FactorKind.PROCESS_STEP: NodeKind.PROCESS_STEP.value,
    FactorKind.SUPPLIER_LOT: NodeKind.LOT.value,
    FactorKind.MATERIAL: NodeKind.MATERIAL.value,
    FactorKind.SUPPLIER: NodeKind.SUPPLIER.value,
}


def _shared(upstream: Upstream, anomalous: list[str]) -> RootCauseReport:
    """The plain counts: per node factor, the anomalous lots reaching it, most shared first."""
    lists: dict[str, list[SharedNode]] = {name: [] for name in _SHARED_LISTS.values()}
    total = len(anomalous)
    for factor in upstream.factors.values():
        name = _SHARED_LISTS.get(factor.kind)
        lots = [lot for lot in anomalous if lot in factor.lots]
        if name is None or not lots:
            continue
        node = upstream.nodes.get(factor.id)
        lists[name].append(
            SharedNode.model_construct(  # computed here, nothing to validate
                id=factor.id,
                kind=node.kind.value if node is not None else _NODE_KIND_OF[factor.kind],
                name=factor.name,
                shared_by=len(lots),
                share=len(lots) / total,
                min_depth=min(factor.lots[lot] for lot in lots),
                lots=lots,
            )
        )
    for shared in lists.values():
        shared.sort(key=lambda s: (-s.shared_by, s.min_depth, s.id))
    return RootCauseReport(
        lots=[],
        equipment=lists["equipment"],
        process_steps=lists["process_steps"],
        supplier_lots=lists["supplier_lots"],
        materials=lists["materials"],
        suppliers=lists["suppliers"],
    )


def _rank(
    report: RootCauseReport,
    upstream: Upstream,
    anomalous: list[str],
    good: list[str],
    *,
    level: float,
    limit: int,
) -> None:
    n_bad, n_good = len(anomalous), len(good)
    add_window_factors(upstream, n_bad=n_bad, n_good=n_good)
    factors = list(upstream.factors.values())
    counts = [(len(f.lots), len(f.good)) for f in factors]
    p_values = fisher_greater(counts, n_bad=n_bad, n_good=n_good)
    tested: list[tuple[Factor, int, int, float]] = []
    for factor, (a, c), p in zip(factors, counts, p_values, strict=True):
        if factor.kind is FactorKind.EQUIPMENT_WINDOW:
            p = min(1.0, p * factor.windows_possible)
        tested.append((factor, a, c, p))
    # Factors only baseline lots have were not kept: each has p = 1 and counts in the family.
    unseen = max(0, upstream.found - len(tested))
    adjusted = adjust([p for *_, p in tested] + [1.0] * unseen)[: len(tested)]
    scored = [
        (p, -a, c, _KIND_ORDER[f.kind], f.id, f, a, c, q)
        for (f, a, c, p), q in zip(tested, adjusted, strict=True)
        if a > 0
    ]
    scored.sort(key=lambda row: row[:5])
    candidates: list[Candidate] = []
    previous_p, previous_rank = -1.0, 0
    for position, (p, _, _, _, _, factor, _a, _c, q) in enumerate(scored, start=1):
        rank = previous_rank if p == previous_p else position
        previous_p, previous_rank = p, rank
        if position > limit:
            continue
        candidates.append(_candidate(factor, rank, p, q, n_bad, n_good, level, anomalous))
    report.tested = len(tested) + unseen
    report.significant = sum(1 for row in scored if row[8] <= level)
    _explain(candidates, level=level)
    report.candidates = candidates
    report.candidates_left_out = max(0, len(scored) - limit)


def _explain(candidates: list[Candidate], *, level: float) -> None:
    """Fills each candidate's ``explained_by`` from the others listed (see ``Candidate``)."""
    bad = [set(c.anomalous_lots) for c in candidates]
    good = [set(c.baseline_lots) for c in candidates]
    pairs: list[tuple[int, int]] = []
    tables: list[tuple[int, int, int, int]] = []
    for g in range(len(candidates)):
        if not good[g]:
            continue  # no baseline lot has it: nothing is left for another factor to explain
        for f in range(len(candidates)):
            if f != g and bad[g] <= bad[f]:
                shared = len(good[g] & good[f])
                pairs.append((g, f))
                tables.append((len(bad[g]), 0, shared, len(good[g]) - shared))
    # Among the lots that have g: all its anomalous lots have f; how few of its baseline lots?
    p_values = fisher_greater_tables(tables)
    for (g, f), p in zip(pairs, p_values, strict=True):
        if p <= level:
            candidates[g].explained_by.append(candidates[f].id)


def _candidate(
    factor: Factor,
    rank: int,
    p: float,
    q: float,
    n_bad: int,
    n_good: int,
    level: float,
    anomalous: list[str],
) -> Candidate:
    coverage, share = len(factor.lots) / n_bad, len(factor.good) / n_good
    window = factor.window
    return Candidate(
        rank=rank,
        id=factor.id,
        kind=factor.kind,
        name=factor.name,
        coverage=coverage,
        baseline_share=share,
        lift=coverage / share if share > 0 else None,
        p_value=p,
        adjusted_p_value=q,
        significant=q <= level,
        anomalous_lots=[lot for lot in anomalous if lot in factor.lots],
        baseline_lots=sorted(factor.good),
        equipment=factor.equipment,
        window_from=window[0].isoformat().replace("+00:00", "Z") if window else None,
        window_to=window[1].isoformat().replace("+00:00", "Z") if window else None,
        steps=factor.steps,
        windows_possible=factor.windows_possible if window else None,
    )


def _subgraph(
    store: GraphStore, upstream: Upstream, anomalous: list[str], report: RootCauseReport
) -> Subgraph:
    """The anomalous lots' upstream as nodes and edges (built and ordered with networkx)."""
    import networkx as nx  # only the subgraph needs it; importing it costs a quarter second

    reaching: dict[str, int] = {}
    for lot in anomalous:
        for node_id in upstream.reaches[lot].ids:
            if node_id != lot:
                reaching[node_id] = reaching.get(node_id, 0) + 1
    members = set(reaching) | set(anomalous)
    annotations = {e for s in members for e in upstream.step_equipment.get(s, ())} | {
        m for s in members for m in upstream.material_of.get(s, ())
    }
    for node_id in annotations:
        reaching.setdefault(node_id, 0)
    members |= annotations
    graph = nx.DiGraph()
    ranks = {c.id: c.rank for c in report.candidates}
    nodes = upstream.nodes
    for node_id in sorted(members):
        node = nodes.get(node_id)
        graph.add_node(
            node_id,
            kind=node.kind.value if node is not None else "",
            name=node.name if node is not None else None,
        )
    for row in store.edge_rows_of(sorted(members), side="out", types=_DRAWN):
        if row.target in members:
            graph.add_edge(row.source, row.target, type=row.type.value)
    return Subgraph(
        nodes=[
            SubgraphNode(
                id=node_id,
                kind=data["kind"],
                name=data["name"],
                anomalous_lots=reaching.get(node_id, 0),
                rank=ranks.get(node_id),
            )
            for node_id, data in graph.nodes(data=True)
        ],
        edges=[
            SubgraphEdge(source=s, target=t, type=data["type"])
            for s, t, data in sorted(graph.edges(data=True), key=lambda e: (e[0], e[1]))
        ],
    )


def subgraph_graphml(subgraph: Subgraph) -> str:
    """The subgraph as GraphML (opens in networkx, Gephi and yEd)."""
    import networkx as nx

    graph = nx.DiGraph()
    for node in subgraph.nodes:
        attributes: dict[str, object] = {"kind": node.kind, "anomalous_lots": node.anomalous_lots}
        if node.name is not None:
            attributes["name"] = node.name
        if node.rank is not None:
            attributes["rank"] = node.rank
        graph.add_node(node.id, **attributes)
    for edge in subgraph.edges:
        graph.add_edge(edge.source, edge.target, type=edge.type)
    return "\n".join(nx.generate_graphml(graph)) + "\n"
