"""The embedded GraphStore: a SQLite file as system of record, traversed through an in-memory index.

Connections and threads
    * one write connection behind an ``RLock``; every write is one ``BEGIN IMMEDIATE``
      transaction, so writers in other processes queue on SQLite's own lock;
    * one read connection per thread (``threading.local``), so readers run in parallel under
      WAL; they are created with ``check_same_thread=False`` only so that ``close()`` can close
      them from another thread;
    * one "watcher" connection, behind the index lock, that notices commits by any connection
      (this process's writer included) through ``PRAGMA data_version`` and reads what they added
      into the traversal index before the next walk.

The traversal index (``csr_index.TraversalIndex``) is built on the first ``reach()``, not at
open, so short-lived commands that never walk the graph do not pay for it.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from operator import itemgetter
from pathlib import Path
from typing import Any, TypeVar, cast

import numpy as np

from traceapi.domain.audit import (
    AUDIT_RECORD_FIELDS,
    AuditDraft,
    AuditEntry,
    AuditRecord,
    chain_entry,
    decode_audit_records,
)
from traceapi.domain.clock import utc_now
from traceapi.domain.model import (
    FLOW_EDGE_TYPES,
    Batch,
    BatchResult,
    Edge,
    EdgeType,
    Node,
    NodeKind,
)
from traceapi.domain.records import RecordLink, Signature, StoredRecord
from traceapi.domain.security import ApiKey, Role, Session, User
from traceapi.errors import (
    Conflict,
    CorruptData,
    InvalidInput,
    NotFound,
    StoreUnavailable,
    TraceapiError,
)
from traceapi.store import sqlite_records
from traceapi.store.base import (
    DamagedRecord,
    Direction,
    EdgeRow,
    EdgeSide,
    GraphStore,
    Reach,
    StoreStats,
    StoreTx,
    T,
)
from traceapi.store.csr_index import KIND_CODES, TraversalIndex
from traceapi.store.sqlite_batch import apply_batch_in, damaged, load_props
from traceapi.store.sqlite_schema import connect, ensure_schema

_KIND_CODE_SQL = (
    "CASE kind "
    + " ".join(f"WHEN '{kind}' THEN {code}" for kind, code in KIND_CODES.items())
    + " ELSE -1 END"
)
_FLOW_SQL = "(" + ", ".join(f"'{t.value}'" for t in sorted(FLOW_EDGE_TYPES)) + ")"

_NODE_COLUMNS = "n.rid, n.id, n.kind, n.name, n.props"

_READER_CACHE_MIB = 8
"""Page cache per thread's read connection: a server's thread pool may hold dozens of them, and
the OS page cache already keeps the file's hot pages."""
_EDGE_COLUMNS = "e.rowid, s.id, d.id, e.type, e.qty, e.unit, e.props"
_EDGE_JOINS = "JOIN nodes AS s ON s.rid = e.src JOIN nodes AS d ON d.rid = e.dst"


@contextmanager
def _sqlite_errors(doing: str) -> Iterator[None]:
    """Translate sqlite3 failures into the store's errors, saying what we were doing."""
    try:
        yield
    except TraceapiError:
        raise
    except sqlite3.IntegrityError as exc:
        raise Conflict(f"{doing}: {exc}") from exc
    except sqlite3.OperationalError as exc:
        text = str(exc)
        if "locked" in text or "busy" in text:
            raise StoreUnavailable(
                f"{doing}: the store is busy (another process holds its write lock): {text}"
            ) from exc
        raise StoreUnavailable(f"{doing}: {text}") from exc
    except (sqlite3.InterfaceError, OverflowError, UnicodeEncodeError) as exc:
        # The driver's words name SQLite and Python types: not for the client's eyes.
        raise InvalidInput(
            f"{doing}: a value is out of range (numbers up to 2^63 - 1) or not valid text"
        ) from exc
    except sqlite3.ProgrammingError as exc:
        raise StoreUnavailable(f"{doing}: {exc}") from exc
    except sqlite3.Error as exc:
        raise StoreUnavailable(f"{doing}: the store file cannot be used: {exc}") from exc


