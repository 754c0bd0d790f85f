"""The API key service: one-time secrets, hashes only at rest, audit entries, revocation."""

from __future__ import annotations

import pytest

from traceapi.domain.security import Role, hash_key, key_id_of
from traceapi.errors import InvalidInput, NotFound, Unauthorized
from traceapi.services.keys import authenticate, create_key, list_keys, revoke_key


def test_create_key_stores_the_hash_and_never_the_secret(api_store, api_settings):
    key, secret = create_key(api_store, role=Role.QA, name="lab system", actor="alice")
    assert key.key_id == key_id_of(secret)
    assert key.key_hash == hash_key(secret)
    assert key.key_id in [k.key_id for k in list_keys(api_store)]
    raw = b"".join(p.read_bytes() for p in api_settings.data_dir.glob("*") if p.is_file())
    assert secret.encode() not in raw
    assert authenticate(api_store, secret).role is Role.QA


def test_create_and_revoke_write_audit_entries(api_store):
    key, _ = create_key(api_store, role=Role.VIEWER, name="dashboard", actor="alice")
    revoke_key(api_store, key_id=key.key_id, actor="bob")
    revoke_key(api_store, key_id=key.key_id, actor="bob")  # a no-op, not a second entry
    entries = [e for e in api_store.audit_entries() if e.entity_id == key.key_id]
    assert [(e.action, e.actor) for e in entries] == [
        ("key.create", "alice"),
        ("key.revoke", "bob"),
    ]
    assert entries[0].new == {"name": "dashboard", "role": "viewer"}


def test_authenticate_refuses_unknown_and_revoked_keys(api_store):
    key, secret = create_key(api_store, role=Role.ADMIN, name="ops")
    with pytest.raises(Unauthorized):
        authenticate(api_store, secret + "x")
    with pytest.raises(Unauthorized):
        authenticate(api_store, "")
    revoke_key(api_store, key_id=key.key_id)
    with pytest.raises(Unauthorized, match="revoked"):
        authenticate(api_store, secret)


def test_bad_names_and_unknown_ids_are_refused(api_store):
    with pytest.raises(InvalidInput):
        create_key(api_store, role=Role.VIEWER, name="  ")
    with pytest.raises(NotFound):
        revoke_key(api_store, key_id="deadbeef")
