"""Quantity share: how much seed material is in each downstream node, through splits and merges.

The rule (architecture.md): a node's share is the quantity-weighted mean of the shares of what
flowed into it. For a process step that is ``sum(share(input) * qty(input)) / sum(qty(input))``
over *all* its inputs (unaffected inputs have share 0), and every output of the step carries that
share; a lot produced by several steps combines them weighted by the quantity each produced. Seed
lots have share 1. When any inflow of a node lacks a quantity, or its inflows are in more than one
unit (kilograms of resin and pieces of clamps cannot be added), its inflows weigh equally instead
and the share is only an estimate (the impact service lists such steps as unaccounted; the seed
quantity of ``seed_flow`` is the figure that never mixes units).

Cycles (rework loops, dirty data) stay finite: nodes are settled in topological order over the
reached subgraph; when only nodes on cycles are left, the one reached first (smallest BFS depth)
is settled with its not-yet-settled inflows counted as 0, i.e. a back edge adds no share. On an
acyclic subgraph the result is exact.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, cast

from traceapi.domain.units import same_unit


class Arrow(Protocol):
    """Anything with a source node id and a quantity: an ``Inflow``, or an ``Edge`` as is."""

    @property
    def source(self) -> str: ...

    @property
    def qty(self) -> float | None: ...

    @property
    def unit(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Inflow:
    """One weighted arrow into a node: where it came from and how much (None when unrecorded),
    in what unit."""

    source: str
    qty: float | None
    unit: str | None = None


def one_unit(inflows: Sequence[Arrow]) -> bool:
    """Whether the recorded units of ``inflows`` are one unit (unrecorded ones match any)."""
    first: str | None = None
    for flow in inflows:
        unit = flow.unit
        if unit is None or unit == first:
            continue
        if first is None:
            first = unit
        elif not same_unit(unit, first):
            return False
    return True


def weights_of(inflows: Sequence[Arrow]) -> list[float]:
    """Recorded quantities, or equal weights when any quantity is missing, all are zero, or
    they are in more than one unit."""
    if inflows and all(f.qty is not None for f in inflows) and one_unit(inflows):
        qtys = [float(f.qty or 0.0) for f in inflows]
        if sum(qtys) > 0:
            return qtys
    return [1.0] * len(inflows)


def propagate_shares(
    order: Sequence[str],
    inflows: Mapping[str, Sequence[Arrow]],
    *,
    seeds: Collection[str],
) -> dict[str, float]:
    """The share of seed material in every node of ``order`` (reached nodes, in BFS order).

    ``inflows[node]`` lists every weighted arrow into ``node``, from reached nodes or not; a
    source outside ``order`` carries share 0. A non-seed node without inflows gets share 0.
    Quantities are ``float`` (or None), as ``Edge.qty`` holds them.
    """
    seed_set = set(seeds)
    reached = set(order)
    share: dict[str, float] = {}
    # One pass in BFS order settles every node whose reached sources are settled already (on
    # a genealogy, most of them); the rest wait for their sources, as in Kahn's algorithm.
    # Which nodes can settle before a cycle must be broken does not depend on the order they
    # settle in, so the answer is the same as settling everything through the queue.
    deferred: list[str] = []
    for node in order:
        if node in seed_set:
            share[node] = 1.0
            continue
        flows = inflows.get(node)
        if not flows:
            share[node] = 0.0
            continue
        for flow in flows:
            source = flow.source
            if source not in share and source != node and source in reached:
                deferred.append(node)
                break
        else:
            share[node] = _mean_share(flows, share)
    if deferred:
        _settle(order, inflows, deferred, share, reached)
    return share


def _settle(
    order: Sequence[str],
    inflows: Mapping[str, Sequence[Arrow]],
    deferred: list[str],
    share: dict[str, float],
    reached: set[str],
) -> None:
    """Kahn's algorithm over the nodes still waiting for a source; when only nodes on cycles
    are left, the one reached first is settled with its unsettled inflows counted as 0."""
    waiting: dict[str, int] = {}
    """How many reached sources of a node are not settled yet."""
    dependants: dict[str, list[str]] = {}
    for node in deferred:
        sources = {f.source for f in inflows[node] if f.source not in share and f.source in reached}
        sources.discard(node)
        waiting[node] = len(sources)
        for source in sources:
            dependants.setdefault(source, []).append(node)
    ready = [node for node in reversed(deferred) if not waiting[node]]
    next_blocked = 0
    unsettled = len(waiting)
    while unsettled:
        if not ready:
            while order[next_blocked] in share:
                next_blocked += 1
            ready.append(order[next_blocked])  # a cycle: settle its earliest-reached node
        node = ready.pop()
        if node in share:
            continue
        share[node] = _mean_share(inflows[node], share)
        unsettled -= 1
        for dependant in dependants.get(node, ()):
            left = waiting[dependant] - 1
            waiting[dependant] = left
            if not left and dependant not in share:
                ready.append(dependant)


def _mean_share(inflows: Sequence[Arrow], share: Mapping[str, float]) -> float:
    """The inflows' shares weighed by ``weights_of``, summed in the same order (so answers do not
    change in the last bit), without building the weights twice."""
    qtys = [f.qty for f in inflows]
    if None not in qtys and one_unit(inflows):
        weights = cast(list[float], qtys)
        total = sum(weights)
        if total > 0:
            pairs = zip(inflows, weights, strict=True)
            mixed = sum([w * share.get(f.source, 0.0) for f, w in pairs])
            return min(1.0, max(0.0, mixed / total))
    mixed = sum([share.get(f.source, 0.0) for f in inflows])  # equal weights of 1.0
    return min(1.0, max(0.0, mixed / float(len(inflows))))
