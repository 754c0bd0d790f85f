# mypy: disable-error-code="untyped-decorator"
"""The GraphQL Query root: lots, traces, recall impact, root cause and the audit trail.

Every field checks the caller's key first; services are synchronous and run on the thread pool.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

import anyio
import strawberry
from strawberry.types.nodes import SelectedField

from traceapi.api.answers import trace_size
from traceapi.api.paging import check_page_size, page_lots
from traceapi.domain.model import NodeKind
from traceapi.errors import InvalidInput, LimitExceeded
from traceapi.gql.connections import (
    AuditTrailConnection,
    AuditTrailEdge,
    LotConnection,
    LotEdge,
    decode_cursor,
    encode_cursor,
    page_info,
)
from traceapi.gql.mutations import record_field
from traceapi.gql.results import (
    AuditTrailEntry,
    EquipmentWindowResult,
    ImpactResult,
    ParameterWindowResult,
    RootCauseResult,
    TraceResult,
)
from traceapi.gql.types import GraphNode, Info, Lot, LotStatus, LotType, as_graph_node
from traceapi.services.audit import read_entries
from traceapi.services.impact import recall_impact
from traceapi.services.lookup import resolve_lot, resolve_node
from traceapi.services.rootcause import (
    DEFAULT_LEVEL,
    DEFAULT_LIMIT,
    equipment_window,
    parameter_window,
    root_cause,
)
from traceapi.services.rootcause.baseline import DEFAULT_PERIOD_DAYS
from traceapi.services.trace import trace_backward, trace_forward

T = TypeVar("T")

_LOT_CURSOR = "lot"
_AUDIT_CURSOR = "audit"


_RANKED_FIELDS = frozenset(
    {"baseline", "level", "tested", "significant", "candidates", "candidatesLeftOut"}
)
"""Fields of a root-cause answer that need the baseline and the ranking."""


def _selected(info: Info) -> set[str]:
    """Names of the fields selected under this field, through fragments."""
    names: set[str] = set()
    pending = list(info.selected_fields)
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, SelectedField):
                names.add(selection.name)
            else:
                pending.append(selection)  # a fragment: its selections count
    return names


async def _run(call: Callable[[], T]) -> T:
    return await anyio.to_thread.run_sync(call)


def _check_depth(max_depth: int | None) -> None:
    if max_depth is not None and max_depth < 0:
        raise InvalidInput("maxDepth must not be negative", details={"field": "maxDepth"})


def _check_seeds(info: Info, lots: list[strawberry.ID]) -> list[str]:
    cap = info.context.settings.max_impact_seeds
    if not lots:
        raise InvalidInput("give at least one lot", details={"field": "lots"})
    if len(lots) > cap:
        raise LimitExceeded(
            f"{len(lots)} lots is above the cap of {cap}",
            details={"field": "lots", "max_impact_seeds": cap},
        )
    return [str(lot) for lot in lots]


@strawberry.type
class Query:
    record = strawberry.field(
        resolver=record_field,
        description="A record (anomaly, ...) by id: its current version and signatures.",
    )

    @strawberry.field(
        description="A lot by any identifier: id, alias, EPC URN, GS1 element string or "
        "Digital Link URI (a serialised unit's identifier gives its lot)."
    )
    async def lot(self, info: Info, id: strawberry.ID) -> Lot | None:
        await info.context.authorize("lots.read")
        store = info.context.store
        node = await _run(lambda: resolve_lot(store, str(id)))
        if node.kind is not NodeKind.LOT:
            raise InvalidInput(
                f"{str(id)!r} names a {node.kind.value}, not a lot; use node(id:)",
                details={"field": "id", "kind": node.kind.value},
            )
        return Lot(node=node)

    @strawberry.field(description="Any node by id or alias.")
    async def node(self, info: Info, id: strawberry.ID) -> GraphNode | None:
        await info.context.authorize("lots.read")
        store = info.context.store
        found = await _run(lambda: resolve_node(store, str(id)))
        return as_graph_node(found)

    @strawberry.field(
        description="Lots in id order, filtered; a Relay-style connection. `first` is 50 when "
        "not given (and counts so in the query cost estimate), at most MAX_PAGE_SIZE."
    )
    async def lots(
        self,
        info: Info,
        first: int | None = 50,
        after: str | None = None,
        status: LotStatus | None = None,
        lot_type: LotType | None = None,
        material: strawberry.ID | None = None,
    ) -> LotConnection | None:
        await info.context.authorize("lots.read")
        context = info.context
        size = 50 if first is None else first
        check_page_size(size, cap=context.settings.max_page_size, field="first")
        after_id = decode_cursor(_LOT_CURSOR, after)
        where = {}
        if status is not None:
            where["status"] = status.value
        if lot_type is not None:
            where["lot_type"] = lot_type.value
        store = context.store

        def fetch() -> tuple[list[Lot], bool]:
            material_id = resolve_node(store, str(material)).id if material is not None else None
            nodes, more = page_lots(
                store, size=size, after=after_id, where=where, material_id=material_id
            )
            return [Lot(node=n) for n in nodes], more

        lots, more = await _run(fetch)
        edges = [LotEdge(node=lot, cursor=encode_cursor(_LOT_CURSOR, lot.node.id)) for lot in lots]
        return LotConnection(
            edges=edges,
            page_info=page_info([e.cursor for e in edges], has_next=more, had_cursor=bool(after)),
        )

    @strawberry.field(description="Everything downstream of a lot, to shipments and customers.")
    async def where_used(
        self, info: Info, lot: strawberry.ID, max_depth: int | None = None
    ) -> TraceResult | None:
        await info.context.authorize("lots.read")
        _check_depth(max_depth)
        context = info.context
        report = await _run(
            lambda: trace_forward(
                context.store,
                lot_id=str(lot),
                max_depth=max_depth,
                max_nodes=context.settings.max_trace_nodes,
            )
        )
        context.metrics.observe_trace(operation="whereUsed", nodes=trace_size(report))
        return TraceResult.of(report)

    @strawberry.field(
        description="Everything upstream of a lot: input lots, process steps, "
        "equipment, supplier lots and suppliers."
    )
    async def where_from(
        self, info: Info, lot: strawberry.ID, max_depth: int | None = None
    ) -> TraceResult | None:
        await info.context.authorize("lots.read")
        _check_depth(max_depth)
        context = info.context
        report = await _run(
            lambda: trace_backward(
                context.store,
                lot_id=str(lot),
                max_depth=max_depth,
                max_nodes=context.settings.max_trace_nodes,
            )
        )
        context.metrics.observe_trace(operation="whereFrom", nodes=trace_size(report))
        return TraceResult.of(report)

    @strawberry.field(
        description="Recall impact of seed lots: affected lots, stock on hand, "
        "shipments and consignees by tier."
    )
    async def recall_impact(
        self, info: Info, lots: list[strawberry.ID], max_depth: int | None = None
    ) -> ImpactResult | None:
        await info.context.authorize("lots.read")
        _check_depth(max_depth)
        seeds = _check_seeds(info, lots)
        context = info.context
        report = await _run(
            lambda: recall_impact(
                context.store,
                lot_ids=seeds,
                max_depth=max_depth,
                max_nodes=context.settings.max_trace_nodes,
            )
        )
        context.metrics.observe_trace(operation="recallImpact", nodes=trace_size(report))
        return ImpactResult.of(report)

    @strawberry.field(
        description="What several anomalous lots share upstream (equipment, process steps, "
        "supplier lots, materials, suppliers, ranked by how many share each) and candidate "
        "causes ranked against a baseline of comparable good lots: `baseline` lots, or those "
        "that passed `passedInspection`, or by default lots of the same material produced "
        "within `periodDays` (30) of them with no failed inspection. Each candidate has a "
        "one-sided Fisher exact p-value, a Benjamini-Hochberg adjusted value and is "
        "`significant` when that is at most `level` (0.05)."
    )
    async def root_cause_neighbourhood(
        self,
        info: Info,
        lots: list[strawberry.ID],
        baseline: list[strawberry.ID] | None = None,
        passed_inspection: str | None = None,
        period_days: int = DEFAULT_PERIOD_DAYS,
        level: float = DEFAULT_LEVEL,
        limit: int = DEFAULT_LIMIT,
        max_depth: int | None = None,
    ) -> RootCauseResult | None:
        await info.context.authorize("lots.read")
        _check_depth(max_depth)
        seeds = _check_seeds(info, lots)
        given = None if baseline is None else [str(i) for i in baseline]
        cap = info.context.settings.max_impact_seeds
        if given is not None and len(given) > cap:
            raise LimitExceeded(
                f"{len(given)} baseline lots is above the cap of {cap}",
                details={"field": "baseline", "max_impact_seeds": cap},
            )
        asked = _selected(info)
        context = info.context
        report = await _run(
            lambda: root_cause(
                context.store,
                lot_ids=seeds,
                baseline=given,
                passed_inspection=passed_inspection,
                period_days=period_days,
                level=level,
                limit=limit,
                rank=bool(asked & _RANKED_FIELDS) or given is not None,
                subgraph="subgraph" in asked,
                max_depth=max_depth,
                max_nodes=context.settings.max_trace_nodes,
            )
        )
        return RootCauseResult.of(report)

    @strawberry.field(
        description="What a machine made in a time window (`from`, `to`: ISO 8601 times; a "
        "step running at any moment of it counts) and, as carry-over candidates, the lots of "
        "its next `carryOver` runs after the window."
    )
    async def equipment_window(
        self,
        info: Info,
        equipment: strawberry.ID,
        from_: Annotated[str, strawberry.argument(name="from")],
        to: str,
        carry_over: int = 1,
    ) -> EquipmentWindowResult | None:
        await info.context.authorize("lots.read")
        context = info.context
        report = await _run(
            lambda: equipment_window(
                context.store,
                equipment=str(equipment),
                window_from=from_,
                window_to=to,
                carry_over=carry_over,
            )
        )
        return EquipmentWindowResult.of(report)

    @strawberry.field(
        description="Steps with `stepCode` and/or on `equipment`, running at some moment of "
        "[`from`, `to`] (both optional), whose recorded `parameter` was below `low` or above "
        "`high`, and the lots they made."
    )
    async def parameter_window(
        self,
        info: Info,
        parameter: str,
        low: float | None = None,
        high: float | None = None,
        step_code: str | None = None,
        equipment: strawberry.ID | None = None,
        from_: Annotated[str | None, strawberry.argument(name="from")] = None,
        to: str | None = None,
    ) -> ParameterWindowResult | None:
        await info.context.authorize("lots.read")
        context = info.context
        report = await _run(
            lambda: parameter_window(
                context.store,
                parameter=parameter,
                low=low,
                high=high,
                step_code=step_code,
                equipment=str(equipment) if equipment is not None else None,
                window_from=from_,
                window_to=to,
            )
        )
        return ParameterWindowResult.of(report)

    @strawberry.field(
        description="The hash-chained audit trail, oldest first (qa or admin); `first` is 50 "
        "when not given."
    )
    async def audit_trail(
        self, info: Info, first: int | None = 50, after: str | None = None
    ) -> AuditTrailConnection | None:
        await info.context.authorize("audit.read")
        context = info.context
        size = 50 if first is None else first
        check_page_size(size, cap=context.settings.max_page_size, field="first")
        cursor = decode_cursor(_AUDIT_CURSOR, after)
        try:
            after_seq = int(cursor) if cursor is not None else 0
        except ValueError as exc:
            raise InvalidInput("malformed cursor", details={"field": "after"}) from exc
        entries = await _run(
            lambda: read_entries(context.store, after_seq=after_seq, limit=size + 1, field="after")
        )
        page = entries[:size]
        edges = [
            AuditTrailEdge(
                node=AuditTrailEntry.of(e), cursor=encode_cursor(_AUDIT_CURSOR, str(e.seq))
            )
            for e in page
        ]
        return AuditTrailConnection(
            edges=edges,
            page_info=page_info(
                [e.cursor for e in edges], has_next=len(entries) > size, had_cursor=bool(after)
            ),
        )
