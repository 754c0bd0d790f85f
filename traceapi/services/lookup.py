"""Turns whatever identifier a person or system typed into the node it names."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from traceapi.domain.gs1 import lookup_keys
from traceapi.domain.model import EdgeType, Node, NodeKind
from traceapi.errors import InvalidInput, NotFound
from traceapi.store.base import GraphStore

TRACEABLE_KINDS: frozenset[NodeKind] = frozenset({NodeKind.LOT, NodeKind.UNIT, NodeKind.CONTAINER})
"""Kinds a trace may start from: lots, serialised units (traced as their lot) and containers."""


def _candidates(identifier: str) -> Iterator[str]:
    """``identifier`` as typed, trimmed, then the canonical GS1 forms it stands for, each once.

    Lazy, so an identifier stored as typed is found before its GS1 form is ever parsed.
    """
    seen: set[str] = set()
    stripped = identifier.strip()
    for key in (identifier, stripped):
        if key and key not in seen:
            seen.add(key)
            yield key
    for key in lookup_keys(stripped) if stripped else []:
        if key not in seen:
            seen.add(key)
            yield key


def _check_text(identifier: str) -> None:
    try:
        identifier.encode("utf-8")
    except UnicodeEncodeError as exc:
        shown = identifier.encode("utf-8", "backslashreplace").decode("ascii", "replace")
        raise InvalidInput(
            f"identifier '{shown}' is not valid text: it holds a lone surrogate at position "
            f"{exc.start}",
            details={"identifier": shown, "position": exc.start},
        ) from exc


def resolve_node(store: GraphStore, identifier: str) -> Node:
    """The node named by an id, alias, EPC URN, GS1 element string or Digital Link URI.

    Raises ``NotFound`` naming ``identifier`` when nothing matches; a malformed GS1 form that
    matches nothing as typed raises the ``GS1Error`` (an ``InvalidInput``) saying what is wrong;
    text that is not Unicode (a lone surrogate, which JSON's ``\\ud800`` escapes can carry)
    raises ``InvalidInput`` before any store is asked.
    """
    _check_text(identifier)
    direct = store.get_nodes([identifier]).get(identifier)
    if direct is not None:
        return direct
    for key in _candidates(identifier):
        node_id = store.resolve(key)
        if node_id is None:
            continue
        node = store.get_nodes([node_id]).get(node_id)
        if node is not None:
            return node
    raise NotFound(f"no node is known as {identifier!r}", details={"identifier": identifier})


def resolve_lot(store: GraphStore, identifier: str) -> Node:
    """The lot (or container) a trace starts from; a serialised unit resolves to its lot.

    A unit without a recorded lot (no ``Unit -OF-> Lot`` nor ``Lot -HAS_UNIT-> Unit``) is traced
    as itself. Raises ``InvalidInput`` when ``identifier`` names a node that is not traceable.
    """
    node = resolve_node(store, identifier)
    if node.kind not in TRACEABLE_KINDS:
        raise InvalidInput(
            f"{identifier!r} names a {node.kind.value}, not a lot, unit or container",
            details={"identifier": identifier, "id": node.id, "kind": node.kind.value},
        )
    if node.kind is not NodeKind.UNIT:
        return node
    edges = store.edges_of(
        [node.id], side="both", types=frozenset({EdgeType.OF, EdgeType.HAS_UNIT})
    )
    lot_ids = sorted(
        {e.target for e in edges if e.type is EdgeType.OF and e.source == node.id}
        | {e.source for e in edges if e.type is EdgeType.HAS_UNIT and e.target == node.id}
    )
    lots = store.get_nodes(lot_ids)
    for lot_id in lot_ids:
        lot = lots.get(lot_id)
        if lot is not None and lot.kind is NodeKind.LOT:
            return lot
    return node


def resolve_lots(store: GraphStore, identifiers: Sequence[str]) -> dict[str, Node]:
    """``resolve_lot`` for many identifiers, keyed and deduplicated by the resolved id.

    Identifiers that are plain ids of lots or containers are fetched in one ``get_nodes``
    call; the others (aliases, GS1 forms, units) go through ``resolve_lot`` one by one.
    """
    direct = store.get_nodes(list(dict.fromkeys(identifiers)))
    resolved: dict[str, Node] = {}
    for identifier in identifiers:
        node = direct.get(identifier)
        if node is None or node.kind not in (NodeKind.LOT, NodeKind.CONTAINER):
            node = resolve_lot(store, identifier)
        resolved.setdefault(node.id, node)
    return resolved


def resolve_lots_naming_all(
    store: GraphStore, identifiers: Sequence[str], *, field: str
) -> dict[str, Node]:
    """``resolve_lots``, trying every identifier: ``NotFound`` names all those that match
    nothing and ``InvalidInput`` all those that name no lot, each under ``field``."""
    direct = store.get_nodes(list(dict.fromkeys(identifiers)))
    resolved: dict[str, Node] = {}
    unknown: list[str] = []
    not_lots: list[str] = []
    for identifier in identifiers:
        known = direct.get(identifier)
        if known is not None and known.kind in (NodeKind.LOT, NodeKind.CONTAINER):
            resolved.setdefault(known.id, known)
            continue
        try:
            node = resolve_lot(store, identifier)
        except NotFound:
            unknown.append(identifier)
            continue
        except InvalidInput:
            not_lots.append(identifier)
            continue
        resolved.setdefault(node.id, node)
    if unknown:
        raise NotFound(
            f"{field}: no lot is known as {', '.join(repr(i) for i in unknown)}",
            details={"field": field, "unknown": unknown},
        )
    if not_lots:
        raise InvalidInput(
            f"{field}: not lots: {', '.join(repr(i) for i in not_lots)}",
            details={"field": field, "not_lots": not_lots},
        )
    return resolved
