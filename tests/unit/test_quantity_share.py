"""Quantity share propagation: hand-computed splits and merges, and properties on random graphs."""

from __future__ import annotations

import math
import random

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from traceapi.services.quantity_share import Inflow, propagate_shares, weights_of


def _inflows(edges: list[tuple[str, str, float | None]]) -> dict[str, list[Inflow]]:
    inflows: dict[str, list[Inflow]] = {}
    for source, target, qty in edges:
        inflows.setdefault(target, []).append(Inflow(source, qty))
    return inflows


def test_split_and_merge_by_hand() -> None:
    # seed R (30 kg) and clean C (10 kg) blend in S1 into B; B splits with S2 into X and Y;
    # X (4) and another clean lot D (4) merge in S3 into Z.
    edges = [
        ("R", "S1", 30.0),
        ("C", "S1", 10.0),
        ("S1", "B", 40.0),
        ("B", "S2", 40.0),
        ("S2", "X", 4.0),
        ("S2", "Y", 36.0),
        ("X", "S3", 4.0),
        ("D", "S3", 4.0),
        ("S3", "Z", 8.0),
    ]
    order = ["R", "S1", "B", "S2", "X", "Y", "S3", "Z"]
    share = propagate_shares(order, _inflows(edges), seeds={"R"})
    assert share["R"] == 1.0
    assert share["S1"] == pytest.approx(0.75)
    assert share["B"] == pytest.approx(0.75)
    assert share["X"] == pytest.approx(0.75) and share["Y"] == pytest.approx(0.75)
    assert share["Z"] == pytest.approx(0.375)
    assert set(share) == set(order)


def test_lot_made_by_two_steps_combines_by_produced_quantity() -> None:
    # L is produced 10 by S1 (all seed) and 30 by S2 (no seed): a quarter of it is seed material.
    edges = [("R", "S1", 5.0), ("S1", "L", 10.0), ("K", "S2", 5.0), ("S2", "L", 30.0)]
    share = propagate_shares(["R", "S1", "L"], _inflows(edges), seeds={"R"})
    assert share["L"] == pytest.approx(0.25)


def test_missing_quantity_weighs_inputs_equally() -> None:
    edges = [("R", "S", None), ("A", "S", 3.0), ("B", "S", 5.0), ("S", "L", 8.0)]
    share = propagate_shares(["R", "S", "L"], _inflows(edges), seeds={"R"})
    assert share["S"] == pytest.approx(1 / 3)
    assert weights_of([Inflow("a", None), Inflow("b", 2.0)]) == [1.0, 1.0]
    assert weights_of([Inflow("a", 0.0), Inflow("b", 0.0)]) == [1.0, 1.0]


def test_inputs_in_several_units_are_not_added() -> None:
    """40 kg of seed resin and 60 pcs of clean clamps into one step: 40 / (40 + 60) would add
    kilograms to pieces, so the inputs weigh equally (1/2); one unit in two spellings (KGM and
    kg) is one unit, weighed by quantity (40 / 100)."""
    mixed = {"S": [Inflow("R", 40.0, "kg"), Inflow("C", 60.0, "pcs")], "L": [Inflow("S", 1.0)]}
    assert propagate_shares(["R", "S", "L"], mixed, seeds={"R"})["L"] == pytest.approx(0.5)
    assert weights_of(mixed["S"]) == [1.0, 1.0]
    spelled = {"S": [Inflow("R", 40.0, "KGM"), Inflow("C", 60.0, "kg")], "L": [Inflow("S", 1.0)]}
    assert propagate_shares(["R", "S", "L"], spelled, seeds={"R"})["L"] == pytest.approx(0.4)
    assert weights_of(spelled["S"]) == [40.0, 60.0]


def test_rework_loop_stays_finite_and_back_edge_adds_nothing() -> None:
    # R -> S1 -> L1 -> S2 -> L2 -> S1 (rework back into S1), with weights 1 each.
    edges = [
        ("R", "S1", 1.0),
        ("L2", "S1", 1.0),
        ("S1", "L1", 1.0),
        ("L1", "S2", 1.0),
        ("S2", "L2", 1.0),
    ]
    order = ["R", "S1", "L1", "S2", "L2"]
    share = propagate_shares(order, _inflows(edges), seeds={"R"})
    # S1 is settled first with the back edge from L2 counted as 0: (1*1 + 0*1) / 2.
    assert share["S1"] == pytest.approx(0.5)
    assert share["L2"] == pytest.approx(0.5)


def test_several_seeds_share_one() -> None:
    edges = [("A", "S", 1.0), ("B", "S", 1.0), ("C", "S", 2.0), ("S", "L", 4.0)]
    share = propagate_shares(["A", "B", "S", "L"], _inflows(edges), seeds={"A", "B"})
    assert share["L"] == pytest.approx(0.5)


