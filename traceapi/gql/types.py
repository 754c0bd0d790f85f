# mypy: disable-error-code="untyped-decorator"
"""GraphQL types of the graph's nodes, navigable both ways along the genealogy."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, TypeVar

import anyio
import strawberry
from strawberry.scalars import JSON

from traceapi.domain.model import Edge, EdgeType, Node, NodeKind
from traceapi.gql.context import GqlContext
from traceapi.gql.loaders import Side
from traceapi.gql.whereabouts import LotUnitsResult, PackingEntry, WhereaboutsResult
from traceapi.services.rootcause.windows import check_window, runs_within
from traceapi.services.whereabouts import lot_units, packing_of, unit_whereabouts

Info = strawberry.Info[GqlContext, None]
E = TypeVar("E", bound=Enum)
N = TypeVar("N", bound="GraphNode")

_LOTS = frozenset({NodeKind.LOT})
_STEPS = frozenset({NodeKind.PROCESS_STEP})
_EQUIPMENT = frozenset({NodeKind.EQUIPMENT})
_MATERIAL_CARRIERS = frozenset({NodeKind.LOT, NodeKind.UNIT, NodeKind.CONTAINER})


@strawberry.enum(description="Where a lot stands in its release lifecycle.")
class LotStatus(Enum):
    RELEASED = "released"
    QUARANTINED = "quarantined"
    ON_HOLD = "on_hold"
    REJECTED = "rejected"
    RECALLED = "recalled"


@strawberry.enum(description="Raw material, intermediate (sub-assembly) or finished product.")
class LotType(Enum):
    RAW = "raw"
    INTERMEDIATE = "intermediate"
    FINISHED = "finished"


def _enum(enum_type: type[E], value: Any) -> E | None:
    try:
        return enum_type(value) if value is not None else None
    except ValueError:
        return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


@strawberry.interface(description="Any node of the traceability graph.")
class GraphNode:
    node: strawberry.Private[Node]

    @strawberry.field(description="Stable business key.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.node.id)

    @strawberry.field(description="Node kind: Lot, Material, Supplier, ProcessStep, ...")
    def kind(self) -> str:
        return self.node.kind.value

    @strawberry.field
    def name(self) -> str | None:
        return self.node.name

    @strawberry.field(description="Other names: ERP numbers, EPC URNs, GS1 element strings.")
    def aliases(self) -> list[str]:
        return list(self.node.aliases)

    @strawberry.field(description="Every stored property, as loaded from the sources.")
    def properties(self) -> JSON:
        return JSON(dict(self.node.props))


async def _around(
    info: Info, node_id: str, side: Side, edge_type: EdgeType, kinds: frozenset[NodeKind]
) -> list[GraphNode]:
    """Neighbours of any of ``kinds``, each as its own GraphQL type."""
    nodes = await info.context.loaders.neighbours(
        node_id, side=side, edge_type=edge_type, kinds=kinds
    )
    return [wrapped for n in nodes if (wrapped := as_graph_node(n)) is not None]


async def _linked(
    info: Info, node_id: str, side: Side, edge_type: EdgeType, graph_type: type[N]
) -> list[N]:
    """Neighbours that are of ``graph_type``'s kind, as that type."""
    nodes = await info.context.loaders.neighbours(
        node_id, side=side, edge_type=edge_type, kinds=_KIND_OF_TYPE[graph_type]
    )
    return [graph_type(node=n) for n in nodes]


async def _packed(info: Info, node_id: str, side: Side) -> list[tuple[Edge, Node]]:
    """The ``PACKED_IN`` edges on ``side`` of ``node_id`` with the node at their other end."""
    edges = await info.context.loaders.edges.load((node_id, side, EdgeType.PACKED_IN))
    ends = [e.target if side == "out" else e.source for e in edges]
    nodes = await info.context.loaders.nodes.load_many(ends)
    return sorted(
        ((e, n) for e, n in zip(edges, nodes, strict=True) if n is not None),
        key=lambda pair: pair[1].id,
    )


def _current(edge: Edge) -> bool:
    """Packed and not taken out again (aggregation DELETE records ``removed_at``)."""
    return not edge.props.get("removed_at")


