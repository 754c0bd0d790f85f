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
