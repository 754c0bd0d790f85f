"""REST: where a serialised unit has been and is now, and where the units of a lot are."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from traceapi.api.answers import json_answer
from traceapi.api.deps import SettingsDep, StoreDep, ViewerKey
from traceapi.api.schemas import error_responses
from traceapi.services.whereabouts import (
    LotUnitsReport,
    UnitWhereabouts,
    lot_units,
    unit_whereabouts,
)

router = APIRouter(prefix="/api/v1", tags=["units"])

_ERRORS = error_responses(401, 403, 404, 413, 422)

# Included before the lots router: its ``/lots/{lot_id:path}`` would swallow ``.../units``.
UnitId = Annotated[
    str,
    Path(
        description="Any identifier of the unit: id, SGTIN URN, GS1 element string "
        "(01)...(21)... or Digital Link URI (URL-encoded or not)"
    ),
]
LotId = Annotated[
    str,
    Path(
        description="Any identifier of the lot: id, alias, EPC URN, GS1 element string or "
        "Digital Link URI (URL-encoded or not)"
    ),
]


@router.get(
    "/units/{unit_id:path}/whereabouts",
    summary="Where a serialised unit has been and where it is now",
    description=(
        "Its lot and where it was commissioned; every container it was packed into (and their "
        "parents, case onto pallet) with packed and removed times and places; the shipments "
        "that carried it, directly or in a container that still held it when it left; and "
        "where it is now: the consignee of the last of them (received or in transit), or us."
    ),
    response_model=UnitWhereabouts,
    responses=_ERRORS,
)
def get_unit_whereabouts(unit_id: UnitId, store: StoreDep, _key: ViewerKey) -> Response:
    return json_answer(unit_whereabouts(store, unit=unit_id))


@router.get(
    "/lots/{lot_id:path}/units",
    summary="The serialised units of a lot and where each is now",
    description=(
        "Every unit of the lot with where it is now. With `consignee` (a customer id or its "
        "GLN in any GS1 form), the units at that consignee (received or in transit to it) and, "
        "in `passed_on`, those it received and shipped on; counted as the impact answer's "
        "consignee rows count serials."
    ),
    response_model=LotUnitsReport,
    responses=_ERRORS,
)
def get_lot_units(
    lot_id: LotId,
    store: StoreDep,
    settings: SettingsDep,
    _key: ViewerKey,
    consignee: Annotated[
        str | None, Query(min_length=1, description="A customer id or GLN (any GS1 form)")
    ] = None,
) -> Response:
    report = lot_units(store, lot=lot_id, consignee=consignee, max_nodes=settings.max_trace_nodes)
    return json_answer(report)
