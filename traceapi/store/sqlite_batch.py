"""Applying one Batch to the embedded store's SQLite file: validate everything, then write.

Runs inside the caller's write transaction (``BEGIN IMMEDIATE``), so what it reads cannot change
before it writes, and any error leaves the file as it was once the caller rolls back.

Merging: a stored node keeps its kind (a different one is refused) and its name unless a new
non-null one comes; its props take the new keys (a None value removes a key, as in Neo4j); its
aliases are unioned. Ids in a batch appearing twice are merged the same way first. New nodes get
the next rowids, assigned here, so edges can be written without reading them back.

Bulk loads: into an empty store nothing needs looking up, edges are plain inserts, and a large
batch drops the secondary indexes and builds them again before the transaction commits.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from itertools import compress, count
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from operator import attrgetter, itemgetter
from typing import Any, cast

import numpy as np

from traceapi.domain.model import Batch, BatchResult, Edge, EdgeType, Node, NodeKind
from traceapi.errors import Conflict, CorruptData, InvalidInput
from traceapi.gc_pause import collector_paused

# Edges merge like nodes: a new non-null qty or unit wins, props are merged as a JSON merge
# patch (RFC 7396: new keys win, a null removes the key). Props are stored as the patch applied
# to ``{}``, so re-applying the same patch gives the same text, the WHERE clause makes it a
# no-op, and ``rowcount`` counts exactly the rows inserted or changed.
_UPSERT_EDGE = """
INSERT INTO edges (src, dst, type, qty, unit, props)
VALUES (?1, ?2, ?3, ?4, ?5, CASE WHEN ?6 = '{}' THEN '{}' ELSE json_patch('{}', ?6) END)
ON CONFLICT (src, type, dst) DO UPDATE SET
    qty = coalesce(excluded.qty, edges.qty),
    unit = coalesce(excluded.unit, edges.unit),
    props = json_patch(edges.props, ?6)
WHERE edges.qty IS NOT coalesce(excluded.qty, edges.qty)
   OR edges.unit IS NOT coalesce(excluded.unit, edges.unit)
   OR edges.props IS NOT json_patch(edges.props, ?6)
"""


_INSERT_EDGE = """
INSERT INTO edges (src, dst, type, qty, unit, props)
VALUES (?1, ?2, ?3, ?4, ?5, CASE WHEN ?6 = '{}' THEN '{}' ELSE json_patch('{}', ?6) END)
"""
"""Into an empty store, for edge rows already merged per (source, type, target)."""

_KIND_TEXT: dict[NodeKind, str] = {kind: kind.value for kind in NodeKind}
_TYPE_TEXT: dict[EdgeType, str] = {edge_type: edge_type.value for edge_type in EdgeType}
"""Exact ``str`` values: sqlite3 binds ``str`` subclasses (our enums) slowly."""


def json_default(value: Any) -> Any:
    """JSON for the few non-JSON values loaders hand us (dates, decimals); others are refused."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, set | frozenset | tuple):
        return sorted(value, key=str) if isinstance(value, set | frozenset) else list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


_ENCODE = c_make_encoder(
    None,  # no cycle check: props come from parsed documents, which cannot hold cycles
    json_default,
    encode_basestring,  # ensure_ascii=False
    None,  # no indent
    ":",
    ",",
    True,  # sort_keys
    False,  # skipkeys
    False,  # allow_nan
)
"""The C encoder ``json.dumps`` would build on every call, built once: a third cheaper."""


def load_props(text: str | None, *, where: str) -> dict[str, Any]:
    """A stored property map back as a dict; ``CorruptData`` naming ``where`` when the text is
    not a JSON object (a damaged row must fail the answers that contain it, clearly)."""
    if not text or text == "{}":
        return {}
    try:
        value = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise damaged(where, f"its properties are not JSON ({exc})") from exc
    if not isinstance(value, dict):
        raise damaged(where, "its properties are not a JSON object")
    return value


def damaged(where: str, reason: str) -> CorruptData:
    """The error for a stored record that does not decode, pointing at ``db check``."""
    return CorruptData(
        f"{where} is stored damaged: {reason}; 'traceapi db check' lists every damaged record",
        details={"record": where, "reason": reason},
    )


