"""reach() on every backend: diamonds, cycles, depth limits, node caps, unknown seeds."""

from __future__ import annotations

import pytest

from tests.contract.graphs import edge, flow_batch, lot
from traceapi.domain.model import Batch, EdgeType, Node, NodeKind
from traceapi.errors import InvalidInput, LimitExceeded, NotFound
from traceapi.store.base import Direction, GraphStore, Reach


def _depths(reach: Reach) -> dict[str, int]:
    assert len(set(reach.ids)) == len(reach.ids), "each node appears once"
    assert reach.depths == sorted(reach.depths), "visiting order is by depth"
    return dict(zip(reach.ids, reach.depths, strict=True))


DIAMOND = [("A", "B"), ("A", "C"), ("B", "D"), ("C", "D"), ("D", "E")]


def test_a_diamond_is_walked_once_per_node(store: GraphStore) -> None:
    store.apply_batch(flow_batch(DIAMOND))
    forward = store.reach(["A"], direction=Direction.FORWARD)
    assert _depths(forward) == {"A": 0, "B": 1, "C": 1, "D": 2, "E": 3}
    assert forward.ids[0] == "A"
    assert forward.kinds == [NodeKind.LOT] * 5
    backward = store.reach(["E"], direction=Direction.BACKWARD)
    assert _depths(backward) == {"E": 0, "D": 1, "B": 2, "C": 2, "A": 3}
    assert len(forward) == 5


def test_cycles_and_self_loops_terminate(store: GraphStore) -> None:
    store.apply_batch(flow_batch([("A", "B"), ("B", "C"), ("C", "A"), ("C", "C"), ("C", "D")]))
    assert _depths(store.reach(["A"], direction=Direction.FORWARD)) == {
        "A": 0,
        "B": 1,
        "C": 2,
        "D": 3,
    }
    assert _depths(store.reach(["B"], direction=Direction.BACKWARD)) == {"B": 0, "A": 1, "C": 2}


def test_depth_limit(store: GraphStore) -> None:
    store.apply_batch(flow_batch(DIAMOND))
    assert _depths(store.reach(["A"], direction=Direction.FORWARD, max_depth=1)) == {
        "A": 0,
        "B": 1,
        "C": 1,
    }
    assert store.reach(["A"], direction=Direction.FORWARD, max_depth=0).ids == ["A"]
    with pytest.raises(InvalidInput):
        store.reach(["A"], direction=Direction.FORWARD, max_depth=-1)


def test_several_seeds_take_the_shortest_depth(store: GraphStore) -> None:
    store.apply_batch(flow_batch(DIAMOND))
    reach = store.reach(["A", "D", "A"], direction=Direction.FORWARD)
    assert _depths(reach) == {"A": 0, "D": 0, "B": 1, "C": 1, "E": 1}
    assert reach.ids[:2] == ["A", "D"]


def test_only_flow_edges_are_walked(store: GraphStore) -> None:
    store.apply_batch(
        Batch(
            nodes=[
                lot("L1"),
                lot("L2"),
                Node(id="M", kind=NodeKind.MATERIAL),
                Node(id="R", kind=NodeKind.RECALL),
            ],
            edges=[
                edge("L1", "SHIPPED_IN", "L2"),
                edge("L1", "OF", "M"),
                edge("R", "COVERS", "L1"),
                edge("L2", "SHIPPED_FROM", "L1"),
            ],
        )
    )
    assert _depths(store.reach(["L1"], direction=Direction.FORWARD)) == {"L1": 0, "L2": 1}
    assert _depths(store.reach(["L1"], direction=Direction.BACKWARD)) == {"L1": 0}
    assert _depths(store.reach(["R"], direction=Direction.FORWARD)) == {"R": 0}


def test_kinds_follow_the_nodes(store: GraphStore) -> None:
    store.apply_batch(
        Batch(
            nodes=[
                Node(id="S", kind=NodeKind.SUPPLIER),
                lot("L"),
                Node(id="SH", kind=NodeKind.SHIPMENT),
                Node(id="C", kind=NodeKind.CUSTOMER),
            ],
            edges=[
                edge("S", "SUPPLIED", "L"),
                edge("L", "SHIPPED_IN", "SH"),
                edge("SH", "DELIVERED_TO", "C"),
            ],
        )
    )
    reach = store.reach(["S"], direction=Direction.FORWARD)
    assert dict(zip(reach.ids, reach.kinds, strict=True)) == {
        "S": NodeKind.SUPPLIER,
        "L": NodeKind.LOT,
        "SH": NodeKind.SHIPMENT,
        "C": NodeKind.CUSTOMER,
    }


def test_the_node_cap_answers_limit_exceeded(store: GraphStore) -> None:
    store.apply_batch(flow_batch([("ROOT", f"N{i}") for i in range(20)]))
    with pytest.raises(LimitExceeded) as caught:
        store.reach(["ROOT"], direction=Direction.FORWARD, max_nodes=10)
    assert "10" in caught.value.message and "ROOT" in caught.value.message
    assert len(store.reach(["ROOT"], direction=Direction.FORWARD, max_nodes=21)) == 21
    assert len(store.reach(["ROOT"], direction=Direction.FORWARD, max_nodes=5, max_depth=0)) == 1


def test_an_unknown_seed_is_not_found(store: GraphStore) -> None:
    store.apply_batch(flow_batch(DIAMOND))
    with pytest.raises(NotFound) as caught:
        store.reach(["A", "GHOST"], direction=Direction.FORWARD)
    assert "GHOST" in caught.value.message
    with pytest.raises(NotFound) as caught:
        store.reach(["GHOST", "A", "SPOOK", "GHOST"], direction=Direction.BACKWARD)
    assert caught.value.message == "no node with id 'GHOST' (and 1 more unknown seeds)"
    assert caught.value.details == {"ids": ["GHOST", "SPOOK"]}


def test_reach_sees_later_writes(store: GraphStore) -> None:
    store.apply_batch(flow_batch([("A", "B")]))
    assert _depths(store.reach(["A"], direction=Direction.FORWARD)) == {"A": 0, "B": 1}
    store.apply_batch(flow_batch([("B", "C"), ("X", "A")]))
    assert _depths(store.reach(["A"], direction=Direction.FORWARD)) == {"A": 0, "B": 1, "C": 2}
    assert _depths(store.reach(["C"], direction=Direction.BACKWARD)) == {
        "C": 0,
        "B": 1,
        "A": 2,
        "X": 3,
    }
    # Re-typing nothing: an annotation edge added later is still not walked.
    store.apply_batch(Batch(edges=[edge("C", EdgeType.OF, "X")]))
    assert "X" not in store.reach(["C"], direction=Direction.FORWARD).ids


def test_reach_after_clear(store: GraphStore) -> None:
    store.apply_batch(flow_batch(DIAMOND))
    store.reach(["A"], direction=Direction.FORWARD)
    store.clear()
    with pytest.raises(NotFound):
        store.reach(["A"], direction=Direction.FORWARD)
    store.apply_batch(flow_batch([("E", "A")]))
    assert _depths(store.reach(["E"], direction=Direction.FORWARD)) == {"E": 0, "A": 1}


def test_no_seeds_reach_nothing(store: GraphStore) -> None:
    assert len(store.reach([], direction=Direction.FORWARD)) == 0
