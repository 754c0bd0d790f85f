"""API keys: issue, list, revoke and check them; only a key's hash is ever stored."""

from __future__ import annotations

from traceapi.domain.clock import utc_now
from traceapi.domain.security import ApiKey, Role, hash_key, key_id_of, new_key_secret
from traceapi.errors import InvalidInput, NotFound, Unauthorized
from traceapi.services.audit import append_in, draft_for
from traceapi.services.policy import AuthMethod, Principal, RequestContext
from traceapi.store.base import GraphStore, StoreTx


def _context(actor: str, ctx: RequestContext | None) -> RequestContext:
    """``ctx``, or the named local actor (the CLI, the demo, tests) of the older callers."""
    if ctx is not None:
        return ctx
    if actor == "cli":
        return RequestContext(Principal.local_operator())
    return RequestContext(
        Principal(id=actor, name=actor, roles=frozenset({Role.ADMIN}), auth_method=AuthMethod.CLI)
    )


_MAX_NAME_LENGTH = 200


def create_key(
    store: GraphStore,
    *,
    role: Role,
    name: str,
    actor: str = "cli",
    ctx: RequestContext | None = None,
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
        created_at=utc_now(),
    )
    audit = draft_for(
        _context(actor, ctx),
        action="key.create",
        entity_kind="ApiKey",
        entity_id=key.key_id,
        new={"name": key.name, "role": key.role.value},
    )

    def work(tx: StoreTx) -> None:
        tx.put_api_key(key)
        append_in(tx, audit)

    store.run_in_tx(work, doing=f"storing API key {key.key_id}")
    return key, secret


def list_keys(store: GraphStore) -> list[ApiKey]:
    """Every key, active and revoked, as stored (hashes only)."""
    return store.list_api_keys()


def revoke_key(
    store: GraphStore, *, key_id: str, actor: str = "cli", ctx: RequestContext | None = None
) -> ApiKey:
    """Revokes ``key_id`` (NotFound if unknown); revoking a revoked key changes nothing. Read,
    check and write in one unit of work."""
    who = _context(actor, ctx)

    def work(tx: StoreTx) -> ApiKey:
        existing = tx.get_api_key_by_id(key_id)
        if existing is None:
            raise NotFound(f"no API key with id {key_id!r}", details={"key_id": key_id})
        if not existing.active:
            return existing
        revoked = existing.model_copy(update={"revoked_at": utc_now()})
        tx.put_api_key(revoked)
        append_in(
            tx,
            draft_for(
                who,
                action="key.revoke",
                entity_kind="ApiKey",
                entity_id=key_id,
                changes={"revoked_at": [None, revoked.revoked_at.isoformat()]},  # type: ignore[union-attr]
            ),
        )
        return revoked

    return store.run_in_tx(work, doing=f"revoking API key {key_id}")


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
