"""Request and answer models of the REST API that the domain does not already define."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from traceapi.domain.audit import AuditEntry
from traceapi.domain.results import NodeView


class LotDetailReport(BaseModel):
    """One lot with what it is made of, what it went into, and where it went."""

    lot: NodeView
    material: NodeView | None = None
    suppliers: list[NodeView] = Field(default_factory=list)
    produced_by: list[NodeView] = Field(default_factory=list)
    """Process steps that produced the lot."""
    inputs: list[NodeView] = Field(default_factory=list)
    """Lots consumed by the steps that produced it."""
    equipment: list[NodeView] = Field(default_factory=list)
    """Equipment the producing steps ran on."""
    consumed_by: list[NodeView] = Field(default_factory=list)
    """Process steps that consumed the lot."""
    outputs: list[NodeView] = Field(default_factory=list)
    """Lots produced by the steps that consumed it."""
    inspections: list[NodeView] = Field(default_factory=list)
    shipments: list[NodeView] = Field(default_factory=list)


class LotPage(BaseModel):
    """A page of lots in id order; pass ``next_cursor`` as ``after`` for the next one."""

    items: list[NodeView]
    next_cursor: str | None = None


class ImpactRequest(BaseModel):
    """Seed lots of a recall, in any identifier form, and an optional depth bound."""

    model_config = ConfigDict(extra="forbid")

    lots: list[Annotated[str, Field(min_length=1, max_length=512)]] = Field(
        min_length=1, description="Seed lot identifiers (any accepted form)"
    )
    max_depth: int | None = Field(default=None, ge=0, le=10_000)


class AuditPage(BaseModel):
    """Audit entries in sequence order; pass ``next_after_seq`` as ``after_seq`` to go on."""

    items: list[AuditEntry]
    next_after_seq: int | None = None


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable machine name: NOT_FOUND, INVALID_INPUT, ...")
    message: str
    details: Any = None


class ErrorResponse(BaseModel):
    """The body of every error answer."""

    error: ErrorDetail


_ERROR_MEANINGS = {
    401: "No API key, or an unknown or revoked one",
    403: "The key's role may not do this",
    404: "No lot has this identifier",
    413: "Over a limit: page size, number of seeds, trace node cap or body size",
    422: "Invalid input; the message names the field",
}


def error_responses(*statuses: int, **meanings: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for these error statuses, all with the error body model;
    ``meanings`` (``s404="..."``) override the default descriptions."""
    return {
        status: {
            "model": ErrorResponse,
            "description": meanings.get(f"s{status}", _ERROR_MEANINGS.get(status, "Error")),
        }
        for status in statuses
    }
