"""Pictures of answers: a trace, a recall impact or a root-cause neighbourhood as a layered
SVG graph, no dependencies."""

from __future__ import annotations

from traceapi.domain.results import ImpactReport, TraceReport
from traceapi.render.scene import COLUMN_CAP, MAX_NODES, impact_scene, rootcause_scene, trace_scene
from traceapi.render.svg import draw
from traceapi.services.rootcause.service import RootCauseReport
from traceapi.store.base import GraphStore


def trace_svg(
    store: GraphStore,
    report: TraceReport,
    *,
    max_nodes: int = MAX_NODES,
    column_cap: int = COLUMN_CAP,
) -> str:
    """where-used or where-from as SVG; past ``max_nodes`` each column keeps ``column_cap``."""
    return draw(trace_scene(store, report, max_nodes=max_nodes, column_cap=column_cap))


def impact_svg(
    store: GraphStore,
    report: ImpactReport,
    *,
    max_nodes: int = MAX_NODES,
    column_cap: int = COLUMN_CAP,
) -> str:
    """A recall impact as SVG, affected lots shaded by their share of the seed material."""
    return draw(impact_scene(store, report, max_nodes=max_nodes, column_cap=column_cap))


def rootcause_svg(
    store: GraphStore,
    report: RootCauseReport,
    *,
    max_nodes: int = MAX_NODES,
    column_cap: int = COLUMN_CAP,
) -> str:
    """A root-cause answer's neighbourhood (it needs ``report.subgraph``) as SVG: anomalous
    lots on the right, candidates marked by rank, significant ones in red."""
    return draw(rootcause_scene(store, report, max_nodes=max_nodes, column_cap=column_cap))


__all__ = ["impact_svg", "rootcause_svg", "trace_svg"]
