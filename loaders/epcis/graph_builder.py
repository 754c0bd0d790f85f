"""Collects the nodes, edges and aliases of one document, merging repeats, into one Batch."""

from __future__ import annotations

from typing import Any

from loaders.unchecked import unchecked
from traceapi.domain.model import Batch, Edge, EdgeType, Node, NodeKind
from traceapi.errors import InvalidInput

EdgeKey = tuple[str, EdgeType, str]


class GraphBuilder:
    """Nodes and edges keyed by identity; a repeat merges props and adds quantities once per
    distinct event (the same event seen twice does not double a quantity).

    The drafts are the very Node and Edge objects the batch will hold, built unvalidated
    (see ``to_batch``) and updated in place, so a load makes each object once."""

    def __init__(self, *, source: str) -> None:
        self.source = source
        self.nodes: dict[str, Node] = {}
        self.edges: dict[EdgeKey, Edge] = {}
        self._edge_events: dict[EdgeKey, str | set[str]] = {}
        """The events that stated each edge: one (a plain string) until an edge repeats."""

    def node(
        self,
        node_id: str,
        kind: NodeKind,
        *,
        name: str | None = None,
        aliases: list[str] | tuple[str, ...] = (),
        props: dict[str, Any] | None = None,
    ) -> str:
        draft = self.nodes.get(node_id)
        if draft is None:
            self.nodes[node_id] = unchecked(
                Node,
                {
                    "id": node_id,
                    "kind": kind,
                    "name": name or None,
                    "aliases": [a for a in aliases if a != node_id] if aliases else [],
                    "props": _without_none(props) if props else {},
                },
            )
            return node_id
        if draft.kind is not kind:
            raise InvalidInput(
                f"{self.source}: {node_id!r} is used both as a {draft.kind} and as a {kind}",
                details={"file": self.source, "node": node_id},
            )
        if name and not draft.name:
            draft.name = name
        if aliases:
            known = draft.aliases
            for alias in aliases:
                if alias != node_id and alias not in known:
                    known.append(alias)
        if props:
            merged = draft.props
            for k, v in props.items():
                if v is not None:
                    merged[k] = v
        return node_id

    def has_node(self, node_id: str) -> bool:
        return node_id in self.nodes

    def edge(
        self,
        source: str,
        type_: EdgeType,
        target: str,
        *,
        qty: float | None = None,
        unit: str | None = None,
        props: dict[str, Any] | None = None,
        event: str = "",
    ) -> None:
        key = (source, type_, target)
        draft = self.edges.get(key)
        if draft is None:
            self.edges[key] = unchecked(
                Edge,
                {
                    "source": source,
                    "target": target,
                    "type": type_,
                    "qty": qty,
                    "unit": unit if qty is not None else None,
                    "props": _without_none(props) if props else {},
                },
            )
            self._edge_events[key] = event
            return
        events = self._edge_events[key]
        if isinstance(events, str):
            events = self._edge_events[key] = {events}
        if (
            qty is not None
            and event not in events
            and (draft.qty is None or draft.unit in (None, unit))
        ):
            draft.qty = (draft.qty or 0.0) + qty
            draft.unit = unit
        events.add(event)
        if props:
            draft.props.update({k: v for k, v in props.items() if v is not None})

    def edges_into(self, target: str, type_: EdgeType) -> list[EdgeKey]:
        return [key for key in self.edges if key[2] == target and key[1] is type_]

    def edge_props(self, key: EdgeKey) -> dict[str, Any]:
        return self.edges[key].props

    def to_batch(self) -> Batch:
        """The batch. Items are built without pydantic's per-object validation, which costs
        as much as all the mapping: every value here was checked on the way in (ids are
        trimmed EPC-derived strings, props carry the model's types, quantities are finite and
        >= 0), and ids are checked once more below. tests/loaders/test_epcis_documents.py
        asserts that these items equal validated ones for every published document."""
        for node_id in self.nodes:
            if not node_id or len(node_id) > 512 or node_id != node_id.strip():
                raise InvalidInput(
                    f"{self.source}: identifier {node_id!r} cannot be an id "
                    "(empty, longer than 512 characters, or padded)",
                    details={"file": self.source, "node": node_id},
                )
        return Batch.model_construct(
            nodes=list(self.nodes.values()),
            edges=list(self.edges.values()),
            aliases=[],
            source=self.source,
        )


def _without_none(props: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``props`` without None values (a plain copy when there are none)."""
    if None in props.values():
        return {k: v for k, v in props.items() if v is not None}
    return dict(props)
