"""The Neo4j backend: the GraphStore contract over the official driver and ``cypher/*.cypher``.

Data model (see docs/neo4j.md):

* every graph node is ``(:Node:<Kind> {id, kind, name, aliases, props_json, ...})``; ``props_json``
  holds the exact properties, and each property is also stored under its own key so Cypher
  users can read and filter it (scalars as they are, lists and maps such as a process step's
  ``params`` as JSON strings; keys that clash with ``id``, ``kind``, ``name``, ``aliases`` or
  ``props_json`` live in ``props_json`` only);
* every alias is also an ``(:Alias {alias, node_id})`` node under a uniqueness constraint, so an
  alias lookup is one exact index seek and two nodes can never share an alias;
* edges are relationships of their ``EdgeType`` name with ``qty``, ``unit`` and ``props_json``;
* ``(:Meta)``, ``(:ApiKey)``, ``(:AuditEntry)`` and one ``(:AuditHead)`` hold the rest. Every
  graph, key and audit write first updates the audit head, which makes writers queue one behind
  the other (as in the embedded store), so the validate-then-write steps of a batch see a stable
  store and audit entries chain without gaps.

Reads go through ``execute_query`` routed to readers; writes run in managed transactions that the
driver retries on transient failures (every write is an idempotent MERGE). Traversal expands
one level per query and keeps the visited set here: no variable-length pattern, no paths.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, LiteralString, TypeVar

import neo4j
from neo4j import exceptions as neo4j_errors

from traceapi import __version__
from traceapi.domain.audit import (
    AUDIT_RECORD_FIELDS,
    GENESIS_HASH,
    AuditDraft,
    AuditEntry,
    AuditRecord,
    chain_entry,
    decode_audit_records,
)
from traceapi.domain.clock import utc_now
from traceapi.domain.model import Batch, BatchResult, Edge, EdgeType, Node, NodeKind
from traceapi.domain.records import RecordLink, Signature, StoredRecord
from traceapi.domain.security import ApiKey, Session, User
from traceapi.errors import (
    Conflict,
    CorruptData,
    InvalidInput,
    LimitExceeded,
    NotFound,
    StoreUnavailable,
    TraceapiError,
)
from traceapi.settings import Settings
from traceapi.store.base import (
    DamagedRecord,
    Direction,
    EdgeRow,
    EdgeSide,
    GraphStore,
    Reach,
    StoreStats,
    StoreTx,
)
from traceapi.store.cypher import load_query
from traceapi.store.migrations import Migration, apply_migrations
from traceapi.store.neo4j_records import (
    HEAD_ID,
    Neo4jTx,
    link_from,
    record_from,
    session_from,
    signature_from,
    user_from,
)
from traceapi.store.neo4j_records import api_key_from as _api_key_from
from traceapi.store.neo4j_records import api_key_record as _api_key_record
from traceapi.store.sqlite_batch import damaged, dump_props, json_default, load_props

T = TypeVar("T")

CONNECTION_TIMEOUT_S = 3.0
"""TCP connect timeout: a server that is down is reported within a few seconds."""
ACQUISITION_TIMEOUT_S = 5.0
"""Waiting for a pooled connection (must exceed the connect timeout)."""
RETRY_TIME_S = 10.0
"""How long the driver retries a transaction on transient errors (leader switch, deadlock)."""
ROWS_PER_STATEMENT = 5_000
"""Rows per ``UNWIND`` statement; one batch may span several statements of one transaction."""
CLEAR_CHUNK = 10_000

_HEAD_ID = HEAD_ID
_SCHEMES = frozenset({"bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc"})
_NODE_RESERVED = frozenset({"id", "kind", "name", "aliases", "props_json"})
_EDGE_RESERVED = frozenset({"qty", "unit", "props_json"})
_INT64 = (-(2**63), 2**63 - 1)


@dataclass(frozen=True, slots=True)
class _Head:
    seq: int
    hash: str


class Neo4jStore(GraphStore):
    """A GraphStore on a Neo4j 5 server or cluster; thread-safe (the driver pools connections)."""

    backend = "neo4j"

    def __init__(self, driver: neo4j.Driver, *, database: str, uri: str, user: str) -> None:
        self._driver = driver
        self._database = database
        self._uri = uri
        self._user = user

    # -- lifecycle -----------------------------------------------------------------------
    @classmethod
    def connect(cls, settings: Settings, *, migrate: bool = True) -> Neo4jStore:
        """Open a driver for ``settings``, check the server answers, and apply migrations.

        Raises ``StoreUnavailable`` within a few seconds when the server is down or refuses
        the credentials, ``InvalidInput`` when the URI is not a Neo4j URI.
        """
        uri = settings.neo4j_uri
        if not uri:
            raise InvalidInput("the Neo4j backend needs NEO4J_URI (e.g. bolt://localhost:7687)")
        scheme = uri.split("://", 1)[0].lower() if "://" in uri else ""
        if scheme not in _SCHEMES:
            raise InvalidInput(
                f"NEO4J_URI {uri!r} must start with one of "
                + ", ".join(f"{s}://" for s in sorted(_SCHEMES))
            )
        auth = (settings.neo4j_user, settings.neo4j_password) if settings.neo4j_password else None
        try:
            driver = neo4j.GraphDatabase.driver(
                uri,
                auth=auth,
                connection_timeout=CONNECTION_TIMEOUT_S,
                connection_acquisition_timeout=ACQUISITION_TIMEOUT_S,
                max_transaction_retry_time=RETRY_TIME_S,
                user_agent=f"traceapi/{__version__}",
            )
        except (neo4j_errors.ConfigurationError, ValueError) as err:
            raise InvalidInput(f"NEO4J_URI {uri!r} is not usable: {err}") from None
        store = cls(driver, database=settings.neo4j_database, uri=uri, user=settings.neo4j_user)
        try:
            store.ping()
            if migrate:
                store.migrate()
        except BaseException:
            driver.close()
            raise
        return store

    def migrate(self) -> list[Migration]:
        """Apply the schema migrations not yet applied; returns the ones run now."""
        with self._translated("applying migrations"):
            return apply_migrations(self._driver, database=self._database)

    def ping(self) -> None:
        with self._translated("checking the connection"):
            self._driver.verify_connectivity()

    def close(self) -> None:
        self._driver.close()

    def __enter__(self) -> Neo4jStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Neo4jStore({self._uri!r}, database={self._database!r})"

    def clear(self) -> None:
        def work(tx: neo4j.ManagedTransaction) -> int:
            self._lock(tx)
            rows = _rows(tx, load_query("clear_graph"), page_size=CLEAR_CHUNK)
            return int(rows[0]["deleted"]) if rows else 0

        while self._write(work, "clearing the store") > 0:
            pass

    def erase_everything(self) -> None:
        """Delete the graph, meta, API keys, the audit trail, records, people and sessions: a
        fresh database for tests.

        Unlike ``clear()`` this breaks the audit trail's continuity; never call it on data
        anyone relies on. The schema and the migration records stay.
        """

        def work(tx: neo4j.ManagedTransaction) -> int:
            rows = _rows(tx, load_query("erase_everything"), page_size=CLEAR_CHUNK)
            return int(rows[0]["deleted"]) if rows else 0

        while self._write(work, "erasing the database") > 0:
            pass

    # -- writing -------------------------------------------------------------------------
    def apply_batch(self, batch: Batch, *, audit: AuditDraft | None = None) -> BatchResult:
        nodes = _merge_batch_nodes(batch.nodes)
        aliases = _batch_aliases(batch, nodes)
        edges = _merge_batch_edges(batch.edges)

        def work(tx: neo4j.ManagedTransaction) -> BatchResult:
            head = self._lock(tx)
            wanted = set(nodes) | set(aliases.values())
            for edge in edges.values():
                wanted.update((edge.source, edge.target))
            stored = self._nodes_in_tx(tx, sorted(wanted))
            _check_batch(nodes, aliases, batch.edges, stored)
            taken = {
                row["alias_name"]: row["node_id"]
                for chunk in _chunks(sorted(aliases))
                for row in _rows(tx, load_query("get_aliases"), alias_names=chunk)
            }
            for alias, node_id in aliases.items():
                if taken.get(alias, node_id) != node_id:
                    raise Conflict(
                        f"alias {alias!r} already names node {taken[alias]!r}, not {node_id!r}",
                        details={"alias": alias, "node": node_id, "existing": taken[alias]},
                    )
            result = BatchResult()
            merged: dict[str, Node] = {}
            for node_id, node in nodes.items():
                old = stored.get(node_id)
                new = _without_nulls(node) if old is None else _merge_node(old, node)
                merged[node_id] = new
                if old is None:
                    result.nodes_added += 1
                elif _node_state(new) != _node_state(old):
                    result.nodes_updated += 1
                else:
                    result.nodes_unchanged += 1
            new_aliases = {a: n for a, n in aliases.items() if a not in taken}
            for alias, node_id in new_aliases.items():
                holder = merged.get(node_id) or stored[node_id]
                if alias not in holder.aliases:
                    names = sorted({*holder.aliases, alias})
                    merged[node_id] = holder.model_copy(update={"aliases": names})
            result.aliases_added = len(new_aliases)
            # Written: new nodes and nodes whose name, props or alias list changed.
            final = [
                node
                for node_id, node in merged.items()
                if node_id not in stored or _full_state(node) != _full_state(stored[node_id])
            ]
            for node_rows in _chunks([_node_row(n) for n in final]):
                _rows(tx, load_query("merge_nodes"), rows=node_rows)
            for alias_rows in _chunks([{"alias": a, "node_id": n} for a, n in new_aliases.items()]):
                _rows(tx, load_query("merge_aliases"), rows=alias_rows)

            stored_edges = self._edges_in_tx(tx, list(edges.values()))
            changed: list[Edge] = []
            for key, edge in edges.items():
                old_edge = stored_edges.get(key)
                new_edge = _without_nulls(edge) if old_edge is None else _merge_edge(old_edge, edge)
                if old_edge is None:
                    result.edges_added += 1
                elif _edge_state(new_edge) != _edge_state(old_edge):
                    result.edges_updated += 1
                else:
                    result.edges_unchanged += 1
                    continue
                changed.append(new_edge)
            for edge_rows in _chunks([_edge_row(e) for e in changed]):
                _rows(tx, load_query("merge_edges"), rows=edge_rows)
            if audit is not None:
                self._append_in_tx(tx, head, audit)
            return result

        return self._write(work, f"applying batch from {batch.source}")

    def run_in_tx(self, work: Callable[[StoreTx], T], *, doing: str = "writing") -> T:
        def managed(tx: neo4j.ManagedTransaction) -> T:
            head = self._lock(tx)
            return work(Neo4jTx(tx, head=(head.seq, head.hash)))

        return self._write(managed, doing)

    # -- records, people ----------------------------------------------------------------
    def get_record(self, record_id: str, *, version: int | None = None) -> StoredRecord | None:
        rows = self._read(load_query("get_record"), record_id=record_id, version=version)
        return record_from(rows[0]["record"]) if rows else None

    def record_versions(self, record_id: str) -> list[StoredRecord]:
        rows = self._read(load_query("list_record_versions"), record_id=record_id)
        return [record_from(row["record"]) for row in rows]

    def list_records(
        self, *, kind: str | None = None, after: str | None = None, limit: int = 100
    ) -> list[StoredRecord]:
        if limit <= 0:
            return []
        rows = self._read(load_query("list_records"), kind=kind, after=after or "", page_size=limit)
        return [record_from(row["record"]) for row in rows]

    def record_links(self, record_id: str) -> list[RecordLink]:
        rows = self._read(load_query("list_record_links"), record_id=record_id)
        return [link_from(record_id, row) for row in rows]

    def signatures_of(self, record_id: str) -> list[Signature]:
        rows = self._read(load_query("list_signatures"), record_id=record_id)
        return [signature_from(row["signature"]) for row in rows]

    def get_user(self, username: str) -> User | None:
        rows = self._read(load_query("get_user"), username=username)
        return user_from(rows[0]["user"]) if rows else None

    def get_user_by_id(self, user_id: str) -> User | None:
        rows = self._read(load_query("get_user_by_id"), user_id=user_id)
        return user_from(rows[0]["user"]) if rows else None

    def list_users(self) -> list[User]:
        return [user_from(row["user"]) for row in self._read(load_query("list_users"))]

    def get_session(self, token_hash: str) -> Session | None:
        rows = self._read(load_query("get_session"), token_hash=token_hash)
        return session_from(rows[0]["session"]) if rows else None

    # -- looking up ----------------------------------------------------------------------
    def resolve(self, identifier: str) -> str | None:
        rows = self._read(load_query("resolve_identifier"), identifier=identifier)
        if not rows:
            return None
        found = rows[0]["id"] or rows[0]["alias_of"]
        return str(found) if found is not None else None

    def get_nodes(self, ids: Sequence[str]) -> dict[str, Node]:
        unique = list(dict.fromkeys(ids))
        found: dict[str, Node] = {}
        for chunk in _chunks(unique):
            for row in self._read(load_query("get_nodes"), ids=chunk):
                node = _node_from_row(row)
                found[node.id] = node
        return found

    def edges_of(
        self,
        ids: Sequence[str],
        *,
        side: EdgeSide = "out",
        types: frozenset[EdgeType] | None = None,
    ) -> list[Edge]:
        unique = list(dict.fromkeys(ids))
        if side not in ("out", "in", "both"):
            raise InvalidInput(f"edge side must be out, in or both, not {side!r}")
        if not unique or (types is not None and not types):
            return []
        rel_types = None if types is None else sorted(EdgeType(t).value for t in types)
        found: dict[tuple[str, str, str], Edge] = {}
        for chunk in _chunks(unique):
            rows: list[dict[str, Any]] = []
            if side in ("out", "both"):
                rows += self._read(load_query("list_edges_out"), ids=chunk, rel_types=rel_types)
            if side in ("in", "both"):
                rows += self._read(load_query("list_edges_in"), ids=chunk, rel_types=rel_types)
            for row in rows:
                edge = _edge_from_row(row)
                found.setdefault(edge.key, edge)
        return [found[key] for key in sorted(found)]

    def edge_rows_of(
        self,
        ids: Sequence[str],
        *,
        side: EdgeSide = "out",
        types: frozenset[EdgeType] | None = None,
    ) -> list[EdgeRow]:
        return [
            EdgeRow(e.source, e.target, e.type, e.qty, e.unit)
            for e in self.edges_of(ids, side=side, types=types)
        ]

    def list_nodes(
        self,
        *,
        kind: NodeKind | None = None,
        after: str | None = None,
        limit: int = 100,
        where: Mapping[str, Any] | None = None,
    ) -> list[Node]:
        if limit < 0:
            raise InvalidInput(f"limit must not be negative, got {limit}")
        if limit == 0:
            return []
        wanted = dict(where or {})
        filters = {k: v for k, v in wanted.items() if k not in _NODE_RESERVED and _is_plain(v)}
        page_size = limit if len(filters) == len(wanted) else max(limit, 500)
        found: list[Node] = []
        cursor = after or ""  # every id is non-empty, so '' sorts before all of them
        while len(found) < limit:
            if kind is None:
                rows = self._read(
                    load_query("list_nodes"), after=cursor, filters=filters, page_size=page_size
                )
            else:
                rows = self._read(
                    load_query("list_nodes_of_kind"),
                    kind=NodeKind(kind).value,
                    after=cursor,
                    filters=filters,
                    page_size=page_size,
                )
            for row in rows:
                node = _node_from_row(row)
                if all(node.props.get(k) == v for k, v in wanted.items()):
                    found.append(node)
                    if len(found) == limit:
                        break
            if len(rows) < page_size:
                break
            cursor = str(rows[-1]["id"])
        return found

    # -- traversal -----------------------------------------------------------------------
    def reach(
        self,
        seeds: Sequence[str],
        *,
        direction: Direction,
        max_depth: int | None = None,
        max_nodes: int = 2_000_000,
    ) -> Reach:
        if max_depth is not None and max_depth < 0:
            raise InvalidInput(f"max_depth must not be negative, got {max_depth}")
        start = list(dict.fromkeys(seeds))
        if not start:
            return Reach(ids=[], kinds=[], depths=[])
        known = self.get_nodes(start)
        missing = [seed for seed in start if seed not in known]
        if missing:
            more = f" (and {len(missing) - 1} more unknown seeds)" if len(missing) > 1 else ""
            raise NotFound(f"no node with id {missing[0]!r}{more}", details={"ids": missing})
        if len(start) > max_nodes:
            raise _too_many(start, max_nodes)
        ids = list(start)
        kinds = [known[seed].kind for seed in start]
        depths = [0] * len(start)
        visited = set(start)
        frontier = start
        depth = 0
        while frontier and (max_depth is None or depth < max_depth):
            depth += 1
            level: dict[str, str] = {}
            for chunk in _chunks(frontier):
                if Direction(direction) is Direction.FORWARD:
                    rows = self._read(load_query("expand_forward"), frontier=chunk)
                else:
                    rows = self._read(load_query("expand_backward"), frontier=chunk)
                for row in rows:
                    if row["id"] not in visited:
                        level[str(row["id"])] = str(row["kind"])
            if len(visited) + len(level) > max_nodes:
                raise _too_many(start, max_nodes)
            frontier = sorted(level)
            visited.update(frontier)
            ids += frontier
            kinds += [NodeKind(level[node_id]) for node_id in frontier]
            depths += [depth] * len(frontier)
        return Reach(ids=ids, kinds=kinds, depths=depths)

    # -- whole-store views ---------------------------------------------------------------
    def stats(self) -> StoreStats:
        nodes = {
            str(row["kind"]): int(row["total"])
            for row in self._read(load_query("count_nodes_by_kind"))
        }
        edges = {
            str(row["rel_type"]): int(row["total"])
            for row in self._read(load_query("count_edges_by_type"))
        }
        return StoreStats(nodes=dict(sorted(nodes.items())), edges=dict(sorted(edges.items())))

    def iter_nodes(self, *, chunk_size: int = 10_000) -> Iterator[Node]:
        for row in self._node_rows(chunk_size):
            yield _node_from_row(row)

    def iter_edges(self, *, chunk_size: int = 10_000) -> Iterator[Edge]:
        for row in self._edge_rows(chunk_size):
            yield _edge_from_row(row)

    def _node_rows(self, chunk_size: int) -> Iterator[dict[str, Any]]:
        """Every node as a raw row, in id order, a page at a time."""
        cursor = ""
        while True:
            rows = self._read(
                load_query("list_nodes"), after=cursor, filters={}, page_size=chunk_size
            )
            yield from rows
            if not rows or len(rows) < chunk_size:
                return
            cursor = str(rows[-1]["id"])

    def _edge_rows(self, chunk_size: int) -> Iterator[dict[str, Any]]:
        """Every edge as a raw row, by source id, a page of sources at a time."""
        cursor = ""
        while True:
            rows = self._read(load_query("page_edges"), after=cursor, page_size=chunk_size)
            sources = {str(row["source_id"]) for row in rows}
            yield from (row for row in rows if row["rel_type"] is not None)
            if not rows or len(sources) < chunk_size:
                return
            cursor = str(rows[-1]["source_id"])  # rows come ordered by source id, server-side

    def check_ready(self) -> None:
        self.ping()
        # Neo4j has no index of ours to build; see that a sample of what it stores decodes.
        for row in itertools.islice(self._node_rows(READY_SAMPLE), READY_SAMPLE):
            _node_from_row(row)
        for row in itertools.islice(self._edge_rows(READY_SAMPLE), READY_SAMPLE):
            _edge_from_row(row)

    def damaged_records(self, *, limit: int = 100) -> list[DamagedRecord]:
        found: list[DamagedRecord] = []
        checks = itertools.chain(
            ((row, _node_from_row) for row in self._node_rows(10_000)),
            ((row, _edge_from_row) for row in self._edge_rows(10_000)),
        )
        for row, decode in checks:
            try:
                decode(row)
            except CorruptData as exc:
                found.append(DamagedRecord(exc.details["record"], exc.details["reason"]))
                if len(found) >= limit:
                    break
        return found

    # -- meta, keys, audit ---------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        rows = self._read(load_query("get_meta"), meta_key=key)
        value = rows[0]["meta_value"] if rows else None
        return None if value is None else str(value)

    def set_meta(self, key: str, value: str) -> None:
        def work(tx: neo4j.ManagedTransaction) -> None:
            _rows(tx, load_query("set_meta"), meta_key=key, meta_value=value)

        self._write(work, f"setting meta {key!r}")

    def put_api_key(self, key: ApiKey, *, audit: AuditDraft | None = None) -> None:
        record = _api_key_record(key)

        def work(tx: neo4j.ManagedTransaction) -> None:
            head = self._lock(tx)
            _rows(tx, load_query("put_api_key"), key_id=key.key_id, record=record)
            if audit is not None:
                self._append_in_tx(tx, head, audit)

        self._write(work, f"storing API key {key.key_id!r}")

    def get_api_key(self, key_hash: str) -> ApiKey | None:
        rows = self._read(load_query("get_api_key"), key_hash=key_hash)
        return _api_key_from(rows[0]["api_key"]) if rows else None

    def list_api_keys(self) -> list[ApiKey]:
        return [_api_key_from(row["api_key"]) for row in self._read(load_query("list_api_keys"))]

    def revoke_api_key(self, key_id: str, *, audit: AuditDraft | None = None) -> ApiKey:
        def work(tx: neo4j.ManagedTransaction) -> ApiKey:
            head = self._lock(tx)
            rows = _rows(tx, load_query("get_api_key_by_id"), key_id=key_id)
            if not rows:
                raise NotFound(f"no API key with id {key_id!r}", details={"key_id": key_id})
            current = _api_key_from(rows[0]["api_key"])
            if current.revoked_at is not None:
                return current
            revoked_at = datetime.now(UTC).isoformat()
            rows = _rows(tx, load_query("revoke_api_key"), key_id=key_id, revoked_at=revoked_at)
            if audit is not None:
                self._append_in_tx(tx, head, audit)
            return _api_key_from(rows[0]["api_key"])

        return self._write(work, f"revoking API key {key_id!r}")

    def append_audit(self, draft: AuditDraft) -> AuditEntry:
        def work(tx: neo4j.ManagedTransaction) -> AuditEntry:
            return self._append_in_tx(tx, self._lock(tx), draft)

        return self._write(work, "appending to the audit trail")

    def audit_entries(self, *, after_seq: int = 0, limit: int = 1000) -> list[AuditEntry]:
        return decode_audit_records(self.audit_records(after_seq=after_seq, limit=limit))

    def audit_records(self, *, after_seq: int = 0, limit: int = 1000) -> list[AuditRecord]:
        if limit <= 0:
            return []
        rows = self._read(load_query("list_audit_entries"), after_seq=after_seq, page_size=limit)
        return [{name: row["entry"].get(name) for name in AUDIT_RECORD_FIELDS} for row in rows]

    # -- plumbing ------------------------------------------------------------------------
    def _read(self, query: LiteralString, **params: Any) -> list[dict[str, Any]]:
        with self._translated("reading"):
            result = self._driver.execute_query(
                query, params, routing_=neo4j.RoutingControl.READ, database_=self._database
            )
            return [record.data() for record in result.records]

    def _write(self, work: Callable[[neo4j.ManagedTransaction], T], action: str) -> T:
        with (
            self._translated(action),
            self._driver.session(
                database=self._database,
                bookmark_manager=self._driver.execute_query_bookmark_manager,
            ) as session,
        ):
            return session.execute_write(work)

    def _lock(self, tx: neo4j.ManagedTransaction) -> _Head:
        rows = _rows(tx, load_query("lock_writer"), head_id=_HEAD_ID, genesis_hash=GENESIS_HASH)
        return _Head(seq=int(rows[0]["seq"]), hash=str(rows[0]["hash"]))

    def _append_in_tx(
        self, tx: neo4j.ManagedTransaction, head: _Head, draft: AuditDraft
    ) -> AuditEntry:
        entry = chain_entry(draft, prev_seq=head.seq, prev_hash=head.hash, at=utc_now())
        Neo4jTx(tx, head=(head.seq, head.hash)).put_audit(entry)
        return entry

    def _nodes_in_tx(self, tx: neo4j.ManagedTransaction, ids: list[str]) -> dict[str, Node]:
        found: dict[str, Node] = {}
        for chunk in _chunks(ids):
            for row in _rows(tx, load_query("get_nodes"), ids=chunk):
                node = _node_from_row(row)
                found[node.id] = node
        return found

    def _edges_in_tx(
        self, tx: neo4j.ManagedTransaction, edges: list[Edge]
    ) -> dict[tuple[str, str, str], Edge]:
        found: dict[tuple[str, str, str], Edge] = {}
        keys = [{"source": e.source, "type": e.type.value, "target": e.target} for e in edges]
        for chunk in _chunks(keys):
            for row in _rows(tx, load_query("get_edges"), edge_keys=chunk):
                edge = _edge_from_row(row)
                found[edge.key] = edge
        return found

    @contextmanager
    def _translated(self, action: str) -> Iterator[None]:
        """Driver failures become StoreUnavailable or Conflict, named with what we were doing."""
        try:
            yield
        except TraceapiError:
            raise
        except neo4j_errors.AuthError as err:
            raise StoreUnavailable(
                f"Neo4j at {self._uri} refused the credentials of user {self._user!r} "
                f"while {action}: {err.message}"
            ) from None
        except neo4j_errors.ConstraintError as err:
            raise Conflict(f"{action} conflicts with stored data: {err.message}") from None
        except neo4j_errors.Forbidden as err:
            raise StoreUnavailable(
                f"Neo4j user {self._user!r} may not do this while {action}: {err.message}"
            ) from None
        except (
            neo4j_errors.ServiceUnavailable,
            neo4j_errors.SessionExpired,
            neo4j_errors.ConnectionPoolError,
            neo4j_errors.TransientError,
            neo4j_errors.DatabaseError,
            neo4j_errors.IncompleteCommit,
        ) as err:
            raise StoreUnavailable(
                f"Neo4j at {self._uri} (database {self._database!r}) does not answer "
                f"while {action}: {err}"
            ) from None
        except neo4j_errors.ConfigurationError as err:
            raise InvalidInput(f"Neo4j configuration is not usable: {err}") from None


# -- rows in and out ---------------------------------------------------------------------
def _rows(
    tx: neo4j.ManagedTransaction, query: LiteralString, **params: Any
) -> list[dict[str, Any]]:
    return tx.run(query, params).data()


def _chunks(items: Sequence[T]) -> Iterator[list[T]]:
    for start in range(0, len(items), ROWS_PER_STATEMENT):
        yield list(items[start : start + ROWS_PER_STATEMENT])


def _too_many(seeds: list[str], max_nodes: int) -> LimitExceeded:
    shown = ", ".join(seeds[:5]) + (f" and {len(seeds) - 5} more" if len(seeds) > 5 else "")
    return LimitExceeded(
        f"the trace from {shown} reaches more than {max_nodes} nodes (the node cap); "
        "narrow it with a smaller max depth or fewer seeds",
        details={"max_nodes": max_nodes, "seeds": seeds[:5]},
    )


def _canonical_json(value: Any) -> str:
    return json.dumps(
        value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=json_default
    )


def _is_plain(value: Any) -> bool:
    """A value Neo4j stores and compares as Python does (no bools: Cypher keeps them apart)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return _INT64[0] <= value <= _INT64[1]
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, str)


