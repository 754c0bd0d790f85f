"""People: accounts with argon2id password hashes, login to short-lived bearer tokens, lockout.

Every change to an account (created, disabled, password reset, roles changed) and every
security event (a failed login, a lockout, a login) is one audit entry in the same transaction
as the change. ``MAX_FAILED_LOGINS`` failures in a row lock the account until an admin resets
its password. Passwords are checked outside the write transaction (argon2 is slow on purpose),
the account is read again inside it.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from traceapi.domain.clock import utc_now
from traceapi.domain.security import PERSON_ROLES, Role, Session, User, new_session_token
from traceapi.errors import Conflict, InvalidInput, NotFound, Unauthorized
from traceapi.services.audit import append_in, draft_for
from traceapi.services.policy import AuthMethod, Principal, RequestContext, require
from traceapi.store.base import GraphStore, StoreTx

MAX_FAILED_LOGINS = 5
TOKEN_TTL = timedelta(minutes=30)
MIN_PASSWORD_LENGTH = 12
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")

_HASHER = PasswordHasher()
"""argon2id with argon2-cffi's defaults (RFC 9106's low-memory profile: t=3, m=64 MiB, p=4)."""
_DUMMY_HASH = _HASHER.hash("no such user: this hash is checked so that timing says nothing")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def password_matches(user: User, password: str) -> bool:
    try:
        return _HASHER.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _spend_a_check(password: str) -> None:
    with contextlib.suppress(VerificationError, InvalidHashError):
        _HASHER.verify(_DUMMY_HASH, password)


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


# -- checks of what people type -------------------------------------------------------------
def check_username(username: str) -> str:
    if not _USERNAME.match(username):
        raise InvalidInput(
            "a username is 2 to 64 characters: lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
            details={"field": "username"},
        )
    return username


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"a password has at least {MIN_PASSWORD_LENGTH} characters",
            details={"field": "password"},
        )
    return password


def check_roles(roles: Sequence[Role | str]) -> list[Role]:
    if not roles:
        raise InvalidInput("a person needs at least one role", details={"field": "role"})
    checked: list[Role] = []
    for role in roles:
        try:
            value = Role(role)
        except ValueError:
            value = None
        if value is None or value not in PERSON_ROLES:
            allowed = ", ".join(sorted(r.value for r in PERSON_ROLES))
            raise InvalidInput(
                f"{role!r} is not a role for a person (one of {allowed}; 'system' is for API "
                "keys only)",
                details={"field": "role", "value": str(role)},
            )
        if value not in checked:
            checked.append(value)
    return sorted(checked)


def _roles_text(roles: Sequence[Role]) -> list[str]:
    return [Role(role).value for role in roles]


def _existing(tx: StoreTx, username: str) -> User:
    user = tx.get_user(username)
    if user is None:
        raise NotFound(f"no user {username!r}", details={"username": username})
    return user


# -- account management ---------------------------------------------------------------------
def create_user(
    store: GraphStore,
    ctx: RequestContext,
    *,
    username: str,
    printed_name: str,
    roles: Sequence[Role | str],
    password: str,
) -> User:
    require(ctx.principal, "users.manage")
    name = printed_name.strip()
    if not name or len(name) > 200:
        raise InvalidInput(
            "a printed name (as it appears on signatures) of 1 to 200 characters is needed",
            details={"field": "name"},
        )
    user = User(
        user_id=f"u-{secrets.token_hex(6)}",
        username=check_username(username),
        printed_name=name,
        roles=check_roles(roles),
        password_hash=hash_password(check_password(password)),
        created_at=utc_now(),
    )

    def work(tx: StoreTx) -> User:
        if tx.get_user(user.username) is not None:
            raise Conflict(
                f"the username {user.username!r} is taken", details={"field": "username"}
            )
        tx.put_user(user)
        append_in(
            tx,
            draft_for(
                ctx,
                action="user.create",
                entity_kind="user",
                entity_id=user.user_id,
                changes={
                    "username": [None, user.username],
                    "printed_name": [None, user.printed_name],
                    "roles": [None, _roles_text(user.roles)],
                },
            ),
        )
        return user

    return store.run_in_tx(work, doing=f"creating user {user.username!r}")


def list_users(store: GraphStore) -> list[User]:
    return store.list_users()


def disable_user(store: GraphStore, ctx: RequestContext, *, username: str) -> User:
    require(ctx.principal, "users.manage")

    def work(tx: StoreTx) -> User:
        user = _existing(tx, username)
        if user.disabled_at is not None:
            return user
        changed = user.model_copy(update={"disabled_at": utc_now()})
        tx.put_user(changed)
        append_in(
            tx,
            draft_for(
                ctx,
                action="user.disable",
                entity_kind="user",
                entity_id=user.user_id,
                changes={"disabled_at": [None, changed.disabled_at.isoformat()]},  # type: ignore[union-attr]
            ),
        )
        return changed

    return store.run_in_tx(work, doing=f"disabling user {username!r}")


def reset_password(store: GraphStore, ctx: RequestContext, *, username: str, password: str) -> User:
    """A new password; clears a lockout and the count of failed logins."""
    require(ctx.principal, "users.manage")
    new_hash = hash_password(check_password(password))

    def work(tx: StoreTx) -> User:
        user = _existing(tx, username)
        changed = user.model_copy(
            update={"password_hash": new_hash, "failed_logins": 0, "locked_at": None}
        )
        tx.put_user(changed)
        changes: dict[str, list[object]] = {"password": ["(set)", "(reset)"]}
        if user.locked_at is not None:
            changes["locked_at"] = [user.locked_at.isoformat(), None]
        append_in(
            tx,
            draft_for(
                ctx,
                action="user.reset_password",
                entity_kind="user",
                entity_id=user.user_id,
                changes=changes,
            ),
        )
        return changed

    return store.run_in_tx(work, doing=f"resetting the password of {username!r}")


def set_roles(
    store: GraphStore, ctx: RequestContext, *, username: str, roles: Sequence[Role | str]
) -> User:
    """Replaces a user's roles (a security event); nobody changes their own."""
    wanted = check_roles(roles)
    current = store.get_user(username)
    if current is None:
        raise NotFound(f"no user {username!r}", details={"username": username})
    require(ctx.principal, "users.grant_role", target_user_id=current.user_id)

    def work(tx: StoreTx) -> User:
        user = _existing(tx, username)
        if user.roles == wanted:
            return user
        changed = user.model_copy(update={"roles": wanted})
        tx.put_user(changed)
        append_in(
            tx,
            draft_for(
                ctx,
                action="security.role_change",
                entity_kind="user",
                entity_id=user.user_id,
                changes={"roles": [_roles_text(user.roles), _roles_text(wanted)]},
            ),
        )
        return changed

    return store.run_in_tx(work, doing=f"changing the roles of {username!r}")