class EmbeddedStore(GraphStore):
    """GraphStore over one SQLite file (created with its parent directories when missing)."""

    backend = "embedded"

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._closed = False
        self._write_lock = threading.RLock()
        self._index_lock = threading.Lock()
        self._readers_lock = threading.Lock()
        self._readers: list[tuple[weakref.ref[threading.Thread], sqlite3.Connection]] = []
        """Each thread's read connection with its thread: closed once the thread has ended."""
        self._local = threading.local()
        self._index: TraversalIndex | None = None
        self._seen_version: int | None = None
        self._epoch = -1
        self._last_node = 0
        self._last_edge = 0
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreUnavailable(f"cannot create {self.path.parent}: {exc}") from exc
        opened: list[sqlite3.Connection] = []
        try:
            with _sqlite_errors(f"opening {self.path}"):
                self._writer = connect(self.path, cache_mib=128)
                opened.append(self._writer)
                ensure_schema(self._writer, self.path)
                self._watcher = connect(self.path, read_only=True)
                opened.append(self._watcher)
        except BaseException:
            for conn in opened:
                conn.close()
            raise

    def __repr__(self) -> str:
        return f"EmbeddedStore({str(self.path)!r})"

    # -- connections ---------------------------------------------------------------------
    def _check_open(self) -> None:
        if self._closed:
            raise StoreUnavailable(f"the store {self.path} is closed")

    def _reader(self) -> sqlite3.Connection:
        """This thread's read connection.

        Worker threads come and go (anyio ends a thread idle for 10 s): a new thread's
        connection is made here, and the connections of threads that have ended are closed
        then, so their page caches (up to ``_READER_CACHE_MIB`` each) do not pile up."""
        self._check_open()
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            with _sqlite_errors(f"opening {self.path}"):
                conn = connect(self.path, read_only=True, cache_mib=_READER_CACHE_MIB)
            with self._readers_lock:
                if self._closed:
                    conn.close()
                    self._check_open()
                self._close_readers_of_ended_threads()
                self._readers.append((weakref.ref(threading.current_thread()), conn))
            self._local.conn = conn
        return conn

    def _close_readers_of_ended_threads(self) -> None:
        kept = []
        for owner, conn in self._readers:
            thread = owner()
            if thread is not None and thread.is_alive():
                kept.append((owner, conn))
            else:
                with suppress(sqlite3.Error):
                    conn.close()  # its thread is gone: no one else can be using it
        self._readers[:] = kept

    def reader_count(self) -> int:
        """Open read connections (one per live thread that has read): for tests and ops."""
        with self._readers_lock:
            return len(self._readers)

    @contextmanager
    def _writing(self, doing: str) -> Iterator[sqlite3.Connection]:
        """One write transaction on the write connection: committed whole or rolled back."""
        with self._write_lock:
            self._check_open()
            conn = self._writer
            with _sqlite_errors(doing):
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise

    # -- writing -------------------------------------------------------------------------
    def apply_batch(self, batch: Batch, *, audit: AuditDraft | None = None) -> BatchResult:
        with self._writing(f"applying batch from {batch.source}") as conn:
            result = apply_batch_in(conn, batch)
            if audit is not None:
                _append_audit_in(conn, audit)
        return result

    def run_in_tx(self, work: Callable[[StoreTx], T], *, doing: str = "writing") -> T:
        with self._writing(doing) as conn:
            return work(sqlite_records.SqliteTx(conn))

    # -- records, people ----------------------------------------------------------------
    def get_record(self, record_id: str, *, version: int | None = None) -> StoredRecord | None:
        with _sqlite_errors(f"reading record {record_id!r}"):
            return sqlite_records.get_record(self._reader(), record_id, version=version)

    def record_versions(self, record_id: str) -> list[StoredRecord]:
        with _sqlite_errors(f"reading record {record_id!r}"):
            return sqlite_records.record_versions(self._reader(), record_id)

    def list_records(
        self, *, kind: str | None = None, after: str | None = None, limit: int = 100
    ) -> list[StoredRecord]:
        with _sqlite_errors("listing records"):
            return sqlite_records.list_records(self._reader(), kind=kind, after=after, limit=limit)

    def record_links(self, record_id: str) -> list[RecordLink]:
        with _sqlite_errors(f"reading the links of record {record_id!r}"):
            return sqlite_records.record_links(self._reader(), record_id)

    def signatures_of(self, record_id: str) -> list[Signature]:
        with _sqlite_errors(f"reading the signatures of record {record_id!r}"):
            return sqlite_records.signatures_of(self._reader(), record_id)

    def get_user(self, username: str) -> User | None:
        with _sqlite_errors("reading users"):
            return sqlite_records.get_user(self._reader(), username)

    def get_user_by_id(self, user_id: str) -> User | None:
        with _sqlite_errors("reading users"):
            return sqlite_records.get_user_by_id(self._reader(), user_id)

    def list_users(self) -> list[User]:
        with _sqlite_errors("reading users"):
            return sqlite_records.list_users(self._reader())

    def get_session(self, token_hash: str) -> Session | None:
        with _sqlite_errors("reading sessions"):
            return sqlite_records.get_session(self._reader(), token_hash)

    # -- looking up ----------------------------------------------------------------------
    def resolve(self, identifier: str) -> str | None:
        with _sqlite_errors(f"resolving {identifier!r}"):
            row = (
                self._reader()
                .execute(
                    "SELECT id FROM nodes WHERE id = ?1 UNION ALL "
                    "SELECT n.id FROM aliases AS a JOIN nodes AS n ON n.rid = a.rid "
                    "WHERE a.alias = ?1 LIMIT 1",
                    (identifier,),
                )
                .fetchone()
            )
        return None if row is None else str(row[0])

    def get_nodes(self, ids: Sequence[str]) -> dict[str, Node]:
        if not ids:
            return {}
        with _sqlite_errors("reading nodes"), self._numbered_reads(len(ids)) as (conn, index):
            rows = None if index is None else _node_rows_by_rid(conn, index, ids)
            if rows is None:
                rows = conn.execute(
                    f"SELECT DISTINCT {_NODE_COLUMNS} FROM json_each(?) AS j "
                    "JOIN nodes AS n ON n.id = j.value",
                    (json.dumps(list(ids)),),
                ).fetchall()
            nodes = _nodes_with_aliases(conn, rows)
        return {node.id: node for node in nodes}

    def edges_of(
        self,
        ids: Sequence[str],
        *,
        side: EdgeSide = "out",
        types: frozenset[EdgeType] | None = None,
    ) -> list[Edge]:
        return _edges_between(*self._edge_rows(ids, side, types))

    def edge_rows_of(
        self,
        ids: Sequence[str],
        *,
        side: EdgeSide = "out",
        types: frozenset[EdgeType] | None = None,
    ) -> list[EdgeRow]:
        sources, targets, rows = self._edge_rows(ids, side, types)
        kinds, new = _EDGE_TYPES, tuple.__new__  # EdgeRow(...) less its Python-level __new__
        return [
            new(EdgeRow, (source, target, kinds[row[3]], row[4], row[5]))
            for source, target, row in zip(sources, targets, rows, strict=True)
        ]

    def _edge_rows(
        self, ids: Sequence[str], side: EdgeSide, types: frozenset[EdgeType] | None
    ) -> tuple[list[str], list[str], list[Any]]:
        """Source ids, target ids and (rowid, src, dst, type, qty, unit, props) rows of the
        edges ``edges_of`` answers, in rowid order."""
        if side not in ("out", "in", "both"):
            raise InvalidInput(f"edge side must be out, in or both, not {side!r}")
        if not ids or (types is not None and not types):
            return [], [], []
        columns = ["src"] if side == "out" else ["dst"] if side == "in" else ["src", "dst"]
        type_filter = ""
        type_params: list[str] = []
        if types is not None:
            # The edge indexes end in the type: one seek per type asked for. Past two types,
            # one scan of each node's edges, filtered (``+`` keeps the index out), costs less.
            typed = "+e.type" if len(types) > 2 else "e.type"
            type_filter = f" AND {typed} IN (SELECT value FROM json_each(?))"
            type_params.append(json.dumps(sorted(EdgeType(t).value for t in types)))
        with _sqlite_errors("reading edges"), self._numbered_reads(len(ids)) as (conn, index):
            if index is not None:
                numbered = _edge_rows_by_rid(conn, index, ids, columns, type_filter, type_params)
                if numbered is not None:
                    return numbered
            found: dict[int, Any] = {}
            for column in columns:
                rows = conn.execute(
                    f"SELECT {_EDGE_COLUMNS} FROM json_each(?) AS j "
                    f"JOIN nodes AS n ON n.id = j.value JOIN edges AS e ON e.{column} = n.rid "
                    f"{_EDGE_JOINS} WHERE 1{type_filter}",
                    [json.dumps(list(ids)), *type_params],
                )
                for row in rows:
                    found.setdefault(row[0], row)
        ordered = [found[rowid] for rowid in sorted(found)]
        return [row[1] for row in ordered], [row[2] for row in ordered], ordered

    @contextmanager
    def _numbered_reads(
        self, wanted: int
    ) -> Iterator[tuple[sqlite3.Connection, TraversalIndex | None]]:
        """This thread's read connection inside one read transaction, and the traversal index
        when it may stand in for joins on ``nodes`` (ids to rowids and back, in memory).

        The index is offered only for reads of at least ``NUMBERED_READS_FROM`` nodes (below
        that the joins cost next to nothing), once a walk has built it (building it costs far
        more than it saves here), and when no ``clear()`` came between its refresh and this
        transaction, so every rowid both know names the same node.
        """
        index: TraversalIndex | None = None
        if wanted >= NUMBERED_READS_FROM:
            with self._index_lock:
                self._check_open()
                if self._index is not None:
                    index = self._fresh_index()
                    epoch = self._epoch
        conn = self._reader()
        if index is None:
            yield conn, None
            return
        conn.execute("BEGIN")
        try:
            current = conn.execute("SELECT value FROM internal WHERE key = 'epoch'").fetchone()
            yield conn, (index if int(current[0]) == epoch else None)
        finally:
            conn.execute("COMMIT")

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
        clauses: list[str] = []
        params: list[Any] = []
        if kind is not None:
            clauses.append("n.kind = ?")
            params.append(NodeKind(kind).value)
        if after is not None:
            clauses.append("n.id > ?")
            params.append(after)
        for key, value in (where or {}).items():
            clause, values = _prop_equals(key, value)
            clauses.append(clause)
            params += values
        sql = f"SELECT {_NODE_COLUMNS} FROM nodes AS n"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY n.id LIMIT ?"
        params.append(limit)
        with _sqlite_errors("listing nodes"):
            conn = self._reader()
            return _nodes_with_aliases(conn, conn.execute(sql, params).fetchall())

    # -- traversal -----------------------------------------------------------------------
    def reach(
        self,
        seeds: Sequence[str],
        *,
        direction: Direction,
        max_depth: int | None = None,
        max_nodes: int = 2_000_000,
    ) -> Reach:
        forward = Direction(direction) is Direction.FORWARD
        if max_depth is not None and max_depth < 0:
            raise InvalidInput(f"max_depth must not be negative, got {max_depth}")
        if not seeds:
            return Reach(ids=[], kinds=[], depths=[])
        index, seed_rids = self._index_with_seeds(list(seeds))
        ids, kinds, depths = index.reach(
            seed_rids, forward=forward, max_depth=max_depth, max_nodes=max_nodes
        )
        return Reach(ids=ids, kinds=kinds, depths=depths)

    def _index_with_seeds(self, seeds: list[str]) -> tuple[TraversalIndex, list[int]]:
        """The up-to-date index and the seeds' rowids (NotFound naming unknown seeds)."""
        with self._index_lock, _sqlite_errors("tracing"):
            self._check_open()
            index = self._fresh_index()
            # One lookup per seed (each is a cache miss in a million-entry dict).
            found = list(map(index.rid_of.get, seeds))
            if None in found:
                missing = [
                    s for s, rid in dict(zip(seeds, found, strict=True)).items() if rid is None
                ]
                raise NotFound(
                    f"no node with id {missing[0]!r}"
                    + (f" (and {len(missing) - 1} more unknown seeds)" if len(missing) > 1 else ""),
                    details={"ids": missing},
                )
            return index, cast(list[int], found)

    def _fresh_index(self) -> TraversalIndex:
        """Build the index, or bring it up to date with commits since it was last read."""
        conn = self._watcher
        version = int(conn.execute("PRAGMA data_version").fetchone()[0])
        if self._index is not None and version == self._seen_version:
            return self._index
        conn.execute("BEGIN")
        try:
            epoch = int(
                conn.execute("SELECT value FROM internal WHERE key = 'epoch'").fetchone()[0]
            )
            last_node = int(conn.execute("SELECT coalesce(max(rid), 0) FROM nodes").fetchone()[0])
            last_edge = int(conn.execute("SELECT coalesce(max(rowid), 0) FROM edges").fetchone()[0])
            if self._index is None or epoch != self._epoch:
                self._index = _load_index(conn)
            elif last_node > self._last_node or last_edge > self._last_edge:
                _extend_index(
                    self._index, conn, after_node=self._last_node, after_edge=self._last_edge
                )
            self._epoch, self._last_node, self._last_edge = epoch, last_node, last_edge
        finally:
            conn.execute("COMMIT")
        self._seen_version = version
        return self._index

    def index_info(self) -> dict[str, int]:
        """Size of the traversal index (built now if it was not yet): for benchmarks and ops."""
        with self._index_lock, _sqlite_errors("building the index"):
            self._check_open()
            index = self._fresh_index()
            return {
                "nodes": index.size,
                "flow_edges": index.edge_count,
                "delta_edges": index.delta_count,
                "bytes": index.nbytes(),
            }

    # -- whole-store views ---------------------------------------------------------------
    def stats(self) -> StoreStats:
        with _sqlite_errors("counting"):
            rows = (
                self._reader()
                .execute("SELECT what, name, n FROM counters WHERE n > 0 ORDER BY what, name")
                .fetchall()
            )
        return StoreStats(
            nodes={name: n for what, name, n in rows if what == "node"},
            edges={name: n for what, name, n in rows if what == "edge"},
        )

    def iter_nodes(self, *, chunk_size: int = 10_000) -> Iterator[Node]:
        last = 0
        while True:
            with _sqlite_errors("reading nodes"):
                conn = self._reader()
                rows = conn.execute(
                    f"SELECT {_NODE_COLUMNS} FROM nodes AS n WHERE n.rid > ? "
                    "ORDER BY n.rid LIMIT ?",
                    (last, chunk_size),
                ).fetchall()
                nodes = _nodes_with_aliases(conn, rows)
            if not rows:
                return
            yield from nodes
            last = rows[-1][0]

    def iter_edges(self, *, chunk_size: int = 10_000) -> Iterator[Edge]:
        last = 0
        while True:
            with _sqlite_errors("reading edges"):
                rows = (
                    self._reader()
                    .execute(
                        f"SELECT {_EDGE_COLUMNS} FROM edges AS e {_EDGE_JOINS} "
                        "WHERE e.rowid > ? ORDER BY e.rowid LIMIT ?",
                        (last, chunk_size),
                    )
                    .fetchall()
                )
            if not rows:
                return
            yield from _edges(rows)
            last = rows[-1][0]

    # -- meta ----------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        with _sqlite_errors(f"reading meta {key!r}"):
            row = self._reader().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self._writing(f"writing meta {key!r}") as conn:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    # -- API keys ------------------------------------------------------------------------
    def put_api_key(self, key: ApiKey, *, audit: AuditDraft | None = None) -> None:
        with self._writing(f"storing API key {key.key_id}") as conn:
            sqlite_records.put_api_key(conn, key)
            if audit is not None:
                _append_audit_in(conn, audit)

    def get_api_key(self, key_hash: str) -> ApiKey | None:
        with _sqlite_errors("reading API keys"):
            row = (
                self._reader()
                .execute(f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE key_hash = ?", (key_hash,))
                .fetchone()
            )
        return None if row is None else _api_key(row)

    def list_api_keys(self) -> list[ApiKey]:
        with _sqlite_errors("reading API keys"):
            rows = (
                self._reader()
                .execute(f"SELECT {_KEY_COLUMNS} FROM api_keys ORDER BY created_at, key_id")
                .fetchall()
            )
        return [_api_key(row) for row in rows]

    def revoke_api_key(self, key_id: str, *, audit: AuditDraft | None = None) -> ApiKey:
        with self._writing(f"revoking API key {key_id}") as conn:
            row = conn.execute(
                f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE key_id = ?", (key_id,)
            ).fetchone()
            if row is None:
                raise NotFound(f"no API key with id {key_id!r}", details={"key_id": key_id})
            key = _api_key(row)
            if key.revoked_at is not None:
                return key
            key.revoked_at = datetime.now(UTC)
            conn.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE key_id = ?",
                (key.revoked_at.isoformat(), key_id),
            )
            if audit is not None:
                _append_audit_in(conn, audit)
        return key

    # -- audit ---------------------------------------------------------------------------
    def append_audit(self, draft: AuditDraft) -> AuditEntry:
        with self._writing(f"appending audit entry {draft.action}") as conn:
            return _append_audit_in(conn, draft)

    def audit_entries(self, *, after_seq: int = 0, limit: int = 1000) -> list[AuditEntry]:
        return decode_audit_records(self.audit_records(after_seq=after_seq, limit=limit))

    def audit_records(self, *, after_seq: int = 0, limit: int = 1000) -> list[AuditRecord]:
        with _sqlite_errors("reading the audit trail"):
            rows = (
                self._reader()
                .execute(
                    f"SELECT {sqlite_records.AUDIT_COLUMNS} FROM audit WHERE seq > ? "
                    "ORDER BY seq LIMIT ?",
                    (after_seq, max(limit, 0)),
                )
                .fetchall()
            )
        return [dict(zip(AUDIT_RECORD_FIELDS, row, strict=True)) for row in rows]

    # -- lifecycle -----------------------------------------------------------------------
    def clear(self) -> None:
        with self._writing("clearing the store") as conn:
            for table in ("edges", "aliases", "nodes", "meta", "counters"):  # children first
                conn.execute(f"DELETE FROM {table}")
            conn.execute("UPDATE internal SET value = value + 1 WHERE key = 'epoch'")

    def backup_to(self, target: Path) -> None:
        """A consistent copy of the live file at ``target`` (SQLite's backup API, one read
        snapshot: writers go on meanwhile and their later commits are not in the copy).
        ``target`` must not exist; the copy is checked with ``PRAGMA integrity_check``."""
        target = Path(target)
        if target.exists():
            raise InvalidInput(
                f"{target} exists: a backup never overwrites a file", details={"file": str(target)}
            )
        with _sqlite_errors(f"backing up to {target}"):
            destination = sqlite3.connect(target)
            try:
                self._reader().backup(destination)
                destination.execute("PRAGMA journal_mode = DELETE")
                verdict = destination.execute("PRAGMA integrity_check").fetchone()[0]
            finally:
                destination.close()
        if verdict != "ok":
            raise CorruptData(
                f"the backup at {target} fails integrity_check: {verdict}",
                details={"file": str(target), "integrity_check": verdict},
            )

    def ping(self) -> None:
        self._check_open()
        if not self.path.is_file():
            raise StoreUnavailable(f"the store file {self.path} is missing")
        with _sqlite_errors(f"reading {self.path}"):
            self._reader().execute("SELECT count(*) FROM sqlite_master").fetchone()

    def check_ready(self) -> None:
        self.ping()
        self.index_info()  # builds the traversal index from every flow edge, if not yet built
        with _sqlite_errors("reading a sample of nodes and edges"):
            conn = self._reader()
            sample = READY_SAMPLE
            rows = conn.execute(
                f"SELECT * FROM (SELECT {_NODE_COLUMNS} FROM nodes AS n ORDER BY n.rid "
                f"LIMIT {sample}) UNION SELECT * FROM (SELECT {_NODE_COLUMNS} "
                f"FROM nodes AS n ORDER BY n.rid DESC LIMIT {sample})"
            ).fetchall()
            _nodes_with_aliases(conn, rows)
            _edges(
                conn.execute(
                    "SELECT e.rowid, s.id, d.id, e.type, e.qty, e.unit, e.props FROM edges AS e "
                    "JOIN nodes AS s ON s.rid = e.src JOIN nodes AS d ON d.rid = e.dst "
                    f"ORDER BY e.rowid DESC LIMIT {sample}"
                ).fetchall()
            )

    def damaged_records(self, *, limit: int = 100) -> list[DamagedRecord]:
        found: list[DamagedRecord] = []
        with _sqlite_errors("looking for damaged records"):
            conn = self._reader()
            for node_id, kind, props in conn.execute("SELECT id, kind, props FROM nodes"):
                where = f"node {node_id!r}"
                if kind not in _NODE_KINDS:
                    found.append(DamagedRecord(where, f"its kind {kind!r} is not one of ours"))
                else:
                    found.extend(_undecodable(props, where))
                if len(found) >= limit:
                    return found[:limit]
            for source, type_, target, props in conn.execute(
                "SELECT s.id, e.type, d.id, e.props FROM edges AS e "
                "JOIN nodes AS s ON s.rid = e.src JOIN nodes AS d ON d.rid = e.dst"
            ):
                found.extend(_undecodable(props, f"edge {source!r} -{type_}-> {target!r}"))
                if len(found) >= limit:
                    return found[:limit]
        return found

    def close(self) -> None:
        with self._write_lock, self._index_lock, self._readers_lock:
            if self._closed:
                return
            self._closed = True
            for conn in [self._writer, self._watcher, *(c for _, c in self._readers)]:
                with suppress(sqlite3.Error):
                    conn.close()
            self._readers.clear()
            self._index = None

    def __enter__(self) -> EmbeddedStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- rows to models ------------------------------------------------------------------------