def dump_props(props: dict[str, Any], *, where: str, keep_nulls: bool = False) -> str:
    """Canonical JSON text of a property map (sorted keys, compact), naming ``where`` on error.

    A property whose value is None is absent, as in Neo4j; ``keep_nulls`` keeps them for a
    JSON merge patch, where they remove the key.
    """
    if not props:
        return "{}"
    if not keep_nulls and None in props.values():
        props = {key: value for key, value in props.items() if value is not None}
    try:
        return "".join(_ENCODE(props, 0))
    except (TypeError, ValueError, RecursionError) as exc:
        raise InvalidInput(
            f"{where}: properties cannot be stored: {exc}", details={"at": where}
        ) from exc


def apply_batch_in(conn: sqlite3.Connection, batch: Batch) -> BatchResult:
    """Validate ``batch`` against itself and the store, then write it; counts what changed.

    Into an empty store (the first bulk load) nothing can be stored already, so the lookups
    of stored nodes, rowids and aliases are skipped and edges are plain inserts. The cyclic
    collector waits meanwhile: the row lists made here would set off full collections that
    rescan the whole batch, for nothing (see ``traceapi.gc_pause``).
    """
    with collector_paused():
        return _apply(conn, batch)


def _apply(conn: sqlite3.Connection, batch: Batch) -> BatchResult:
    pending = _merge_nodes(batch.nodes)
    next_rid = int(conn.execute("SELECT coalesce(max(rid), 0) FROM nodes").fetchone()[0]) + 1
    empty = next_rid == 1  # no nodes, hence no edges nor aliases either
    stored = {} if empty else _stored_nodes(conn, list(pending))

    # Kinds first: a node must keep the kind it was stored with.
    for node_id, row in stored.items():
        node = pending[node_id]
        if row[1] != node.kind:
            raise InvalidInput(
                f"node {node_id!r} is stored as a {row[1]} and cannot become a {node.kind}",
                details={"node": node_id, "stored_kind": row[1], "kind": node.kind.value},
            )

    rid_of: dict[str, int] = {node_id: row[0] for node_id, row in stored.items()}
    new_ids = [node_id for node_id in pending if node_id not in rid_of]
    rid_of.update(zip(new_ids, range(next_rid, next_rid + len(new_ids)), strict=True))

    if not empty:
        referenced = {e.source for e in batch.edges}
        referenced.update([e.target for e in batch.edges], [a.node_id for a in batch.aliases])
        referenced.difference_update(rid_of)
        rid_of.update(_stored_rids(conn, list(referenced)))

    edge_rows = _edge_rows(batch, rid_of)
    alias_rows = _new_aliases(conn, batch, pending, rid_of, empty=empty)

    # Everything is valid: write.
    new_nodes = list(map(pending.__getitem__, new_ids))
    kinds = list(map(_KIND_TEXT.__getitem__, map(_KIND, new_nodes)))
    inserts = list(
        zip(
            range(next_rid, next_rid + len(new_ids)),
            new_ids,
            kinds,
            map(_NAME, new_nodes),
            _props_texts(new_ids, new_nodes),
            strict=True,
        )
    )
    updates, unchanged_nodes = _node_updates(pending, stored)
    bulk = empty and len(inserts) + len(edge_rows) >= BULK_ROWS
    rebuild = _drop_secondary_indexes(conn) if bulk else []
    conn.executemany(
        "INSERT INTO nodes (rid, id, kind, name, props) VALUES (?, ?, ?, ?, ?)", inserts
    )
    conn.executemany("UPDATE nodes SET name = ?, props = ? WHERE rid = ?", updates)

    if empty:
        conn.executemany(_INSERT_EDGE, edge_rows)
        added_by_type = dict(Counter(map(itemgetter(2), edge_rows)))
        changed_edges = len(edge_rows)
    else:
        last_edge = int(conn.execute("SELECT coalesce(max(rowid), 0) FROM edges").fetchone()[0])
        changed_edges = conn.executemany(_UPSERT_EDGE, edge_rows).rowcount if edge_rows else 0
        added_by_type = dict(
            conn.execute(
                "SELECT type, count(*) FROM edges WHERE rowid > ? GROUP BY type", (last_edge,)
            ).fetchall()
        )
    edges_added = sum(added_by_type.values())

    conn.executemany("INSERT INTO aliases (alias, rid) VALUES (?, ?)", alias_rows)
    for statement in rebuild:
        conn.execute(statement)

    added_by_kind = Counter(kinds)
    bump_counters(conn, "node", added_by_kind.items())
    bump_counters(conn, "edge", added_by_type.items())

    return BatchResult(
        nodes_added=len(inserts),
        nodes_updated=len(updates),
        nodes_unchanged=unchanged_nodes,
        edges_added=edges_added,
        edges_updated=changed_edges - edges_added,
        edges_unchanged=len(edge_rows) - changed_edges,
        aliases_added=len(alias_rows),
    )