def _flattened(props: Mapping[str, Any], reserved: frozenset[str]) -> dict[str, Any]:
    """Properties as stored beside ``props_json``: plain values as they are, others as JSON."""
    flat: dict[str, Any] = {}
    for key, value in props.items():
        if key in reserved or value is None:
            continue
        if _is_plain(value) or isinstance(value, bool):
            flat[key] = value
        else:
            flat[key] = _canonical_json(value)
    return flat


def _node_row(node: Node) -> dict[str, Any]:
    props_json = dump_props(node.props, where=f"node {node.id}")
    stored = _flattened(node.props, _NODE_RESERVED)
    stored.update(id=node.id, kind=node.kind.value, props_json=props_json)
    aliases = sorted({a for a in node.aliases if a != node.id})
    if aliases:  # no empty lists in the graph: an absent list reads back as []
        stored["aliases"] = aliases
    if node.name is not None:
        stored["name"] = node.name
    return {"id": node.id, "kind": node.kind.value, "props": stored}


def _edge_row(edge: Edge) -> dict[str, Any]:
    props_json = dump_props(
        edge.props, where=f"edge {edge.source} -{edge.type.value}-> {edge.target}"
    )
    stored = _flattened(edge.props, _EDGE_RESERVED)
    stored["props_json"] = props_json
    if edge.qty is not None:
        stored["qty"] = float(edge.qty)
    if edge.unit is not None:
        stored["unit"] = edge.unit
    return {"source": edge.source, "type": edge.type.value, "target": edge.target, "props": stored}


