"""The Neo4j store's records, signatures, users, sessions and audit rows, and its ``StoreTx``.

Graph model: a record is ``(:Record {id, kind, version, state})``, the head its links hang
on (``(:Record)-[:CONCERNS|HOLDS|COVERS|ADDRESSES]->(:Node)``), and one
``(:RecordVersion {version_key, record_id, version, ..., data_json})`` per version, never
changed once created. ``(:Signature)``, ``(:User)`` and ``(:Session)`` hold the rest. Values
are stored as plain properties (times as ISO 8601 text, record data as canonical JSON).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from traceapi.domain.audit import AuditEntry
from traceapi.domain.idempotency import IdempotentAnswer
from traceapi.domain.records import (
    RecordLink,
    RecordLinkType,
    Signature,
    StoredRecord,
)
from traceapi.domain.security import ApiKey, Session, User
from traceapi.errors import Conflict, NotFound
from traceapi.store.cypher import load_query
from traceapi.store.sqlite_batch import damaged, json_default

HEAD_ID = "head"
"""The id of the one ``(:AuditHead)``, the store-wide write lock and the chain's tip."""


def rows_of(tx: Any, query: str, **params: Any) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = tx.run(query, params).data()
    return result


def _without_nones(record: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in record.items() if value is not None}


# -- rows out -------------------------------------------------------------------------------
def record_row(record: StoredRecord) -> dict[str, Any]:
    return {
        "record_id": record.id,
        "version": record.version,
        "kind": record.kind,
        "state": record.state,
        "data_json": json.dumps(
            record.data, sort_keys=True, ensure_ascii=False, default=json_default
        ),
        "content_hash": record.content_hash,
        "created_by": record.created_by,
        "created_at": record.created_at.isoformat(),
        "updated_by": record.updated_by,
        "updated_at": record.updated_at.isoformat(),
    }


def version_key(record_id: str, version: int) -> str:
    return f"{record_id}@{version}"


def signature_row(signature: Signature) -> dict[str, Any]:
    return signature.model_dump(mode="json")


def user_row(user: User) -> dict[str, Any]:
    return _without_nones(user.model_dump(mode="json"))


def session_row(session: Session) -> dict[str, Any]:
    return session.model_dump(mode="json")


def api_key_record(key: ApiKey) -> dict[str, Any]:
    record = key.model_dump(mode="json")
    return {name: value for name, value in record.items() if value is not None}


def api_key_from(record: Mapping[str, Any]) -> ApiKey:
    return ApiKey.model_validate(dict(record))


def idempotent_row(answer: IdempotentAnswer) -> dict[str, Any]:
    return _without_nones(answer.model_dump(mode="json"))


def audit_record(entry: AuditEntry) -> dict[str, Any]:
    """An entry as an ``(:AuditEntry)`` node's properties (``AUDIT_RECORD_FIELDS``, no nulls)."""
    plain = entry.model_dump(mode="json")
    record = {
        "seq": entry.seq,
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "action": entry.action,
        "entity_kind": entry.entity_kind,
        "entity_id": entry.entity_id,
        "old_json": None if entry.old is None else _canonical(plain["old"]),
        "new_json": None if entry.new is None else _canonical(plain["new"]),
        "reason": entry.reason,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
        "actor_name": entry.actor_name,
        "auth_method": entry.auth_method,
        "request_id": entry.request_id,
        "client_address": entry.client_address,
        "record_version": entry.record_version,
        "changes_json": None if entry.changes is None else _canonical(plain["changes"]),
    }
    return _without_nones(record)


def _canonical(value: Any) -> str:
    return json.dumps(
        value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=json_default
    )


# -- rows in --------------------------------------------------------------------------------
def record_from(row: Mapping[str, Any]) -> StoredRecord:
    where = f"record {row.get('record_id')!r} version {row.get('version')}"
    try:
        data = json.loads(row["data_json"])
    except (KeyError, TypeError, ValueError) as exc:
        raise damaged(where, "its data is not JSON") from exc
    return StoredRecord(
        id=row["record_id"],
        version=row["version"],
        kind=row["kind"],
        state=row["state"],
        data=data,
        content_hash=row["content_hash"],
        created_by=row["created_by"],
        created_at=datetime.fromisoformat(row["created_at"]),
        updated_by=row["updated_by"],
        updated_at=datetime.fromisoformat(row["updated_at"]),
    )