BULK_ROWS = 20_000
"""A batch of at least this many rows into an empty store is a bulk load: the secondary
indexes are dropped first and built again at the end, in the same transaction (a third
faster at size M than keeping them up to date row by row)."""


def _drop_secondary_indexes(conn: sqlite3.Connection) -> list[str]:
    """Drop the graph tables' named indexes, returning the statements that create them again.

    That includes the unique keys of nodes and edges: a first bulk load has merged its
    repeats already, and building each key once after the inserts, sorted, costs a fraction
    of keeping it up to date row by row. Only SQLite's own indexes (the aliases' primary key)
    stay. A repeat that slipped through would fail the rebuild, and with it the whole batch.
    """
    rows = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
        "AND tbl_name IN ('nodes', 'edges', 'aliases') AND sql IS NOT NULL ORDER BY name"
    ).fetchall()
    for name, _sql in rows:
        conn.execute(f'DROP INDEX "{name}"')
    return [sql for _name, sql in rows]


def bump_counters(conn: sqlite3.Connection, what: str, counts: Iterable[tuple[str, int]]) -> None:
    conn.executemany(
        "INSERT INTO counters (what, name, n) VALUES (?, ?, ?) "
        "ON CONFLICT (what, name) DO UPDATE SET n = n + excluded.n",
        [(what, name, n) for name, n in counts if n],
    )


def _props_texts(ids: list[str], nodes: list[Node]) -> list[str]:
    """The stored props text of each new node (most of the Python time of writing nodes)."""
    return [
        dump_props(props, where=node_id) if props else "{}"
        for node_id, props in zip(ids, map(_NODE_PROPS, nodes), strict=True)
    ]


_KIND, _NAME, _NODE_PROPS = map(attrgetter, ("kind", "name", "props"))


def _merge_nodes(nodes: list[Node]) -> dict[str, Node]:
    """One node per id: later occurrences in the batch merge into earlier ones (copies).

    Most batches repeat no id, which one C-level ``dict(zip(...))`` finds out."""
    unique = dict(zip(map(_NODE_ID, nodes), nodes, strict=True))
    if len(unique) == len(nodes):
        return unique
    pending: dict[str, Node] = {}
    for node in nodes:
        seen = pending.setdefault(node.id, node)
        if seen is node:
            continue
        if seen.kind != node.kind:
            raise InvalidInput(
                f"node {node.id!r} appears in the batch as a {seen.kind} and as a {node.kind}",
                details={"node": node.id, "kinds": [seen.kind.value, node.kind.value]},
            )
        pending[node.id] = Node.model_construct(
            id=node.id,
            kind=node.kind,
            name=node.name if node.name is not None else seen.name,
            aliases=[*seen.aliases, *node.aliases],
            props={**seen.props, **node.props},
        )
    return pending


def _stored_nodes(
    conn: sqlite3.Connection, ids: list[str]
) -> dict[str, tuple[int, str, str | None, str]]:
    """id -> (rid, kind, name, props text) for the ids already stored."""
    if not ids:
        return {}
    rows = conn.execute(
        "SELECT n.id, n.rid, n.kind, n.name, n.props FROM json_each(?) AS j "
        "JOIN nodes AS n ON n.id = j.value",
        (json.dumps(ids),),
    )
    return {row[0]: (row[1], row[2], row[3], row[4]) for row in rows}


