"""The traversal index on its own: building, growing, folding the delta, and the node cap."""

from __future__ import annotations

import threading

import networkx as nx
import numpy as np
import pytest

from traceapi.domain.model import NodeKind
from traceapi.errors import LimitExceeded
from traceapi.store import csr_index
from traceapi.store.csr_index import KIND_CODES, SharedLock, TraversalIndex


def _index(n: int, edges: list[tuple[int, int]], *, first_rid: int = 1) -> TraversalIndex:
    rids = np.arange(first_rid, first_rid + n, dtype=np.int64)
    pairs = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    return TraversalIndex(
        node_rids=rids,
        node_ids=[f"n{r}" for r in rids],
        node_codes=np.full(n, KIND_CODES["Lot"], dtype=np.int8),
        edge_src=pairs[:, 0].copy(),
        edge_dst=pairs[:, 1].copy(),
    )


def _walk(index: TraversalIndex, seed: int, *, forward: bool = True) -> dict[str, int]:
    ids, kinds, depths = index.reach([seed], forward=forward, max_depth=None, max_nodes=10**9)
    assert len(set(ids)) == len(ids)
    return dict(zip(ids, depths, strict=True))


def test_build_and_walk_both_ways() -> None:
    index = _index(5, [(1, 2), (1, 3), (2, 4), (3, 4), (4, 5), (5, 5)])
    assert index.size == 6 and index.edge_count == 6
    assert _walk(index, 1) == {"n1": 0, "n2": 1, "n3": 1, "n4": 2, "n5": 3}
    assert _walk(index, 5, forward=False) == {"n5": 0, "n4": 1, "n2": 2, "n3": 2, "n1": 3}
    _ids, kinds, _depths = index.reach([1], forward=True, max_depth=1, max_nodes=10)
    assert kinds == [NodeKind.LOT] * 3


def test_added_nodes_and_edges_are_walked_and_folded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csr_index, "MIN_DELTA_REBUILD", 3)
    index = _index(3, [(1, 2)])
    # Grow well past the initial capacity (16), with edges into and out of the new nodes.
    new = np.arange(4, 60, dtype=np.int64)
    index.add(
        node_rids=new,
        node_ids=[f"n{r}" for r in new],
        node_codes=np.full(new.size, KIND_CODES["Shipment"], dtype=np.int8),
        edge_src=[2],
        edge_dst=[4],
    )
    assert index.delta_count == 1 and index.size == 60
    assert _walk(index, 1) == {"n1": 0, "n2": 1, "n4": 2}
    chain = list(range(4, 59))
    index.add(
        node_rids=np.zeros(0, dtype=np.int64),
        node_ids=[],
        node_codes=np.zeros(0, dtype=np.int8),
        edge_src=chain,
        edge_dst=[c + 1 for c in chain],
    )
    assert index.delta_count == 0, "the delta was folded into the arrays"
    assert index.edge_count == 1 + 1 + len(chain)
    walked = _walk(index, 1)
    assert walked["n59"] == 58 - 4 + 3 and len(walked) == 58
    assert _walk(index, 59, forward=False)["n1"] == walked["n59"]
    _ids, kinds, _depths = index.reach([59], forward=True, max_depth=0, max_nodes=1)
    assert kinds == [NodeKind.SHIPMENT]


def test_random_graphs_match_networkx_through_delta_and_folds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(csr_index, "MIN_DELTA_REBUILD", 50)
    rng = np.random.default_rng(3)
    n = 400
    edges = rng.integers(1, n + 1, size=(1200, 2))
    graph = nx.DiGraph()
    graph.add_nodes_from(range(1, n + 1))
    index = _index(n, [tuple(e) for e in edges[:600]])
    graph.add_edges_from(map(tuple, edges[:600].tolist()))
    for start in range(600, 1200, 37):
        part = edges[start : start + 37]
        index.add(
            node_rids=np.zeros(0, dtype=np.int64),
            node_ids=[],
            node_codes=np.zeros(0, dtype=np.int8),
            edge_src=part[:, 0].tolist(),
            edge_dst=part[:, 1].tolist(),
        )
        graph.add_edges_from(map(tuple, part.tolist()))
        for seed in rng.integers(1, n + 1, size=5).tolist():
            want = nx.single_source_shortest_path_length(graph, seed)
            assert _walk(index, seed) == {f"n{k}": d for k, d in want.items()}
            back = nx.single_source_shortest_path_length(graph.reverse(), seed)
            assert _walk(index, seed, forward=False) == {f"n{k}": d for k, d in back.items()}


