"""Relay-style connections: ``edges { node cursor }`` and ``pageInfo``, with opaque cursors."""

from __future__ import annotations

import base64
import binascii

import strawberry

from traceapi.errors import InvalidInput
from traceapi.gql.results import AuditTrailEntry
from traceapi.gql.types import Lot


@strawberry.type(description="Where a page sits in the whole list.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class LotEdge:
    node: Lot
    cursor: str


@strawberry.type(description="A page of lots in id order.")
class LotConnection:
    edges: list[LotEdge]
    page_info: PageInfo


@strawberry.type
class AuditTrailEdge:
    node: AuditTrailEntry
    cursor: str


@strawberry.type(description="A page of audit entries in sequence order.")
class AuditTrailConnection:
    edges: list[AuditTrailEdge]
    page_info: PageInfo


def encode_cursor(prefix: str, value: str) -> str:
    return base64.urlsafe_b64encode(f"{prefix}:{value}".encode()).decode("ascii")


def decode_cursor(prefix: str, cursor: str | None) -> str | None:
    """The value inside a cursor this API handed out; InvalidInput for anything else."""
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise InvalidInput("malformed cursor", details={"field": "after"}) from exc
    head, sep, value = text.partition(":")
    if head != prefix or not sep:
        raise InvalidInput("malformed cursor", details={"field": "after"})
    return value


def page_info(cursors: list[str], *, has_next: bool, had_cursor: bool) -> PageInfo:
    return PageInfo(
        has_next_page=has_next,
        has_previous_page=had_cursor,
        start_cursor=cursors[0] if cursors else None,
        end_cursor=cursors[-1] if cursors else None,
    )
