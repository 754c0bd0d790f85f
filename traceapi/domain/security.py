"""Roles and API keys: systems authenticate with keys; only the hash of a key is ever stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel


class Role(StrEnum):
    VIEWER = "viewer"
    COORDINATOR = "coordinator"
    QA = "qa"
    ADMIN = "admin"
    SYSTEM = "system"


# What each role may do beyond reading; reading needs viewer or any role above it.
ROLE_RANK: dict[Role, int] = {
    Role.VIEWER: 0,
    Role.SYSTEM: 1,
    Role.COORDINATOR: 1,
    Role.QA: 2,
    Role.ADMIN: 3,
}


class ApiKey(BaseModel):
    key_id: str
    name: str
    role: Role
    key_hash: str
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


KEY_PREFIX = "tra_"


def new_key_secret() -> str:
    """A fresh random key as handed to its user once: ``tra_<key id>_<secret>``."""
    return f"{KEY_PREFIX}{secrets.token_hex(4)}_{secrets.token_urlsafe(24)}"


def hash_key(secret: str) -> str:
    """SHA-256 of the whole key; keys are long random strings, so no salt or slow hash is needed."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def key_id_of(secret: str) -> str:
    """The public id embedded in a key (its first part), used to list and revoke keys."""
    body = secret.removeprefix(KEY_PREFIX)
    return body.split("_", 1)[0]


PERSON_ROLES = frozenset({Role.VIEWER, Role.COORDINATOR, Role.QA, Role.ADMIN})
"""Roles a person may hold (several at once); ``system`` is for API keys only."""


class User(BaseModel):
    """A person who signs in (and signs). ``password_hash`` is argon2id, never the password."""

    user_id: str
    username: str
    printed_name: str
    roles: list[Role]
    password_hash: str
    created_at: datetime
    disabled_at: datetime | None = None
    failed_logins: int = 0
    locked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.disabled_at is None and self.locked_at is None


class Session(BaseModel):
    """A bearer token issued at login; only its SHA-256 hash is stored."""

    token_hash: str
    user_id: str
    issued_at: datetime
    expires_at: datetime


TOKEN_PREFIX = "trs_"


def new_session_token() -> str:
    """A fresh login token: ``trs_<secret>`` (API keys start ``tra_``)."""
    return f"{TOKEN_PREFIX}{secrets.token_urlsafe(32)}"
