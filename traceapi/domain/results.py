"""Answers of the trace services, shared by the CLI's ``--json``, REST and GraphQL."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from traceapi.domain.model import Node


class NodeView(BaseModel):
    """A node as answers show it: id, kind, name, its properties flattened, and trace figures."""

    model_config = ConfigDict(extra="allow")

    id: str
    kind: str
    name: str | None = None
    depth: int | None = None
    quantity_share: float | None = None
    """Fraction of the seed material that ended up here (impact only)."""

    @classmethod
    def of(cls, node: Node, **extra: Any) -> NodeView:
        fields: dict[str, Any] = {**node.props, "id": node.id, "kind": node.kind.value}
        if node.name is not None:
            fields["name"] = node.name
        fields.update({k: v for k, v in extra.items() if v is not None})
        return cls(**fields)


class TraceReport(BaseModel):
    """where-used (forward) or where-from (backward) of one lot."""

    direction: str
    lot: NodeView
    lots: list[NodeView] = Field(default_factory=list)
    process_steps: list[NodeView] = Field(default_factory=list)
    equipment: list[NodeView] = Field(default_factory=list)
    suppliers: list[NodeView] = Field(default_factory=list)
    shipments: list[NodeView] = Field(default_factory=list)
    customers: list[NodeView] = Field(default_factory=list)
    max_depth: int | None = None


class CustomerImpact(NodeView):
    """A consignee of affected product: tier 1 = our direct account, 2 = their customer, ..."""

    tier: int = 1
    quantity: float = 0.0
    unit: str | None = None
    lots: list[str] = Field(default_factory=list)
    shipments: list[str] = Field(default_factory=list)


class ConsigneeRow(BaseModel):
    """One row of the recall consignee list: one customer and one affected lot."""

    customer_id: str
    customer_name: str | None = None
    address: str | None = None
    region: str | None = None
    customer_type: str | None = None
    tier: int
    lot_id: str
    quantity: float
    unit: str | None = None
    shipment_ids: list[str] = Field(default_factory=list)
    shipped_dates: list[str] = Field(default_factory=list)


class ImpactSummary(BaseModel):
    seed_lots: int = 0
    affected_lots: int = 0
    finished_lots: int = 0
    lots_with_stock_on_hand: int = 0
    shipments: int = 0
    customers: int = 0
    customers_by_tier: dict[str, int] = Field(default_factory=dict)
    quantity_shipped: dict[str, float] = Field(default_factory=dict)
    """Units of affected product shipped, by unit of measure."""
    quantity_on_hand: dict[str, float] = Field(default_factory=dict)
    unaccounted_steps: int = 0


class UnaccountedStep(BaseModel):
    """A process step whose mass balance does not close (inputs without quantities, say)."""

    step_id: str
    reason: str
    share_unaccounted: float = 0.0


class ImpactReport(BaseModel):
    """Recall impact of one or more seed lots."""

    seed_lots: list[NodeView]
    lots: list[NodeView] = Field(default_factory=list)
    finished_lots: list[NodeView] = Field(default_factory=list)
    stock_on_hand: list[NodeView] = Field(default_factory=list)
    shipments: list[NodeView] = Field(default_factory=list)
    customers: list[CustomerImpact] = Field(default_factory=list)
    unaccounted: list[UnaccountedStep] = Field(default_factory=list)
    consignees: list[ConsigneeRow] = Field(default_factory=list)
    summary: ImpactSummary = Field(default_factory=ImpactSummary)
    max_depth: int | None = None
