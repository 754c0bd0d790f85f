"""Seed quantity through same-unit ratios: small cases worked out by hand, and the property that
nothing is made or lost, distributed + on hand + unaccounted = seed, on random single-unit
genealogies (with merges, splits, over-consumption, steps without outputs, rework loops and
onward shipments), both on ``propagate_seed`` and through ``recall_impact`` on a store."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from traceapi.domain.model import Batch, Edge, EdgeType, Node, NodeKind
from traceapi.services.impact import recall_impact
from traceapi.services.seed_flow import LotFlows, Outflow, propagate_seed, seed_amounts
from traceapi.store.embedded import EmbeddedStore


def test_a_split_and_a_merge_by_hand() -> None:
    """A (10 kg) -> P 4 kg, Q 6 kg; P -> B; Q -> C 3 kg + D 1 kg (by output quantity); B
    shipped 2 of 4 kg in SH. A: 4 to P, 6 to Q; B 4 kg content in 4 kg: 2 to SH, 2 on hand;
    C gets 6 x 3/4 = 4.5, D 1.5 (both on hand, nothing left them)."""
    lots = {
        "A": LotFlows(10.0, "kg", [Outflow("P", 4.0, "kg"), Outflow("Q", 6.0, "kg")]),
        "B": LotFlows(4.0, "kg", [Outflow("SH", 2.0, "kg")]),
        "C": LotFlows(3.0, "kg"),
        "D": LotFlows(1.0, "kg"),
    }
    steps = {
        "P": [Outflow("B", 4.0, "kg")],
        "Q": [Outflow("C", 3.0, "kg"), Outflow("D", 1.0, "kg")],
    }
    order = ["A", "P", "Q", "B", "C", "D", "SH"]
    flow = propagate_seed(order, seed_amounts(["A"], lots), lots, steps, shipments={"SH"})
    assert flow.seed == {"kg": 10.0}
    assert flow.distributed == pytest.approx({"kg": 2.0})
    on_hand = {lot: amount["kg"] for lot, amount in flow.on_hand.items()}
    assert on_hand == pytest.approx({"B": 2.0, "C": 4.5, "D": 1.5})
    assert flow.losses == []
    assert flow.per_lot_unit["B"] == pytest.approx({"kg": 1.0})


def test_a_rework_loop_returns_its_share_and_ends() -> None:
    """L (100 pcs made by M, 100 by its rework R) goes half to R, half to shipment S; R
    puts all back into L. Settled round by round: 1/2 + 1/4 + ... of the seed reaches S."""
    lots = {"L": LotFlows(200.0, "pcs", [Outflow("R", 100.0, "pcs"), Outflow("S", 100.0, "pcs")])}
    steps = {"R": [Outflow("L", 100.0, "pcs")]}
    flow = propagate_seed(["L", "R", "S"], {"L": {"pcs": 200.0}}, lots, steps, shipments={"S"})
    lost = sum(loss.amount["pcs"] for loss in flow.losses)
    assert flow.distributed["pcs"] + lost == pytest.approx(200.0)
    assert flow.distributed["pcs"] == pytest.approx(200.0)  # 2^-64 of it still circulates


def test_units_that_cannot_be_reconciled_are_said_so() -> None:
    lots = {"A": LotFlows(10.0, "kg", [Outflow("P", 4.0, "kg"), Outflow("Q", 3.0, "m")])}
    steps = {"P": [], "Q": [Outflow("X", 1.0, "pcs")]}
    flow = propagate_seed(["A", "P", "Q", "X"], {"A": {"kg": 10.0}}, lots, steps, shipments=())
    reasons = {loss.node: (loss.amount, loss.reason) for loss in flow.losses}
    assert reasons["P"] == ({"kg": 4.0}, "no recorded output")
    assert reasons["A"][0] == pytest.approx({"kg": 6.0})
    assert "units cannot be reconciled" in reasons["A"][1]
    assert "Q" not in flow.content  # the outflow in metres is never weighed against kilograms


@st.composite
def genealogies(
    draw: st.DrawFn,
) -> tuple[
    int, int, list[tuple[int, int, float]], list[tuple[int, int, float]], list[float | None]
]:
    """Lots 0..n-1 and steps 0..m-1: (lot, step, qty) consumptions, (step, lot, qty) outputs
    (any lot, so merges and loops happen), and each lot's recorded quantity or None."""
    n = draw(st.integers(min_value=1, max_value=9))
    m = draw(st.integers(min_value=0, max_value=7))
    qty = st.floats(min_value=0.5, max_value=500.0, allow_nan=False)
    consumed = draw(
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, max(0, m - 1)), qty), max_size=12)
        if m
        else st.just([])
    )
    produced = draw(
        st.lists(st.tuples(st.integers(0, max(0, m - 1)), st.integers(0, n - 1), qty), max_size=12)
        if m
        else st.just([])
    )
    bases = draw(st.lists(st.one_of(st.none(), qty), min_size=n, max_size=n))
    return n, m, consumed, produced, bases