@st.composite
def _graphs(draw: st.DrawFn) -> tuple[list[str], list[tuple[str, str, float | None]], set[str]]:
    size = draw(st.integers(min_value=2, max_value=25))
    nodes = [f"n{i}" for i in range(size)]
    pairs = draw(
        st.lists(
            st.tuples(st.integers(0, size - 1), st.integers(0, size - 1)),
            max_size=size * 3,
        )
    )
    qty = st.one_of(st.none(), st.floats(min_value=0, max_value=1e6, allow_nan=False))
    edges = [(nodes[a], nodes[b], draw(qty)) for a, b in pairs if a != b]
    seeds = set(draw(st.lists(st.sampled_from(nodes), min_size=1, max_size=3)))
    return nodes, edges, seeds


def _bfs_order(nodes: list[str], edges: list[tuple[str, str, float | None]], seeds: set[str]):
    graph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from((a, b) for a, b, _ in edges)
    depth = nx.multi_source_dijkstra_path_length(graph, seeds)
    return graph, sorted(depth, key=lambda n: (depth[n], n))


@settings(max_examples=150, deadline=None)
@given(_graphs())
def test_shares_stay_between_zero_and_one(graph: tuple) -> None:
    nodes, edges, seeds = graph
    _, order = _bfs_order(nodes, edges, seeds)
    share = propagate_shares(order, _inflows(edges), seeds=seeds)
    assert set(share) == set(order)
    assert all(0.0 <= value <= 1.0 for value in share.values())
    assert all(share[s] == 1.0 for s in seeds)


@settings(max_examples=150, deadline=None)
@given(_graphs())
def test_acyclic_shares_solve_the_mixing_equations(graph: tuple) -> None:
    """On a DAG each non-seed node's share is the weighted mean of what flows into it."""
    nodes, edges, seeds = graph
    edges = [(a, b, q) for a, b, q in edges if int(a[1:]) < int(b[1:])]  # acyclic
    _, order = _bfs_order(nodes, edges, seeds)
    inflows = _inflows(edges)
    share = propagate_shares(order, inflows, seeds=seeds)
    for node in order:
        if node in seeds:
            continue
        arrows = inflows.get(node, [])
        weights = weights_of(arrows)
        expected = (
            sum(w * share.get(f.source, 0.0) for f, w in zip(arrows, weights, strict=True))
            / sum(weights)
            if arrows
            else 0.0
        )
        assert math.isclose(share[node], expected, rel_tol=1e-9, abs_tol=1e-12)


@settings(max_examples=50, deadline=None)
@given(
    st.integers(min_value=1, max_value=40),
    st.lists(st.floats(min_value=0.001, max_value=1e6), min_size=40, max_size=40),
)
def test_pure_chain_keeps_share_one(length: int, qtys: list[float]) -> None:
    order = [f"n{i}" for i in range(length + 1)]
    edges = [(order[i], order[i + 1], qtys[i]) for i in range(length)]
    share = propagate_shares(order, _inflows(edges), seeds={"n0"})
    assert all(value == pytest.approx(1.0) for value in share.values())


def _plain_kahn(
    order: list[str], inflows: dict[str, list[Inflow]], seeds: set[str]
) -> dict[str, float]:
    """The rule settled the straightforward way: every node through one Kahn queue, the
    earliest-reached node of a cycle first, each mean computed from ``weights_of``."""
    reached = set(order)
    waiting: dict[str, int] = {}
    dependants: dict[str, list[str]] = {}
    for node in order:
        sources = set() if node in seeds else {f.source for f in inflows.get(node, [])}
        sources = (sources & reached) - {node}
        waiting[node] = len(sources)
        for source in sources:
            dependants.setdefault(source, []).append(node)
    share: dict[str, float] = {}
    ready = [node for node in reversed(order) if waiting[node] == 0]
    blocked = iter(order)
    while len(share) < len(order):
        if not ready:
            ready.append(next(node for node in blocked if node not in share))
        node = ready.pop()
        if node in share:
            continue
        arrows = inflows.get(node, [])
        if node in seeds:
            share[node] = 1.0
        elif not arrows:
            share[node] = 0.0
        else:
            weights = weights_of(arrows)
            mixed = sum(w * share.get(f.source, 0.0) for f, w in zip(arrows, weights, strict=True))
            share[node] = min(1.0, max(0.0, mixed / sum(weights)))
        for dependant in dependants.get(node, []):
            waiting[dependant] -= 1
            if waiting[dependant] == 0 and dependant not in share:
                ready.append(dependant)
    return share


@settings(max_examples=300, deadline=None)
@given(_graphs(), st.lists(st.integers(0, 24), max_size=4), st.randoms(use_true_random=False))
def test_shares_equal_plain_kahn_bit_for_bit(
    graph: tuple, loops: list[int], rng: random.Random
) -> None:
    """The one-pass shortcut settles every node to exactly the value the plain algorithm does,
    rework loops, self-loops and any visiting order included."""
    nodes, edges, seeds = graph
    edges = edges + [(nodes[i % len(nodes)], nodes[i % len(nodes)], 1.0) for i in loops]
    _, order = _bfs_order(nodes, edges, seeds)
    shuffled = list(order)
    rng.shuffle(shuffled)
    for visiting in (order, shuffled):
        inflows = _inflows(edges)
        assert propagate_shares(visiting, inflows, seeds=seeds) == _plain_kahn(
            visiting, inflows, seeds
        )