@strawberry.interface(description="Something material moves as: a lot, a unit or a container.")
class Carrier(GraphNode):
    @strawberry.field(
        description="Containers it is in now (packed and not taken out again); `packing` "
        "has every container it was ever packed into."
    )
    async def containers(self, info: Info) -> list[Container]:
        packed = await _packed(info, self.node.id, "out")
        return [
            Container(node=n) for e, n in packed if n.kind is NodeKind.CONTAINER and _current(e)
        ]

    @strawberry.field(
        description="Every container it was packed into, with when, and when it was taken out."
    )
    async def packing(self, info: Info) -> list[PackingEntry]:
        packed = await _packed(info, self.node.id, "out")
        return [PackingEntry.of(packing_of(e, n)) for e, n in packed]

    @strawberry.field(description="Shipments it left in.")
    async def shipments(self, info: Info) -> list[Shipment]:
        return await _linked(info, self.node.id, "out", EdgeType.SHIPPED_IN, Shipment)


@strawberry.type(description="A lot (batch) of one material: raw, intermediate or finished.")
class Lot(Carrier):
    @strawberry.field
    def status(self) -> LotStatus | None:
        return _enum(LotStatus, self.node.props.get("status"))

    @strawberry.field
    def lot_type(self) -> LotType | None:
        return _enum(LotType, self.node.props.get("lot_type"))

    @strawberry.field
    def quantity(self) -> float | None:
        return _num(self.node.props.get("quantity"))

    @strawberry.field
    def unit(self) -> str | None:
        return _str(self.node.props.get("unit"))

    @strawberry.field(description="Stock still on hand, when recorded.")
    def on_hand(self) -> float | None:
        return _num(self.node.props.get("on_hand"))

    @strawberry.field
    def gtin(self) -> str | None:
        return _str(self.node.props.get("gtin"))

    @strawberry.field
    def lot_number(self) -> str | None:
        return _str(self.node.props.get("lot_number"))

    @strawberry.field
    def produced_at(self) -> str | None:
        return _str(self.node.props.get("produced_at"))

    @strawberry.field
    def expires_at(self) -> str | None:
        return _str(self.node.props.get("expires_at"))

    @strawberry.field(description="The material this is a lot of.")
    async def material(self, info: Info) -> Material | None:
        found = await _linked(info, self.node.id, "out", EdgeType.OF, Material)
        return found[0] if found else None

    @strawberry.field(description="Suppliers that supplied this lot.")
    async def suppliers(self, info: Info) -> list[Supplier]:
        return await _linked(info, self.node.id, "in", EdgeType.SUPPLIED, Supplier)

    @strawberry.field(description="Process steps that produced this lot.")
    async def produced_by(self, info: Info) -> list[ProcessStep]:
        return await _linked(info, self.node.id, "in", EdgeType.PRODUCED, ProcessStep)

    @strawberry.field(description="Process steps that consumed this lot.")
    async def consumed_by(self, info: Info) -> list[ProcessStep]:
        return await _linked(info, self.node.id, "out", EdgeType.CONSUMED_BY, ProcessStep)

    @strawberry.field(description="Lots consumed by the steps that produced this lot.")
    async def inputs(self, info: Info) -> list[Lot]:
        loaders = info.context.loaders
        steps = await loaders.neighbours(
            self.node.id, side="in", edge_type=EdgeType.PRODUCED, kinds=_STEPS
        )
        lots = await loaders.neighbours_of_many(
            [s.id for s in steps],
            side="in",
            edge_type=EdgeType.CONSUMED_BY,
            kinds=_MATERIAL_CARRIERS,
        )
        return [Lot(node=n) for n in lots if n.kind is NodeKind.LOT and n.id != self.node.id]

    @strawberry.field(description="Lots produced by the steps that consumed this lot.")
    async def outputs(self, info: Info) -> list[Lot]:
        loaders = info.context.loaders
        steps = await loaders.neighbours(
            self.node.id, side="out", edge_type=EdgeType.CONSUMED_BY, kinds=_STEPS
        )
        lots = await loaders.neighbours_of_many(
            [s.id for s in steps], side="out", edge_type=EdgeType.PRODUCED, kinds=_LOTS
        )
        return [Lot(node=n) for n in lots if n.id != self.node.id]

    @strawberry.field(description="Equipment the producing steps ran on.")
    async def equipment(self, info: Info) -> list[Equipment]:
        loaders = info.context.loaders
        steps = await loaders.neighbours(
            self.node.id, side="in", edge_type=EdgeType.PRODUCED, kinds=_STEPS
        )
        found = await loaders.neighbours_of_many(
            [s.id for s in steps], side="out", edge_type=EdgeType.ON, kinds=_EQUIPMENT
        )
        return [Equipment(node=n) for n in found]

    @strawberry.field(description="Inspections of this lot.")
    async def inspections(self, info: Info) -> list[Inspection]:
        return await _linked(info, self.node.id, "in", EdgeType.OF, Inspection)

    @strawberry.field(description="Serialised units of this lot.")
    async def units(self, info: Info) -> list[Unit]:
        return await _linked(info, self.node.id, "out", EdgeType.HAS_UNIT, Unit)

    @strawberry.field(
        description="Its serialised units and where each is now; with `consignee` (a customer "
        "id or its GLN in any GS1 form) the units at that consignee and those it shipped on, "
        "counted as the recall's consignee rows count serials."
    )
    async def unit_places(self, info: Info, consignee: str | None = None) -> LotUnitsResult:
        context, lot_id = info.context, self.node.id
        report = await anyio.to_thread.run_sync(
            lambda: lot_units(
                context.store,
                lot=lot_id,
                consignee=consignee,
                max_nodes=context.settings.max_trace_nodes,
            )
        )
        return LotUnitsResult.of(report)