_KEY_COLUMNS = "key_id, name, role, key_hash, created_at, revoked_at"


READY_SAMPLE = 8
"""Rows read (first and last nodes, latest edges) to see that stored data decodes."""


def _undecodable(props: str, where: str) -> list[DamagedRecord]:
    try:
        load_props(props, where=where)
    except CorruptData as exc:
        return [DamagedRecord(where, exc.details["reason"])]
    return []


def _nodes_with_aliases(conn: sqlite3.Connection, rows: list[Any]) -> list[Node]:
    """Nodes from (rid, id, kind, name, props) rows, each with its aliases (sorted)."""
    if not rows:
        return []
    rids = [row[0] for row in rows]
    low, high = min(rids), max(rids)
    if high - low < 4 * len(rids):
        # A dense run of rowids (a page of iter_nodes, a trace's nodes): one range scan.
        alias_rows = conn.execute(
            "SELECT rid, alias FROM aliases WHERE rid BETWEEN ? AND ? ORDER BY rid, alias",
            (low, high),
        )
    else:
        alias_rows = conn.execute(
            "SELECT a.rid, a.alias FROM json_each(?) AS j JOIN aliases AS a ON a.rid = j.value "
            "ORDER BY a.rid, a.alias",
            (json.dumps(rids),),
        )
    aliases: dict[int, list[str]] = {}
    for rid, alias in alias_rows:
        found = aliases.get(rid)
        if found is None:
            aliases[rid] = [alias]
        else:
            found.append(alias)
    kinds, make, fields = _NODE_KINDS, _trusted, _NODE_FIELDS
    try:
        decoded = iter(_decode_many([row[4] for row in rows]))
        for row in rows:
            if row[2] not in kinds:
                raise damaged(f"node {row[1]!r}", f"its kind {row[2]!r} is not one of ours")
    except ValueError:
        for row in rows:  # name the first damaged row (the fast path decodes all at once)
            load_props(row[4], where=f"node {row[1]!r}")
        raise
    return [
        make(
            Node,
            {
                "id": node_id,
                "kind": kinds[kind],
                "name": name,
                "aliases": aliases.get(rid) or [],
                "props": {} if props == "{}" else next(decoded),
            },
            fields,
        )
        for rid, node_id, kind, name, props in rows
    ]