READY_SAMPLE = 8
"""Rows read (first nodes, first edges) to see that stored data decodes."""


def _node_from_row(row: Mapping[str, Any]) -> Node:
    where = f"node {row['id']!r}"
    try:
        kind = NodeKind(row["kind"])
    except ValueError as exc:
        raise damaged(where, f"its kind {row['kind']!r} is not one of ours") from exc
    return Node(
        id=row["id"],
        kind=kind,
        name=row.get("name"),
        aliases=list(row.get("aliases") or []),
        props=load_props(row.get("props_json"), where=where),
    )


def _edge_from_row(row: Mapping[str, Any]) -> Edge:
    where = f"edge {row['source_id']!r} -{row['rel_type']}-> {row['target_id']!r}"
    return Edge(
        source=row["source_id"],
        target=row["target_id"],
        type=EdgeType(row["rel_type"]),
        qty=row.get("qty"),
        unit=row.get("unit"),
        props=load_props(row.get("props_json"), where=where),
    )


# -- batch rules (shared meaning with the embedded store) ---------------------------------
NodeOrEdge = TypeVar("NodeOrEdge", Node, Edge)


def _props_without_nulls(props: Mapping[str, Any]) -> dict[str, Any]:
    """A property set to null is absent (so a batch can remove one by sending null)."""
    return {key: value for key, value in props.items() if value is not None}


