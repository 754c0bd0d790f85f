"""Writes answer models as JSON straight from pydantic, skipping FastAPI's second validation."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from fastapi import Request, Response
from pydantic import BaseModel

from traceapi.domain.results import ImpactReport, TraceReport
from traceapi.services.impact import ConsigneeList


def json_answer(model: BaseModel) -> Response:
    """``model`` as the JSON shape the CLI's ``--json`` prints (``None`` fields left out)."""
    return Response(model.model_dump_json(exclude_none=True), media_type="application/json")


def page_answer(items: Sequence[BaseModel], **cursor: Any) -> Response:
    """A page: its items as ``json_answer`` writes them, and the cursor fields, null included."""
    body = {"items": [item.model_dump(mode="json", exclude_none=True) for item in items], **cursor}
    return Response(json.dumps(body, ensure_ascii=False), media_type="application/json")


def trace_size(report: TraceReport | ImpactReport | ConsigneeList) -> int:
    """How many nodes an answer lists, for the result-size histogram."""
    if isinstance(report, ConsigneeList):
        return report.reached
    if isinstance(report, TraceReport):
        lists = [
            report.lots,
            report.process_steps,
            report.equipment,
            report.suppliers,
            report.shipments,
            report.customers,
        ]
        return sum(len(items) for items in lists)
    return len(report.lots) + len(report.shipments) + len(report.customers)


def observe_trace(
    request: Request, operation: str, report: TraceReport | ImpactReport | ConsigneeList
) -> None:
    request.app.state.metrics.observe_trace(operation=operation, nodes=trace_size(report))
