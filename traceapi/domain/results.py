"""Answers of the trace services, shared by the CLI's ``--json``, REST and GraphQL."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from traceapi.domain.model import Node, NodeKind

_Model = TypeVar("_Model", bound=BaseModel)
_set_attr = object.__setattr__
_KIND_VALUES: dict[NodeKind, str] = {kind: kind.value for kind in NodeKind}
"""``kind.value`` at a dict lookup's cost (the enum property costs several times more)."""


def _assemble(
    cls: type[_Model], values: dict[str, Any], extra: dict[str, Any] | None, fields_set: set[str]
) -> _Model:
    """An instance of ``cls`` from field values that are already what validation would make.

    ``values`` holds every declared field in declaration order (the order answers are written
    in); ``extra`` the undeclared ones (None for models that take none). What validation would
    have done is the caller's promise: the right types (floats as ``float``), nothing to coerce.
    """
    made = object.__new__(cls)
    _set_attr(made, "__dict__", values)
    _set_attr(made, "__pydantic_fields_set__", fields_set)
    _set_attr(made, "__pydantic_extra__", extra)
    _set_attr(made, "__pydantic_private__", None)
    return made


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

    @classmethod
    def trusted(
        cls,
        node: Node,
        *,
        depth: int | None = None,
        quantity_share: float | None = None,
        figures: Mapping[str, Any] | None = None,
    ) -> NodeView:
        """``of(node, depth=..., quantity_share=..., **figures)`` without validating again.

        For the trace services' hot paths: the node is a validated ``Node`` and the figures
        are computed, so validation would only copy them, at several times the cost. The
        caller passes ``depth`` as ``int``, ``quantity_share`` as ``float`` and ``figures``
        without None values nor names of declared fields. A node whose properties use a
        declared field's name goes through ``of``, which checks them.
        """
        props = node.props
        if not _VIEW_FIELD_NAMES.isdisjoint(props):
            return cls.of(node, depth=depth, quantity_share=quantity_share, **(figures or {}))
        extra = {**props, **figures} if figures else dict(props)
        name = node.name
        values = {
            "id": node.id,
            "kind": _KIND_VALUES[node.kind],
            "name": name,
            "depth": depth,
            "quantity_share": quantity_share,
        }
        given = set(extra)  # what validation records as set: the extras and non-None fields
        given.update(("id", "kind"))
        if name is not None:
            given.add("name")
        if depth is not None:
            given.add("depth")
        if quantity_share is not None:
            given.add("quantity_share")
        return _assemble(cls, values, extra, given)

    def trusted_update(self, figures: Mapping[str, Any]) -> NodeView:
        """``model_copy(update=figures)`` for undeclared fields, without the copy machinery."""
        extra = {**(self.__pydantic_extra__ or {}), **figures}
        given = set(self.__pydantic_fields_set__)
        given.update(figures)
        return _assemble(type(self), dict(self.__dict__), extra, given)


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

    @classmethod
    def trusted_customer(
        cls,
        node: Node,
        *,
        depth: int,
        tier: int,
        quantity: float,
        unit: str | None,
        lots: list[str],
        shipments: list[str],
        figures: Mapping[str, Any],
    ) -> CustomerImpact:
        """``of(node, depth=..., tier=..., ...)`` without validating again (see
        ``NodeView.trusted``: the same promises; ``quantity`` is a ``float``)."""
        props = node.props
        if not _CUSTOMER_FIELD_NAMES.isdisjoint(props):
            view = cls.of(
                node,
                depth=depth,
                tier=tier,
                quantity=quantity,
                unit=unit,
                lots=lots,
                shipments=shipments,
                **figures,
            )
            assert isinstance(view, CustomerImpact)
            return view
        extra = {**props, **figures}
        name = node.name
        values = {
            "id": node.id,
            "kind": _KIND_VALUES[node.kind],
            "name": name,
            "depth": depth,
            "quantity_share": None,
            "tier": tier,
            "quantity": quantity,
            "unit": unit,
            "lots": lots,
            "shipments": shipments,
        }
        given = set(extra)
        given.update(_CUSTOMER_ALWAYS_GIVEN)
        if name is not None:
            given.add("name")
        if unit is not None:
            given.add("unit")
        return _assemble(cls, values, extra, given)