@strawberry.type(description="One serialised item (SGTIN) of a lot.")
class Unit(Carrier):
    @strawberry.field(
        description="Where it has been (commissioning, every container it was packed into and "
        "theirs, the shipments that carried it, with their places) and where it is now."
    )
    async def whereabouts(self, info: Info) -> WhereaboutsResult:
        store, unit_id = info.context.store, self.node.id
        answer = await anyio.to_thread.run_sync(lambda: unit_whereabouts(store, unit=unit_id))
        return WhereaboutsResult.of(answer)

    @strawberry.field(description="The lot this unit belongs to.")
    async def lot(self, info: Info) -> Lot | None:
        found = await _linked(info, self.node.id, "out", EdgeType.OF, Lot)
        if not found:
            found = await _linked(info, self.node.id, "in", EdgeType.HAS_UNIT, Lot)
        return found[0] if found else None


@strawberry.type(description="A logistic unit (SSCC pallet or case).")
class Container(Carrier):
    @strawberry.field(
        description="Lots, units and containers in it now (packed and not taken out again); "
        "each item's `packing` has its history."
    )
    async def contents(self, info: Info) -> list[GraphNode]:
        packed = await _packed(info, self.node.id, "in")
        return [
            wrapped
            for e, n in packed
            if n.kind in _MATERIAL_CARRIERS and _current(e)
            if (wrapped := as_graph_node(n)) is not None
        ]


@strawberry.type(description="A material (part number) that lots are made of.")
class Material(GraphNode):
    @strawberry.field(description="Lots of this material.")
    async def lots(self, info: Info) -> list[Lot]:
        return await _linked(info, self.node.id, "in", EdgeType.OF, Lot)


@strawberry.type(description="A supplier of raw-material lots.")
class Supplier(GraphNode):
    @strawberry.field(description="Lots this supplier supplied.")
    async def lots(self, info: Info) -> list[Lot]:
        return await _linked(info, self.node.id, "out", EdgeType.SUPPLIED, Lot)


@strawberry.type(description="One executed operation that consumed lots and produced lots.")
class ProcessStep(GraphNode):
    @strawberry.field
    def step_code(self) -> str | None:
        return _str(self.node.props.get("step_code"))

    @strawberry.field
    def started_at(self) -> str | None:
        return _str(self.node.props.get("started_at"))

    @strawberry.field
    def ended_at(self) -> str | None:
        return _str(self.node.props.get("ended_at"))

    @strawberry.field(description="Process parameters as recorded.")
    def params(self) -> JSON | None:
        params = self.node.props.get("params")
        return JSON(params) if isinstance(params, dict) else None

    @strawberry.field(description="Lots (and units, containers) the step consumed.")
    async def inputs(self, info: Info) -> list[GraphNode]:
        return await _around(info, self.node.id, "in", EdgeType.CONSUMED_BY, _MATERIAL_CARRIERS)

    @strawberry.field(description="Lots the step produced.")
    async def outputs(self, info: Info) -> list[Lot]:
        return await _linked(info, self.node.id, "out", EdgeType.PRODUCED, Lot)

    @strawberry.field(description="Equipment the step ran on.")
    async def equipment(self, info: Info) -> list[Equipment]:
        return await _linked(info, self.node.id, "out", EdgeType.ON, Equipment)


@strawberry.type(description="A machine, line or sterilizer that process steps run on.")
class Equipment(GraphNode):
    @strawberry.field(
        description=(
            "Process steps that ran on this equipment. With `from` and/or `to` (ISO 8601 times, "
            "UTC unless they name a zone), only those running at some moment of that window: "
            "started at or before `to` and ended at or after `from` (a step without an end "
            "time counts as its start)."
        )
    )
    async def process_steps(
        self,
        info: Info,
        from_: Annotated[str | None, strawberry.argument(name="from")] = None,
        to: str | None = None,
    ) -> list[ProcessStep]:
        start, end = check_window(from_, to)
        steps = await _linked(info, self.node.id, "in", EdgeType.ON, ProcessStep)
        if start is None and end is None:
            return steps
        return [step for step in steps if runs_within(step.node, start, end)]


