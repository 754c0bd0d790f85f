"""reach() equals networkx on random graphs with diamonds and cycles, whatever the write history."""

from __future__ import annotations

import tempfile
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from traceapi.domain.model import FLOW_EDGE_TYPES, Batch, Edge, EdgeType, Node, NodeKind
from traceapi.store import csr_index
from traceapi.store.base import Direction, GraphStore
from traceapi.store.embedded import EmbeddedStore

FLOW = sorted(FLOW_EDGE_TYPES)
ANNOTATION = [EdgeType.OF, EdgeType.ON, EdgeType.CONCERNS]
KINDS = [NodeKind.LOT, NodeKind.PROCESS_STEP, NodeKind.SHIPMENT, NodeKind.CUSTOMER]


@st.composite
def graphs(draw: st.DrawFn) -> tuple[int, list[tuple[int, EdgeType, int]], list[NodeKind]]:
    n = draw(st.integers(min_value=1, max_value=24))
    node = st.integers(min_value=0, max_value=n - 1)
    edge_type = st.sampled_from(FLOW + ANNOTATION)
    edges = draw(st.lists(st.tuples(node, edge_type, node), max_size=3 * n, unique=True))
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=n, max_size=n))
    return n, edges, kinds


def _expected(graph: nx.DiGraph, seeds: list[int], max_depth: int | None) -> dict[int, int]:
    depths: dict[int, int] = {}
    for seed in seeds:
        for found, depth in nx.single_source_shortest_path_length(
            graph, seed, cutoff=max_depth
        ).items():
            depths[found] = min(depth, depths.get(found, depth))
    return depths


def _check(
    store: GraphStore,
    edges: list[tuple[int, EdgeType, int]],
    kinds: list[NodeKind],
    nodes: range,
    seeds: list[int],
    max_depth: int | None,
) -> None:
    flow = nx.DiGraph()
    flow.add_nodes_from(nodes)
    flow.add_edges_from((s, t) for s, e, t in edges if e in FLOW_EDGE_TYPES)
    for direction, graph in ((Direction.FORWARD, flow), (Direction.BACKWARD, flow.reverse())):
        reach = store.reach([f"n{s}" for s in seeds], direction=direction, max_depth=max_depth)
        got = dict(zip(reach.ids, reach.depths, strict=True))
        assert len(got) == len(reach.ids)
        assert reach.depths == sorted(reach.depths)
        want = _expected(graph, seeds, max_depth)
        assert got == {f"n{k}": d for k, d in want.items()}, direction
        if max_depth is None:
            descendants = set().union(*((nx.descendants(graph, s) | {s}) for s in seeds))
            assert set(got) == {f"n{k}" for k in descendants}
        assert reach.kinds == [kinds[int(i[1:])] for i in reach.ids]


def _batches(
    n: int, edges: list[tuple[int, EdgeType, int]], kinds: list[NodeKind], parts: int
) -> list[Batch]:
    """Nodes in ``parts`` chunks; each edge rides with the chunk of its later endpoint."""
    size = max(1, -(-n // parts))
    batches = []
    for start in range(0, n, size):
        stop = min(n, start + size)
        batches.append(
            Batch(
                nodes=[Node(id=f"n{i}", kind=kinds[i]) for i in range(start, stop)],
                edges=[
                    Edge(source=f"n{s}", target=f"n{t}", type=e)
                    for s, e, t in edges
                    if start <= max(s, t) < stop
                ],
            )
        )
    return batches


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    graph=graphs(),
    data=st.data(),
    max_depth=st.one_of(st.none(), st.integers(min_value=0, max_value=5)),
)
def test_reach_matches_networkx(
    store: GraphStore,
    graph: tuple[int, list[tuple[int, EdgeType, int]], list[NodeKind]],
    data: st.DataObject,
    max_depth: int | None,
) -> None:
    n, edges, kinds = graph
    store.clear()
    store.apply_batch(_batches(n, edges, kinds, 1)[0])
    seeds = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=3))
    _check(store, edges, kinds, range(n), seeds, max_depth)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    graph=graphs(),
    parts=st.integers(min_value=2, max_value=5),
    data=st.data(),
    max_depth=st.one_of(st.none(), st.integers(min_value=0, max_value=4)),
    compact=st.booleans(),
)
def test_reach_matches_networkx_across_batches_and_reopen(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    graph: tuple[int, list[tuple[int, EdgeType, int]], list[NodeKind]],
    parts: int,
    data: st.DataObject,
    max_depth: int | None,
    compact: bool,
) -> None:
    """Embedded only: the index is built after the first batch, later ones land in its delta."""
    monkeypatch.setattr(csr_index, "MIN_DELTA_REBUILD", 4 if compact else 1_000)
    n, edges, kinds = graph
    path = Path(tempfile.mkdtemp(dir=tmp_path)) / "graph.sqlite3"
    store = EmbeddedStore(path)
    try:
        top = 0
        for batch in _batches(n, edges, kinds, parts):
            store.apply_batch(batch)
            top += len(batch.nodes)
            written = [(s, e, t) for s, e, t in edges if max(s, t) < top]
            seeds = data.draw(st.lists(st.integers(0, top - 1), min_size=1, max_size=3))
            _check(store, written, kinds, range(top), seeds, max_depth)
    finally:
        store.close()
    reopened = EmbeddedStore(path)
    try:
        seeds = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=3))
        _check(reopened, edges, kinds, range(n), seeds, max_depth)
    finally:
        reopened.close()
