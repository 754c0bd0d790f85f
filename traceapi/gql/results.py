# mypy: disable-error-code="untyped-decorator"
"""GraphQL shapes of trace, impact and root-cause answers: compact items, full nodes on demand."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from traceapi.domain.audit import AuditEntry
from traceapi.domain.results import (
    ConsigneeRow,
    CustomerImpact,
    HolderStock,
    ImpactReport,
    NodeView,
    SeedLossView,
    TraceReport,
    UnaccountedStep,
)
from traceapi.gql.types import GraphNode, Info, as_graph_node
from traceapi.services.rootcause import (
    BaselineReport,
    Candidate,
    EquipmentWindowReport,
    ParameterWindowReport,
    RootCauseReport,
    SharedNode,
    Subgraph,
)

_VIEW_FIELDS = frozenset({"id", "kind", "name", "depth", "quantity_share"})


@strawberry.type(description="One node found by a trace: id, kind, name and depth from the lot.")
class TraceItem:
    view: strawberry.Private[NodeView]
    id: strawberry.ID
    kind: str
    name: str | None
    depth: int | None
    quantity_share: float | None = strawberry.field(
        description="Fraction of the seed material that ended up here (impact only)."
    )

    @strawberry.field(description="The node's other properties (status, quantity, dates, ...).")
    def properties(self) -> JSON:
        return JSON({k: v for k, v in self.view.model_dump().items() if k not in _VIEW_FIELDS})

    @strawberry.field(description="The full node, to navigate on from it.")
    async def node(self, info: Info) -> GraphNode | None:
        found = await info.context.loaders.nodes.load(str(self.id))
        return as_graph_node(found) if found is not None else None


def item(view: NodeView) -> TraceItem:
    return TraceItem(
        view=view,
        id=strawberry.ID(view.id),
        kind=view.kind,
        name=view.name,
        depth=view.depth,
        quantity_share=view.quantity_share,
    )


def items(views: list[NodeView]) -> list[TraceItem]:
    return [item(v) for v in views]


@strawberry.type(description="where-used (forward) or where-from (backward) of one lot.")
class TraceResult:
    direction: str
    lot: TraceItem
    lots: list[TraceItem]
    process_steps: list[TraceItem]
    equipment: list[TraceItem]
    suppliers: list[TraceItem]
    shipments: list[TraceItem]
    customers: list[TraceItem]
    max_depth: int | None

    @classmethod
    def of(cls, report: TraceReport) -> TraceResult:
        return cls(
            direction=report.direction,
            lot=item(report.lot),
            lots=items(report.lots),
            process_steps=items(report.process_steps),
            equipment=items(report.equipment),
            suppliers=items(report.suppliers),
            shipments=items(report.shipments),
            customers=items(report.customers),
            max_depth=report.max_depth,
        )


@strawberry.type(description="A consignee of affected product, by tier (1 = our direct account).")
class ImpactCustomer:
    id: strawberry.ID
    kind: str
    name: str | None
    depth: int | None
    tier: int
    quantity: float
    unit: str | None
    lots: list[str]
    shipments: list[str]

    @classmethod
    def of(cls, customer: CustomerImpact) -> ImpactCustomer:
        return cls(
            id=strawberry.ID(customer.id),
            kind=customer.kind,
            name=customer.name,
            depth=customer.depth,
            tier=customer.tier,
            quantity=customer.quantity,
            unit=customer.unit,
            lots=list(customer.lots),
            shipments=list(customer.shipments),
        )


@strawberry.type(
    description="One row of the recall consignee list: one customer, one lot, one route."
)
class Consignee:
    customer_id: strawberry.ID
    customer_name: str | None
    address: str | None
    region: str | None
    customer_type: str | None
    tier: int = strawberry.field(description="The tier of this route: 1 direct, else via's + 1.")
    lot_id: strawberry.ID
    quantity: float
    unit: str | None
    shipment_ids: list[str]
    shipped_dates: list[str]
    route: str = strawberry.field(description="direct (our shipments) or onward (from via).")
    via: strawberry.ID | None = strawberry.field(description="The customer that shipped it on.")
    via_name: str | None
    seed_quantity: JSON = strawberry.field(description="Seed lots' quantity in it, by seed unit.")
    serials: list[str] = strawberry.field(description="Serialised units, where the data has them.")

    @classmethod
    def of(cls, row: ConsigneeRow) -> Consignee:
        return cls(
            customer_id=strawberry.ID(row.customer_id),
            customer_name=row.customer_name,
            address=row.address,
            region=row.region,
            customer_type=row.customer_type,
            tier=row.tier,
            lot_id=strawberry.ID(row.lot_id),
            quantity=row.quantity,
            unit=row.unit,
            shipment_ids=list(row.shipment_ids),
            shipped_dates=list(row.shipped_dates),
            route=row.route,
            via=strawberry.ID(row.via) if row.via is not None else None,
            via_name=row.via_name,
            seed_quantity=JSON(dict(row.seed_quantity)),
            serials=list(row.serials),
        )


@strawberry.type(description="What one consignee still holds of one affected lot.")
class Holding:
    holder: strawberry.ID
    holder_name: str | None
    lot_id: strawberry.ID
    quantity: float = strawberry.field(description="received less shipped onward (may be < 0).")
    unit: str | None
    received: float | None
    shipped_onward: float
    negative: bool
    seed_quantity: JSON

    @classmethod
    def of(cls, stock: HolderStock) -> Holding:
        return cls(
            holder=strawberry.ID(stock.holder),
            holder_name=stock.holder_name,
            lot_id=strawberry.ID(stock.lot_id),
            quantity=stock.quantity,
            unit=stock.unit,
            received=stock.received,
            shipped_onward=stock.shipped_onward,
            negative=stock.negative,
            seed_quantity=JSON(dict(stock.seed_quantity)),
        )


@strawberry.type(description="Seed quantity that cannot be attributed further, and why.")
class SeedLoss:
    node_id: strawberry.ID
    seed_quantity: JSON
    reason: str

    @classmethod
    def of(cls, loss: SeedLossView) -> SeedLoss:
        return cls(
            node_id=strawberry.ID(loss.node_id),
            seed_quantity=JSON(dict(loss.seed_quantity)),
            reason=loss.reason,
        )


@strawberry.type(description="A process step whose mass balance does not close.")
class Unaccounted:
    step_id: strawberry.ID
    reason: str
    share_unaccounted: float

    @classmethod
    def of(cls, step: UnaccountedStep) -> Unaccounted:
        return cls(
            step_id=strawberry.ID(step.step_id),
            reason=step.reason,
            share_unaccounted=step.share_unaccounted,
        )


@strawberry.type(description="Counts of a recall impact.")
class ImpactSummary:
    seed_lots: int
    affected_lots: int
    finished_lots: int
    lots_with_stock_on_hand: int
    shipments: int
    customers: int
    customers_by_tier: JSON
    quantity_shipped: JSON = strawberry.field(description="Shipped quantity by unit of measure.")
    quantity_on_hand: JSON
    unaccounted_steps: int
    quantity_in_distribution: JSON = strawberry.field(
        description="What consignees still hold, by unit."
    )
    negative_stock: int
    seed_balance: JSON = strawberry.field(
        description="By seed unit: seed = distributed + on_hand + unaccounted."
    )


@strawberry.type(description="Recall impact of one or more seed lots.")
class ImpactResult:
    seed_lots: list[TraceItem]
    lots: list[TraceItem]
    finished_lots: list[TraceItem]
    stock_on_hand: list[TraceItem]
    shipments: list[TraceItem]
    customers: list[ImpactCustomer]
    consignees: list[Consignee]
    unaccounted: list[Unaccounted]
    stock_in_distribution: list[Holding]
    stock_unknown: list[strawberry.ID] = strawberry.field(
        description="Affected lots with no stock figure (quantity unknown, or at maxDepth)."
    )
    seed_unaccounted: list[SeedLoss]
    summary: ImpactSummary
    max_depth: int | None

    @classmethod
    def of(cls, report: ImpactReport) -> ImpactResult:
        summary = report.summary
        return cls(
            seed_lots=items(report.seed_lots),
            lots=items(report.lots),
            finished_lots=items(report.finished_lots),
            stock_on_hand=items(report.stock_on_hand),
            shipments=items(report.shipments),
            customers=[ImpactCustomer.of(c) for c in report.customers],
            consignees=[Consignee.of(r) for r in report.consignees],
            unaccounted=[Unaccounted.of(u) for u in report.unaccounted],
            stock_in_distribution=[Holding.of(h) for h in report.stock_in_distribution],
            stock_unknown=[strawberry.ID(i) for i in report.stock_unknown],
            seed_unaccounted=[SeedLoss.of(loss) for loss in report.seed_unaccounted],
            summary=ImpactSummary(
                seed_lots=summary.seed_lots,
                affected_lots=summary.affected_lots,
                finished_lots=summary.finished_lots,
                lots_with_stock_on_hand=summary.lots_with_stock_on_hand,
                shipments=summary.shipments,
                customers=summary.customers,
                customers_by_tier=JSON(dict(summary.customers_by_tier)),
                quantity_shipped=JSON(dict(summary.quantity_shipped)),
                quantity_on_hand=JSON(dict(summary.quantity_on_hand)),
                unaccounted_steps=summary.unaccounted_steps,
                quantity_in_distribution=JSON(dict(summary.quantity_in_distribution)),
                negative_stock=summary.negative_stock,
                seed_balance=JSON(dict(summary.seed_balance)),
            ),
            max_depth=report.max_depth,
        )


@strawberry.type(description="An upstream node shared by some of the given lots.")
class SharedItem:
    id: strawberry.ID
    kind: str
    name: str | None
    shared_by: int = strawberry.field(description="How many of the given lots reach back to it.")
    share: float = strawberry.field(description="sharedBy over the number of given lots.")
    min_depth: int
    lots: list[strawberry.ID]

    @strawberry.field(description="The full node, to navigate on from it.")
    async def node(self, info: Info) -> GraphNode | None:
        found = await info.context.loaders.nodes.load(str(self.id))
        return as_graph_node(found) if found is not None else None

    @classmethod
    def of(cls, shared: SharedNode) -> SharedItem:
        return cls(
            id=strawberry.ID(shared.id),
            kind=shared.kind,
            name=shared.name,
            shared_by=shared.shared_by,
            share=shared.share,
            min_depth=shared.min_depth,
            lots=[strawberry.ID(i) for i in shared.lots],
        )


@strawberry.type(description="A factor upstream of some anomalous lots, held against the baseline.")
class RootCauseCandidate:
    rank: int = strawberry.field(description="1 for the strongest; equal p-values share a rank.")
    id: strawberry.ID = strawberry.field(
        description="A node id; `operator:<name>` for an operator; `<equipment>@<from>/<to>` "
        "for an equipment window."
    )
    kind: str = strawberry.field(
        description="supplier_lot, supplier, material, equipment, equipment_window, "
        "process_step or operator."
    )
    name: str | None
    coverage: float = strawberry.field(description="Share of the anomalous lots that have it.")
    baseline_share: float = strawberry.field(description="Share of the baseline lots with it.")
    lift: float | None = strawberry.field(
        description="coverage / baselineShare; null when no baseline lot has it."
    )
    p_value: float = strawberry.field(
        description="One-sided Fisher exact test (a window's times windowsPossible, at most 1)."
    )
    adjusted_p_value: float = strawberry.field(
        description="Benjamini-Hochberg over every factor tested."
    )
    significant: bool = strawberry.field(description="adjustedPValue at most the level.")
    anomalous_lots: list[strawberry.ID] = strawberry.field(
        description="Evidence: the anomalous lots that have it."
    )
    baseline_lots: list[strawberry.ID] = strawberry.field(
        description="Evidence: the baseline lots that have it too."
    )
    equipment: strawberry.ID | None
    window_from: str | None
    window_to: str | None
    steps: list[strawberry.ID] = strawberry.field(description="A window's step records.")
    windows_possible: int | None
    explained_by: list[strawberry.ID] = strawberry.field(
        description="Listed candidates that have every anomalous lot this one has and, among "
        "the lots with this one, still tell anomalous from baseline lots (descriptive)."
    )

    @classmethod
    def of(cls, c: Candidate) -> RootCauseCandidate:
        return cls(
            rank=c.rank,
            id=strawberry.ID(c.id),
            kind=c.kind.value,
            name=c.name,
            coverage=c.coverage,
            baseline_share=c.baseline_share,
            lift=c.lift,
            p_value=c.p_value,
            adjusted_p_value=c.adjusted_p_value,
            significant=c.significant,
            anomalous_lots=[strawberry.ID(i) for i in c.anomalous_lots],
            baseline_lots=[strawberry.ID(i) for i in c.baseline_lots],
            equipment=strawberry.ID(c.equipment) if c.equipment else None,
            window_from=c.window_from,
            window_to=c.window_to,
            steps=[strawberry.ID(i) for i in c.steps],
            windows_possible=c.windows_possible,
            explained_by=[strawberry.ID(i) for i in c.explained_by],
        )


@strawberry.type(description="The comparable good lots the anomalous ones were held against.")
class RootCauseBaseline:
    rule: str = strawberry.field(description="given, period or passed_inspection.")
    description: str
    lots: list[strawberry.ID]
    materials: list[strawberry.ID]
    period_from: str | None
    period_to: str | None
    inspection: str | None
    not_good: int = strawberry.field(description="Comparable lots left out as not good.")
    beyond_cap: int = strawberry.field(description="Good lots left out past the cap.")

    @classmethod
    def of(cls, b: BaselineReport) -> RootCauseBaseline:
        return cls(
            rule=b.rule.value,
            description=b.description,
            lots=[strawberry.ID(i) for i in b.lots],
            materials=[strawberry.ID(i) for i in b.materials],
            period_from=b.period_from,
            period_to=b.period_to,
            inspection=b.inspection,
            not_good=b.not_good,
            beyond_cap=b.beyond_cap,
        )


@strawberry.type(description="A node of the anomalous lots' upstream neighbourhood.")
class SubgraphNode:
    id: strawberry.ID
    kind: str
    name: str | None
    anomalous_lots: int = strawberry.field(description="Anomalous lots reaching back to it.")
    rank: int | None = strawberry.field(description="Its candidate rank, when listed.")


@strawberry.type(description="An edge of the neighbourhood (flow edges, ON and OF).")
class SubgraphEdge:
    source: strawberry.ID
    target: strawberry.ID
    type: str


@strawberry.type(description="The anomalous lots' upstream neighbourhood, for drawing.")
class RootCauseSubgraph:
    nodes: list[SubgraphNode]
    edges: list[SubgraphEdge]

    @classmethod
    def of(cls, g: Subgraph) -> RootCauseSubgraph:
        return cls(
            nodes=[
                SubgraphNode(
                    id=strawberry.ID(n.id),
                    kind=n.kind,
                    name=n.name,
                    anomalous_lots=n.anomalous_lots,
                    rank=n.rank,
                )
                for n in g.nodes
            ],
            edges=[
                SubgraphEdge(source=strawberry.ID(e.source), target=strawberry.ID(e.target),
                             type=e.type)
                for e in g.edges
            ],
        )  # fmt: skip


@strawberry.type(description="What the upstream genealogies of the given lots have in common.")
class RootCauseResult:
    lots: list[TraceItem]
    equipment: list[SharedItem]
    process_steps: list[SharedItem]
    supplier_lots: list[SharedItem]
    materials: list[SharedItem]
    suppliers: list[SharedItem]
    baseline: RootCauseBaseline | None = strawberry.field(
        description="The comparable good lots (given, or by the period rule)."
    )
    level: float = strawberry.field(description="The significance level (default 0.05).")
    tested: int = strawberry.field(description="Factors tested: the family adjusted over.")
    significant: int = strawberry.field(description="Candidates significant at the level.")
    candidates: list[RootCauseCandidate] = strawberry.field(
        description="Candidate causes, strongest first, each with its evidence."
    )
    candidates_left_out: int
    subgraph: RootCauseSubgraph | None

    @classmethod
    def of(cls, report: RootCauseReport) -> RootCauseResult:
        def shared(nodes: list[SharedNode]) -> list[SharedItem]:
            return [SharedItem.of(n) for n in nodes]

        return cls(
            lots=items(report.lots),
            equipment=shared(report.equipment),
            process_steps=shared(report.process_steps),
            supplier_lots=shared(report.supplier_lots),
            materials=shared(report.materials),
            suppliers=shared(report.suppliers),
            baseline=RootCauseBaseline.of(report.baseline) if report.baseline else None,
            level=report.level,
            tested=report.tested,
            significant=report.significant,
            candidates=[RootCauseCandidate.of(c) for c in report.candidates],
            candidates_left_out=report.candidates_left_out,
            subgraph=RootCauseSubgraph.of(report.subgraph) if report.subgraph else None,
        )


@strawberry.type(description="What a machine made in a time window, and right after it.")
class EquipmentWindowResult:
    equipment: TraceItem
    window_from: str | None
    window_to: str | None
    process_steps: list[TraceItem]
    lots: list[TraceItem] = strawberry.field(description="Lots made in the window.")
    carry_over_steps: list[TraceItem]
    carry_over_lots: list[TraceItem] = strawberry.field(
        description="Lots of the next runs after the window: carry-over candidates."
    )

    @classmethod
    def of(cls, report: EquipmentWindowReport) -> EquipmentWindowResult:
        return cls(
            equipment=item(report.equipment),
            window_from=report.window_from,
            window_to=report.window_to,
            process_steps=items(report.process_steps),
            lots=items(report.lots),
            carry_over_steps=items(report.carry_over_steps),
            carry_over_lots=items(report.carry_over_lots),
        )


@strawberry.type(description="A step whose recorded parameter was out of range.")
class ParameterReading:
    step: strawberry.ID
    value: float
    started_at: str | None
    equipment: list[strawberry.ID]
    lots: list[strawberry.ID] = strawberry.field(description="Lots this step produced.")


@strawberry.type(
    description="Steps whose recorded parameter was outside its range, and the lots they made."
)
class ParameterWindowResult:
    parameter: str
    low: float | None
    high: float | None
    step_code: str | None
    equipment: TraceItem | None
    window_from: str | None
    window_to: str | None
    steps_checked: int = strawberry.field(
        description="Steps of that code (or on that equipment) in the window."
    )
    without_parameter: list[strawberry.ID] = strawberry.field(
        description="Steps checked that record no number for the parameter."
    )
    readings: list[ParameterReading] = strawberry.field(
        description="The steps out of range, by start time."
    )
    process_steps: list[TraceItem]
    lots: list[TraceItem] = strawberry.field(description="Lots those steps made.")

    @classmethod
    def of(cls, report: ParameterWindowReport) -> ParameterWindowResult:
        return cls(
            parameter=report.parameter,
            low=report.low,
            high=report.high,
            step_code=report.step_code,
            equipment=item(report.equipment) if report.equipment is not None else None,
            window_from=report.window_from,
            window_to=report.window_to,
            steps_checked=report.steps_checked,
            without_parameter=[strawberry.ID(i) for i in report.without_parameter],
            readings=[
                ParameterReading(
                    step=strawberry.ID(r.step),
                    value=r.value,
                    started_at=r.started_at,
                    equipment=[strawberry.ID(e) for e in r.equipment],
                    lots=[strawberry.ID(lot) for lot in r.lots],
                )
                for r in report.readings
            ],
            process_steps=items(report.process_steps),
            lots=items(report.lots),
        )


@strawberry.type(description="One entry of the hash-chained audit trail.")
class AuditTrailEntry:
    seq: int
    at: datetime
    actor: str
    action: str
    entity_kind: str | None
    entity_id: str | None
    old: JSON | None
    new: JSON | None
    reason: str | None
    prev_hash: str
    hash: str

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditTrailEntry:
        return cls(
            seq=entry.seq,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            entity_kind=entry.entity_kind,
            entity_id=entry.entity_id,
            old=JSON(entry.old) if entry.old is not None else None,
            new=JSON(entry.new) if entry.new is not None else None,
            reason=entry.reason,
            prev_hash=entry.prev_hash,
            hash=entry.hash,
        )
