"""Quantity share: how much seed material is in each downstream node, through splits and merges.

The rule (architecture.md): a node's share is the quantity-weighted mean of the shares of what
flowed into it. For a process step that is ``sum(share(input) * qty(input)) / sum(qty(input))``
over *all* its inputs (unaffected inputs have share 0), and every output of the step carries that
share; a lot produced by several steps combines them weighted by the quantity each produced. Seed
lots have share 1. When any inflow of a node lacks a quantity, its inflows weigh equally instead
(the impact service lists such steps as unaccounted).

Cycles (rework loops, dirty data) stay finite: nodes are settled in topological order over the
reached subgraph; when only nodes on cycles are left, the one reached first (smallest BFS depth)
is settled with its not-yet-settled inflows counted as 0, i.e. a back edge adds no share. On an
acyclic subgraph the result is exact.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Inflow:
    """One weighted arrow into a node: where it came from and how much (None when unrecorded)."""

    source: str
    qty: float | None


def weights_of(inflows: Sequence[Inflow]) -> list[float]:
    """Recorded quantities, or equal weights when any quantity is missing or all are zero."""
    if inflows and all(f.qty is not None for f in inflows):
        qtys = [float(f.qty or 0.0) for f in inflows]
        if sum(qtys) > 0:
            return qtys
    return [1.0] * len(inflows)


def propagate_shares(
    order: Sequence[str],
    inflows: Mapping[str, Sequence[Inflow]],
    *,
    seeds: Collection[str],
) -> dict[str, float]:
    """The share of seed material in every node of ``order`` (reached nodes, in BFS order).

    ``inflows[node]`` lists every weighted arrow into ``node``, from reached nodes or not; a
    source outside ``order`` carries share 0. A non-seed node without inflows gets share 0.
    """
    position = {node: i for i, node in enumerate(order)}
    seed_set = set(seeds)
    waiting: dict[str, int] = {}
    dependants: dict[str, list[str]] = {}
    for node in order:
        if node in seed_set:
            waiting[node] = 0
            continue
        sources = {f.source for f in inflows.get(node, ()) if f.source in position}
        sources.discard(node)
        waiting[node] = len(sources)
        for source in sources:
            dependants.setdefault(source, []).append(node)

    share: dict[str, float] = {}
    ready = [node for node in reversed(order) if waiting[node] == 0]
    next_blocked = 0
    while len(share) < len(order):
        if not ready:
            while order[next_blocked] in share:
                next_blocked += 1
            ready.append(order[next_blocked])  # a cycle: settle its earliest-reached node
        node = ready.pop()
        if node in share:
            continue
        share[node] = 1.0 if node in seed_set else _mean_share(inflows.get(node, ()), share)
        for dependant in dependants.get(node, ()):
            waiting[dependant] -= 1
            if waiting[dependant] == 0 and dependant not in share:
                ready.append(dependant)
    return share


def _mean_share(inflows: Sequence[Inflow], share: Mapping[str, float]) -> float:
    if not inflows:
        return 0.0
    weights = weights_of(inflows)
    total = sum(weights)
    mixed = sum(w * share.get(f.source, 0.0) for f, w in zip(inflows, weights, strict=True))
    return min(1.0, max(0.0, mixed / total))