def _without_nulls(item: NodeOrEdge) -> NodeOrEdge:
    return item.model_copy(update={"props": _props_without_nulls(item.props)})


def _merge_node(old: Node, new: Node) -> Node:
    """New props win, aliases are unioned, a missing name keeps the stored one."""
    aliases = sorted({*old.aliases, *new.aliases} - {old.id})
    return Node(
        id=old.id,
        kind=old.kind,
        name=new.name if new.name is not None else old.name,
        aliases=aliases,
        props=_props_without_nulls({**old.props, **new.props}),
    )


def _merge_edge(old: Edge, new: Edge) -> Edge:
    return Edge(
        source=old.source,
        target=old.target,
        type=old.type,
        qty=new.qty if new.qty is not None else old.qty,
        unit=new.unit if new.unit is not None else old.unit,
        props=_props_without_nulls({**old.props, **new.props}),
    )


def _node_state(node: Node) -> tuple[Any, ...]:
    # As in the embedded store, a node counts as updated when its name or props change;
    # new aliases are counted on their own.
    return (node.name, _canonical_json(node.props))


def _full_state(node: Node) -> tuple[Any, ...]:
    return (*_node_state(node), tuple(sorted(set(node.aliases) - {node.id})))


def _edge_state(edge: Edge) -> tuple[Any, ...]:
    return (edge.qty, edge.unit, _canonical_json(edge.props))


