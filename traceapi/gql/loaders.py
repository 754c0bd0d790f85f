"""DataLoaders: every node and edge lookup of one request batched into few store calls.

A page of 100 lots asking for their materials and suppliers costs one ``edges_of`` per
(edge type, side) asked for and one ``get_nodes`` per level, not one call per lot.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from functools import partial
from typing import Literal, TypeVar

import anyio
from strawberry.dataloader import DataLoader

from traceapi.domain.model import Edge, EdgeType, Node, NodeKind
from traceapi.store.base import GraphStore

Side = Literal["out", "in"]
EdgeKey = tuple[str, Side, EdgeType]
"""(node id, which side of it, edge type)."""

T = TypeVar("T")


async def _in_thread(call: Callable[[], T]) -> T:
    """Store calls block; they run on the worker thread pool, not on the event loop."""
    return await anyio.to_thread.run_sync(call)


class Loaders:
    """The request's loaders; a new set per request so nothing is cached across requests."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self.nodes: DataLoader[str, Node | None] = DataLoader(load_fn=self._load_nodes)
        self.edges: DataLoader[EdgeKey, list[Edge]] = DataLoader(load_fn=self._load_edges)

    async def _load_nodes(self, ids: list[str]) -> list[Node | None]:
        found = await _in_thread(lambda: self.store.get_nodes(ids))
        return [found.get(node_id) for node_id in ids]

    async def _load_edges(self, keys: list[EdgeKey]) -> list[list[Edge]]:
        groups: dict[tuple[Side, EdgeType], list[str]] = defaultdict(list)
        for node_id, side, edge_type in keys:
            groups[(side, edge_type)].append(node_id)
        by_key: dict[EdgeKey, list[Edge]] = defaultdict(list)
        for (side, edge_type), ids in groups.items():
            edges = await _in_thread(
                partial(self.store.edges_of, ids, side=side, types=frozenset({edge_type}))
            )
            wanted = set(ids)
            for edge in edges:
                end = edge.source if side == "out" else edge.target
                if edge.type is edge_type and end in wanted:
                    by_key[(end, side, edge_type)].append(edge)
        return [by_key.get(key, []) for key in keys]

    async def neighbours(
        self,
        node_id: str,
        *,
        side: Side,
        edge_type: EdgeType,
        kinds: frozenset[NodeKind] | None = None,
    ) -> list[Node]:
        """Nodes one ``edge_type`` edge away from ``node_id`` on ``side``, in id order."""
        edges = await self.edges.load((node_id, side, edge_type))
        other_ids = sorted({e.target if side == "out" else e.source for e in edges})
        nodes = await self.nodes.load_many(other_ids)
        return [n for n in nodes if n is not None and (kinds is None or n.kind in kinds)]

    async def neighbours_of_many(
        self,
        node_ids: Sequence[str],
        *,
        side: Side,
        edge_type: EdgeType,
        kinds: frozenset[NodeKind] | None = None,
    ) -> list[Node]:
        """``neighbours`` of several nodes, merged, each once, in id order."""
        edge_lists = await self.edges.load_many([(i, side, edge_type) for i in node_ids])
        other_ids = sorted(
            {e.target if side == "out" else e.source for edges in edge_lists for e in edges}
        )
        nodes = await self.nodes.load_many(other_ids)
        return [n for n in nodes if n is not None and (kinds is None or n.kind in kinds)]
