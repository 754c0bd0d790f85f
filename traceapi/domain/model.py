"""The graph's vocabulary: node kinds, edge types, and the batch a loader hands to the store.

Edges point in the direction material flows. Only *flow* edges are walked by traces; the
others (``OF``, ``ON``, ``SHIPPED_FROM`` and record links) annotate what a trace found.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class NodeKind(StrEnum):
    SUPPLIER = "Supplier"
    MATERIAL = "Material"
    LOT = "Lot"
    UNIT = "Unit"
    """One serialised item (SGTIN) of a lot."""
    CONTAINER = "Container"
    """A logistic unit (SSCC pallet or case) that other units or lots are packed into."""
    PROCESS_STEP = "ProcessStep"
    EQUIPMENT = "Equipment"
    INSPECTION = "Inspection"
    SHIPMENT = "Shipment"
    CUSTOMER = "Customer"
    ANOMALY = "Anomaly"
    HOLD = "Hold"
    RECALL = "Recall"
    CAPA = "Capa"


class EdgeType(StrEnum):
    # flow edges (walked by traces), in the direction material moves
    SUPPLIED = "SUPPLIED"  # Supplier -> Lot
    CONSUMED_BY = "CONSUMED_BY"  # Lot -> ProcessStep {qty, unit}
    PRODUCED = "PRODUCED"  # ProcessStep -> Lot {qty, unit}
    HAS_UNIT = "HAS_UNIT"  # Lot -> Unit
    PACKED_IN = "PACKED_IN"  # Lot|Unit|Container -> Container {qty, unit}
    SHIPPED_IN = "SHIPPED_IN"  # Lot|Unit|Container -> Shipment {qty, unit}
    DELIVERED_TO = "DELIVERED_TO"  # Shipment -> Customer
    # annotation edges (never walked)
    OF = "OF"  # Lot -> Material, Inspection -> Lot, Unit -> Lot
    ON = "ON"  # ProcessStep -> Equipment {from, to}; Hold -> Lot
    SHIPPED_FROM = "SHIPPED_FROM"  # Shipment -> Customer (origin of an onward shipment)
    CONCERNS = "CONCERNS"  # Anomaly -> Lot|Equipment|ProcessStep
    COVERS = "COVERS"  # Recall -> Lot
    ADDRESSES = "ADDRESSES"  # Capa -> Anomaly


FLOW_EDGE_TYPES: frozenset[EdgeType] = frozenset(
    {
        EdgeType.SUPPLIED,
        EdgeType.CONSUMED_BY,
        EdgeType.PRODUCED,
        EdgeType.HAS_UNIT,
        EdgeType.PACKED_IN,
        EdgeType.SHIPPED_IN,
        EdgeType.DELIVERED_TO,
    }
)


class LotStatus(StrEnum):
    RELEASED = "released"
    QUARANTINED = "quarantined"
    ON_HOLD = "on_hold"
    REJECTED = "rejected"
    RECALLED = "recalled"


class LotType(StrEnum):
    RAW = "raw"
    INTERMEDIATE = "intermediate"
    FINISHED = "finished"


class CustomerType(StrEnum):
    DISTRIBUTOR = "distributor"
    HOSPITAL = "hospital"
    CLINIC = "clinic"


# Known properties per kind and the Python types they must have. Other properties are
# kept as they come (sources carry many fields we do not interpret).
_KNOWN_PROPS: dict[NodeKind, dict[str, tuple[type, ...]]] = {
    NodeKind.LOT: {
        "status": (str,),
        "lot_type": (str,),
        "quantity": (int, float),
        "unit": (str,),
        "material": (str,),
        "gtin": (str,),
        "lot_number": (str,),
        "produced_at": (str,),
        "expires_at": (str,),
        "on_hand": (int, float),
    },
    NodeKind.PROCESS_STEP: {
        "step_code": (str,),
        "started_at": (str,),
        "ended_at": (str,),
        "params": (dict,),
    },
    NodeKind.INSPECTION: {
        "characteristic": (str,),
        "value": (int, float),
        "lower": (int, float),
        "upper": (int, float),
        "result": (str,),
        "inspected_at": (str,),
    },
    NodeKind.SHIPMENT: {"shipped_at": (str,), "origin": (str,), "despatch_advice": (str,)},
    NodeKind.CUSTOMER: {"customer_type": (str,), "region": (str,), "address": (str,)},
}


class Node(BaseModel):
    """A node: a stable business key, its kind, a display name, aliases and properties."""

    model_config = ConfigDict(frozen=False)

    id: str = Field(min_length=1, max_length=512)
    kind: NodeKind
    name: str | None = None
    aliases: list[str] = Field(default_factory=list)
    props: dict[str, Any] = Field(default_factory=dict)

    @field_validator("id")
    @classmethod
    def _id_is_trimmed(cls, value: str) -> str:
        if value != value.strip():
            raise ValueError("id must not start or end with white space")
        return value

    @model_validator(mode="after")
    def _known_props_have_types(self) -> Node:
        known = _KNOWN_PROPS.get(self.kind, {})
        for key, value in self.props.items():
            if value is None or key not in known:
                continue
            if isinstance(value, bool) or not isinstance(value, known[key]):
                expected = known[key][0].__name__
                raise ValueError(f"property {key!r} of a {self.kind} must be {expected}")
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"property {key!r} must be a finite number")
        if self.kind is NodeKind.LOT:
            status = self.props.get("status")
            if status is not None and status not in LotStatus.__members__.values():
                raise ValueError(f"unknown lot status {status!r}")
            lot_type = self.props.get("lot_type")
            if lot_type is not None and lot_type not in LotType.__members__.values():
                raise ValueError(f"unknown lot type {lot_type!r}")
            qty = self.props.get("quantity")
            if qty is not None and qty < 0:
                raise ValueError("lot quantity must not be negative")
        return self


class Edge(BaseModel):
    """A typed, directed edge; (source, type, target) is its identity, so re-loading updates it."""

    source: str = Field(min_length=1)
    target: str = Field(min_length=1)
    type: EdgeType
    qty: float | None = None
    unit: str | None = None
    props: dict[str, Any] = Field(default_factory=dict)

    @field_validator("qty")
    @classmethod
    def _qty_is_sane(cls, value: float | None) -> float | None:
        if value is not None and (not math.isfinite(value) or value < 0):
            raise ValueError("quantity must be a finite number >= 0")
        return value

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.source, self.type.value, self.target)


class Alias(BaseModel):
    """Another name for an existing node (ERP number, supplier's lot number, EPC URN, label)."""

    alias: str = Field(min_length=1, max_length=512)
    node_id: str = Field(min_length=1)


class Batch(BaseModel):
    """What a loader hands to the store: applied whole or not at all.

    Edges may refer to nodes in this batch or already in the store; anything else is dangling and
    rejects the whole batch.
    """

    nodes: list[Node] = Field(default_factory=list)
    edges: list[Edge] = Field(default_factory=list)
    aliases: list[Alias] = Field(default_factory=list)
    source: str = "unknown"
    """Where the batch came from (file name, generator), recorded in the audit trail."""


class BatchResult(BaseModel):
    """Counts of what one batch changed; a re-load of the same batch adds and updates nothing."""

    nodes_added: int = 0
    nodes_updated: int = 0
    nodes_unchanged: int = 0
    edges_added: int = 0
    edges_updated: int = 0
    edges_unchanged: int = 0
    aliases_added: int = 0

    def __add__(self, other: BatchResult) -> BatchResult:
        return BatchResult(
            **{name: getattr(self, name) + getattr(other, name) for name in type(self).model_fields}
        )
