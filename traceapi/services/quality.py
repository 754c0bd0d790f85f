"""The data-quality report: where the stored genealogy is incomplete or inconsistent, and a score.

Two streaming passes (``iter_nodes``, ``iter_edges``) fill compact arrays indexed by node number;
cycles are found by trimming sources and sinks with numpy until only nodes on cycles (or between
them) remain, then running an iterative Tarjan on that remainder. Output is bounded: each finding
carries a count and its first few examples.

Completeness score (0 to 100) = 100 x the mean of these ratios, over the checks that have
anything to check (an empty store scores 100):

* ``origin``: lots with an incoming PRODUCED or SUPPLIED edge / lots
* ``quantities``: CONSUMED_BY, PRODUCED, SHIPPED_IN edges with a quantity and a unit / all of them
* ``mass_balance``: steps without a mass-balance gap / steps whose inputs and outputs share a unit
* ``delivery``: shipments with a DELIVERED_TO edge / shipments
* ``acyclic``: nodes on flow edges that lie on no cycle and no self-loop / nodes on flow edges

A rework loop is planned, not an error: a step that consumes a lot and produces that same lot
again (``L -CONSUMED_BY-> S -PRODUCED-> L``, whatever the step is called). Such loops are
reported as ``rework_loops`` (info); ``cycles`` are the strongly connected components that
remain without those ``PRODUCED`` edges, and only they (and self-loops) count against
``acyclic``. Figures never round up to a clean result: ratios and the score are cut (floored)
to their shown precision, so a store with an error finding never shows ``acyclic 100%`` or a
score of 100 (``percent`` is how a ratio is written).
"""

from __future__ import annotations

import math
import time
from array import array
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field

from traceapi.domain.model import FLOW_EDGE_TYPES, EdgeType, NodeKind
from traceapi.domain.units import COUNTED_UNITS
from traceapi.gc_pause import collector_paused
from traceapi.store.base import GraphStore

Severity = Literal["error", "warning", "info"]

# COUNTED_UNITS (traceapi.domain.units): units of counted items; an assembly consumes several
# components per output item, so for these only an output larger than the input is a gap.
DUPLICATE_EVENTS_META = "epcis.duplicate_events"
"""Meta key under which the EPCIS loader may keep how many duplicate events it skipped."""
_TRIM_ROUNDS = 200


class Finding(BaseModel):
    code: str
    severity: Severity
    title: str
    count: int = 0
    examples: list[dict[str, Any]] = Field(default_factory=list)


class QualityReport(BaseModel):
    """What ``traceapi db check`` prints; findings with ``count`` 0 are checks that passed."""

    backend: str
    nodes: int
    edges: int
    lots: int
    score: float
    """Completeness 0-100 (formula in the module docstring and docs/csv-format.md)."""
    score_parts: dict[str, float] = Field(default_factory=dict)
    """Each applicable check's passing ratio (0-1)."""
    findings: list[Finding] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    tolerance: float
    elapsed_s: float = 0.0

    def finding(self, code: str) -> Finding:
        return next(f for f in self.findings if f.code == code)

    @property
    def problems(self) -> list[Finding]:
        return [f for f in self.findings if f.count]


_CODES: dict[str, tuple[Severity, str]] = {
    "cycles": (
        "error",
        "cycles over flow edges other than rework loops (strongly connected components > 1 node)",
    ),
    "rework_loops": ("info", "rework loops: a step that consumes a lot and produces it again"),
    "self_loops": ("error", "edges from a node to itself"),
    "shipped_lots_without_origin": ("error", "lots shipped but never produced or supplied"),
    "consumed_lots_without_origin": ("warning", "lots consumed but never produced or supplied"),
    "lots_without_origin": ("warning", "lots with no incoming PRODUCED or SUPPLIED edge"),
    "mass_balance_gaps": (
        "warning",
        "process steps whose output and input differ beyond the tolerance (same unit)",
    ),
    "steps_missing_quantities": (
        "warning",
        "process steps with an input or output edge lacking a quantity or unit",
    ),
    "steps_without_inputs": ("warning", "process steps that produced lots but consumed nothing"),
    "steps_without_outputs": ("info", "process steps that consumed lots but produced nothing"),
    "shipments_without_destination": ("warning", "shipments with no DELIVERED_TO customer"),
    "duplicate_events": ("info", "duplicate EPCIS events skipped while loading"),
}
_KINDS = list(NodeKind)
_KIND_CODE = {kind: code for code, kind in enumerate(_KINDS)}


