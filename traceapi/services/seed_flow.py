"""How much of the seed lots, in each seed's own unit, is in every downstream lot, step and
shipment; what is still in our stock; and what cannot be attributed, and why.

The rule (one place for it): a lot's seed content leaves it in proportion to what left it, in
the lot's own unit. A lot that held ``base`` (its recorded quantity, else what its steps
produced plus what it was received as) and from which a step consumed ``q`` (same unit) passes
``q / base`` of its seed content to that step; the same for what we shipped from it (the lot, its
serialised units, containers holding them). What did not leave stays on hand. A step passes its
content to its outputs in proportion to the outputs' quantities (one output takes it all).
Quantities are never added across units: a ratio is only taken between quantities of one unit.

Where that cannot be done the seed quantity is *unaccounted*, with the reason: a lot that left
partly in a unit that cannot be reconciled with its own (its remainder cannot be split between
stock and that outflow), a step without a recorded output, a step whose outputs are in several
units or lack quantities, nodes at ``max_depth`` (where it went was not followed), and what
circulates in a loop (rework) beyond ``_ROUNDS`` passes. More taken out of a lot than it held
weighs the outflows by their total instead (the lot's stock is then negative, flagged by the
impact service). So for every seed unit: distributed (our shipments) + on hand + unaccounted =
seed, up to rounding.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from traceapi.domain.units import same_unit

UNSPECIFIED_UNIT = "unspecified"
"""Seed unit of a seed lot whose unit nobody recorded."""

_ROUNDS = 64
"""Passes over a loop (rework) before what still circulates is called unaccounted."""
_EPSILON = 1e-12

Amount = dict[str, float]
"""Seed quantity by seed unit."""


@dataclass(frozen=True, slots=True)
class Outflow:
    """Part of a lot leaving it: consumed by a step, or shipped by us."""

    target: str
    qty: float | None
    unit: str | None


@dataclass(slots=True)
class LotFlows:
    """One lot as the rule reads it: how much it held, in what unit, and what left it."""

    base: float | None
    unit: str | None
    outflows: list[Outflow] = field(default_factory=list)

    def split(self) -> tuple[list[Outflow], list[Outflow], float]:
        """Outflows in the lot's unit (with a quantity), the others, and the denominator."""
        same = [o for o in self.outflows if o.qty is not None and self.matches(o.unit)]
        other = [o for o in self.outflows if o.qty is None or not self.matches(o.unit)]
        total = sum(o.qty or 0.0 for o in same)
        denominator = total if self.base is None else max(self.base, total)
        return same, other, denominator

    def matches(self, unit: str | None) -> bool:
        return unit is None or self.unit is None or same_unit(unit, self.unit)


@dataclass(frozen=True, slots=True)
class SeedLoss:
    """Seed quantity that cannot be attributed further, where and why."""

    node: str
    amount: Amount
    reason: str


@dataclass(slots=True)
class SeedFlow:
    content: dict[str, Amount]
    """Seed quantity that reached each lot, step and shipment (all that passed through)."""
    per_lot_unit: dict[str, Amount]
    """Seed quantity in one unit of each lot (content over what the lot held)."""
    on_hand: dict[str, Amount]
    """Seed quantity still in each lot in our stock."""
    losses: list[SeedLoss]
    seed: Amount
    distributed: Amount
    """In our shipments (to our consignees)."""

    def total(self, which: str) -> Amount:
        """``on_hand`` or ``unaccounted`` summed by seed unit."""
        out: Amount = {}
        parts = (
            self.on_hand.values() if which == "on_hand" else (loss.amount for loss in self.losses)
        )
        for amount in parts:
            _add(out, amount)
        return out


def seed_amounts(seeds: Collection[str], lots: Mapping[str, LotFlows]) -> dict[str, Amount]:
    """Each seed's own quantity in its own unit: what it held, else what left it in its unit;
    an empty amount when neither is known (the seed cannot be quantified)."""
    out: dict[str, Amount] = {}
    for seed in seeds:
        flows = lots.get(seed)
        if flows is None:
            out[seed] = {}
            continue
        _, _, denominator = flows.split()
        out[seed] = {flows.unit or UNSPECIFIED_UNIT: denominator} if denominator > 0 else {}
    return out


