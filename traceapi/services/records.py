"""Record workflows: create, update, transition and sign typed records, each change one unit of
work (the new version, its links, its signature and its one audit entry commit together).

Every change names the version it read (``expected_version``); a stale one is ``Conflict``
naming the current version. Forbidden transitions are ``Conflict`` naming the current state
and the allowed actions; a missing required reason is ``InvalidInput`` naming ``reason``.
Who may do what is the policy's (``traceapi.services.policy``); signing needs the password
again (``traceapi.services.users.check_password_of``), never an API key or a token alone.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from traceapi.domain.clock import utc_now
from traceapi.domain.records import (
    RECORD_TYPES,
    RecordType,
    Signature,
    SignatureMeaning,
    StoredRecord,
    content_hash,
    signature_binding,
)
from traceapi.domain.security import User
from traceapi.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from traceapi.services.audit import append_in, draft_for
from traceapi.services.policy import RequestContext, require
from traceapi.store.base import GraphStore, StoreTx


class SignatureRequest(BaseModel):
    """What a client sends to sign: the password again and what the signature means."""

    password: str | None = None
    meaning: SignatureMeaning


class SignatureCheck(BaseModel):
    signature: Signature
    status: Literal["valid", "superseded", "invalid"]
    problem: str | None = None


def record_type(kind: str) -> RecordType:
    found = RECORD_TYPES.get(kind)
    if found is None:
        raise InvalidInput(
            f"no record type {kind!r} (known: {', '.join(sorted(RECORD_TYPES))})",
            details={"field": "kind"},
        )
    return found


def _checked_fields(kind: RecordType, data: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    unknown = sorted(set(data) - set(kind.fields))
    if unknown:
        raise InvalidInput(
            f"unknown field{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} for a "
            f"{kind.kind} (its fields: {', '.join(sorted(kind.fields))})",
            details={"field": unknown[0], "fields": unknown},
        )
    values: dict[str, Any] = {}
    for name, value in data.items():
        wanted = kind.fields[name]
        if wanted is str:
            ok = isinstance(value, str) and len(value.strip()) > 0 and len(value) <= kind.max_text
        else:
            ok = isinstance(value, list) and all(
                isinstance(item, str) and item.strip() for item in value
            )
        if not ok:
            what = "non-empty text" if wanted is str else "a list of ids"
            raise InvalidInput(f"{name} must be {what}", details={"field": name})
        values[name] = value.strip() if isinstance(value, str) else sorted(set(value))
    if not partial:
        missing = sorted(kind.required - set(values))
        if missing:
            raise InvalidInput(f"{missing[0]} is required", details={"field": missing[0]})
    return values


def _reason(reason: str | None, *, required: bool) -> str | None:
    text = (reason or "").strip() or None
    if required and text is None:
        raise InvalidInput("this change needs a reason", details={"field": "reason"})
    return text


def _current(tx: StoreTx, record_id: str) -> StoredRecord:
    record = tx.get_record(record_id)
    if record is None:
        raise NotFound(f"no record {record_id!r}", details={"ids": [record_id]})
    return record


def _check_version(record: StoredRecord, expected_version: int) -> None:
    if record.version != expected_version:
        raise Conflict(
            f"record {record.id} is at version {record.version}, not {expected_version}: "
            "read it again and retry",
            details={"current_version": record.version, "expected_version": expected_version},
        )


def _next(
    record: StoredRecord, ctx: RequestContext, *, state: str, data: dict[str, Any]
) -> StoredRecord:
    return StoredRecord(
        id=record.id,
        kind=record.kind,
        state=state,
        version=record.version + 1,
        data=data,
        content_hash=content_hash(record_id=record.id, kind=record.kind, state=state, data=data),
        created_by=record.created_by,
        created_at=record.created_at,
        updated_by=ctx.principal.id,
        updated_at=utc_now(),
    )


def _missing_nodes(store: GraphStore, kind: RecordType, values: Mapping[str, Any]) -> None:
    """NotFound naming every id of the link field that names no graph node."""
    if kind.link_field is None:
        return
    wanted = list(values.get(kind.link_field) or [])
    found = store.get_nodes(wanted) if wanted else {}
    missing = [node_id for node_id in wanted if node_id not in found]
    if missing:
        raise NotFound(
            f"no node with id {', '.join(repr(m) for m in missing)}",
            details={"ids": missing, "field": kind.link_field},
        )


def _link(tx: StoreTx, kind: RecordType, record_id: str, values: Mapping[str, Any]) -> None:
    if kind.link_field is None:
        return
    for target in values.get(kind.link_field) or []:
        tx.link_record(record_id, link_type=kind.link_type, target_id=target)


def _diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, list[Any]]:
    return {
        name: [old.get(name), new.get(name)]
        for name in sorted(set(old) | set(new))
        if old.get(name) != new.get(name)
    }


# -- the verbs ------------------------------------------------------------------------------
def create_record(
    store: GraphStore, ctx: RequestContext, *, kind: str, data: Mapping[str, Any]
) -> StoredRecord:
    spec = record_type(kind)
    require(ctx.principal, f"{kind}.create")
    values = _checked_fields(spec, data, partial=False)
    _missing_nodes(store, spec, values)
    now = utc_now()
    record_id = f"{spec.prefix}-{secrets.token_hex(6).upper()}"
    record = StoredRecord(
        id=record_id,
        kind=kind,
        state=spec.initial_state,
        version=1,
        data=values,
        content_hash=content_hash(
            record_id=record_id, kind=kind, state=spec.initial_state, data=values
        ),
        created_by=ctx.principal.id,
        created_at=now,
        updated_by=ctx.principal.id,
        updated_at=now,
    )
    changes = {"state": [None, spec.initial_state], **_diff({}, values)}

    def work(tx: StoreTx) -> StoredRecord:
        tx.put_record(record)
        _link(tx, spec, record_id, values)
        append_in(
            tx,
            draft_for(
                ctx,
                action=f"{kind}.create",
                entity_kind=kind,
                entity_id=record_id,
                record_version=1,
                changes=changes,
            ),
        )
        return record

    return store.run_in_tx(work, doing=f"creating a {kind}")


def update_record(
    store: GraphStore,
    ctx: RequestContext,
    *,
    record_id: str,
    expected_version: int,
    changes: Mapping[str, Any],
    reason: str | None = None,
) -> StoredRecord:
    """A new version with ``changes`` applied (fields only; states move by transitions)."""
    stored = store.get_record(record_id)
    if stored is None:
        raise NotFound(f"no record {record_id!r}", details={"ids": [record_id]})
    spec = record_type(stored.kind)
    values = _checked_fields(spec, changes, partial=True)
    if not values:
        raise InvalidInput("an update needs at least one field", details={"field": "changes"})
    _missing_nodes(store, spec, values)
    why = _reason(reason, required=False)

    def work(tx: StoreTx) -> StoredRecord:
        current = _current(tx, record_id)
        require(ctx.principal, f"{spec.kind}.update", record=current)
        _check_version(current, expected_version)
        if current.state not in spec.editable_in:
            raise Conflict(
                f"a {spec.kind} in state {current.state!r} cannot be edited",
                details={
                    "state": current.state,
                    "allowed_actions": spec.allowed_actions(current.state),
                },
            )
        data = {**current.data, **values}
        diff = _diff(current.data, data)
        if not diff:
            raise InvalidInput(
                "the update changes nothing: every field already has that value",
                details={"field": "changes"},
            )
        new = _next(current, ctx, state=current.state, data=data)
        tx.put_record(new)
        _link(tx, spec, record_id, values)
        append_in(
            tx,
            draft_for(
                ctx,
                action=f"{spec.kind}.update",
                entity_kind=spec.kind,
                entity_id=record_id,
                record_version=new.version,
                changes=diff,
                reason=why,
            ),
        )
        return new

    return store.run_in_tx(work, doing=f"updating {record_id}")


def _signer(
    store: GraphStore, ctx: RequestContext, signature: SignatureRequest | None
) -> tuple[User, SignatureMeaning]:
    """The person signing, password checked again now; API keys and tokens alone never sign."""
    from traceapi.services.users import check_password_of

    principal = ctx.principal
    if not principal.is_person or principal.username is None:
        raise Forbidden(
            "only a person signs: an API key never does (rule api-keys-never-sign)",
            details={"rule": "api-keys-never-sign"},
        )
    if signature is None or not signature.password:
        raise Unauthorized(
            "a signature needs your password in this request",
            details={"field": "signature.password"},
        )
    user = check_password_of(store, ctx, username=principal.username, password=signature.password)
    if user.user_id != principal.id:
        raise Forbidden("a person signs only as themselves", details={"rule": "sign-as-self"})
    return user, signature.meaning


def _signature_for(
    user: User, record: StoredRecord, meaning: SignatureMeaning, at: datetime
) -> Signature:
    fields: dict[str, Any] = {
        "signature_id": f"SIG-{secrets.token_hex(8).upper()}",
        "record_id": record.id,
        "record_version": record.version,
        "content_hash": record.content_hash,
        "user_id": user.user_id,
        "printed_name": user.printed_name,
        "meaning": meaning,
        "signed_at": at,
    }
    return Signature(**fields, binding=signature_binding(**fields))


def _signature_fields(signature: Signature) -> dict[str, Any]:
    return {
        "signature_id": signature.signature_id,
        "meaning": signature.meaning.value,
        "printed_name": signature.printed_name,
        "user_id": signature.user_id,
        "signed_at": signature.signed_at.isoformat(),
    }


def transition_record(
    store: GraphStore,
    ctx: RequestContext,
    *,
    record_id: str,
    expected_version: int,
    action: str,
    reason: str | None = None,
    signature: SignatureRequest | None = None,
) -> StoredRecord:
    stored = store.get_record(record_id)
    if stored is None:
        raise NotFound(f"no record {record_id!r}", details={"ids": [record_id]})
    spec = record_type(stored.kind)
    transition = spec.transitions.get(action)
    if transition is None:
        raise InvalidInput(
            f"{action!r} is not an action on a {spec.kind} "
            f"(its actions: {', '.join(sorted(spec.transitions))})",
            details={"field": "action"},
        )
    require(ctx.principal, f"{spec.kind}.{action}", record=stored)
    why = _reason(reason, required=transition.reason_required)
    signer: tuple[User, SignatureMeaning] | None = None
    if transition.signature is not None:
        signer = _signer(store, ctx, signature)
        if signer[1] is not transition.signature:
            raise InvalidInput(
                f"{action} is signed as {transition.signature.value}, not {signer[1].value}",
                details={"field": "signature.meaning"},
            )

    def work(tx: StoreTx) -> StoredRecord:
        current = _current(tx, record_id)
        require(ctx.principal, f"{spec.kind}.{action}", record=current)
        _check_version(current, expected_version)
        if current.state not in transition.sources:
            raise Conflict(
                f"a {spec.kind} in state {current.state!r} cannot {action}",
                details={
                    "state": current.state,
                    "allowed_actions": spec.allowed_actions(current.state),
                },
            )
        new = _next(current, ctx, state=transition.target, data=dict(current.data))
        tx.put_record(new)
        signed: dict[str, Any] | None = None
        if signer is not None:
            made = _signature_for(signer[0], new, signer[1], new.updated_at)
            tx.put_signature(made)
            signed = {"signature": _signature_fields(made)}
        append_in(
            tx,
            draft_for(
                ctx,
                action=f"{spec.kind}.{action}",
                entity_kind=spec.kind,
                entity_id=record_id,
                record_version=new.version,
                changes={"state": [current.state, new.state]},
                reason=why,
                new=signed,
            ),
        )
        return new

    return store.run_in_tx(work, doing=f"{action} on {record_id}")


def sign_record(
    store: GraphStore,
    ctx: RequestContext,
    *,
    record_id: str,
    expected_version: int,
    signature: SignatureRequest | None,
    reason: str | None = None,
) -> Signature:
    """Signs the record's current version (review, approval, responsibility, authorship)
    without changing it; the signature binds to (id, version, content hash)."""
    stored = store.get_record(record_id)
    if stored is None:
        raise NotFound(f"no record {record_id!r}", details={"ids": [record_id]})
    require(ctx.principal, f"{stored.kind}.sign", record=stored)
    user, meaning = _signer(store, ctx, signature)
    why = _reason(reason, required=False)

    def work(tx: StoreTx) -> Signature:
        current = _current(tx, record_id)
        _check_version(current, expected_version)
        made = _signature_for(user, current, meaning, utc_now())
        tx.put_signature(made)
        append_in(
            tx,
            draft_for(
                ctx,
                action=f"{current.kind}.sign",
                entity_kind=current.kind,
                entity_id=record_id,
                record_version=current.version,
                reason=why,
                new={"signature": _signature_fields(made)},
            ),
        )
        return made

    return store.run_in_tx(work, doing=f"signing {record_id}")


# -- reading --------------------------------------------------------------------------------
def get_record(store: GraphStore, record_id: str) -> StoredRecord:
    record = store.get_record(record_id)
    if record is None:
        raise NotFound(f"no record {record_id!r}", details={"ids": [record_id]})
    return record


def check_signatures(store: GraphStore, record_id: str) -> list[SignatureCheck]:
    """Each signature stored against the record, judged: ``valid`` (it signs the current
    version), ``superseded`` (the record was edited after signing) or ``invalid`` (its fields
    do not match its binding, or it signs content this record never had: moved or copied)."""
    versions = {record.version: record for record in store.record_versions(record_id)}
    latest = versions[max(versions)] if versions else None
    checks: list[SignatureCheck] = []
    for signature in store.signatures_of(record_id):
        fields = signature.model_dump(exclude={"binding"})
        signed = versions.get(signature.record_version)
        problem: str | None = None
        status: Literal["valid", "superseded", "invalid"] = "valid"
        if signature_binding(**fields) != signature.binding:
            status, problem = "invalid", "its fields do not match its binding (edited or moved)"
        elif signature.record_id != record_id or signed is None:
            status, problem = "invalid", f"it signs no version of {record_id}"
        elif signed.content_hash != signature.content_hash or not signed.hash_is_intact():
            status, problem = (
                "invalid",
                f"it signs other content than version {signed.version} of {record_id} "
                "(copied from another record?)",
            )
        elif latest is not None and latest.version > signature.record_version:
            status, problem = (
                "superseded",
                f"the record was changed after signing (signed version "
                f"{signature.record_version}, now version {latest.version})",
            )
        checks.append(SignatureCheck(signature=signature, status=status, problem=problem))
    return checks


def record_as_of(store: GraphStore, record_id: str, *, as_of: datetime | None) -> StoredRecord:
    """The version that was current at ``as_of`` (the latest when None); NotFound before the
    record existed."""
    versions = store.record_versions(record_id)
    if not versions:
        raise NotFound(f"no record {record_id!r}", details={"ids": [record_id]})
    if as_of is None:
        return versions[-1]
    earlier = [v for v in versions if v.updated_at <= as_of]
    if not earlier:
        raise NotFound(
            f"record {record_id} did not exist yet at {as_of.isoformat()}",
            details={"ids": [record_id], "as_of": as_of.isoformat()},
        )
    return earlier[-1]


class AuditRebuild(BaseModel):
    """A record's state rebuilt from its audit entries alone (their ``{field: [old, new]}``)."""

    version: int
    state: str | None
    data: dict[str, Any]
    entries: int


def rebuild_from_audit(
    store: GraphStore, record_id: str, *, up_to_version: int | None = None, page_size: int = 5000
) -> AuditRebuild | None:
    """Replays every audit entry about ``record_id`` that made a version up to
    ``up_to_version`` (the whole trail is read: for history and checks, not hot paths); None
    when no entry names the record."""
    version = 0
    state: str | None = None
    data: dict[str, Any] = {}
    seen = 0
    after = 0
    while page := store.audit_entries(after_seq=after, limit=page_size):
        after = page[-1].seq
        for entry in page:
            if entry.entity_id != record_id or entry.record_version is None:
                continue
            if up_to_version is not None and entry.record_version > up_to_version:
                continue
            seen += 1
            version = max(version, entry.record_version)
            for name, (_, new) in (entry.changes or {}).items():
                if name == "state":
                    state = new
                elif new is None:
                    data.pop(name, None)
                else:
                    data[name] = new
    if seen == 0:
        return None
    return AuditRebuild(version=version, state=state, data=data, entries=seen)