_NODE_KINDS: dict[str, NodeKind] = {kind.value: kind for kind in NodeKind}
_EDGE_TYPES: dict[str, EdgeType] = {edge_type.value: edge_type for edge_type in EdgeType}
_Model = TypeVar("_Model", Node, Edge)
_NODE_FIELDS: set[str] = set(Node.model_fields)
_EDGE_FIELDS: set[str] = set(Edge.model_fields)
_raw_decode = json.JSONDecoder().raw_decode


def _decode(text: str) -> Any:
    """A stored JSON object (canonical, written by us: no surrounding white space to check)."""
    return _raw_decode(text)[0]


def _decode_many(texts: list[str]) -> list[Any]:
    """The stored JSON objects among ``texts`` that are not ``{}``, decoded in one call: a third
    cheaper than one call each, and equal keys share one string. ValueError when one is not a
    JSON object (the caller then names it, decoding row by row)."""
    filled = [text for text in texts if text != "{}"]
    if len(filled) < 2:
        decoded = [_decode(text) for text in filled]
    else:
        decoded = _decode("[" + ",".join(filled) + "]")
    # A damaged row may still be JSON: not an object, or two objects that shift the rest.
    if len(decoded) != len(filled) or not all(type(value) is dict for value in decoded):
        raise ValueError("a stored property map is not one JSON object")
    return list(decoded)