# -- login, tokens, passwords again -----------------------------------------------------------
def _refused_login(
    store: GraphStore, ctx: RequestContext, *, username: str, reason: str, count: bool
) -> None:
    """Audits one failed login; with ``count``, adds it to the account's failures and locks
    the account at ``MAX_FAILED_LOGINS`` (a second entry, ``security.account_locked``)."""

    def work(tx: StoreTx) -> None:
        user = tx.get_user(username)
        subject = user.user_id if user is not None else None
        append_in(
            tx,
            draft_for(
                ctx,
                action="security.login_failed",
                entity_kind="user",
                entity_id=subject,
                new={"username": username, "reason": reason},
            ),
        )
        if not count or user is None or user.locked_at is not None:
            return
        failures = user.failed_logins + 1
        locked = failures >= MAX_FAILED_LOGINS
        tx.put_user(
            user.model_copy(
                update={"failed_logins": failures, "locked_at": utc_now() if locked else None}
            )
        )
        if locked:
            append_in(
                tx,
                draft_for(
                    ctx,
                    action="security.account_locked",
                    entity_kind="user",
                    entity_id=user.user_id,
                    changes={"failed_logins": [user.failed_logins, failures]},
                    new={"username": username},
                ),
            )

    store.run_in_tx(work, doing="recording a failed login")