def user_from(row: Mapping[str, Any]) -> User:
    return User.model_validate(dict(row))


def session_from(row: Mapping[str, Any]) -> Session:
    return Session.model_validate(dict(row))


def signature_from(row: Mapping[str, Any]) -> Signature:
    return Signature.model_validate(dict(row))


def link_from(record_id: str, row: Mapping[str, Any]) -> RecordLink:
    return RecordLink(
        record_id=record_id,
        link_type=RecordLinkType(row["link_type"]),
        target_id=row["target_id"],
    )


class Neo4jTx:
    """The ``StoreTx`` of one managed write transaction, opened with the writer lock taken
    (``lock_writer``), which returned the audit chain's tip."""

    def __init__(self, tx: Any, *, head: tuple[int, str]) -> None:
        self._tx = tx
        self._head = head

    def get_record(self, record_id: str) -> StoredRecord | None:
        rows = rows_of(self._tx, load_query("get_record"), record_id=record_id, version=None)
        return record_from(rows[0]["record"]) if rows else None

    def put_record(self, record: StoredRecord) -> None:
        key = version_key(record.id, record.version)
        stored = rows_of(
            self._tx, load_query("get_record"), record_id=record.id, version=record.version
        )
        if stored:
            raise Conflict(
                f"record {record.id!r} already has a version {record.version}",
                details={"id": record.id, "version": record.version},
            )
        rows_of(self._tx, load_query("put_record"), record=record_row(record), version_key=key)

    def link_record(self, record_id: str, *, link_type: RecordLinkType, target_id: str) -> None:
        rows = rows_of(
            self._tx,
            load_query("link_record"),
            record_id=record_id,
            target_id=target_id,
            link_type=RecordLinkType(link_type).value,
        )
        if not rows or not rows[0]["linked"]:
            raise NotFound(f"no node with id {target_id!r}", details={"ids": [target_id]})

    def put_signature(self, signature: Signature) -> None:
        rows_of(self._tx, load_query("put_signature"), signature=signature_row(signature))

    def get_user(self, username: str) -> User | None:
        rows = rows_of(self._tx, load_query("get_user"), username=username)
        return user_from(rows[0]["user"]) if rows else None

    def put_user(self, user: User) -> None:
        holder = self.get_user(user.username)
        if holder is not None and holder.user_id != user.user_id:
            raise Conflict(
                f"the username {user.username!r} is taken", details={"field": "username"}
            )
        rows_of(self._tx, load_query("put_user"), user_id=user.user_id, user=user_row(user))

    def put_session(self, session: Session) -> None:
        rows_of(self._tx, load_query("put_session"), session=session_row(session))

    def get_api_key_by_id(self, key_id: str) -> ApiKey | None:
        rows = rows_of(self._tx, load_query("get_api_key_by_id"), key_id=key_id)
        return api_key_from(rows[0]["api_key"]) if rows else None

    def put_api_key(self, key: ApiKey) -> None:
        rows_of(self._tx, load_query("put_api_key"), key_id=key.key_id, record=api_key_record(key))

    def get_idempotent(self, key_hash: str) -> IdempotentAnswer | None:
        rows = rows_of(self._tx, load_query("get_idempotent_answer"), key_hash=key_hash)
        return IdempotentAnswer.model_validate(rows[0]["answer"]) if rows else None

    def put_idempotent(self, answer: IdempotentAnswer) -> None:
        rows_of(
            self._tx,
            load_query("put_idempotent_answer"),
            key_hash=answer.key_hash,
            answer=idempotent_row(answer),
        )

    def audit_head(self) -> tuple[int, str]:
        return self._head

    def put_audit(self, entry: AuditEntry) -> None:
        rows_of(self._tx, load_query("append_audit"), head_id=HEAD_ID, entry=audit_record(entry))
        self._head = (entry.seq, entry.hash)