def _stored_rids(conn: sqlite3.Connection, ids: list[str]) -> dict[str, int]:
    if not ids:
        return {}
    rows = conn.execute(
        "SELECT n.id, n.rid FROM json_each(?) AS j JOIN nodes AS n ON n.id = j.value",
        (json.dumps(ids),),
    )
    return dict(rows.fetchall())


EdgeRow = tuple[int, int, str, float | None, str | None, str]


def _edge_rows(batch: Batch, rid_of: dict[str, int]) -> list[EdgeRow]:
    """Rows for the edge upsert, one per (source, type, target); refuses dangling edges.

    The hot loop of a bulk load, so each column is made by one C-level ``map`` or ``zip``;
    only edges with properties, and batches that repeat an edge, take a Python loop.
    """
    edges = batch.edges
    if not edges:
        return []
    # One column at a time: zip(*rows) would build a million-argument call.
    rid = rid_of.get
    found_src = list(map(rid, map(_SOURCE, edges)))
    found_dst = list(map(rid, map(_TARGET, edges)))
    if None in found_src or None in found_dst:
        index = next(
            i for i, ends in enumerate(zip(found_src, found_dst, strict=True)) if None in ends
        )
        raise _dangling(index, edges[index], rid_of)
    src, dst = cast(list[int], found_src), cast(list[int], found_dst)
    names = list(map(_TYPE_TEXT.__getitem__, map(_TYPE, edges)))
    props = list(map(_PROPS, edges))
    texts = ["{}"] * len(edges)
    for index in compress(count(), props):
        texts[index] = _edge_props_text(props[index], index, edges[index])
    rows = list(zip(src, dst, names, map(_QTY, edges), map(_UNIT, edges), texts, strict=True))
    if _has_repeats(src, names, dst):
        return _merge_repeats(rows, edges)
    return rows


_NODE_ID = attrgetter("id")
_SOURCE, _TARGET, _TYPE, _QTY, _UNIT, _PROPS = map(
    attrgetter, ("source", "target", "type", "qty", "unit", "props")
)
_TYPE_CODE: dict[str, int] = {edge_type.value: code for code, edge_type in enumerate(EdgeType)}


def _has_repeats(src: list[int], names: list[str], dst: list[int]) -> bool:
    """Whether some (source, type, target) occurs twice: one int64 key per edge, sorted by
    numpy (a Python set of a million tuples costs several times more)."""
    top = max(max(src), max(dst)) + 1
    if top * top * len(_TYPE_CODE) >= 2**62:
        return len(set(zip(src, names, dst, strict=True))) != len(src)
    keys = np.fromiter(map(_TYPE_CODE.__getitem__, names), dtype=np.int64, count=len(names))
    keys *= top
    keys += np.asarray(src, dtype=np.int64)
    keys *= top
    keys += np.asarray(dst, dtype=np.int64)
    keys.sort()
    return bool((keys[1:] == keys[:-1]).any())


def _merge_repeats(rows: list[EdgeRow], edges: list[Edge]) -> list[EdgeRow]:
    """One row per (source, type, target), later repeats merged into the first as the store
    would merge them (new non-null qty and unit win, props merged)."""
    merged: dict[tuple[int, str, int], EdgeRow] = {}
    for index, row in enumerate(rows):
        src, dst, edge_type, qty, unit, props = row
        key = (src, edge_type, dst)
        earlier = merged.get(key)
        if earlier is None:
            merged[key] = row
            continue
        both = {**json.loads(earlier[5]), **json.loads(props)}
        merged[key] = (
            src,
            dst,
            edge_type,
            qty if qty is not None else earlier[3],
            unit if unit is not None else earlier[4],
            dump_props(both, where=_edge_label(index, edges[index]), keep_nulls=True),
        )
    return list(merged.values())


def _edge_props_text(props: dict[str, Any], index: int, edge: Edge) -> str:
    """``dump_props`` of one edge's (non-empty) props; the label naming the edge is only
    made for the error message (making it for every edge cost a tenth of the encoding)."""
    try:
        return "".join(_ENCODE(props, 0))
    except (TypeError, ValueError, RecursionError):
        return dump_props(props, where=_edge_label(index, edge), keep_nulls=True)