def _anonymous(ctx: RequestContext, username: str) -> RequestContext:
    who = Principal(
        id=f"login:{username}"[:80],
        name=username[:80],
        roles=frozenset(),
        auth_method=AuthMethod.PASSWORD,
    )
    return RequestContext(who, request_id=ctx.request_id, client_address=ctx.client_address)


def check_password_of(
    store: GraphStore, ctx: RequestContext, *, username: str, password: str
) -> User:
    """The active user whose password this is; every failure is audited and counted."""
    attempt = _anonymous(ctx, username)
    user = store.get_user(username)
    if user is None:
        _spend_a_check(password)  # as long as a real check: timing does not tell who exists
        _refused_login(store, attempt, username=username, reason="unknown username", count=False)
        raise Unauthorized("wrong username or password")
    if user.disabled_at is not None:
        _refused_login(store, attempt, username=username, reason="account disabled", count=False)
        raise Unauthorized("this account is disabled", details={"username": username})
    if user.locked_at is not None:
        _refused_login(store, attempt, username=username, reason="account locked", count=False)
        raise Unauthorized(
            f"this account is locked after {MAX_FAILED_LOGINS} failed logins; an admin "
            "unlocks it with 'traceapi users reset-password'",
            details={"username": username, "locked": True},
        )
    if not password_matches(user, password):
        _refused_login(store, attempt, username=username, reason="wrong password", count=True)
        raise Unauthorized("wrong username or password")
    return user


def principal_of(user: User, method: AuthMethod) -> Principal:
    return Principal(
        id=user.user_id,
        name=user.printed_name,
        roles=frozenset(user.roles),
        auth_method=method,
        username=user.username,
    )


def login(
    store: GraphStore,
    ctx: RequestContext,
    *,
    username: str,
    password: str,
    ttl: timedelta = TOKEN_TTL,
) -> tuple[str, Session]:
    """A bearer token for the user (shown once; only its hash is stored) and its session."""
    user = check_password_of(store, ctx, username=username, password=password)
    secret = new_session_token()
    now = utc_now()
    session = Session(
        token_hash=token_hash(secret), user_id=user.user_id, issued_at=now, expires_at=now + ttl
    )
    person = RequestContext(
        principal_of(user, AuthMethod.PASSWORD),
        request_id=ctx.request_id,
        client_address=ctx.client_address,
    )

    def work(tx: StoreTx) -> None:
        current = _existing(tx, username)
        if not current.active:
            raise Unauthorized("this account was disabled or locked just now")
        if current.failed_logins:
            tx.put_user(current.model_copy(update={"failed_logins": 0}))
        tx.put_session(session)
        append_in(
            tx,
            draft_for(
                person,
                action="user.login",
                entity_kind="user",
                entity_id=user.user_id,
                new={"expires_at": session.expires_at.isoformat()},
            ),
        )

    store.run_in_tx(work, doing=f"signing in {username!r}")
    return secret, session


def authenticate_token(store: GraphStore, secret: str, *, now: datetime | None = None) -> Principal:
    """The person a bearer token from ``login`` stands for; Unauthorized when it is unknown,
    expired, or its account is disabled or locked."""
    session = store.get_session(token_hash(secret))
    if session is None:
        raise Unauthorized("unknown token: sign in again (POST /api/v1/auth/login)")
    if session.expires_at <= (now or utc_now()):
        raise Unauthorized("the token has expired: sign in again (POST /api/v1/auth/login)")
    user = store.get_user_by_id(session.user_id)
    if user is None or not user.active:
        raise Unauthorized("the account behind this token is disabled or locked")
    return principal_of(user, AuthMethod.TOKEN)