def test_the_node_cap_names_cap_and_seeds() -> None:
    index = _index(30, [(1, r) for r in range(2, 31)])
    with pytest.raises(LimitExceeded) as caught:
        index.reach([1], forward=True, max_depth=None, max_nodes=29)
    assert "29" in caught.value.message and "n1" in caught.value.message
    assert len(index.reach([1], forward=True, max_depth=None, max_nodes=30)[0]) == 30


def test_an_empty_index_walks_nothing() -> None:
    index = csr_index.empty_index()
    assert index.size == 0 and index.edge_count == 0


def test_the_shared_lock_excludes_writers_from_readers() -> None:
    lock = SharedLock()
    inside: list[str] = []
    with lock.shared(), lock.shared():
        inside.append("two readers at once")
    released = threading.Event()

    def writer() -> None:
        with lock.exclusive():
            inside.append("writer")
        released.set()

    with lock.shared():
        thread = threading.Thread(target=writer)
        thread.start()
        assert not released.wait(0.05), "the writer must wait for the reader"
        inside.append("reader done")
    thread.join()
    assert inside == ["two readers at once", "reader done", "writer"]


def _expected_order(graph: nx.DiGraph, seeds: list[int]) -> tuple[list[str], list[int]]:
    """The documented order: seeds as given, then each level by rowid; networkx depths."""
    hub = -1
    graph.add_edges_from((hub, s) for s in seeds)
    try:
        lengths = nx.single_source_shortest_path_length(graph, hub)
    finally:
        graph.remove_node(hub)
    order = list(dict.fromkeys(seeds))
    depths = [0] * len(order)
    deepest = max(lengths.values()) - 1
    for depth in range(1, deepest + 1):
        level = sorted(n for n, d in lengths.items() if d - 1 == depth)
        order += level
        depths += [depth] * len(level)
    return [f"n{n}" for n in order], depths


def test_walks_over_arrays_and_delta_match_networkx_in_the_documented_order() -> None:
    """A narrow start fans out and narrows again (as a backward trace does), over built edges
    and delta edges alike: networkx's depths in exactly the documented order, depth limits
    cut whole levels, and the node cap stops the walk."""
    rng = np.random.default_rng(11)
    layers = [[1], [2, 3], list(range(4, 14)), list(range(14, 214)), list(range(214, 234))]
    layers += [list(range(234, 238)), [238], [239]]
    n = 240
    edges: list[tuple[int, int]] = []
    for upper, lower in zip(layers, layers[1:], strict=False):
        for node in lower:  # every lower node is fed by 1-3 nodes of the layer above
            edges += [(int(u), node) for u in rng.choice(upper, size=min(3, len(upper)))]
        edges += [(int(rng.choice(lower)), int(rng.choice(upper)))]  # a cycle back up
    edges += [(int(s), int(d)) for s, d in rng.integers(1, n, size=(30, 2)).tolist()]
    rng.shuffle(edges)
    built, added = edges[: len(edges) * 2 // 3], edges[len(edges) * 2 // 3 :]
    index = _index(n, built)
    index.add(
        node_rids=np.zeros(0, dtype=np.int64),
        node_ids=[],
        node_codes=np.zeros(0, dtype=np.int8),
        edge_src=[s for s, _ in added],
        edge_dst=[d for _, d in added],
    )
    assert index.delta_count == len(added), "the added edges stay in the delta"
    graph = nx.DiGraph()
    graph.add_nodes_from(range(1, n))
    graph.add_edges_from(edges)
    for seeds, forward in (([1], True), ([239], False), ([238, 2, 238], True), ([150], False)):
        walked = graph if forward else graph.reverse()
        want_ids, want_depths = _expected_order(walked, seeds)
        ids, _kinds, depths = index.reach(seeds, forward=forward, max_depth=None, max_nodes=n)
        assert (ids, depths) == (want_ids, want_depths)
        for limit in (0, 2, 3):
            ids, _kinds, depths = index.reach(seeds, forward=forward, max_depth=limit, max_nodes=n)
            kept = sum(1 for d in want_depths if d <= limit)
            assert (ids, depths) == (want_ids[:kept], want_depths[:kept])
        with pytest.raises(LimitExceeded):
            index.reach(seeds, forward=forward, max_depth=None, max_nodes=len(want_ids) - 1)
    # Nothing stays marked visited after a walk, completed or cut short by the cap.
    assert index._spare_scratch, "buffers go back for reuse"
    assert not any(s.visited.any() for s in index._spare_scratch)
