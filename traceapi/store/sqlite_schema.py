"""The embedded store's SQLite file: its tables, connection settings and schema versioning."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from traceapi.errors import StoreUnavailable

SCHEMA_VERSION = 5
"""Kept in ``PRAGMA user_version``; bump it and add a step to ``_MIGRATIONS`` to change tables."""

BUSY_TIMEOUT_S = 30.0
"""How long a writer waits for another process's write transaction before giving up."""

_V1 = """
CREATE TABLE nodes (
    rid   INTEGER PRIMARY KEY,          -- dense integer id, the traversal index's node number
    id    TEXT NOT NULL UNIQUE,
    kind  TEXT NOT NULL,
    name  TEXT,
    props TEXT NOT NULL DEFAULT '{}'    -- JSON object, keys sorted
);
CREATE INDEX nodes_kind_id ON nodes (kind, id);

CREATE TABLE edges (                    -- rowid grows with every new edge: the index's delta mark
    src   INTEGER NOT NULL,
    dst   INTEGER NOT NULL,
    type  TEXT NOT NULL,
    qty   REAL,
    unit  TEXT,
    props TEXT NOT NULL DEFAULT '{}',
    UNIQUE (src, type, dst)
);
CREATE INDEX edges_dst ON edges (dst, type);

CREATE TABLE aliases (
    alias TEXT PRIMARY KEY,
    rid   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX aliases_rid ON aliases (rid);

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE counters (                 -- node counts per kind, edge counts per type
    what  TEXT NOT NULL,                -- 'node' or 'edge'
    name  TEXT NOT NULL,
    n     INTEGER NOT NULL,
    PRIMARY KEY (what, name)
) WITHOUT ROWID;

CREATE TABLE internal (                 -- store bookkeeping that clear() must not remove
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO internal (key, value) VALUES ('epoch', 0);

CREATE TABLE api_keys (
    key_id     TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL,
    key_hash   TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

CREATE TABLE audit (
    seq         INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    entity_kind TEXT,
    entity_id   TEXT,
    old         TEXT,
    new         TEXT,
    reason      TEXT,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
"""

_V2 = """
-- The unique keys of nodes and edges become named indexes: a first bulk load drops them with
-- the other secondary indexes and builds them once, sorted, after its inserts (profiled on a
-- size-M bundle: SQLite's inserts and index builds took 20.3 s this way, 23.3 s before).
-- Rowids are kept: node rids number the traversal index, edge rowids mark its delta.
CREATE TABLE nodes_v2 (
    rid   INTEGER PRIMARY KEY,
    id    TEXT NOT NULL,
    kind  TEXT NOT NULL,
    name  TEXT,
    props TEXT NOT NULL DEFAULT '{}'
);
INSERT INTO nodes_v2 (rid, id, kind, name, props) SELECT rid, id, kind, name, props FROM nodes;
DROP TABLE nodes;
ALTER TABLE nodes_v2 RENAME TO nodes;
CREATE UNIQUE INDEX nodes_id ON nodes (id);
CREATE INDEX nodes_kind_id ON nodes (kind, id);

CREATE TABLE edges_v2 (
    src   INTEGER NOT NULL,
    dst   INTEGER NOT NULL,
    type  TEXT NOT NULL,
    qty   REAL,
    unit  TEXT,
    props TEXT NOT NULL DEFAULT '{}'
);
INSERT INTO edges_v2 (rowid, src, dst, type, qty, unit, props)
    SELECT rowid, src, dst, type, qty, unit, props FROM edges;
DROP TABLE edges;
ALTER TABLE edges_v2 RENAME TO edges;
CREATE UNIQUE INDEX edges_key ON edges (src, type, dst);
CREATE INDEX edges_dst ON edges (dst, type);
"""

_V3 = """
-- Foreign keys: an edge's two ends and an alias's node must exist. The batch rules check that
-- above the store; SQLite now holds it too (PRAGMA foreign_keys is on for every connection),
-- so no writer, ours or a hand edit through the driver, leaves a dangling row. Rowids are kept.
CREATE TABLE edges_v3 (
    src   INTEGER NOT NULL REFERENCES nodes (rid),
    dst   INTEGER NOT NULL REFERENCES nodes (rid),
    type  TEXT NOT NULL,
    qty   REAL,
    unit  TEXT,
    props TEXT NOT NULL DEFAULT '{}'
);
INSERT INTO edges_v3 (rowid, src, dst, type, qty, unit, props)
    SELECT rowid, src, dst, type, qty, unit, props FROM edges;
DROP TABLE edges;
ALTER TABLE edges_v3 RENAME TO edges;
CREATE UNIQUE INDEX edges_key ON edges (src, type, dst);
CREATE INDEX edges_dst ON edges (dst, type);

CREATE TABLE aliases_v3 (
    alias TEXT PRIMARY KEY,
    rid   INTEGER NOT NULL REFERENCES nodes (rid)
) WITHOUT ROWID;
INSERT INTO aliases_v3 (alias, rid) SELECT alias, rid FROM aliases;
DROP TABLE aliases;
ALTER TABLE aliases_v3 RENAME TO aliases;
CREATE INDEX aliases_rid ON aliases (rid);
"""