def _trusted(model: type[_Model], values: dict[str, Any], fields: set[str]) -> _Model:
    """``model.model_construct(**values)`` for complete rows we wrote ourselves, at a fraction of
    its cost (it dominates whole-store reads). ``fields`` is every field name, shared by all
    instances: assigning a field adds a name that is already in it, so sharing is safe."""
    made = object.__new__(model)
    _set_attr(made, "__dict__", values)
    _set_attr(made, "__pydantic_fields_set__", fields)
    _set_attr(made, "__pydantic_extra__", None)
    _set_attr(made, "__pydantic_private__", None)
    return made


_set_attr = object.__setattr__


def _edges(rows: list[Any]) -> list[Edge]:
    """Edges from (rowid, source id, target id, type, qty, unit, props) rows."""
    return _edges_between([row[1] for row in rows], [row[2] for row in rows], rows)


def _edges_between(sources: list[str], targets: list[str], rows: list[Any]) -> list[Edge]:
    """Edges from their ends' ids and (rowid, _, _, type, qty, unit, props) rows.

    ``_trusted`` written out in the loop: a recall reads tens of thousands of edges, and the
    call per edge costs a fifth of building it."""
    types, fields, new, set_attr = _EDGE_TYPES, _EDGE_FIELDS, object.__new__, _set_attr
    try:
        decoded = iter(_decode_many([row[6] for row in rows]))
    except ValueError:
        for source, target, row in zip(sources, targets, rows, strict=True):
            load_props(row[6], where=f"edge {source!r} -{row[3]}-> {target!r}")
        raise
    edges: list[Edge] = []
    for source, target, row in zip(sources, targets, rows, strict=True):
        edge = new(Edge)
        set_attr(
            edge,
            "__dict__",
            {
                "source": source,
                "target": target,
                "type": types[row[3]],
                "qty": row[4],
                "unit": row[5],
                "props": {} if row[6] == "{}" else next(decoded),
            },
        )
        set_attr(edge, "__pydantic_fields_set__", fields)
        set_attr(edge, "__pydantic_extra__", None)
        set_attr(edge, "__pydantic_private__", None)
        edges.append(edge)
    return edges


