"""The embedded store's records, signatures, users, sessions and audit rows: SQL on one connection.

Reads here run on any connection (a reader's, or the writer's inside a unit of work); writes
run only inside the caller's write transaction. ``SqliteTx`` is the ``StoreTx`` a unit of work
gets: these functions bound to the write connection.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from traceapi.domain.audit import GENESIS_HASH, AuditEntry
from traceapi.domain.idempotency import IdempotentAnswer
from traceapi.domain.records import (
    RecordLink,
    RecordLinkType,
    Signature,
    SignatureMeaning,
    StoredRecord,
)
from traceapi.domain.security import ApiKey, Role, Session, User
from traceapi.errors import Conflict, NotFound
from traceapi.store.sqlite_batch import damaged, json_default

_RECORD_COLUMNS = (
    "id, version, kind, state, data, content_hash, created_by, created_at, updated_by, updated_at"
)
_SIGNATURE_COLUMNS = (
    "signature_id, record_id, record_version, content_hash, user_id, printed_name, meaning, "
    "signed_at, binding"
)
_USER_COLUMNS = (
    "user_id, username, printed_name, roles, password_hash, created_at, disabled_at, "
    "failed_logins, locked_at"
)
AUDIT_COLUMNS = (
    "seq, at, actor, action, entity_kind, entity_id, old, new, reason, prev_hash, hash, "
    "actor_name, auth_method, request_id, client_address, record_version, changes"
)
"""Stored audit columns, in the order of ``AUDIT_RECORD_FIELDS``."""


# -- records --------------------------------------------------------------------------------
def _record(row: Any) -> StoredRecord:
    record_id, version, kind, state, data, digest, c_by, c_at, u_by, u_at = row
    try:
        values = json.loads(data)
    except ValueError as exc:
        raise damaged(f"record {record_id!r} version {version}", "its data is not JSON") from exc
    return StoredRecord(
        id=record_id,
        version=version,
        kind=kind,
        state=state,
        data=values,
        content_hash=digest,
        created_by=c_by,
        created_at=datetime.fromisoformat(c_at),
        updated_by=u_by,
        updated_at=datetime.fromisoformat(u_at),
    )


def get_record(
    conn: sqlite3.Connection, record_id: str, *, version: int | None = None
) -> StoredRecord | None:
    if version is None:
        row = conn.execute(
            f"SELECT {_RECORD_COLUMNS} FROM records WHERE id = ? ORDER BY version DESC LIMIT 1",
            (record_id,),
        ).fetchone()
    else:
        row = conn.execute(
            f"SELECT {_RECORD_COLUMNS} FROM records WHERE id = ? AND version = ?",
            (record_id, version),
        ).fetchone()
    return None if row is None else _record(row)


def record_versions(conn: sqlite3.Connection, record_id: str) -> list[StoredRecord]:
    rows = conn.execute(
        f"SELECT {_RECORD_COLUMNS} FROM records WHERE id = ? ORDER BY version", (record_id,)
    ).fetchall()
    return [_record(row) for row in rows]


def list_records(
    conn: sqlite3.Connection, *, kind: str | None, after: str | None, limit: int
) -> list[StoredRecord]:
    rows = conn.execute(
        f"SELECT {_RECORD_COLUMNS} FROM records AS r WHERE (?1 IS NULL OR kind = ?1) "
        "AND id > ?2 AND version = (SELECT max(version) FROM records WHERE id = r.id) "
        "ORDER BY id LIMIT ?3",
        (kind, after or "", max(limit, 0)),
    ).fetchall()
    return [_record(row) for row in rows]


def put_record(conn: sqlite3.Connection, record: StoredRecord) -> None:
    try:
        conn.execute(
            f"INSERT INTO records ({_RECORD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.id,
                record.version,
                record.kind,
                record.state,
                json.dumps(record.data, sort_keys=True, ensure_ascii=False, default=json_default),
                record.content_hash,
                record.created_by,
                record.created_at.isoformat(),
                record.updated_by,
                record.updated_at.isoformat(),
            ),
        )
    except sqlite3.IntegrityError as exc:
        raise Conflict(
            f"record {record.id!r} already has a version {record.version}",
            details={"id": record.id, "version": record.version},
        ) from exc


def link_record(
    conn: sqlite3.Connection, record_id: str, *, link_type: RecordLinkType, target_id: str
) -> None:
    if conn.execute("SELECT 1 FROM nodes WHERE id = ?", (target_id,)).fetchone() is None:
        raise NotFound(f"no node with id {target_id!r}", details={"ids": [target_id]})
    conn.execute(
        "INSERT OR IGNORE INTO record_links (record_id, type, target_id) VALUES (?, ?, ?)",
        (record_id, RecordLinkType(link_type).value, target_id),
    )


def record_links(conn: sqlite3.Connection, record_id: str) -> list[RecordLink]:
    rows = conn.execute(
        "SELECT type, target_id FROM record_links WHERE record_id = ? ORDER BY type, target_id",
        (record_id,),
    ).fetchall()
    return [
        RecordLink(record_id=record_id, link_type=RecordLinkType(t), target_id=target)
        for t, target in rows
    ]


# -- signatures -----------------------------------------------------------------------------
def put_signature(conn: sqlite3.Connection, signature: Signature) -> None:
    conn.execute(
        f"INSERT INTO signatures ({_SIGNATURE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            signature.signature_id,
            signature.record_id,
            signature.record_version,
            signature.content_hash,
            signature.user_id,
            signature.printed_name,
            SignatureMeaning(signature.meaning).value,
            signature.signed_at.isoformat(),
            signature.binding,
        ),
    )


def signatures_of(conn: sqlite3.Connection, record_id: str) -> list[Signature]:
    rows = conn.execute(
        f"SELECT {_SIGNATURE_COLUMNS} FROM signatures WHERE record_id = ? "
        "ORDER BY signed_at, signature_id",
        (record_id,),
    ).fetchall()
    names = [name.strip() for name in _SIGNATURE_COLUMNS.split(",")]
    return [Signature.model_validate(dict(zip(names, row, strict=True))) for row in rows]


# -- users and sessions ---------------------------------------------------------------------
def _user(row: Any) -> User:
    user_id, username, printed, roles, pw_hash, created, disabled, failed, locked = row
    return User(
        user_id=user_id,
        username=username,
        printed_name=printed,
        roles=[Role(role) for role in json.loads(roles)],
        password_hash=pw_hash,
        created_at=datetime.fromisoformat(created),
        disabled_at=None if disabled is None else datetime.fromisoformat(disabled),
        failed_logins=failed,
        locked_at=None if locked is None else datetime.fromisoformat(locked),
    )


def get_user(conn: sqlite3.Connection, username: str) -> User | None:
    row = conn.execute(
        f"SELECT {_USER_COLUMNS} FROM users WHERE username = ?", (username,)
    ).fetchone()
    return None if row is None else _user(row)


def get_user_by_id(conn: sqlite3.Connection, user_id: str) -> User | None:
    row = conn.execute(
        f"SELECT {_USER_COLUMNS} FROM users WHERE user_id = ?", (user_id,)
    ).fetchone()
    return None if row is None else _user(row)


def list_users(conn: sqlite3.Connection) -> list[User]:
    rows = conn.execute(f"SELECT {_USER_COLUMNS} FROM users ORDER BY username").fetchall()
    return [_user(row) for row in rows]


def put_user(conn: sqlite3.Connection, user: User) -> None:
    holder = conn.execute(
        "SELECT user_id FROM users WHERE username = ?", (user.username,)
    ).fetchone()
    if holder is not None and holder[0] != user.user_id:
        raise Conflict(f"the username {user.username!r} is taken", details={"field": "username"})
    conn.execute(
        f"INSERT INTO users ({_USER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (user_id) DO UPDATE SET username = excluded.username, "
        "printed_name = excluded.printed_name, roles = excluded.roles, "
        "password_hash = excluded.password_hash, disabled_at = excluded.disabled_at, "
        "failed_logins = excluded.failed_logins, locked_at = excluded.locked_at",
        (
            user.user_id,
            user.username,
            user.printed_name,
            json.dumps([Role(role).value for role in user.roles]),
            user.password_hash,
            user.created_at.isoformat(),
            None if user.disabled_at is None else user.disabled_at.isoformat(),
            user.failed_logins,
            None if user.locked_at is None else user.locked_at.isoformat(),
        ),
    )


def put_session(conn: sqlite3.Connection, session: Session) -> None:
    conn.execute(
        "INSERT INTO sessions (token_hash, user_id, issued_at, expires_at) VALUES (?, ?, ?, ?)",
        (
            session.token_hash,
            session.user_id,
            session.issued_at.isoformat(),
            session.expires_at.isoformat(),
        ),
    )


def get_session(conn: sqlite3.Connection, token_hash: str) -> Session | None:
    row = conn.execute(
        "SELECT token_hash, user_id, issued_at, expires_at FROM sessions WHERE token_hash = ?",
        (token_hash,),
    ).fetchone()
    if row is None:
        return None
    return Session(
        token_hash=row[0],
        user_id=row[1],
        issued_at=datetime.fromisoformat(row[2]),
        expires_at=datetime.fromisoformat(row[3]),
    )


# -- API keys -------------------------------------------------------------------------------
_KEY_COLUMNS = "key_id, name, role, key_hash, created_at, revoked_at"


def get_api_key_by_id(conn: sqlite3.Connection, key_id: str) -> ApiKey | None:
    row = conn.execute(
        f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE key_id = ?", (key_id,)
    ).fetchone()
    if row is None:
        return None
    key_id, name, role, key_hash, created_at, revoked_at = row
    return ApiKey(
        key_id=key_id,
        name=name,
        role=Role(role),
        key_hash=key_hash,
        created_at=datetime.fromisoformat(created_at),
        revoked_at=None if revoked_at is None else datetime.fromisoformat(revoked_at),
    )


def put_api_key(conn: sqlite3.Connection, key: ApiKey) -> None:
    holder = conn.execute(
        "SELECT key_id FROM api_keys WHERE key_hash = ?", (key.key_hash,)
    ).fetchone()
    if holder is not None and holder[0] != key.key_id:
        raise Conflict(
            f"another API key ({holder[0]}) has the same hash", details={"key_id": key.key_id}
        )
    conn.execute(
        f"INSERT INTO api_keys ({_KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key_id) "
        "DO UPDATE SET name = excluded.name, role = excluded.role, key_hash = excluded.key_hash, "
        "created_at = excluded.created_at, revoked_at = excluded.revoked_at",
        (
            key.key_id,
            key.name,
            Role(key.role).value,
            key.key_hash,
            key.created_at.isoformat(),
            None if key.revoked_at is None else key.revoked_at.isoformat(),
        ),
    )


# -- idempotent answers ---------------------------------------------------------------------
_IDEMPOTENCY_COLUMNS = "key_hash, fingerprint, state, status, body, etag, created_at"


def get_idempotent(conn: sqlite3.Connection, key_hash: str) -> IdempotentAnswer | None:
    row = conn.execute(
        f"SELECT {_IDEMPOTENCY_COLUMNS} FROM idempotency WHERE key_hash = ?", (key_hash,)
    ).fetchone()
    if row is None:
        return None
    names = [name.strip() for name in _IDEMPOTENCY_COLUMNS.split(",")]
    return IdempotentAnswer.model_validate(dict(zip(names, row, strict=True)))


def put_idempotent(conn: sqlite3.Connection, answer: IdempotentAnswer) -> None:
    conn.execute(
        f"INSERT INTO idempotency ({_IDEMPOTENCY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (key_hash) DO UPDATE SET fingerprint = excluded.fingerprint, "
        "state = excluded.state, status = excluded.status, body = excluded.body, "
        "etag = excluded.etag",
        (
            answer.key_hash,
            answer.fingerprint,
            answer.state,
            answer.status,
            answer.body,
            answer.etag,
            answer.created_at.isoformat(),
        ),
    )


# -- the audit trail ------------------------------------------------------------------------
def audit_head(conn: sqlite3.Connection) -> tuple[int, str]:
    last = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    return (0, GENESIS_HASH) if last is None else (int(last[0]), str(last[1]))


def _json_or_none(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=json_default)


def put_audit(conn: sqlite3.Connection, entry: AuditEntry) -> None:
    content = entry.model_dump(mode="json")
    conn.execute(
        f"INSERT INTO audit ({AUDIT_COLUMNS}) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            entry.seq,
            entry.at.isoformat(),
            content["actor"],
            content["action"],
            content["entity_kind"],
            content["entity_id"],
            _json_or_none(content["old"]),
            _json_or_none(content["new"]),
            content["reason"],
            entry.prev_hash,
            entry.hash,
            content["actor_name"],
            content["auth_method"],
            content["request_id"],
            content["client_address"],
            content["record_version"],
            _json_or_none(content["changes"]),
        ),
    )


class SqliteTx:
    """The ``StoreTx`` of one embedded write transaction (the write connection, locked)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def get_record(self, record_id: str) -> StoredRecord | None:
        return get_record(self._conn, record_id)

    def put_record(self, record: StoredRecord) -> None:
        put_record(self._conn, record)

    def link_record(self, record_id: str, *, link_type: RecordLinkType, target_id: str) -> None:
        link_record(self._conn, record_id, link_type=link_type, target_id=target_id)

    def put_signature(self, signature: Signature) -> None:
        put_signature(self._conn, signature)

    def get_user(self, username: str) -> User | None:
        return get_user(self._conn, username)

    def put_user(self, user: User) -> None:
        put_user(self._conn, user)

    def put_session(self, session: Session) -> None:
        put_session(self._conn, session)

    def get_api_key_by_id(self, key_id: str) -> ApiKey | None:
        return get_api_key_by_id(self._conn, key_id)

    def put_api_key(self, key: ApiKey) -> None:
        put_api_key(self._conn, key)

    def get_idempotent(self, key_hash: str) -> IdempotentAnswer | None:
        return get_idempotent(self._conn, key_hash)

    def put_idempotent(self, answer: IdempotentAnswer) -> None:
        put_idempotent(self._conn, answer)

    def audit_head(self) -> tuple[int, str]:
        return audit_head(self._conn)

    def put_audit(self, entry: AuditEntry) -> None:
        put_audit(self._conn, entry)