_VIEW_FIELD_NAMES = frozenset(NodeView.model_fields)
_CUSTOMER_FIELD_NAMES = frozenset(CustomerImpact.model_fields)
_CUSTOMER_ALWAYS_GIVEN = ("id", "kind", "depth", "tier", "quantity", "lots", "shipments")


class ConsigneeRow(BaseModel):
    """One row of the recall consignee list: one customer, one affected lot, one route.

    ``route`` is ``direct`` (our shipments) or ``onward`` (shipments from ``via``, a customer
    that shipped the lot on); ``tier`` is the tier of this route: 1 direct, and one more than
    ``via``'s tier for the same lot onward. ``seed_quantity`` is how much of the seed lots (by
    seed unit) the row's quantity holds."""

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
    route: str = "direct"
    via: str | None = None
    via_name: str | None = None
    seed_quantity: dict[str, float] = Field(default_factory=dict)
    serials: list[str] = Field(default_factory=list)
    """Serialised units of the lot this row's shipments carried, where the data names them."""

    @classmethod
    def trusted(
        cls,
        customer_id: str,
        customer_name: str | None,
        address: str | None,
        region: str | None,
        customer_type: str | None,
        tier: int,
        lot_id: str,
        quantity: float,
        unit: str | None,
        shipment_ids: list[str],
        shipped_dates: list[str],
        via: str | None = None,
        via_name: str | None = None,
        seed_quantity: dict[str, float] | None = None,
        serials: list[str] | None = None,
    ) -> ConsigneeRow:
        """A row from values of the right types (``quantity`` a ``float``), unvalidated.

        Every field is given, so all rows share one set of given field names: assigning a
        field adds a name already in it, so the shared set never changes."""
        values = {
            "customer_id": customer_id,
            "customer_name": customer_name,
            "address": address,
            "region": region,
            "customer_type": customer_type,
            "tier": tier,
            "lot_id": lot_id,
            "quantity": quantity,
            "unit": unit,
            "shipment_ids": shipment_ids,
            "shipped_dates": shipped_dates,
            "route": "direct" if via is None else "onward",
            "via": via,
            "via_name": via_name,
            "seed_quantity": seed_quantity or {},
            "serials": serials or [],
        }
        return _assemble(cls, values, None, _ROW_FIELD_NAMES)


_ROW_FIELD_NAMES = set(ConsigneeRow.model_fields)


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
    """What we still hold of the affected lots, by unit (negative figures included)."""
    unaccounted_steps: int = 0
    quantity_in_distribution: dict[str, float] = Field(default_factory=dict)
    """What consignees still hold (received less shipped onward), by unit."""
    negative_stock: int = 0
    """Stock figures (ours or a consignee's) below zero: more left than arrived."""
    seed_balance: dict[str, dict[str, float]] = Field(default_factory=dict)
    """By seed unit: ``seed``, ``distributed`` (in our shipments), ``on_hand`` (our stock) and
    ``unaccounted``; the last three add up to ``seed``."""


class HolderStock(BaseModel):
    """What one holder still has of one affected lot: us, or a consignee (in distribution)."""

    holder: str
    """``us``, or the customer id."""
    holder_name: str | None = None
    lot_id: str
    quantity: float
    """``received - shipped_onward`` for a consignee; ``received - consumed - shipped`` for us."""
    unit: str | None = None
    received: float | None = None
    shipped_onward: float = 0.0
    negative: bool = False
    seed_quantity: dict[str, float] = Field(default_factory=dict)


class SeedLossView(BaseModel):
    """Seed quantity that cannot be attributed further: where, how much (by seed unit), why."""

    node_id: str
    seed_quantity: dict[str, float]
    reason: str


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
    stock_in_distribution: list[HolderStock] = Field(default_factory=list)
    stock_unknown: list[str] = Field(default_factory=list)
    """Affected lots with no stock figure: nobody recorded what they held, or they sit at
    ``max_depth`` (what left them was not read)."""
    seed_unaccounted: list[SeedLossView] = Field(default_factory=list)
    summary: ImpactSummary = Field(default_factory=ImpactSummary)
    max_depth: int | None = None