# -- reads by rowid, named through the traversal index --------------------------------------

NUMBERED_READS_FROM = 64
"""Reads of this many nodes or more go by rowid when the traversal index is built."""


def _rids_of(index: TraversalIndex, ids: Sequence[str]) -> list[int] | None:
    """The rowids of ``ids`` (each once, in order), or None when the index lacks one: an id
    of no node, or of a node committed since the index was refreshed."""
    rids = list(map(index.rid_of.get, dict.fromkeys(ids)))
    return None if None in rids else cast(list[int], rids)


def _ids_by_rid(index: TraversalIndex, rids: list[int]) -> list[str] | None:
    """The ids of the nodes numbered ``rids``, or None when the index does not know one of
    them (a node committed since it was refreshed)."""
    names = index._ids  # rowid -> id, None past the known nodes; read once (a refresh may grow it)
    if not rids:
        return []
    if max(rids) >= names.size:
        return None
    found: list[str | None] = names[np.asarray(rids, dtype=np.int64)].tolist()
    return None if None in found else cast(list[str], found)


def _node_rows_by_rid(
    conn: sqlite3.Connection, index: TraversalIndex, ids: Sequence[str]
) -> list[Any] | None:
    """``get_nodes`` rows looked up by rowid (the integer key) instead of by id."""
    rids = _rids_of(index, ids)
    if rids is None:
        return None
    return conn.execute(
        f"SELECT {_NODE_COLUMNS} FROM json_each(?) AS j JOIN nodes AS n ON n.rid = j.value",
        (json.dumps(rids),),
    ).fetchall()


