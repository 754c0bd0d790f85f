"""Layering and ordering of pictures: pure functions, checked by examples and properties."""

from __future__ import annotations

import random
from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from traceapi.render.layout import Columns, Slot, columns_of, move_to_layers, order_columns


def _crossings(columns: Columns, edges: list[tuple[str, str]]) -> int:
    """Crossings between edges joining neighbouring columns."""
    where = {n: (c, row) for c, ids in enumerate(columns.ids) for row, n in enumerate(ids)}
    spans = []
    for a, b in edges:
        (ca, ra), (cb, rb) = where[a], where[b]
        if abs(ca - cb) == 1:
            spans.append((min(ca, cb), ra if ca < cb else rb, rb if ca < cb else ra))
    return sum(
        1
        for (c1, a1, b1), (c2, a2, b2) in combinations(spans, 2)
        if c1 == c2 and (a1 - a2) * (b1 - b2) < 0
    )


def test_columns_follow_layers_and_rank() -> None:
    slots = [Slot("b", 2, (1,)), Slot("a", 0, (0,)), Slot("c", 2, (0,)), Slot("d", -1, (0,))]
    columns = columns_of(slots, max_nodes=10, column_cap=1)
    assert columns.layers == [-1, 0, 2]
    assert columns.ids == [["d"], ["a"], ["c", "b"]]
    assert columns.hidden == [0, 0, 0]


def test_columns_are_cut_only_past_max_nodes() -> None:
    slots = [Slot(f"n{i:02d}", i % 2, (i,)) for i in range(9)]
    cut = columns_of(slots, max_nodes=8, column_cap=2)
    assert cut.ids == [["n00", "n02"], ["n01", "n03"]]
    assert cut.hidden == [3, 2] and cut.hidden_total == 5
    assert columns_of(slots, max_nodes=9, column_cap=2).hidden_total == 0


def test_moving_nodes_to_other_layers_keeps_the_counts_of_the_rest() -> None:
    slots = [Slot(f"a{i}", 0, (i,)) for i in range(4)] + [Slot("s", 1, (0,))]
    cut = columns_of(slots, max_nodes=3, column_cap=2)
    assert cut.ids == [["a0", "a1"], ["s"]] and cut.hidden == [2, 0]
    moved = move_to_layers(cut, {"s": -1})
    assert moved.layers == [-1, 0]
    assert moved.ids == [["s"], ["a0", "a1"]]
    assert moved.hidden == [0, 2]


def test_sweeps_untangle_a_crossed_pair() -> None:
    columns = columns_of(
        [Slot("a", 0, (0,)), Slot("b", 0, (1,)), Slot("x", 1, (0,)), Slot("y", 1, (1,))],
        max_nodes=10,
        column_cap=10,
    )
    edges = [("a", "y"), ("b", "x")]
    assert _crossings(columns, edges) == 1
    ordered = order_columns(columns, edges)
    assert _crossings(ordered, edges) == 0
    assert ordered.ids[0] == ["a", "b"]  # the first column keeps its order


def test_anchored_nodes_follow_their_anchor() -> None:
    slots = [
        Slot("s1", 0, (0,)),
        Slot("s2", 0, (1,)),
        Slot("eq", 0, (2,), anchor="s1"),
        Slot("t1", 1, (1,)),
        Slot("t2", 1, (0,)),
    ]
    columns = columns_of(slots, max_nodes=10, column_cap=10)
    ordered = order_columns(columns, [("s1", "t1"), ("s2", "t2"), ("s1", "eq")])
    first = ordered.ids[0]
    assert first.index("eq") == first.index("s1") + 1


graphs = st.integers(min_value=1, max_value=30).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(min_value=0, max_value=5), min_size=n, max_size=n),
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=60),
        st.integers(min_value=1, max_value=40),
        st.integers(min_value=1, max_value=6),
        st.randoms(use_true_random=False),
    )
)


@settings(max_examples=150, deadline=None)
@given(graphs)
def test_layout_keeps_every_node_once_and_ignores_input_order(
    graph: tuple[list[int], list[tuple[int, int]], int, int, random.Random],
) -> None:
    layers, pairs, max_nodes, cap, rnd = graph
    slots = [Slot(f"n{i}", layer, (i % 3,)) for i, layer in enumerate(layers)]
    edges = [(f"n{a}", f"n{b}") for a, b in pairs]
    columns = order_columns(columns_of(slots, max_nodes=max_nodes, column_cap=cap), edges)

    shuffled = slots[:]
    rnd.shuffle(shuffled)
    again = order_columns(columns_of(shuffled, max_nodes=max_nodes, column_cap=cap), edges)
    assert again == columns

    assert columns.layers == sorted(set(layers))
    for layer, ids, hidden in zip(columns.layers, columns.ids, columns.hidden, strict=True):
        members = {s.id for s in slots if s.layer == layer}
        assert len(ids) == len(set(ids)) and set(ids) <= members
        assert len(ids) + hidden == len(members)
        if len(slots) <= max_nodes:
            assert hidden == 0
        else:
            assert len(ids) == min(len(members), cap)
