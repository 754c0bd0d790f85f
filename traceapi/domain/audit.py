"""Audit entries chained by SHA-256, so a changed or removed entry breaks the chain after it."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, ValidationError

GENESIS_HASH = "0" * 64


class AuditDraft(BaseModel):
    """What a caller wants recorded; the store adds sequence, time and hashes atomically."""

    actor: str
    action: str
    """A dotted verb such as ``load.batch``, ``key.create``, ``lot.status``."""
    entity_kind: str | None = None
    entity_id: str | None = None
    old: dict[str, Any] | None = None
    new: dict[str, Any] | None = None
    reason: str | None = None
    actor_name: str | None = None
    """The actor's printed name as it was when they acted (a user's name may change later)."""
    auth_method: str | None = None
    """How the actor proved who they were: ``api_key``, ``token``, ``password`` or ``cli``."""
    request_id: str | None = None
    client_address: str | None = None
    record_version: int | None = None
    """The version of the record (``entity_id``) this change made."""
    changes: dict[str, list[Any]] | None = None
    """``{field: [old, new]}`` for every field the change touched."""


EXTENSION_FIELDS = (
    "actor_name",
    "auth_method",
    "request_id",
    "client_address",
    "record_version",
    "changes",
)
"""Fields added after the first trails were written: hashed only when set, so every entry
written before them keeps its hash."""


class AuditEntry(AuditDraft):
    seq: int
    at: datetime
    prev_hash: str
    hash: str = Field(description="SHA-256 over prev_hash and this entry's canonical content")


def entry_hash(prev_hash: str, seq: int, at: datetime, draft: AuditDraft) -> str:
    """The chain link: a stable JSON encoding of the entry, hashed together with its predecessor."""
    return _link_hash(prev_hash, seq, at, draft.model_dump(mode="json"))


def _link_hash(prev_hash: str, seq: int, at: datetime, fields: dict[str, Any]) -> str:
    for name in EXTENSION_FIELDS:
        if fields.get(name, 0) is None:
            del fields[name]
    content = {"seq": seq, "at": at.isoformat(), **fields}
    return hashlib.sha256((prev_hash + _CANONICAL(content)).encode("utf-8")).hexdigest()


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
"""``json.dumps`` with these options, its encoder made once (audit verify calls it per entry)."""


_TEXT_FIELDS = ("entity_kind", "entity_id", "reason", *EXTENSION_FIELDS[:4])


def stored_entry_hash(record: AuditRecord) -> str | None:
    """``entry_hash`` of a stored record read as it is, without building models: what ``audit
    verify`` computes for the many entries that are well formed (a tenth of the cost). None
    when the record is not plainly well formed: the caller then decodes it the slow way, which
    names what is wrong."""
    seq, at, actor, action = (record.get(k) for k in ("seq", "at", "actor", "action"))
    if type(seq) is not int or type(actor) is not str or type(action) is not str:
        return None
    if type(at) is not str or type(record.get("prev_hash")) is not str:
        return None
    try:
        when = datetime.fromisoformat(at)
        fields: dict[str, Any] = {"actor": actor, "action": action}
        for name, column in (("old", "old_json"), ("new", "new_json"), ("changes", "changes_json")):
            text = record.get(column)
            value = None if text is None or text == "" else json.loads(text)
            if value is not None and type(value) is not dict:
                return None
            fields[name] = value
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    for name in _TEXT_FIELDS:
        value = record.get(name)
        if value is not None and type(value) is not str:
            return None
        fields[name] = value
    version = record.get("record_version")
    if version is not None and type(version) is not int:
        return None
    fields["record_version"] = version
    return _link_hash(str(record["prev_hash"]), seq, when, fields)


def chain_entry(draft: AuditDraft, *, prev_seq: int, prev_hash: str, at: datetime) -> AuditEntry:
    """The entry that follows (``prev_seq``, ``prev_hash``): the one chaining rule, which every
    backend's append goes through (the backends store entries, they never compute them)."""
    seq = prev_seq + 1
    return AuditEntry(
        **draft.model_dump(),
        seq=seq,
        at=at,
        prev_hash=prev_hash,
        hash=entry_hash(prev_hash, seq, at, draft),
    )


AUDIT_RECORD_FIELDS = (
    "seq",
    "at",
    "actor",
    "action",
    "entity_kind",
    "entity_id",
    "old_json",
    "new_json",
    "reason",
    "prev_hash",
    "hash",
    "actor_name",
    "auth_method",
    "request_id",
    "client_address",
    "record_version",
    "changes_json",
)
"""An audit entry as a backend stores it: every value plain text (old and new as JSON), so that
a damaged entry can still be read, named by its seq and judged, not crash the reader."""

AuditRecord = dict[str, Any]


class AuditDecodeError(ValueError):
    """A stored audit record that is not a well-formed entry; says which field and why."""

    def __init__(self, seq: Any, reason: str) -> None:
        super().__init__(f"audit entry {seq} does not decode: {reason}")
        self.seq = seq
        self.reason = reason


def _json_field(record: AuditRecord, name: str) -> Any:
    text = record.get(name)
    if text is None or text == "":
        return None
    try:
        value = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise AuditDecodeError(record.get("seq"), f"{name} is not JSON ({exc})") from exc
    if not isinstance(value, dict):
        raise AuditDecodeError(record.get("seq"), f"{name} is not a JSON object")
    return value


def decode_audit_record(record: AuditRecord) -> AuditEntry:
    """The entry a stored record holds; ``AuditDecodeError`` naming the field when it is not
    one (malformed JSON, a time that is not an ISO 8601 timestamp, a missing field)."""
    seq = record.get("seq")
    at = record.get("at")
    try:
        when = datetime.fromisoformat(at) if isinstance(at, str) else None
    except ValueError:
        when = None
    if when is None:
        raise AuditDecodeError(seq, f"at is not an ISO 8601 timestamp ({at!r})")
    try:
        return AuditEntry.model_validate(
            {
                "seq": seq,
                "at": when,
                "actor": record.get("actor"),
                "action": record.get("action"),
                "entity_kind": record.get("entity_kind"),
                "entity_id": record.get("entity_id"),
                "old": _json_field(record, "old_json"),
                "new": _json_field(record, "new_json"),
                "reason": record.get("reason"),
                "prev_hash": record.get("prev_hash"),
                "hash": record.get("hash"),
                "actor_name": record.get("actor_name"),
                "auth_method": record.get("auth_method"),
                "request_id": record.get("request_id"),
                "client_address": record.get("client_address"),
                "record_version": record.get("record_version"),
                "changes": _json_field(record, "changes_json"),
            },
            strict=False,
        )
    except ValidationError as exc:
        problem = exc.errors()[0]
        field = ".".join(str(part) for part in problem["loc"])
        raise AuditDecodeError(seq, f"{field}: {problem['msg']}") from exc


def decode_audit_records(records: list[AuditRecord]) -> list[AuditEntry]:
    """``decode_audit_record`` for a page; ``CorruptData`` naming the first that does not."""
    from traceapi.errors import CorruptData

    entries = []
    for record in records:
        try:
            entries.append(decode_audit_record(record))
        except AuditDecodeError as exc:
            raise CorruptData(
                f"{exc}; run 'traceapi audit verify'",
                details={"seq": exc.seq, "reason": exc.reason},
            ) from exc
    return entries
