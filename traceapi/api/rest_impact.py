"""REST: recall impact of seed lots, as JSON or as the consignee CSV a coordinator works from."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from traceapi.api.answers import json_answer, observe_trace
from traceapi.api.deps import SettingsDep, StoreDep, ViewerKey
from traceapi.api.schemas import ImpactRequest, error_responses
from traceapi.domain.results import ImpactReport
from traceapi.errors import LimitExceeded
from traceapi.gc_pause import collector_paused
from traceapi.services.impact import consignee_csv, recall_consignees, recall_impact
from traceapi.settings import Settings
from traceapi.store.base import GraphStore

router = APIRouter(prefix="/api/v1", tags=["impact"])


def wants_csv(request: Request) -> bool:
    """True when the client asks for ``text/csv`` (the JSON answer is the default)."""
    accept = request.headers.get("accept", "")
    return any(part.split(";")[0].strip().lower() == "text/csv" for part in accept.split(","))


@router.post(
    "/impact",
    summary="Recall impact of one or more seed lots",
    description=(
        "Affected lots with quantity shares, finished lots, stock on hand, shipments and "
        "consignees by tier. Send `Accept: text/csv` for the consignee list as a CSV file."
    ),
    response_model=ImpactReport,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        **error_responses(401, 403, 404, 413, 422, s404="A seed lot has no match"),
    },
)
def impact(
    body: ImpactRequest,
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    _key: ViewerKey,
) -> Response:
    if len(body.lots) > settings.max_impact_seeds:
        raise LimitExceeded(
            f"{len(body.lots)} seed lots is above the cap of {settings.max_impact_seeds}",
            details={"field": "lots", "max_impact_seeds": settings.max_impact_seeds},
        )
    # The answer's objects (hundreds of thousands for a whole recall) are freed before the
    # collector runs again: a collection while they live would rescan them all for nothing.
    with collector_paused():
        return _answer(body, request, store, settings)


def _answer(
    body: ImpactRequest, request: Request, store: GraphStore, settings: Settings
) -> Response:
    """The impact report, written as the client asks: the consignee CSV (built from the
    consignee rows alone), or the whole answer as JSON."""
    if wants_csv(request):
        consignees = recall_consignees(
            store, lot_ids=body.lots, max_depth=body.max_depth, max_nodes=settings.max_trace_nodes
        )
        observe_trace(request, "impact", consignees)
        return Response(
            consignee_csv(consignees),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="consignees.csv"'},
        )
    report = recall_impact(
        store, lot_ids=body.lots, max_depth=body.max_depth, max_nodes=settings.max_trace_nodes
    )
    observe_trace(request, "impact", report)
    return json_answer(report)
