"""API keys: issue, list, revoke and check them; only a key's hash is ever stored."""

from __future__ import annotations

from datetime import UTC, datetime

from traceapi.domain.audit import AuditDraft
from traceapi.domain.security import ApiKey, Role, hash_key, key_id_of, new_key_secret
from traceapi.errors import InvalidInput, NotFound, Unauthorized
from traceapi.store.base import GraphStore

_MAX_NAME_LENGTH = 200


def create_key(
    store: GraphStore, *, role: Role, name: str, actor: str = "cli"
) -> tuple[ApiKey, str]:
    """A new key for ``role``; returns the stored record and the secret, shown only this once."""
    name = name.strip()
    if not name:
        raise InvalidInput("a key needs a name", details={"field": "name"})
    if len(name) > _MAX_NAME_LENGTH:
        raise InvalidInput(
            f"key name longer than {_MAX_NAME_LENGTH} characters", details={"field": "name"}
        )
    secret = new_key_secret()
    key = ApiKey(
        key_id=key_id_of(secret),
        name=name,
        role=Role(role),
        key_hash=hash_key(secret),
        created_at=datetime.now(UTC),
    )
    audit = AuditDraft(
        actor=actor,
        action="key.create",
        entity_kind="ApiKey",
        entity_id=key.key_id,
        new={"name": key.name, "role": key.role.value},
    )
    store.put_api_key(key, audit=audit)
    return key, secret


def list_keys(store: GraphStore) -> list[ApiKey]:
    """Every key, active and revoked, as stored (hashes only)."""
    return store.list_api_keys()


def revoke_key(store: GraphStore, *, key_id: str, actor: str = "cli") -> ApiKey:
    """Revokes ``key_id`` (NotFound if unknown); revoking a revoked key changes nothing."""
    known = {key.key_id: key for key in store.list_api_keys()}
    existing = known.get(key_id)
    if existing is None:
        raise NotFound(f"no API key with id {key_id!r}", details={"key_id": key_id})
    if not existing.active:
        return existing
    audit = AuditDraft(
        actor=actor,
        action="key.revoke",
        entity_kind="ApiKey",
        entity_id=key_id,
        old={"revoked_at": None},
        new={"revoked": True},
    )
    return store.revoke_api_key(key_id, audit=audit)


def authenticate(store: GraphStore, secret: str) -> ApiKey:
    """The active key matching ``secret``; Unauthorized when it is unknown or revoked."""
    if not secret:
        raise Unauthorized("missing API key")
    key = store.get_api_key(hash_key(secret))
    if key is None:
        raise Unauthorized("unknown API key")
    if not key.active:
        raise Unauthorized("revoked API key")
    return key
