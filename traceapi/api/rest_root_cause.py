"""REST: candidate root causes of anomalous lots against a baseline, and equipment and
parameter windows."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from traceapi.api.answers import json_answer
from traceapi.api.deps import SettingsDep, StoreDep, ViewerKey
from traceapi.api.schemas import error_responses
from traceapi.errors import LimitExceeded
from traceapi.services.rootcause import (
    DEFAULT_LEVEL,
    DEFAULT_LIMIT,
    EquipmentWindowReport,
    ParameterWindowReport,
    RootCauseReport,
    equipment_window,
    parameter_window,
    root_cause,
    subgraph_graphml,
)
from traceapi.services.rootcause.baseline import DEFAULT_PERIOD_DAYS

router = APIRouter(prefix="/api/v1", tags=["root cause"])

GRAPHML = "application/graphml+xml"
SVG = "image/svg+xml"
LotIds = list[Annotated[str, Field(min_length=1, max_length=512)]]


class RootCauseRequest(BaseModel):
    """Anomalous lots and, optionally, what to hold them against (see the description)."""

    model_config = ConfigDict(extra="forbid")

    lots: LotIds = Field(min_length=1, description="The anomalous lots (any identifier form)")
    baseline: LotIds | None = Field(
        default=None, description="Comparable good lots; by default the period rule chooses"
    )
    passed_inspection: str | None = Field(
        default=None,
        min_length=1,
        description="Baseline: the period's lots that passed an inspection of this "
        "characteristic (and never failed one)",
    )
    period_days: int = Field(default=DEFAULT_PERIOD_DAYS, ge=0, le=3650)
    level: float = Field(default=DEFAULT_LEVEL, gt=0, lt=1)
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=1000)
    max_depth: int | None = Field(default=None, ge=0, le=10_000)
    subgraph: bool = Field(default=False, description="Include the neighbourhood subgraph")


class EquipmentWindowRequest(BaseModel):
    """A machine and a time window (ISO 8601; a step running at any moment of it counts)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    equipment: str = Field(min_length=1, max_length=512)
    window_from: str = Field(alias="from", min_length=1)
    window_to: str = Field(alias="to", min_length=1)
    carry_over: int = Field(default=1, ge=0, le=100, description="Runs after the window")
    impact: bool = Field(default=False, description="Include the recall impact of the lots")
    max_depth: int | None = Field(default=None, ge=0, le=10_000)


