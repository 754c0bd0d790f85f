"""Small helpers that build batches for the contract tests."""

from __future__ import annotations

from collections.abc import Iterable

from traceapi.domain.model import Batch, Edge, EdgeType, Node, NodeKind


def lot(node_id: str, **props: object) -> Node:
    return Node(id=node_id, kind=NodeKind.LOT, props=dict(props))


def step(node_id: str) -> Node:
    return Node(id=node_id, kind=NodeKind.PROCESS_STEP)


def edge(source: str, edge_type: EdgeType | str, target: str, **fields: object) -> Edge:
    return Edge(source=source, target=target, type=EdgeType(edge_type), **fields)  # type: ignore[arg-type]


def flow_batch(pairs: Iterable[tuple[str, str]], *, kind: NodeKind = NodeKind.LOT) -> Batch:
    """Nodes for every endpoint and one PACKED_IN (a flow type) edge per pair."""
    pairs = list(pairs)
    ids = dict.fromkeys(n for pair in pairs for n in pair)
    return Batch(
        nodes=[Node(id=i, kind=kind) for i in ids],
        edges=[edge(s, EdgeType.PACKED_IN, t) for s, t in pairs],
        source="test",
    )