@given(genealogies(), st.lists(st.tuples(st.integers(0, 8), st.floats(0.5, 300.0)), max_size=6))
@settings(max_examples=300, deadline=None)
def test_propagation_conserves_the_seed(
    genealogy: tuple[int, int, list, list, list], shipped: list[tuple[int, float]]
) -> None:
    n, m, consumed, produced, bases = genealogy
    lots = {f"L{i}": LotFlows(bases[i], "kg") for i in range(n)}
    steps: dict[str, list[Outflow]] = {f"P{j}": [] for j in range(m)}
    seen: set[tuple[str, str]] = set()
    for lot, step, q in consumed:
        if (f"L{lot}", f"P{step}") not in seen:
            seen.add((f"L{lot}", f"P{step}"))
            lots[f"L{lot}"].outflows.append(Outflow(f"P{step}", q, "kg"))
    for step, lot, q in produced:
        if (f"P{step}", f"L{lot}") not in seen:
            seen.add((f"P{step}", f"L{lot}"))
            steps[f"P{step}"].append(Outflow(f"L{lot}", q, "kg"))
    shipments = set()
    for index, (lot, q) in enumerate(shipped):
        if lot < n:
            lots[f"L{lot}"].outflows.append(Outflow(f"S{index}", q, "kg"))
            shipments.add(f"S{index}")
    order = [*lots, *steps, *sorted(shipments)]
    seeds = seed_amounts(["L0"], lots)
    flow = propagate_seed(order, seeds, lots, steps, shipments=shipments)
    seed = flow.seed.get("kg", 0.0)
    total = (
        flow.distributed.get("kg", 0.0)
        + flow.total("on_hand").get("kg", 0.0)
        + flow.total("unaccounted").get("kg", 0.0)
    )
    assert total == pytest.approx(seed, rel=1e-9, abs=1e-9)
    assert all(q >= -1e-9 for amount in flow.on_hand.values() for q in amount.values())


@given(genealogies(), st.lists(st.tuples(st.integers(0, 8), st.floats(0.5, 300.0)), max_size=5))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_recall_impact_conserves_the_seed_on_a_store(
    genealogy: tuple[int, int, list, list, list], shipped: list[tuple[int, float]]
) -> None:
    """The same through the whole answer: lots, steps, our shipments to a distributor, its
    onward shipments to a hospital (which move seed between holders, not out of the balance)."""
    n, m, consumed, produced, bases = genealogy
    nodes = [
        Node(
            id=f"L{i}",
            kind=NodeKind.LOT,
            props={"unit": "kg", **({} if bases[i] is None else {"quantity": bases[i]})},
        )
        for i in range(n)
    ]
    nodes += [Node(id=f"P{j}", kind=NodeKind.PROCESS_STEP) for j in range(m)]
    nodes += [Node(id="DIST", kind=NodeKind.CUSTOMER), Node(id="HOSP", kind=NodeKind.CUSTOMER)]
    edges = [
        Edge(source=f"L{a}", target=f"P{b}", type=EdgeType.CONSUMED_BY, qty=q, unit="kg")
        for a, b, q in consumed
    ]
    edges += [
        Edge(source=f"P{a}", target=f"L{b}", type=EdgeType.PRODUCED, qty=q, unit="kg")
        for a, b, q in produced
    ]
    for index, (lot, q) in enumerate(shipped):
        if lot >= n:
            continue
        ours, onward = f"S{index}", f"O{index}"
        nodes += [Node(id=ours, kind=NodeKind.SHIPMENT), Node(id=onward, kind=NodeKind.SHIPMENT)]
        edges += [
            Edge(source=f"L{lot}", target=ours, type=EdgeType.SHIPPED_IN, qty=q, unit="kg"),
            Edge(source=ours, target="DIST", type=EdgeType.DELIVERED_TO),
            Edge(source=f"L{lot}", target=onward, type=EdgeType.SHIPPED_IN, qty=q / 2, unit="kg"),
            Edge(source=onward, target="DIST", type=EdgeType.SHIPPED_FROM),
            Edge(source=onward, target="HOSP", type=EdgeType.DELIVERED_TO),
        ]
    unique = {e.key: e for e in edges}
    with tempfile.TemporaryDirectory() as tmp:
        store = EmbeddedStore(Path(tmp) / "s.sqlite")
        try:
            store.apply_batch(Batch(nodes=nodes, edges=list(unique.values()), source="prop"))
            report = recall_impact(store, lot_ids=["L0"])
        finally:
            store.close()
    balance = report.summary.seed_balance.get("kg")
    if balance is None:  # L0 holds nothing known and nothing left it: no seed quantity
        assert report.summary.seed_balance == {}
        return
    parts = balance["distributed"] + balance["on_hand"] + balance["unaccounted"]
    assert parts == pytest.approx(balance["seed"], rel=1e-9, abs=1e-9)
    held = sum(h.seed_quantity.get("kg", 0.0) for h in report.stock_in_distribution)
    assert held == pytest.approx(balance["distributed"], rel=1e-9, abs=1e-9)