def propagate_seed(
    order: Sequence[str],
    seeds: Mapping[str, Amount],
    lots: Mapping[str, LotFlows],
    steps: Mapping[str, list[Outflow]],
    *,
    shipments: Collection[str],
    frontier: Collection[str] = (),
) -> SeedFlow:
    """Pushes each seed's amount down the reached genealogy (``order``: reached ids in BFS
    order, used to settle nodes sources first and to break loops at the earliest-reached node).

    ``lots`` and ``steps`` give the outflows of reached lots and the outputs of reached steps;
    a target in ``shipments`` is one of our shipments (the seed there is distributed).
    """
    flow = SeedFlow(content={}, per_lot_unit={}, on_hand={}, losses=[], seed={}, distributed={})
    pending: dict[str, Amount] = {}
    for seed, amount in seeds.items():
        _add(flow.seed, amount)
        _add(pending.setdefault(seed, {}), amount)
    sequence = _settling_order(order, lots, steps)
    rank = {node: index for index, node in enumerate(sequence)}
    splits = {lot_id: flows.split() for lot_id, flows in lots.items()}
    frontier_set = set(frontier)
    dust: dict[str, Amount] = {}
    """Amounts too small to push on (what a loop returns after many rounds): kept, not lost."""
    queue: list[str] = sequence  # the first round visits everything, sources first
    for _ in range(_ROUNDS):
        for node in queue:
            if node not in pending:
                continue
            amount = pending.pop(node)
            if not any(q > _EPSILON for q in amount.values()):
                _add(dust.setdefault(node, {}), amount)
                continue
            _add(flow.content.setdefault(node, {}), amount)
            if node in frontier_set:
                flow.losses.append(
                    SeedLoss(node, amount, "at max_depth: where it went was not followed")
                )
            elif node in lots:
                _push_lot(flow, pending, node, lots[node], splits[node], amount)
            else:
                _push_step(flow, pending, node, steps.get(node, []), amount)
        for node in [n for n in pending if n in shipments]:
            amount = pending.pop(node)
            _add(flow.content.setdefault(node, {}), amount)
            _add(flow.distributed, amount)
        # Later rounds: only what a loop sent back to nodes already settled.
        queue = sorted((n for n in pending if n in rank), key=rank.__getitem__)
        if not queue:
            break
    for node, amount in dust.items():
        _add(pending.setdefault(node, {}), amount)
    for node, amount in pending.items():
        if any(q != 0.0 for q in amount.values()):
            reason = (
                "still circulating in a loop (rework)"
                if node in rank
                else "went to a node the answer does not follow"
            )
            flow.losses.append(SeedLoss(node, amount, reason))
    for lot_id, (_, _, denominator) in splits.items():
        content = flow.content.get(lot_id)
        if content and denominator > 0:
            flow.per_lot_unit[lot_id] = {u: q / denominator for u, q in content.items()}
    return flow


def _push_lot(
    flow: SeedFlow,
    pending: dict[str, Amount],
    lot_id: str,
    flows: LotFlows,
    split: tuple[list[Outflow], list[Outflow], float],
    amount: Amount,
) -> None:
    same, other, denominator = split
    if denominator <= 0:
        if other:
            flow.losses.append(SeedLoss(lot_id, amount, _unreconciled(flows, other)))
        else:
            _add(flow.on_hand.setdefault(lot_id, {}), amount)
        return
    for outflow in same:
        _add(
            pending.setdefault(outflow.target, {}),
            _scaled(amount, (outflow.qty or 0.0) / denominator),
        )
    left = 1.0 - sum(o.qty or 0.0 for o in same) / denominator
    if left <= _EPSILON:
        return
    rest = _scaled(amount, left)
    if other:
        flow.losses.append(SeedLoss(lot_id, rest, _unreconciled(flows, other)))
    else:
        _add(flow.on_hand.setdefault(lot_id, {}), rest)


def _unreconciled(flows: LotFlows, other: list[Outflow]) -> str:
    units = sorted({"no quantity" if o.qty is None else (o.unit or "no unit") for o in other})
    names = ", ".join(sorted({o.target for o in other}))
    return (
        f"part of the lot ({flows.unit or 'unit unknown'}) left in {', '.join(units)} "
        f"to {names}: units cannot be reconciled, so what is left cannot be split between "
        "stock and those outflows"
    )


def _push_step(
    flow: SeedFlow, pending: dict[str, Amount], step_id: str, outputs: list[Outflow], amount: Amount
) -> None:
    if not outputs:
        flow.losses.append(SeedLoss(step_id, amount, "no recorded output"))
        return
    if len(outputs) == 1:
        _add(pending.setdefault(outputs[0].target, {}), amount)
        return
    first = outputs[0].unit
    if all(o.qty is not None and same_unit(o.unit, first) for o in outputs):
        total = sum(o.qty or 0.0 for o in outputs)
        if total > 0:
            for output in outputs:
                share = (output.qty or 0.0) / total
                _add(pending.setdefault(output.target, {}), _scaled(amount, share))
            return
    flow.losses.append(
        SeedLoss(
            step_id,
            amount,
            "outputs in several units or without quantities: units cannot be reconciled, "
            "so the seed cannot be split among them",
        )
    )


def _settling_order(
    order: Sequence[str], lots: Mapping[str, LotFlows], steps: Mapping[str, list[Outflow]]
) -> list[str]:
    """Lots and steps sources first (Kahn's algorithm over their flows); in a loop, the
    earliest-reached node first."""
    nodes = [n for n in order if n in lots or n in steps]
    known = set(nodes)
    targets: dict[str, list[str]] = {}
    waiting: dict[str, int] = dict.fromkeys(nodes, 0)
    for node in nodes:
        outs = lots[node].outflows if node in lots else steps[node]
        mine = [o.target for o in outs if o.target in known and o.target != node]
        targets[node] = mine
        for target in mine:
            waiting[target] += 1
    rank = {node: index for index, node in enumerate(nodes)}
    ready = sorted((n for n in nodes if not waiting[n]), key=rank.__getitem__, reverse=True)
    done: set[str] = set()
    sequence: list[str] = []
    cursor = 0
    while len(sequence) < len(nodes):
        if not ready:
            while nodes[cursor] in done:
                cursor += 1
            ready.append(nodes[cursor])  # a loop: its earliest-reached node first
        node = ready.pop()
        if node in done:
            continue
        done.add(node)
        sequence.append(node)
        for target in targets[node]:
            waiting[target] -= 1
            if waiting[target] == 0 and target not in done:
                ready.append(target)
    return sequence


def _add(into: Amount, amount: Mapping[str, float]) -> None:
    for unit, qty in amount.items():
        into[unit] = into.get(unit, 0.0) + qty


def _scaled(amount: Amount, factor: float) -> Amount:
    return {unit: qty * factor for unit, qty in amount.items()}
