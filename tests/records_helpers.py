"""People and contexts for the record, user and signature tests (real services, real stores)."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from traceapi.domain.security import Role
from traceapi.services import users
from traceapi.services.policy import AuthMethod, Principal, RequestContext
from traceapi.store.base import GraphStore

PASSWORD = "correct horse battery"
OPERATOR = RequestContext(Principal.local_operator(), request_id="req-cli")


def cheap_hasher(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id still, at test-sized cost: hundreds of password checks run in seconds."""
    monkeypatch.setattr(
        users, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


def person(
    store: GraphStore, username: str, *roles: Role, name: str | None = None
) -> RequestContext:
    """Creates the user (as the local operator) and returns a context acting as them with a
    bearer token, from 127.0.0.1."""
    user = users.create_user(
        store,
        OPERATOR,
        username=username,
        printed_name=name or username.title(),
        roles=list(roles) or [Role.VIEWER],
        password=PASSWORD,
    )
    return RequestContext(
        users.principal_of(user, AuthMethod.TOKEN),
        request_id=f"req-{username}",
        client_address="127.0.0.1",
    )


def system_key(role: Role = Role.SYSTEM) -> RequestContext:
    return RequestContext(
        Principal(
            id="key:erp01", name="ERP", roles=frozenset({role}), auth_method=AuthMethod.API_KEY
        ),
        request_id="req-erp",
        client_address="10.0.0.5",
    )
