"""Keyset paging: page size caps, and pages of lots filtered by props and by material."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from traceapi.domain.model import EdgeType, Node, NodeKind
from traceapi.errors import InvalidInput, LimitExceeded
from traceapi.store.base import GraphStore

_CHUNK = 500


def check_page_size(size: int, *, cap: int, field: str) -> None:
    """InvalidInput below 1, LimitExceeded above the configured cap, naming ``field``."""
    if size < 1:
        raise InvalidInput(f"{field} must be at least 1", details={"field": field})
    if size > cap:
        raise LimitExceeded(
            f"{field} {size} is above the page size cap {cap}",
            details={"field": field, "max_page_size": cap},
        )


def page_lots(
    store: GraphStore,
    *,
    kind: NodeKind = NodeKind.LOT,
    size: int,
    after: str | None = None,
    where: Mapping[str, Any] | None = None,
    material_id: str | None = None,
) -> tuple[list[Node], bool]:
    """Up to ``size`` nodes of ``kind`` with ids after ``after``, whose props equal ``where`` and,
    when ``material_id`` is given, that are lots of that material (``Lot -OF-> Material``).
    Returns the page and whether more follow."""
    if material_id is None:
        nodes = store.list_nodes(kind=kind, after=after, limit=size + 1, where=where or None)
        return nodes[:size], len(nodes) > size
    candidates = sorted(
        {
            e.source
            for e in store.edges_of([material_id], side="in", types=frozenset({EdgeType.OF}))
            if after is None or e.source > after
        }
    )
    wanted = dict(where or {})
    page: list[Node] = []
    for start in range(0, len(candidates), _CHUNK):
        chunk = candidates[start : start + _CHUNK]
        found = store.get_nodes(chunk)
        for node_id in chunk:
            node = found.get(node_id)
            if node is None or node.kind is not kind:
                continue
            if all(node.props.get(k) == v for k, v in wanted.items()):
                page.append(node)
                if len(page) > size:
                    return page[:size], True
    return page, False