@strawberry.type(description="A measured characteristic of a lot against its limits.")
class Inspection(GraphNode):
    @strawberry.field
    def characteristic(self) -> str | None:
        return _str(self.node.props.get("characteristic"))

    @strawberry.field
    def value(self) -> float | None:
        return _num(self.node.props.get("value"))

    @strawberry.field
    def lower(self) -> float | None:
        return _num(self.node.props.get("lower"))

    @strawberry.field
    def upper(self) -> float | None:
        return _num(self.node.props.get("upper"))

    @strawberry.field
    def result(self) -> str | None:
        return _str(self.node.props.get("result"))

    @strawberry.field
    def inspected_at(self) -> str | None:
        return _str(self.node.props.get("inspected_at"))

    @strawberry.field(description="The inspected lot.")
    async def lot(self, info: Info) -> Lot | None:
        found = await _linked(info, self.node.id, "out", EdgeType.OF, Lot)
        return found[0] if found else None


@strawberry.type(description="A shipment of lots, units or containers to a customer.")
class Shipment(GraphNode):
    @strawberry.field
    def shipped_at(self) -> str | None:
        return _str(self.node.props.get("shipped_at"))

    @strawberry.field
    def despatch_advice(self) -> str | None:
        return _str(self.node.props.get("despatch_advice"))

    @strawberry.field(description="What the shipment carried: lots, units, containers.")
    async def contents(self, info: Info) -> list[GraphNode]:
        return await _around(info, self.node.id, "in", EdgeType.SHIPPED_IN, _MATERIAL_CARRIERS)

    @strawberry.field(description="Lots the shipment carried directly.")
    async def lots(self, info: Info) -> list[Lot]:
        return await _linked(info, self.node.id, "in", EdgeType.SHIPPED_IN, Lot)

    @strawberry.field(description="Customers it was delivered to.")
    async def customers(self, info: Info) -> list[Customer]:
        return await _linked(info, self.node.id, "out", EdgeType.DELIVERED_TO, Customer)

    @strawberry.field(description="The customer that sent it on (onward shipments only).")
    async def shipped_from(self, info: Info) -> Customer | None:
        found = await _linked(info, self.node.id, "out", EdgeType.SHIPPED_FROM, Customer)
        return found[0] if found else None


@strawberry.type(description="A distributor, hospital or clinic that received product.")
class Customer(GraphNode):
    @strawberry.field
    def customer_type(self) -> str | None:
        return _str(self.node.props.get("customer_type"))

    @strawberry.field
    def region(self) -> str | None:
        return _str(self.node.props.get("region"))

    @strawberry.field
    def address(self) -> str | None:
        return _str(self.node.props.get("address"))

    @strawberry.field(description="Shipments delivered to this customer.")
    async def shipments(self, info: Info) -> list[Shipment]:
        return await _linked(info, self.node.id, "in", EdgeType.DELIVERED_TO, Shipment)

    @strawberry.field(description="Shipments this customer sent on to its own customers.")
    async def onward_shipments(self, info: Info) -> list[Shipment]:
        return await _linked(info, self.node.id, "in", EdgeType.SHIPPED_FROM, Shipment)


_TYPE_OF_KIND: dict[NodeKind, type[Any]] = {
    NodeKind.LOT: Lot,
    NodeKind.UNIT: Unit,
    NodeKind.CONTAINER: Container,
    NodeKind.MATERIAL: Material,
    NodeKind.SUPPLIER: Supplier,
    NodeKind.PROCESS_STEP: ProcessStep,
    NodeKind.EQUIPMENT: Equipment,
    NodeKind.INSPECTION: Inspection,
    NodeKind.SHIPMENT: Shipment,
    NodeKind.CUSTOMER: Customer,
}

_KIND_OF_TYPE: dict[type[Any], frozenset[NodeKind]] = {
    graph_type: frozenset({kind}) for kind, graph_type in _TYPE_OF_KIND.items()
}

GRAPH_NODE_TYPES: tuple[type[Any], ...] = tuple(_TYPE_OF_KIND.values())


def as_graph_node(node: Node) -> GraphNode | None:
    """The GraphQL object for ``node``; None for kinds the graph API does not expose yet."""
    graph_type = _TYPE_OF_KIND.get(node.kind)
    return graph_type(node=node) if graph_type is not None else None