class ParameterWindowRequest(BaseModel):
    """A step parameter's range, the steps it applies to, and optionally a time window."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    parameter: str = Field(min_length=1, max_length=200, description="A key of a step's params")
    low: float | None = Field(default=None, description="Values below this are out of range")
    high: float | None = Field(default=None, description="Values above this are out of range")
    step_code: str | None = Field(default=None, min_length=1, max_length=200)
    equipment: str | None = Field(default=None, min_length=1, max_length=512)
    window_from: str | None = Field(default=None, alias="from", min_length=1)
    window_to: str | None = Field(default=None, alias="to", min_length=1)
    impact: bool = Field(default=False, description="Include the recall impact of the lots")
    max_depth: int | None = Field(default=None, ge=0, le=10_000)


def _check_cap(field: str, count: int, cap: int) -> None:
    if count > cap:
        raise LimitExceeded(
            f"{count} {field} is above the cap of {cap}",
            details={"field": field, "max_impact_seeds": cap},
        )


@router.post(
    "/root-cause",
    summary="Candidate root causes of anomalous lots, ranked against good ones",
    description=(
        "Candidate factors upstream of the anomalous lots (supplier lots, suppliers, "
        "materials, equipment, process steps, operators, equipment windows), each with its "
        "coverage among them, its share among the baseline lots, lift, a one-sided Fisher "
        "exact p-value, its Benjamini-Hochberg adjusted value, `significant` at `level`, and "
        "the lots that are its evidence. The baseline is `baseline`, or the lots that passed "
        "`passed_inspection`, or by default the lots of the anomalous lots' materials "
        "produced within `period_days` of them with no failed inspection. With "
        f"`Accept: {GRAPHML}` the answer is the neighbourhood subgraph as GraphML, with "
        f"`Accept: {SVG}` a picture of it (anomalous lots on the right, candidates marked by "
        "rank, significant ones in red)."
    ),
    response_model=RootCauseReport,
    responses={
        200: {
            "content": {
                GRAPHML: {"schema": {"type": "string"}},
                SVG: {"schema": {"type": "string"}},
            }
        },
        **error_responses(401, 403, 404, 413, 422, s404="A lot has no match (all are named)"),
    },
)
def post_root_cause(
    body: RootCauseRequest,
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    _key: ViewerKey,
) -> Response:
    cap = settings.max_impact_seeds
    _check_cap("lots", len(body.lots), cap)
    _check_cap("baseline", len(body.baseline or []), cap)
    accept = request.headers.get("accept", "")
    graphml = GRAPHML in accept
    svg = not graphml and SVG in accept
    report = root_cause(
        store,
        lot_ids=body.lots,
        baseline=body.baseline,
        passed_inspection=body.passed_inspection,
        period_days=body.period_days,
        level=body.level,
        limit=body.limit,
        subgraph=body.subgraph or graphml or svg,
        max_depth=body.max_depth,
        max_nodes=settings.max_trace_nodes,
    )
    if graphml and report.subgraph is not None:
        return Response(
            subgraph_graphml(report.subgraph),
            media_type=GRAPHML,
            headers={"Content-Disposition": 'attachment; filename="root-cause.graphml"'},
        )
    if svg and report.subgraph is not None:
        from traceapi.render import rootcause_svg

        return Response(
            rootcause_svg(store, report),
            media_type=SVG,
            headers={"Content-Disposition": 'inline; filename="root-cause.svg"'},
        )
    return json_answer(report)


@router.post(
    "/root-cause/equipment-window",
    summary="What a machine made in a time window, and right after it",
    description=(
        "The steps that ran on `equipment` at some moment of [`from`, `to`], the lots they "
        "made (the seeds of an impact), the lots of its next `carry_over` runs after the "
        "window (carry-over candidates) and, with `impact`, the recall impact of the lots "
        "made in the window."
    ),
    response_model=EquipmentWindowReport,
    responses=error_responses(401, 403, 404, 422, s404="No equipment has this identifier"),
)
def post_equipment_window(
    body: EquipmentWindowRequest, store: StoreDep, settings: SettingsDep, _key: ViewerKey
) -> Response:
    report = equipment_window(
        store,
        equipment=body.equipment,
        window_from=body.window_from,
        window_to=body.window_to,
        carry_over=body.carry_over,
        impact=body.impact,
        max_depth=body.max_depth,
        max_nodes=settings.max_trace_nodes,
    )
    return json_answer(report)


@router.post(
    "/root-cause/parameter-window",
    summary="Steps whose recorded parameter was out of range, and the lots they made",
    description=(
        "The steps with `step_code` and/or on `equipment`, running at some moment of "
        "[`from`, `to`] (both optional), whose `params[parameter]` was below `low` or above "
        "`high`: each with its value, equipment and lots made; the lots (the seeds of an "
        "impact) and, with `impact`, their recall impact. Steps with no number for the "
        "parameter are listed apart in `without_parameter`."
    ),
    response_model=ParameterWindowReport,
    responses=error_responses(401, 403, 404, 422, s404="No equipment has this identifier"),
)
def post_parameter_window(
    body: ParameterWindowRequest, store: StoreDep, settings: SettingsDep, _key: ViewerKey
) -> Response:
    report = parameter_window(
        store,
        parameter=body.parameter,
        low=body.low,
        high=body.high,
        step_code=body.step_code,
        equipment=body.equipment,
        window_from=body.window_from,
        window_to=body.window_to,
        impact=body.impact,
        max_depth=body.max_depth,
        max_nodes=settings.max_trace_nodes,
    )
    return json_answer(report)