_V4 = """
-- Records, people and signatures, and an audit trail that SQLite itself keeps append-only.
-- A record is one row per version and is never updated or deleted (triggers refuse both);
-- nor is a signature or an audit entry. Users and their sessions are state, audited per change.
CREATE TABLE records (
    id           TEXT NOT NULL,
    version      INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    state        TEXT NOT NULL,
    data         TEXT NOT NULL,             -- JSON object, canonical (keys sorted)
    content_hash TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_by   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (id, version)
) WITHOUT ROWID;
CREATE INDEX records_kind ON records (kind, id);

CREATE TABLE record_links (
    record_id TEXT NOT NULL,
    type      TEXT NOT NULL,
    target_id TEXT NOT NULL,
    PRIMARY KEY (record_id, type, target_id)
) WITHOUT ROWID;
CREATE INDEX record_links_target ON record_links (target_id);

CREATE TABLE signatures (
    signature_id   TEXT PRIMARY KEY,
    record_id      TEXT NOT NULL,
    record_version INTEGER NOT NULL,
    content_hash   TEXT NOT NULL,
    user_id        TEXT NOT NULL,
    printed_name   TEXT NOT NULL,
    meaning        TEXT NOT NULL,
    signed_at      TEXT NOT NULL,
    binding        TEXT NOT NULL
);
CREATE INDEX signatures_record ON signatures (record_id, signed_at);

CREATE TABLE users (
    user_id       TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    printed_name  TEXT NOT NULL,
    roles         TEXT NOT NULL,            -- JSON list
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    disabled_at   TEXT,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_at     TEXT
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    issued_at  TEXT NOT NULL,
    expires_at TEXT NOT NULL
) WITHOUT ROWID;

ALTER TABLE audit ADD COLUMN actor_name TEXT;
ALTER TABLE audit ADD COLUMN auth_method TEXT;
ALTER TABLE audit ADD COLUMN request_id TEXT;
ALTER TABLE audit ADD COLUMN client_address TEXT;
ALTER TABLE audit ADD COLUMN record_version INTEGER;
ALTER TABLE audit ADD COLUMN changes TEXT;

CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: entries are never updated'); END;
CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: entries are never deleted'); END;
CREATE TRIGGER records_versioned_update BEFORE UPDATE ON records
BEGIN SELECT RAISE(ABORT, 'records are versioned: a stored version is never updated'); END;
CREATE TRIGGER records_versioned_delete BEFORE DELETE ON records
BEGIN SELECT RAISE(ABORT, 'records are versioned: a stored version is never deleted'); END;
CREATE TRIGGER signatures_kept_update BEFORE UPDATE ON signatures
BEGIN SELECT RAISE(ABORT, 'signatures are never updated'); END;
CREATE TRIGGER signatures_kept_delete BEFORE DELETE ON signatures
BEGIN SELECT RAISE(ABORT, 'signatures are never deleted'); END;
"""

_V5 = """
-- The first answer to each Idempotency-Key (per caller), so a retried POST has one effect.
CREATE TABLE idempotency (
    key_hash    TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    state       TEXT NOT NULL,              -- pending, done, failed
    status      INTEGER,
    body        TEXT,
    etag        TEXT,
    created_at  TEXT NOT NULL
) WITHOUT ROWID;
"""

_MIGRATIONS: dict[int, str] = {1: _V1, 2: _V2, 3: _V3, 4: _V4, 5: _V5}
"""Script that brings a file from version ``n - 1`` to ``n``."""


def connect(path: Path, *, read_only: bool = False, cache_mib: int = 32) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), usable from any thread.

    Callers guarantee one thread at a time per connection. ``cache_mib`` bounds SQLite's page
    cache (it only grows as pages are used): the writer gets more, for index pages of bulk loads.
    """
    conn = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
    )
    try:
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute(f"PRAGMA cache_size = {-1024 * int(cache_mib)}")
        if read_only:
            conn.execute("PRAGMA query_only = ON")
    except sqlite3.Error:
        conn.close()
        raise
    return conn


def ensure_schema(conn: sqlite3.Connection, path: Path) -> None:
    """Switch the file to WAL and create or migrate its tables; safe when two processes race."""
    conn.execute("PRAGMA journal_mode = WAL")
    if _user_version(conn) == SCHEMA_VERSION:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = _user_version(conn)
        if version > SCHEMA_VERSION:
            raise StoreUnavailable(
                f"{path} has schema version {version}; this traceapi knows up to "
                f"{SCHEMA_VERSION}: upgrade traceapi",
                details={"path": str(path), "schema_version": version},
            )
        for step in range(version + 1, SCHEMA_VERSION + 1):
            for statement in _statements(_MIGRATIONS[step]):
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _statements(script: str) -> list[str]:
    """Split a script into complete statements (a trigger's body keeps its semicolons),
    dropping comments (ours hold no ``--`` inside literals)."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines():
        buffer += line.split("--", 1)[0] + "\n"
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip().removesuffix(";").strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return [statement for statement in statements if statement]
