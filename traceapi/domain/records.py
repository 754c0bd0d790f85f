"""Typed, versioned records: one stored row per version, a content hash, links and signatures.

A record is never overwritten: every change stores a new version (``version`` counts from 1)
and the old ones stay. Its content hash covers what the record says (id, kind, state and its
fields), so a signature bound to (id, version, hash) shows whether the record it hangs on is
still the one that was signed. Record types (kinds, states, transitions) are data here; the
workflow that applies them is ``traceapi.services.records``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel


class RecordLinkType(StrEnum):
    """Edges from a record to the graph nodes it concerns: their own types, never flow edges
    (``ON`` already means step -> equipment)."""

    CONCERNS = "CONCERNS"  # anomaly -> Lot|Equipment|ProcessStep
    HOLDS = "HOLDS"  # hold -> Lot
    COVERS = "COVERS"  # recall -> Lot
    ADDRESSES = "ADDRESSES"  # capa -> anomaly


class SignatureMeaning(StrEnum):
    REVIEW = "review"
    APPROVAL = "approval"
    RESPONSIBILITY = "responsibility"
    AUTHORSHIP = "authorship"


def canonical_json(value: Any) -> str:
    """Sorted keys, no white space, UTF-8 as is: the form every hash here is taken over."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(*, record_id: str, kind: str, state: str, data: dict[str, Any]) -> str:
    """SHA-256 of what a record says (not who wrote it when: two versions that say the same
    thing hash the same)."""
    content = {"id": record_id, "kind": kind, "state": state, "data": data}
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


class StoredRecord(BaseModel):
    """One version of a record, as both backends store it."""

    id: str
    kind: str
    state: str
    version: int
    data: dict[str, Any]
    content_hash: str
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime

    def hash_is_intact(self) -> bool:
        return self.content_hash == content_hash(
            record_id=self.id, kind=self.kind, state=self.state, data=self.data
        )


class RecordLink(BaseModel):
    record_id: str
    link_type: RecordLinkType
    target_id: str


class Signature(BaseModel):
    """A 21 CFR Part 11 electronic signature: who (id and printed name), when (UTC), what it
    means, and the exact record version and content it was given to."""

    signature_id: str
    record_id: str
    record_version: int
    content_hash: str
    user_id: str
    printed_name: str
    meaning: SignatureMeaning
    signed_at: datetime
    binding: str
    """SHA-256 over every field above: a signature edited or moved to another record no
    longer matches it."""


def signature_binding(
    *,
    signature_id: str,
    record_id: str,
    record_version: int,
    content_hash: str,
    user_id: str,
    printed_name: str,
    meaning: SignatureMeaning,
    signed_at: datetime,
) -> str:
    content = {
        "signature_id": signature_id,
        "record_id": record_id,
        "record_version": record_version,
        "content_hash": content_hash,
        "user_id": user_id,
        "printed_name": printed_name,
        "meaning": SignatureMeaning(meaning).value,
        "signed_at": signed_at.isoformat(),
    }
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


# -- record types as data -------------------------------------------------------------------


@dataclass(frozen=True)
class Transition:
    """An action that moves a record from one of ``sources`` to ``target``."""

    sources: frozenset[str]
    target: str
    reason_required: bool = False
    signature: SignatureMeaning | None = None
    """When set, the action needs the actor's signature with this meaning (password again)."""


@dataclass(frozen=True)
class RecordType:
    kind: str
    prefix: str
    """Record ids are ``<prefix>-<12 hex digits>``."""
    initial_state: str
    fields: dict[str, type]
    """The fields a client may set, with their JSON types (``list`` means a list of strings)."""
    required: frozenset[str]
    editable_in: frozenset[str]
    """States in which fields may still change."""
    transitions: dict[str, Transition]
    link_field: str | None = None
    """A list-of-ids field whose ids are graph nodes the record is linked to."""
    link_type: RecordLinkType = RecordLinkType.CONCERNS
    max_text: int = 10_000
    states: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        states = {self.initial_state}
        for transition in self.transitions.values():
            states |= transition.sources | {transition.target}
        object.__setattr__(self, "states", frozenset(states))

    def allowed_actions(self, state: str) -> list[str]:
        return sorted(name for name, t in self.transitions.items() if state in t.sources)


_OPEN_STATES = frozenset({"open", "investigating", "dispositioned"})

ANOMALY = RecordType(
    kind="anomaly",
    prefix="ANO",
    initial_state="open",
    fields={"title": str, "description": str, "lots": list, "disposition": str},
    required=frozenset({"title"}),
    editable_in=frozenset({"open", "investigating"}),
    transitions={
        "investigate": Transition(frozenset({"open"}), "investigating"),
        "disposition": Transition(frozenset({"investigating"}), "dispositioned", True),
        "close": Transition(
            frozenset({"dispositioned"}), "closed", True, signature=SignatureMeaning.APPROVAL
        ),
        "void": Transition(_OPEN_STATES, "void", reason_required=True),
    },
    link_field="lots",
    link_type=RecordLinkType.CONCERNS,
)
"""A nonconformance, open -> investigating -> dispositioned -> closed (or void). The fields,
evidence and grading of the next issue build on it."""

RECORD_TYPES: dict[str, RecordType] = {ANOMALY.kind: ANOMALY}
