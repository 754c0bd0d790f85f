"""Collects the nodes, edges and aliases of one document, merging repeats, into one Batch."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel

from traceapi.domain.model import Batch, Edge, EdgeType, Node, NodeKind
from traceapi.errors import InvalidInput

ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass(slots=True)
class _NodeDraft:
    kind: NodeKind
    name: str | None = None
    aliases: list[str] = field(default_factory=list)
    props: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class _EdgeDraft:
    qty: float | None = None
    unit: str | None = None
    props: dict[str, Any] = field(default_factory=dict)
    events: set[str] = field(default_factory=set)


class GraphBuilder:
    """Node and edge drafts keyed by identity; a repeat merges props and adds quantities once
    per distinct event (the same event seen twice does not double a quantity)."""

    def __init__(self, *, source: str) -> None:
        self.source = source
        self.nodes: dict[str, _NodeDraft] = {}
        self.edges: dict[tuple[str, EdgeType, str], _EdgeDraft] = {}

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
            self.nodes[node_id] = _NodeDraft(
                kind=kind, name=name or None,
                aliases=[a for a in aliases if a != node_id] if aliases else [],
                props={k: v for k, v in props.items() if v is not None} if props else {})
            return node_id
        if draft.kind is not kind:
            raise InvalidInput(
                f"{self.source}: {node_id!r} is used both as a {draft.kind} and as a {kind}",
                details={"file": self.source, "node": node_id},
            )
        if name and not draft.name:
            draft.name = name
        for alias in aliases:
            if alias != node_id and alias not in draft.aliases:
                draft.aliases.append(alias)
        if props:
            for k, v in props.items():
                if v is not None:
                    draft.props[k] = v
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
            self.edges[key] = _EdgeDraft(
                qty=qty, unit=unit if qty is not None else None,
                props={k: v for k, v in props.items() if v is not None} if props else {},
                events={event})
            return
        if (qty is not None and event not in draft.events
                and (draft.qty is None or draft.unit in (None, unit))):
            draft.qty = (draft.qty or 0.0) + qty
            draft.unit = unit
        draft.events.add(event)
        if props:
            draft.props.update({k: v for k, v in props.items() if v is not None})

    def edges_into(self, target: str, type_: EdgeType) -> list[tuple[str, EdgeType, str]]:
        return [key for key in self.edges if key[2] == target and key[1] is type_]

    def edge_props(self, key: tuple[str, EdgeType, str]) -> dict[str, Any]:
        return self.edges[key].props

    def to_batch(self) -> Batch:
        """The batch. Items are built without pydantic's per-object validation, which costs
        as much as all the mapping: every value here was checked on the way in (ids are
        trimmed EPC-derived strings, props carry the model's types, quantities are finite and
        >= 0), and ids are checked once more below. tests/loaders/test_epcis_documents.py
        asserts that these items equal validated ones for every published document."""
        for node_id in self.nodes:
            if not node_id or len(node_id) > 512 or node_id != node_id.strip():
                raise InvalidInput(f"{self.source}: identifier {node_id!r} cannot be an id "
                                   "(empty, longer than 512 characters, or padded)",
                                   details={"file": self.source, "node": node_id})
        nodes = [_built(Node, {"id": node_id, "kind": d.kind, "name": d.name,
                               "aliases": d.aliases, "props": d.props})
                 for node_id, d in self.nodes.items()]
        edges = [_built(Edge, {"source": s, "target": g, "type": t, "qty": d.qty,
                               "unit": d.unit, "props": d.props})
                 for (s, t, g), d in self.edges.items()]
        return Batch.model_construct(nodes=nodes, edges=edges, aliases=[], source=self.source)


_NODE_FIELDS = frozenset(Node.model_fields)
_EDGE_FIELDS = frozenset(Edge.model_fields)


def _built(cls: type[ModelT], values: dict[str, Any]) -> ModelT:
    """A model instance from values already known to be valid (what ``model_construct`` does,
    without its per-field default handling, since every field is given)."""
    instance = cls.__new__(cls)
    object.__setattr__(instance, "__dict__", values)
    object.__setattr__(instance, "__pydantic_fields_set__",
                       set(_NODE_FIELDS if cls is Node else _EDGE_FIELDS))
    object.__setattr__(instance, "__pydantic_extra__", None)
    object.__setattr__(instance, "__pydantic_private__", None)
    return instance
