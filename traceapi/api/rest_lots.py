"""REST: look up lots, page through them, and trace them forward and backward."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response

from traceapi.api.answers import json_answer, observe_trace, page_answer
from traceapi.api.deps import SettingsDep, StoreDep, ViewerKey
from traceapi.api.lot_detail import lot_detail
from traceapi.api.paging import check_page_size, page_lots
from traceapi.api.schemas import LotDetailReport, LotPage, error_responses
from traceapi.domain.model import LotStatus, LotType, NodeKind
from traceapi.domain.results import NodeView, TraceReport
from traceapi.services.lookup import resolve_node
from traceapi.services.trace import trace_backward, trace_forward

router = APIRouter(prefix="/api/v1", tags=["lots"])

_ERRORS = error_responses(401, 403, 404, 413, 422)

# Lot identifiers may be Digital Link URIs or element strings with slashes and parentheses,
# URL-encoded or not: the ``:path`` converter keeps them whole. The trace routes are declared
# before ``/lots/{lot_id:path}`` so their suffix is not swallowed into the id.
LotId = Annotated[
    str,
    Path(
        description="Any identifier of the lot: id, alias, EPC URN, GS1 element string or "
        "Digital Link URI (URL-encoded or not)"
    ),
]

MaxDepth = Annotated[
    int | None, Query(ge=0, le=10_000, description="Stop after this many edges from the lot")
]

LotKind = Literal["Lot", "Unit", "Container"]


@router.get(
    "/lots",
    summary="Page through lots",
    description="Lots (or units, or containers) in id order, filtered by type, status, material.",
    response_model=LotPage,
    responses=error_responses(401, 403, 404, 413, 422, s404="No material has this identifier"),
)
def list_lots(
    store: StoreDep,
    settings: SettingsDep,
    _key: ViewerKey,
    kind: LotKind = "Lot",
    lot_type: LotType | None = None,
    status: LotStatus | None = None,
    material: Annotated[str | None, Query(description="A material id or alias")] = None,
    after: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1)] = 100,
) -> Response:
    check_page_size(limit, cap=settings.max_page_size, field="limit")
    where: dict[str, Any] = {}
    if lot_type is not None:
        where["lot_type"] = lot_type.value
    if status is not None:
        where["status"] = status.value
    material_id = resolve_node(store, material).id if material is not None else None
    page, more = page_lots(
        store, kind=NodeKind(kind), size=limit, after=after, where=where, material_id=material_id
    )
    next_cursor = page[-1].id if more and page else None
    return page_answer([NodeView.of(n) for n in page], next_cursor=next_cursor)


@router.get(
    "/lots/{lot_id:path}/where-used",
    summary="Where-used: everything downstream of a lot",
    description="Lots, process steps, shipments and customers the lot's material reached.",
    response_model=TraceReport,
    responses=_ERRORS,
)
def where_used(
    lot_id: LotId,
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    _key: ViewerKey,
    max_depth: MaxDepth = None,
) -> Response:
    report = trace_forward(
        store, lot_id=lot_id, max_depth=max_depth, max_nodes=settings.max_trace_nodes
    )
    observe_trace(request, "where-used", report)
    return json_answer(report)


@router.get(
    "/lots/{lot_id:path}/where-from",
    summary="Where-from: everything upstream of a lot",
    description="Input lots, process steps, equipment and supplier lots the lot was made from.",
    response_model=TraceReport,
    responses=_ERRORS,
)
def where_from(
    lot_id: LotId,
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    _key: ViewerKey,
    max_depth: MaxDepth = None,
) -> Response:
    report = trace_backward(
        store, lot_id=lot_id, max_depth=max_depth, max_nodes=settings.max_trace_nodes
    )
    observe_trace(request, "where-from", report)
    return json_answer(report)


@router.get(
    "/lots/{lot_id:path}",
    summary="One lot and its direct genealogy",
    description=(
        "The lot named by any identifier form (id, alias, EPC URN, GS1 element string, "
        "Digital Link URI) with its material, suppliers, inputs, outputs and shipments."
    ),
    response_model=LotDetailReport,
    responses=_ERRORS,
)
def get_lot(lot_id: LotId, store: StoreDep, _key: ViewerKey) -> Response:
    return json_answer(lot_detail(store, lot_id))
