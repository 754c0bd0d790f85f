"""The one policy: may this principal do this action (to this record)? Deny by default.

Every interface asks here and never decides itself. Two kinds of rule, both data:

* ``GRANTS``: which roles may attempt an action at all (an action no entry names is refused);
* ``SEPARATION_OF_DUTIES``: who, among those, still may not (the raiser of a record approving
  its closure, the initiator of a recall approving it, anyone granting themselves a role).

A refusal is ``Forbidden`` naming the rule (``details.rule``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from traceapi.domain.records import RECORD_TYPES, StoredRecord
from traceapi.domain.security import ApiKey, Role
from traceapi.errors import Forbidden


class AuthMethod(StrEnum):
    API_KEY = "api_key"
    TOKEN = "token"
    """A bearer token from ``POST /auth/login``."""
    PASSWORD = "password"
    """A password given with this very request (what a signature needs)."""
    CLI = "cli"
    """The local operator: whoever can run ``traceapi`` on the store's machine."""


@dataclass(frozen=True)
class Principal:
    """Who acts: a person (``user``), a system (``api_key``) or the local operator (``cli``),
    with the roles they hold now and how they proved it."""

    id: str
    name: str
    roles: frozenset[Role]
    auth_method: AuthMethod
    username: str | None = None
    """Set for a person (a user), who alone may sign."""

    @property
    def is_person(self) -> bool:
        return self.username is not None

    @classmethod
    def of_key(cls, key: ApiKey) -> Principal:
        return cls(
            id=f"key:{key.key_id}",
            name=key.name,
            roles=frozenset({key.role}),
            auth_method=AuthMethod.API_KEY,
        )

    @classmethod
    def local_operator(cls) -> Principal:
        return cls(
            id="cli",
            name="local operator",
            roles=frozenset({Role.ADMIN}),
            auth_method=AuthMethod.CLI,
        )


@dataclass(frozen=True)
class RequestContext:
    """A principal and where the request came from: what every audit entry records."""

    principal: Principal
    request_id: str | None = None
    client_address: str | None = None


READERS = frozenset(Role)
"""Reading needs any role (a viewer and every role above it, systems included)."""
_QA = frozenset({Role.QA, Role.ADMIN})
_ADMIN = frozenset({Role.ADMIN})
_PEOPLE_WHO_WORK_RECORDS = frozenset({Role.COORDINATOR, Role.QA, Role.ADMIN})


def _record_grants() -> dict[str, frozenset[Role]]:
    grants: dict[str, frozenset[Role]] = {}
    for kind, record_type in RECORD_TYPES.items():
        grants[f"{kind}.read"] = READERS
        grants[f"{kind}.create"] = _PEOPLE_WHO_WORK_RECORDS | {Role.SYSTEM}
        grants[f"{kind}.update"] = _PEOPLE_WHO_WORK_RECORDS
        grants[f"{kind}.sign"] = _PEOPLE_WHO_WORK_RECORDS
        for action, transition in record_type.transitions.items():
            approving = transition.signature is not None or action == "void"
            grants[f"{kind}.{action}"] = _QA if approving else _PEOPLE_WHO_WORK_RECORDS
    return grants


GRANTS: dict[str, frozenset[Role]] = {
    "lots.read": READERS,
    "trace.read": READERS,
    "audit.read": _QA,
    "keys.manage": _ADMIN,
    "users.manage": _ADMIN,
    "users.grant_role": _ADMIN,
    **_record_grants(),
}
"""Action -> the roles that may attempt it."""


@dataclass(frozen=True)
class SeparationRule:
    """``who`` may not do ``action``: the record's creator, or the person the action is about."""

    name: str
    action: str
    who: Literal["record_creator", "target_user"]
    says: str


SEPARATION_OF_DUTIES: tuple[SeparationRule, ...] = (
    SeparationRule(
        "raiser-cannot-approve-closure",
        "anomaly.close",
        "record_creator",
        "the person who raised a record cannot approve its closure",
    ),
    SeparationRule(
        "recall-initiator-cannot-approve",
        "recall.approve",
        "record_creator",
        "the initiator of a recall cannot approve it",
    ),
    SeparationRule(
        "no-self-role-grant",
        "users.grant_role",
        "target_user",
        "nobody grants themselves a role",
    ),
)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    rule: str
    reason: str
    details: dict[str, object] = field(default_factory=dict)


def decide(
    principal: Principal,
    action: str,
    *,
    record: StoredRecord | None = None,
    target_user_id: str | None = None,
) -> Decision:
    """Whether ``principal`` may do ``action`` (to ``record``, or about ``target_user_id``)."""
    allowed_roles = GRANTS.get(action)
    if allowed_roles is None:
        return Decision(False, "deny-by-default", f"no rule allows {action!r}")
    if not principal.roles & allowed_roles:
        held = sorted(role.value for role in principal.roles)
        needed = sorted(role.value for role in allowed_roles)
        return Decision(
            False,
            "role-required",
            f"{action!r} needs one of the roles {', '.join(needed)}; held: {', '.join(held)}",
            {"roles": held, "required": needed},
        )
    for rule in SEPARATION_OF_DUTIES:
        if rule.action != action:
            continue
        if (
            rule.who == "record_creator"
            and record is not None
            and record.created_by == principal.id
        ):
            return Decision(False, rule.name, rule.says)
        if rule.who == "target_user" and target_user_id == principal.id:
            return Decision(False, rule.name, rule.says)
    return Decision(True, "granted", f"{action!r} is granted")


def require(
    principal: Principal,
    action: str,
    *,
    record: StoredRecord | None = None,
    target_user_id: str | None = None,
) -> None:
    """``Forbidden`` naming the rule unless ``decide`` allows it."""
    decision = decide(principal, action, record=record, target_user_id=target_user_id)
    if not decision.allowed:
        raise Forbidden(
            f"{decision.reason} (rule {decision.rule})",
            details={"rule": decision.rule, "action": action, **decision.details},
        )