def _merge_batch_nodes(nodes: Sequence[Node]) -> dict[str, Node]:
    """One node per id; later occurrences merge into earlier ones (nulls kept until stored)."""
    merged: dict[str, Node] = {}
    for node in nodes:
        before = merged.get(node.id)
        if before is None:
            merged[node.id] = node
            continue
        if before.kind != node.kind:
            raise InvalidInput(
                f"node {node.id!r} appears in the batch as a {before.kind} and as a {node.kind}",
                details={"node": node.id, "kinds": [before.kind.value, node.kind.value]},
            )
        merged[node.id] = before.model_copy(
            update={
                "name": node.name if node.name is not None else before.name,
                "aliases": [*before.aliases, *node.aliases],
                "props": {**before.props, **node.props},
            }
        )
    return merged


def _batch_aliases(batch: Batch, nodes: Mapping[str, Node]) -> dict[str, str]:
    """Every alias the batch names (on nodes and in ``batch.aliases``) -> its node id."""
    pairs = [(alias, node.id) for node in nodes.values() for alias in node.aliases]
    pairs += [(alias.alias, alias.node_id) for alias in batch.aliases]
    aliases: dict[str, str] = {}
    for alias, node_id in pairs:
        if alias == node_id:
            continue
        other = aliases.setdefault(alias, node_id)
        if other != node_id:
            raise Conflict(
                f"alias {alias!r} is given to both {other!r} and {node_id!r} in one batch",
                details={"alias": alias, "nodes": [other, node_id]},
            )
    return aliases