def _edge_rows_by_rid(
    conn: sqlite3.Connection,
    index: TraversalIndex,
    ids: Sequence[str],
    columns: list[str],
    type_filter: str,
    type_params: list[str],
) -> tuple[list[str], list[str], list[Any]] | None:
    """``EmbeddedStore._edge_rows`` by rowid with no join on ``nodes``: the index names both
    ends. A third cheaper on a recall's tens of thousands of edges. None when the index lacks
    a node."""
    rids = _rids_of(index, ids)
    if rids is None:
        return None
    params = [json.dumps(rids), *type_params]
    rows: list[Any] = []
    for column in columns:
        rows += conn.execute(
            "SELECT e.rowid, e.src, e.dst, e.type, e.qty, e.unit, e.props FROM json_each(?) AS j "
            f"JOIN edges AS e ON e.{column} = j.value WHERE 1{type_filter}",
            params,
        ).fetchall()
    if len(columns) > 1:
        rows = list({row[0]: row for row in rows}.values())  # an edge between two of ``ids``
    rows.sort(key=_ROWID)
    ends = _ids_by_rid(index, [row[1] for row in rows] + [row[2] for row in rows])
    if ends is None:
        return None
    return ends[: len(rows)], ends[len(rows) :], rows


_ROWID = itemgetter(0)


