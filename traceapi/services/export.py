"""Writes the whole graph as JSON or GraphML, streamed from the store so large graphs fit."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TextIO, TypeVar
from xml.sax.saxutils import escape, quoteattr

from traceapi.domain.model import Edge, Node
from traceapi.store.base import GraphStore

NODE_FIELDS = ("kind", "name", "aliases")
EDGE_FIELDS = ("type", "qty", "unit")

_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

Progress = Callable[[int], None]
"""Told how many records (nodes and edges, per pass over the store) have been read so far."""
TICK = 5_000
"""Records between two progress calls."""

_T = TypeVar("_T")


class _Counter:
    """Counts records read across passes and tells ``progress`` every ``TICK`` of them."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.done = 0

    def over(self, items: Iterable[_T]) -> Iterator[_T]:
        for item in items:
            yield item
            self.done += 1
            if self.progress is not None and self.done % TICK == 0:
                self.progress(self.done)

    def finish(self) -> None:
        if self.progress is not None:
            self.progress(self.done)


def node_record(node: Node) -> dict[str, Any]:
    """A node as the JSON export shows it: its properties flattened beside id, kind, aliases."""
    record: dict[str, Any] = dict(node.props)
    record.update({"id": node.id, "kind": node.kind.value})
    if node.name is not None:
        record["name"] = node.name
    record["aliases"] = list(node.aliases)
    return record


def edge_record(edge: Edge) -> dict[str, Any]:
    """An edge as the JSON export shows it: source, target, type, quantity and properties."""
    record: dict[str, Any] = dict(edge.props)
    record.update({"source": edge.source, "target": edge.target, "type": edge.type.value})
    if edge.qty is not None:
        record["qty"] = edge.qty
    if edge.unit is not None:
        record["unit"] = edge.unit
    return record


def write_json(
    store: GraphStore, out: TextIO, *, progress: Progress | None = None
) -> tuple[int, int]:
    """``{"nodes": [...], "edges": [...]}``, one record per line; returns (nodes, edges).

    Reads the store once: ``progress`` counts up to nodes + edges."""
    counts = [0, 0]
    read = _Counter(progress)
    out.write('{"nodes": [')
    for number, node in enumerate(read.over(store.iter_nodes())):
        out.write(",\n" if number else "\n")
        out.write(json.dumps(node_record(node), default=str, ensure_ascii=False))
        counts[0] += 1
    out.write('\n], "edges": [')
    for number, edge in enumerate(read.over(store.iter_edges())):
        out.write(",\n" if number else "\n")
        out.write(json.dumps(edge_record(edge), default=str, ensure_ascii=False))
        counts[1] += 1
    out.write("\n]}\n")
    read.finish()
    return counts[0], counts[1]


# -- GraphML -------------------------------------------------------------------------------

_TYPE_RANK = {"boolean": 0, "long": 1, "double": 2, "string": 3}


def _graphml_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "long"
    if isinstance(value, float):
        return "double"
    return "string"


def _widen(known: str | None, value: Any) -> str:
    """The GraphML type that holds every value seen so far (mixed numbers become double)."""
    seen = _graphml_type(value)
    if known is None or known == seen:
        return seen
    if {known, seen} == {"long", "double"}:
        return "double"
    return "string"


def _graphml_attrs(props: dict[str, Any], reserved: tuple[str, ...]) -> dict[str, Any]:
    """Properties under GraphML-safe names; one that clashes with a fixed field gets ``prop_``."""
    attrs: dict[str, Any] = {}
    for key, value in props.items():
        if value is None:
            continue
        name = f"prop_{key}" if key in reserved else key
        attrs[name] = value
    return attrs


def _node_attrs(node: Node) -> dict[str, Any]:
    attrs = _graphml_attrs(node.props, NODE_FIELDS)
    attrs["kind"] = node.kind.value
    if node.name is not None:
        attrs["name"] = node.name
    if node.aliases:
        attrs["aliases"] = json.dumps(list(node.aliases), ensure_ascii=False)
    return attrs


def _edge_attrs(edge: Edge) -> dict[str, Any]:
    attrs = _graphml_attrs(edge.props, EDGE_FIELDS)
    attrs["type"] = edge.type.value
    if edge.qty is not None:
        attrs["qty"] = edge.qty
    if edge.unit is not None:
        attrs["unit"] = edge.unit
    return attrs


def _text(value: Any, graphml_type: str) -> str:
    if graphml_type == "boolean":
        return "true" if value else "false"
    if graphml_type in ("long", "double"):
        return repr(float(value)) if graphml_type == "double" else str(value)
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return _INVALID_XML.sub("", str(value))


def _key_types(items: Iterable[dict[str, Any]]) -> dict[str, str]:
    types: dict[str, str | None] = {}
    for attrs in items:
        for name, value in attrs.items():
            types[name] = _widen(types.get(name), value)
    return {name: kind for name, kind in types.items() if kind is not None}


def _declared(attrs: dict[str, Any], types: dict[str, str]) -> Iterable[tuple[str, Any]]:
    """Attributes that fit the declared keys (a write between the two passes may add others)."""
    for name, value in attrs.items():
        declared = types.get(name)
        if declared is not None and _widen(declared, value) == declared:
            yield name, value


def write_graphml(
    store: GraphStore, out: TextIO, *, progress: Progress | None = None
) -> tuple[int, int]:
    """GraphML 1.0 (networkx, Gephi, yEd); reads the store twice: attribute types, then data
    (so ``progress`` counts up to twice nodes + edges).

    Nested values (process parameters) are written as JSON strings; returns (nodes, edges).
    """
    read = _Counter(progress)
    node_types = _key_types(_node_attrs(node) for node in read.over(store.iter_nodes()))
    edge_types = _key_types(_edge_attrs(edge) for edge in read.over(store.iter_edges()))
    node_keys = {name: f"n{index}" for index, name in enumerate(sorted(node_types))}
    edge_keys = {name: f"e{index}" for index, name in enumerate(sorted(edge_types))}
    out.write(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
        'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n'
    )
    for scope, keys, types in (("node", node_keys, node_types), ("edge", edge_keys, edge_types)):
        for name, key in keys.items():
            out.write(
                f'  <key id="{key}" for="{scope}" attr.name={quoteattr(name)} '
                f'attr.type="{types[name]}"/>\n'
            )
    out.write('  <graph id="traceapi" edgedefault="directed">\n')
    nodes = edges = 0
    for node in read.over(store.iter_nodes()):
        out.write(f"    <node id={quoteattr(_text(node.id, 'string'))}>")
        for name, value in _declared(_node_attrs(node), node_types):
            text = escape(_text(value, node_types[name]))
            out.write(f'<data key="{node_keys[name]}">{text}</data>')
        out.write("</node>\n")
        nodes += 1
    for edge in read.over(store.iter_edges()):
        out.write(
            f"    <edge source={quoteattr(_text(edge.source, 'string'))} "
            f"target={quoteattr(_text(edge.target, 'string'))}>"
        )
        for name, value in _declared(_edge_attrs(edge), edge_types):
            text = escape(_text(value, edge_types[name]))
            out.write(f'<data key="{edge_keys[name]}">{text}</data>')
        out.write("</edge>\n")
        edges += 1
    out.write("  </graph>\n</graphml>\n")
    read.finish()
    return nodes, edges
