"""Applying one Batch to the embedded store's SQLite file: validate everything, then write.

Runs inside the caller's write transaction (``BEGIN IMMEDIATE``), so what it reads cannot change
before it writes, and any error leaves the file as it was once the caller rolls back.

Merging: a stored node keeps its kind (a different one is refused) and its name unless a new
non-null one comes; its props take the new keys (a None value removes a key, as in Neo4j); its
aliases are unioned. Ids in a batch appearing twice are merged the same way first. New nodes get
the next rowids, assigned here, so edges can be written without reading them back.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from traceapi.domain.model import Batch, BatchResult, Edge, Node
from traceapi.errors import Conflict, InvalidInput

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


def json_default(value: Any) -> Any:
    """JSON for the few non-JSON values loaders hand us (dates, decimals); others are refused."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, set | frozenset | tuple):
        return sorted(value, key=str) if isinstance(value, set | frozenset) else list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


_ENCODER = json.JSONEncoder(
    sort_keys=True,
    separators=(",", ":"),
    ensure_ascii=False,
    allow_nan=False,
    default=json_default,
)
"""One encoder for every property map (``json.dumps`` with options builds one per call)."""


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
        return _ENCODER.encode(props)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(
            f"{where}: properties cannot be stored: {exc}", details={"at": where}
        ) from exc


def apply_batch_in(conn: sqlite3.Connection, batch: Batch) -> BatchResult:
    """Validate ``batch`` against itself and the store, then write it; counts what changed."""
    pending = _merge_nodes(batch.nodes)
    stored = _stored_nodes(conn, list(pending))

    # Kinds first: a node must keep the kind it was stored with.
    for node_id, node in pending.items():
        row = stored.get(node_id)
        if row is not None and row[1] != node.kind:
            raise InvalidInput(
                f"node {node_id!r} is stored as a {row[1]} and cannot become a {node.kind}",
                details={"node": node_id, "stored_kind": row[1], "kind": node.kind.value},
            )

    rid_of: dict[str, int] = {node_id: row[0] for node_id, row in stored.items()}
    next_rid = int(conn.execute("SELECT coalesce(max(rid), 0) FROM nodes").fetchone()[0]) + 1
    new_ids = [node_id for node_id in pending if node_id not in rid_of]
    for offset, node_id in enumerate(new_ids):
        rid_of[node_id] = next_rid + offset

    referenced = {e.source for e in batch.edges}
    referenced.update([e.target for e in batch.edges], [a.node_id for a in batch.aliases])
    referenced.difference_update(rid_of)
    rid_of.update(_stored_rids(conn, list(referenced)))

    edge_rows = _edge_rows(batch, rid_of)
    alias_rows = _new_aliases(conn, batch, pending, rid_of)

    # Everything is valid: write.
    inserts = [
        (rid_of[node_id], node_id, str(node.kind), node.name, dump_props(node.props, where=node_id))
        for node_id, node in ((i, pending[i]) for i in new_ids)
    ]
    updates, unchanged_nodes = _node_updates(pending, stored)
    conn.executemany(
        "INSERT INTO nodes (rid, id, kind, name, props) VALUES (?, ?, ?, ?, ?)", inserts
    )
    conn.executemany("UPDATE nodes SET name = ?, props = ? WHERE rid = ?", updates)

    last_edge = int(conn.execute("SELECT coalesce(max(rowid), 0) FROM edges").fetchone()[0])
    changed_edges = conn.executemany(_UPSERT_EDGE, edge_rows).rowcount if edge_rows else 0
    added_by_type = dict(
        conn.execute(
            "SELECT type, count(*) FROM edges WHERE rowid > ? GROUP BY type", (last_edge,)
        ).fetchall()
    )
    edges_added = sum(added_by_type.values())

    conn.executemany("INSERT INTO aliases (alias, rid) VALUES (?, ?)", alias_rows)

    added_by_kind = Counter(str(pending[i].kind) for i in new_ids)
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


def bump_counters(conn: sqlite3.Connection, what: str, counts: Iterable[tuple[str, int]]) -> None:
    conn.executemany(
        "INSERT INTO counters (what, name, n) VALUES (?, ?, ?) "
        "ON CONFLICT (what, name) DO UPDATE SET n = n + excluded.n",
        [(what, name, n) for name, n in counts if n],
    )


def _merge_nodes(nodes: list[Node]) -> dict[str, Node]:
    """One node per id: later occurrences in the batch merge into earlier ones (copies)."""
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

    The hot loop of a bulk load: plain lookups only (enum members bind as their text).
    """
    rows: dict[tuple[int, str, int], EdgeRow] = {}
    rid = rid_of.get
    for index, edge in enumerate(batch.edges):
        src = rid(edge.source)
        dst = rid(edge.target)
        if src is None or dst is None:
            raise _dangling(index, edge, rid_of)
        edge_type = str(edge.type)  # exact str: sqlite3 adapts str subclasses slowly
        props = (
            dump_props(edge.props, where=_edge_label(index, edge), keep_nulls=True)
            if edge.props
            else "{}"
        )
        key = (src, edge_type, dst)
        if key in rows:
            # The same edge twice in one batch: merge as the store would.
            earlier = rows[key]
            merged = {**json.loads(earlier[5]), **json.loads(props)}
            rows[key] = (
                src,
                dst,
                edge_type,
                edge.qty if edge.qty is not None else earlier[3],
                edge.unit if edge.unit is not None else earlier[4],
                dump_props(merged, where=_edge_label(index, edge), keep_nulls=True),
            )
        else:
            rows[key] = (src, dst, edge_type, edge.qty, edge.unit, props)
    return list(rows.values())


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
) -> list[tuple[str, int]]:
    """(alias, rid) rows not stored yet; refuses aliases of missing nodes and rebinding."""
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
    if not wanted:
        return []

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