def _api_key(row: Any) -> ApiKey:
    key_id, name, role, key_hash, created_at, revoked_at = row
    return ApiKey(
        key_id=key_id,
        name=name,
        role=Role(role),
        key_hash=key_hash,
        created_at=datetime.fromisoformat(created_at),
        revoked_at=None if revoked_at is None else datetime.fromisoformat(revoked_at),
    )


def _append_audit_in(conn: sqlite3.Connection, draft: AuditDraft) -> AuditEntry:
    """Chain one entry to the last one, inside the caller's write transaction."""
    seq, prev_hash = sqlite_records.audit_head(conn)
    entry = chain_entry(draft, prev_seq=seq, prev_hash=prev_hash, at=utc_now())
    sqlite_records.put_audit(conn, entry)
    return entry


# -- list_nodes filters --------------------------------------------------------------------


def _json_path(key: str) -> str:
    if not key or '"' in key or "\\" in key:
        raise InvalidInput(f"cannot filter on property name {key!r}", details={"field": key})
    return f'$."{key}"'


def _prop_equals(key: str, value: Any) -> tuple[str, list[Any]]:
    """SQL (and its parameters) for "property ``key`` equals ``value``", JSON type included,
    so that ``True`` does not match ``1`` nor the string ``"5"`` the number 5."""
    path = _json_path(key)
    if value is None:
        return "json_type(n.props, ?) IS NULL", [path]
    if isinstance(value, bool):
        return "json_type(n.props, ?) = ?", [path, "true" if value else "false"]
    if isinstance(value, int | float):
        return (
            "json_type(n.props, ?) IN ('integer', 'real') AND json_extract(n.props, ?) = ?",
            [path, path, value],
        )
    if isinstance(value, str):
        return "json_type(n.props, ?) = 'text' AND json_extract(n.props, ?) = ?", [
            path,
            path,
            value,
        ]
    if isinstance(value, dict | list):
        # Stored objects have sorted keys and json_extract renders them compactly.
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        kind = "object" if isinstance(value, dict) else "array"
        return (
            f"json_type(n.props, ?) = '{kind}' AND json_extract(n.props, ?) = ?",
            [path, path, text],
        )
    raise InvalidInput(
        f"cannot filter property {key!r} on a {type(value).__name__} value",
        details={"field": key},
    )


# -- the traversal index from SQLite -------------------------------------------------------


def _load_index(conn: sqlite3.Connection) -> TraversalIndex:
    """Read every node and flow edge into a new index.

    Columns come back as one ``group_concat`` string each and are parsed by numpy: several
    times faster than a Python tuple per row at a million nodes.
    """
    count, rids, ids, codes = conn.execute(
        f"SELECT count(*), group_concat(rid), group_concat(id, char({_ID_SEPARATOR_CODE})), "
        f"group_concat({_KIND_CODE_SQL}) FROM nodes"
    ).fetchone()
    id_list: list[str] = ids.split(chr(_ID_SEPARATOR_CODE)) if count else []
    if len(id_list) != count:  # an id holds the separator: read row by row
        rows = conn.execute(f"SELECT rid, id, {_KIND_CODE_SQL} FROM nodes").fetchall()
        rids = ",".join(str(r[0]) for r in rows)
        id_list = [r[1] for r in rows]
        codes = ",".join(str(r[2]) for r in rows)
    src, dst = conn.execute(
        f"SELECT group_concat(src), group_concat(dst) FROM edges WHERE type IN {_FLOW_SQL}"
    ).fetchone()
    from traceapi.store import bfs_kernel  # imports numba: only for a store that walks

    bfs_kernel.warm_up()
    return TraversalIndex(
        node_rids=_int_array(rids, np.int64),
        node_ids=id_list,
        node_codes=_int_array(codes, np.int8),
        edge_src=_int_array(src, np.int64),
        edge_dst=_int_array(dst, np.int64),
    )


_ID_SEPARATOR_CODE = 31
"""ASCII unit separator, between ids in the ``group_concat`` that loads the index."""


def _int_array(text: str | None, dtype: type[np.integer]) -> Any:
    """Integers from a comma-separated ``group_concat`` (None when there were no rows)."""
    if not text:
        return np.zeros(0, dtype=dtype)
    return np.fromstring(text, dtype=dtype, sep=",")


def _extend_index(
    index: TraversalIndex, conn: sqlite3.Connection, *, after_node: int, after_edge: int
) -> None:
    rows = conn.execute(
        f"SELECT rid, id, {_KIND_CODE_SQL} FROM nodes WHERE rid > ?", (after_node,)
    ).fetchall()
    edges = conn.execute(
        f"SELECT src, dst FROM edges WHERE rowid > ? AND type IN {_FLOW_SQL}", (after_edge,)
    ).fetchall()
    index.add(
        node_rids=np.asarray([r[0] for r in rows], dtype=np.int64),
        node_ids=[r[1] for r in rows],
        node_codes=np.asarray([r[2] for r in rows], dtype=np.int8),
        edge_src=[e[0] for e in edges],
        edge_dst=[e[1] for e in edges],
    )