def _merge_batch_edges(edges: Sequence[Edge]) -> dict[tuple[str, str, str], Edge]:
    merged: dict[tuple[str, str, str], Edge] = {}
    for edge in edges:
        before = merged.get(edge.key)
        if before is None:
            merged[edge.key] = edge
            continue
        merged[edge.key] = before.model_copy(
            update={
                "qty": edge.qty if edge.qty is not None else before.qty,
                "unit": edge.unit if edge.unit is not None else before.unit,
                "props": {**before.props, **edge.props},
            }
        )
    return merged


def _check_batch(
    nodes: Mapping[str, Node],
    aliases: Mapping[str, str],
    edges: Sequence[Edge],
    stored: Mapping[str, Node],
) -> None:
    """Kind changes, dangling edges and aliases of missing nodes reject the whole batch."""
    for node_id, node in nodes.items():
        old = stored.get(node_id)
        if old is not None and old.kind != node.kind:
            raise InvalidInput(
                f"node {node_id!r} is stored as a {old.kind}, the batch says {node.kind}",
                details={"id": node_id, "stored_kind": old.kind.value, "kind": node.kind.value},
            )
    for index, edge in enumerate(edges):
        missing = [n for n in (edge.source, edge.target) if n not in nodes and n not in stored]
        if missing:
            raise InvalidInput(
                f"edge #{index} ({edge.source} -{edge.type.value}-> {edge.target}) is dangling: "
                f"{' and '.join(repr(m) for m in missing)} is neither in the batch nor in "
                "the store",
                details={
                    "index": index,
                    "source": edge.source,
                    "type": edge.type.value,
                    "target": edge.target,
                    "missing": missing,
                },
            )
    for alias, node_id in aliases.items():
        if node_id not in nodes and node_id not in stored:
            raise InvalidInput(
                f"alias {alias!r} names node {node_id!r}, which is neither in the batch nor stored",
                details={"alias": alias, "node": node_id},
            )