def _edge_label(index: int, edge: Edge) -> str:
    return f"edge #{index} ({edge.source} -{edge.type.value}-> {edge.target})"


def _dangling(index: int, edge: Edge, rid_of: dict[str, int]) -> InvalidInput:
    missing = [n for n in dict.fromkeys((edge.source, edge.target)) if n not in rid_of]
    return InvalidInput(
        f"{_edge_label(index, edge)} is dangling: "
        f"{' and '.join(repr(m) for m in missing)} "
        f"{'is' if len(missing) == 1 else 'are'} neither in the batch nor in the store",
        details={
            "index": index,
            "source": edge.source,
            "type": edge.type.value,
            "target": edge.target,
            "missing": missing,
        },
    )


def _new_aliases(
    conn: sqlite3.Connection,
    batch: Batch,
    pending: dict[str, Node],
    rid_of: dict[str, int],
    *,
    empty: bool = False,
) -> list[tuple[str, int]]:
    """(alias, rid) rows not stored yet; refuses aliases of missing nodes and rebinding.
    ``empty`` says the store holds no alias yet (nothing to look up)."""
    wanted: dict[str, str] = {}

    def claim(alias: str, node_id: str, where: str) -> None:
        bound = wanted.get(alias)
        if bound is not None and bound != node_id:
            raise Conflict(
                f"alias {alias!r} is given to both {bound!r} and {node_id!r} in this batch",
                details={"alias": alias, "nodes": [bound, node_id], "at": where},
            )
        wanted[alias] = node_id

    for node_id, node in pending.items():
        for alias in node.aliases:
            if alias != node_id:
                claim(alias, node_id, f"node {node_id}")
    for index, given in enumerate(batch.aliases):
        if given.node_id not in rid_of:
            raise InvalidInput(
                f"alias #{index} {given.alias!r} points at {given.node_id!r}, which is neither "
                "in the batch nor in the store",
                details={"index": index, "alias": given.alias, "node": given.node_id},
            )
        if given.alias != given.node_id:
            claim(given.alias, given.node_id, f"alias #{index}")
    if not wanted or empty:
        return [(alias, rid_of[node_id]) for alias, node_id in wanted.items()]

    stored = conn.execute(
        "SELECT a.alias, n.id FROM json_each(?) AS j JOIN aliases AS a ON a.alias = j.value "
        "JOIN nodes AS n ON n.rid = a.rid",
        (json.dumps(list(wanted)),),
    ).fetchall()
    already = set()
    for alias, holder in stored:
        if holder != wanted[alias]:
            raise Conflict(
                f"alias {alias!r} already names node {holder!r}; it cannot also name "
                f"{wanted[alias]!r}",
                details={"alias": alias, "stored_node": holder, "node": wanted[alias]},
            )
        already.add(alias)
    return [(alias, rid_of[node_id]) for alias, node_id in wanted.items() if alias not in already]


_ABSENT = object()


def _repeats(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """True when ``new`` restates stored scalar values exactly (the usual re-load), so there is
    nothing to encode; anything else (containers, 1 vs True) is decided on the encoded text."""
    for key, value in new.items():
        before = old.get(key, _ABSENT)
        if type(before) is not type(value) or before != value or isinstance(value, dict | list):
            return False
    return True


def _node_updates(
    pending: dict[str, Node], stored: dict[str, tuple[int, str, str | None, str]]
) -> tuple[list[tuple[str | None, str, int]], int]:
    """UPDATE rows for stored nodes whose name or props change, and how many stay as they are."""
    updates: list[tuple[str | None, str, int]] = []
    unchanged = 0
    for node_id, row in stored.items():
        rid, _kind, old_name, old_props = row
        node = pending[node_id]
        props = old_props
        if node.props:
            old = json.loads(old_props)
            if not _repeats(old, node.props):
                props = dump_props({**old, **node.props}, where=node_id)
        name = node.name if node.name is not None else old_name
        if props != old_props or name != old_name:
            updates.append((name, props, rid))
        else:
            unchanged += 1
    return updates, unchanged