class _Findings:
    """Counts and bounded examples per finding code."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.items = {
            code: Finding(code=code, severity=sev, title=title)
            for code, (sev, title) in _CODES.items()
        }

    def add(self, code: str, example: dict[str, Any] | None = None, *, count: int = 1) -> None:
        finding = self.items[code]
        finding.count += count
        if example is not None and len(finding.examples) < self.limit:
            finding.examples.append(example)


def check_quality(
    store: GraphStore, *, tolerance: float = 0.05, examples: int = 10
) -> QualityReport:
    """Streams the whole store once and reports gaps, inconsistencies and a completeness score.

    ``tolerance`` is the relative mass-balance gap allowed per step (0.05 = 5 %);
    ``examples`` bounds the examples listed per finding.
    """
    started = time.perf_counter()
    with collector_paused():
        report = _Check(store, tolerance=tolerance, limit=examples).run()
    report.elapsed_s = round(time.perf_counter() - started, 3)
    return report


class _Check:
    def __init__(self, store: GraphStore, *, tolerance: float, limit: int) -> None:
        self.store = store
        self.tolerance = tolerance
        self.findings = _Findings(limit)
        self.notes: list[str] = []
        self.ids: list[str] = []
        self.index: dict[str, int] = {}
        self.kinds = bytearray()

    def run(self) -> QualityReport:
        for node in self.store.iter_nodes():
            self.index[node.id] = len(self.ids)
            self.ids.append(node.id)
            self.kinds.append(_KIND_CODE[node.kind])
        n = len(self.ids)
        kinds = np.frombuffer(bytes(self.kinds), dtype=np.uint8) if n else np.zeros(0, np.uint8)
        is_lot = kinds == _KIND_CODE[NodeKind.LOT]
        edges = self._scan_edges(n)
        parts: dict[str, tuple[int, int]] = {}

        has_origin, consumed, shipped, delivered = (
            edges["has_origin"],
            edges["consumed"],
            edges["shipped"],
            edges["delivered"],
        )
        no_origin = is_lot & ~has_origin
        self._examples_of("lots_without_origin", no_origin)
        self._examples_of("consumed_lots_without_origin", no_origin & consumed)
        self._examples_of("shipped_lots_without_origin", no_origin & shipped)
        lots = int(is_lot.sum())
        parts["origin"] = (lots - int(no_origin.sum()), lots)

        is_shipment = kinds == _KIND_CODE[NodeKind.SHIPMENT]
        self._examples_of("shipments_without_destination", is_shipment & ~delivered)
        shipments = int(is_shipment.sum())
        parts["delivery"] = (shipments - int((is_shipment & ~delivered).sum()), shipments)

        with_qty, qty_edges = edges["quantified"]
        parts["quantities"] = (with_qty, qty_edges)
        parts["mass_balance"] = self._mass_balance(
            edges["inputs"], edges["outputs"], edges["missing"]
        )

        rework = self._rework(edges)
        keep = ~rework
        in_cycles = self._cycles(n, edges["src"][keep], edges["dst"][keep])
        on_flow = np.zeros(n, dtype=bool)
        on_flow[edges["src"]] = True
        on_flow[edges["dst"]] = True
        on_flow |= edges["looped"]
        bad = in_cycles | edges["looped"]
        flow_nodes = int(on_flow.sum())
        parts["acyclic"] = (flow_nodes - int((bad & on_flow).sum()), flow_nodes)

        self._duplicate_events()
        score_parts = {name: ok / total for name, (ok, total) in parts.items() if total}
        score = 100.0 * sum(score_parts.values()) / len(score_parts) if score_parts else 100.0
        return QualityReport(
            backend=self.store.backend,
            nodes=n,
            edges=edges["count"],
            lots=lots,
            score=_cut(score, 1),
            score_parts={k: _cut(v, 4) for k, v in score_parts.items()},
            findings=list(self.findings.items.values()),
            notes=self.notes,
            tolerance=self.tolerance,
        )

    # -- the edge pass --------------------------------------------------------------------
    def _scan_edges(self, n: int) -> dict[str, Any]:
        index = self.index
        ids = self.ids
        src, dst = array("i"), array("i")
        consumed_pairs, produced_pairs, produced_at = array("q"), array("q"), array("q")
        has_origin = np.zeros(n, dtype=bool)
        consumed = np.zeros(n, dtype=bool)
        shipped = np.zeros(n, dtype=bool)
        delivered = np.zeros(n, dtype=bool)
        looped = np.zeros(n, dtype=bool)
        inputs: dict[tuple[int, str], float] = {}
        outputs: dict[tuple[int, str], float] = {}
        missing: dict[int, int] = {}
        origin_types = (EdgeType.PRODUCED, EdgeType.SUPPLIED)
        quantified_types = (EdgeType.CONSUMED_BY, EdgeType.PRODUCED, EdgeType.SHIPPED_IN)
        with_qty = qty_edges = count = 0
        for edge in self.store.iter_edges():
            count += 1
            s = index[edge.source]
            t = index[edge.target]
            edge_type = edge.type
            if s == t:
                looped[s] = True
                self.findings.add("self_loops", {"node": ids[s], "type": edge_type.value})
                continue
            if edge_type in FLOW_EDGE_TYPES:
                if edge_type is EdgeType.CONSUMED_BY:
                    consumed_pairs.append(s * n + t)
                elif edge_type is EdgeType.PRODUCED:
                    produced_at.append(len(src))
                    produced_pairs.append(t * n + s)  # (lot, step), as consumed_pairs are
                src.append(s)
                dst.append(t)
            if edge_type in origin_types:
                has_origin[t] = True
            elif edge_type is EdgeType.DELIVERED_TO:
                delivered[s] = True
            elif edge_type is EdgeType.SHIPPED_IN:
                shipped[s] = True
            if edge_type in quantified_types:
                qty_edges += 1
                known = edge.qty is not None and edge.unit is not None
                with_qty += known
                if edge_type is EdgeType.SHIPPED_IN:
                    continue
                consumed_edge = edge_type is EdgeType.CONSUMED_BY
                step = t if consumed_edge else s
                if consumed_edge:
                    consumed[s] = True
                if not known:
                    missing[step] = missing.get(step, 0) + 1
                    key = (step, "")
                else:
                    key = (step, edge.unit or "")
                sums = inputs if consumed_edge else outputs
                sums[key] = sums.get(key, 0.0) + (edge.qty or 0.0)
        return {
            "src": np.frombuffer(src, dtype=np.int32) if src else np.zeros(0, np.int32),
            "dst": np.frombuffer(dst, dtype=np.int32) if dst else np.zeros(0, np.int32),
            "has_origin": has_origin,
            "consumed": consumed,
            "shipped": shipped,
            "delivered": delivered,
            "looped": looped,
            "inputs": inputs,
            "outputs": outputs,
            "missing": missing,
            "quantified": (with_qty, qty_edges),
            "count": count,
            "consumed_pairs": np.frombuffer(consumed_pairs, dtype=np.int64),
            "produced_pairs": np.frombuffer(produced_pairs, dtype=np.int64),
            "produced_at": np.frombuffer(produced_at, dtype=np.int64),
        }

    def _rework(self, edges: dict[str, Any]) -> np.ndarray:
        """Marks the flow edges that close a rework loop (``S -PRODUCED-> L`` where ``L
        -CONSUMED_BY-> S``) and reports each loop as ``rework_loops``."""
        rework = np.zeros(len(edges["src"]), dtype=bool)
        produced = edges["produced_pairs"]
        if not produced.size or not edges["consumed_pairs"].size:
            self.findings.add("rework_loops", count=0)
            return rework
        closing = np.isin(produced, edges["consumed_pairs"])
        positions = edges["produced_at"][closing]
        rework[positions] = True
        self.findings.add("rework_loops", count=int(positions.size))
        n = len(self.ids)
        for pair in produced[closing][: self.findings.limit].tolist():
            lot, step = divmod(int(pair), n)
            self.findings.items["rework_loops"].examples.append(
                {"id": self.ids[step], "lot": self.ids[lot]}
            )
        return rework

    def _examples_of(self, code: str, mask: np.ndarray) -> None:
        hits = np.flatnonzero(mask)
        self.findings.add(code, count=int(hits.size))
        for i in hits[: self.findings.limit]:
            self.findings.items[code].examples.append({"id": self.ids[int(i)]})

    # -- mass balance ---------------------------------------------------------------------
    def _mass_balance(
        self,
        inputs: dict[tuple[int, str], float],
        outputs: dict[tuple[int, str], float],
        missing: dict[int, int],
    ) -> tuple[int, int]:
        by_step_in: dict[int, dict[str, float]] = {}
        for (step, unit), qty in inputs.items():
            by_step_in.setdefault(step, {})[unit] = qty
        by_step_out: dict[int, dict[str, float]] = {}
        for (step, unit), qty in outputs.items():
            by_step_out.setdefault(step, {})[unit] = qty
        for step in sorted(set(by_step_out) - set(by_step_in)):
            self.findings.add("steps_without_inputs", {"id": self.ids[step]})
        for step in sorted(set(by_step_in) - set(by_step_out)):
            self.findings.add("steps_without_outputs", {"id": self.ids[step]})
        for step in sorted(missing):
            self.findings.add(
                "steps_missing_quantities",
                {"id": self.ids[step], "edges_without_quantity": missing[step]},
            )
        comparable = balanced = 0
        tolerance = self.tolerance
        for step in sorted(set(by_step_in) & set(by_step_out)):
            ins, outs = by_step_in[step], by_step_out[step]
            shared = [u for u in ins if u and u in outs]
            if not shared:
                continue
            comparable += 1
            gaps = []
            for unit in sorted(shared):
                qty_in, qty_out = ins[unit], outs[unit]
                surplus = qty_out > qty_in * (1 + tolerance) + 1e-9
                loss = unit not in COUNTED_UNITS and qty_in > qty_out * (1 + tolerance) + 1e-9
                if surplus or loss:
                    biggest = max(qty_in, qty_out)
                    gaps.append(
                        {
                            "unit": unit,
                            "input": qty_in,
                            "output": qty_out,
                            "gap": round((qty_out - qty_in) / biggest, 4),
                        }
                    )
            if gaps:
                self.findings.add("mass_balance_gaps", {"id": self.ids[step], "gaps": gaps})
            else:
                balanced += 1
        return balanced, comparable

    # -- cycles ---------------------------------------------------------------------------
    def _cycles(self, n: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
        """Marks nodes on cycles; reports each strongly connected component of > 1 node."""
        alive = np.ones(n, dtype=bool)
        for _ in range(_TRIM_ROUNDS):
            keep = alive[src] & alive[dst]
            src, dst = src[keep], dst[keep]
            if src.size == 0:
                return np.zeros(n, dtype=bool)
            has_in = np.bincount(dst, minlength=n) > 0
            has_out = np.bincount(src, minlength=n) > 0
            trimmed = alive & has_in & has_out
            if int(trimmed.sum()) == int(alive.sum()):
                break
            alive = trimmed
        keep = alive[src] & alive[dst]
        src, dst = src[keep], dst[keep]
        in_cycles = np.zeros(n, dtype=bool)
        for component in _strongly_connected(src, dst):
            if len(component) < 2:
                continue
            in_cycles[component] = True
            members = sorted(self.ids[i] for i in component)
            self.findings.add("cycles", {"size": len(component), "nodes": members[:10]})
        return in_cycles

    def _duplicate_events(self) -> None:
        recorded = self.store.get_meta(DUPLICATE_EVENTS_META)
        if recorded is None:
            self.notes.append(
                "duplicate events: none recorded (the EPCIS loader keeps the count "
                f"under meta {DUPLICATE_EVENTS_META!r} when it skips any)"
            )
            return
        try:
            self.findings.add("duplicate_events", count=int(recorded))
        except ValueError:
            self.notes.append(f"meta {DUPLICATE_EVENTS_META!r} holds {recorded!r}, not a count")


def _cut(value: float, places: int) -> float:
    """``value`` floored to ``places`` decimals: below 1 (or 100) never shows as 1 (or 100)."""
    factor = 10**places
    return float(math.floor(value * factor + 1e-9) / factor)


def percent(ratio: float) -> str:
    """A ratio as people read it: ``100%`` only when nothing failed, else floored to 0.1 %."""
    if ratio >= 1.0:
        return "100%"
    return f"{math.floor(ratio * 1000) / 10:.1f}%"


def _strongly_connected(src: np.ndarray, dst: np.ndarray) -> list[list[int]]:
    """Tarjan's algorithm without recursion over the given edges (node numbers as in src/dst)."""
    if src.size == 0:
        return []
    order = np.argsort(src, kind="stable")
    src_sorted, dst_sorted = src[order], dst[order]
    nodes = np.unique(np.concatenate([src, dst]))
    starts = np.searchsorted(src_sorted, nodes, side="left")
    ends = np.searchsorted(src_sorted, nodes, side="right")
    span = {int(v): (int(a), int(b)) for v, a, b in zip(nodes, starts, ends, strict=True)}
    targets = dst_sorted.tolist()
    number: dict[int, int] = {}
    low: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[int] = []
    components: list[list[int]] = []
    counter = 0
    for root in span:
        if root in number:
            continue
        work = [(root, span[root][0])]
        number[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, position = work[-1]
            end = span[node][1]
            if position < end:
                work[-1] = (node, position + 1)
                nxt = targets[position]
                if nxt not in number:
                    number[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, span[nxt][0]))
                elif nxt in on_stack:
                    low[node] = min(low[node], number[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == number[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
    return components
