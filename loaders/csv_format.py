"""The CSV bundle format: which files exist, their canonical columns, and how each column is typed.

One file per kind of record. This module is the single statement of the format; the reader
(``csv_rows``), the mapper (``csv_bundle``) and ``docs/csv-format.md`` follow it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from traceapi.domain.model import NodeKind


class ColumnType(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    """A decimal number (``.`` or, with ``decimal_comma``, ``,``)."""
    QUANTITY = "quantity"
    """A number >= 0 that goes with the row's ``unit`` column (unit conversions apply)."""
    UNIT = "unit"
    DATETIME = "datetime"
    """A point in time; written as UTC ``YYYY-MM-DDTHH:MM:SSZ`` (or ``YYYY-MM-DD`` if no time)."""
    DATE = "date"
    """A calendar date, written ``YYYY-MM-DD``."""
    REF = "ref"
    """The id (or an alias) of a node in the bundle or already in the store."""


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: ColumnType = ColumnType.TEXT
    required: bool = False
    ref_kinds: tuple[NodeKind, ...] = ()
    """For ``REF`` columns: the kinds the referenced node may have."""


@dataclass(frozen=True, slots=True)
class FileSpec:
    """One file kind of the bundle: its default file name and its canonical columns."""

    kind: str
    columns: tuple[Column, ...]
    node_kind: NodeKind | None = None
    """The kind of node each row defines (None for files of edges or aliases)."""
    keeps_extra_columns: bool = False
    """Whether unknown columns become node properties (node files) or are ignored (edge files)."""
    description: str = ""
    column_index: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "column_index", {c.name: c for c in self.columns})

    @property
    def file_name(self) -> str:
        return f"{self.kind}.csv"

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


LOT_LIKE = (NodeKind.LOT, NodeKind.UNIT, NodeKind.CONTAINER)
PARAM_PREFIX = "param."
"""Process-step columns named ``param.<name>`` are gathered into the step's ``params``."""

_T, _N, _Q, _U = ColumnType.TEXT, ColumnType.NUMBER, ColumnType.QUANTITY, ColumnType.UNIT
_DT, _D, _R = ColumnType.DATETIME, ColumnType.DATE, ColumnType.REF


def _ref(name: str, *kinds: NodeKind, required: bool = True) -> Column:
    return Column(name, _R, required=required, ref_kinds=kinds)


FILE_SPECS: tuple[FileSpec, ...] = (
    FileSpec(
        "suppliers",
        (Column("id", required=True), Column("name"), Column("gln"), Column("country")),
        node_kind=NodeKind.SUPPLIER,
        keeps_extra_columns=True,
        description="one row per supplier",
    ),
    FileSpec(
        "materials",
        (Column("id", required=True), Column("name"), Column("gtin"), Column("material_type")),
        node_kind=NodeKind.MATERIAL,
        keeps_extra_columns=True,
        description="one row per material (part number, product)",
    ),
    FileSpec(
        "customers",
        (
            Column("id", required=True),
            Column("name"),
            Column("customer_type"),
            Column("region"),
            Column("address"),
            Column("gln"),
        ),
        node_kind=NodeKind.CUSTOMER,
        keeps_extra_columns=True,
        description="one row per consignee (distributor, hospital, clinic)",
    ),
    FileSpec(
        "equipment",
        (Column("id", required=True), Column("name"), Column("equipment_type")),
        node_kind=NodeKind.EQUIPMENT,
        keeps_extra_columns=True,
        description="one row per machine, line, sterilizer",
    ),
    FileSpec(
        "lots",
        (
            Column("id", required=True),
            Column("name"),
            _ref("material", NodeKind.MATERIAL, required=False),
            _ref("supplier", NodeKind.SUPPLIER, required=False),
            Column("lot_type"),
            Column("status"),
            Column("quantity", _Q),
            Column("on_hand", _Q),
            Column("unit", _U),
            Column("gtin"),
            Column("lot_number"),
            Column("produced_at", _DT),
            Column("expires_at", _D),
        ),
        node_kind=NodeKind.LOT,
        keeps_extra_columns=True,
        description="one row per lot (raw, intermediate, finished)",
    ),
    FileSpec(
        "process_steps",
        (
            Column("id", required=True),
            Column("name"),
            Column("step_code"),
            Column("started_at", _DT),
            Column("ended_at", _DT),
        ),
        node_kind=NodeKind.PROCESS_STEP,
        keeps_extra_columns=True,
        description="one row per executed operation; param.<name> columns become params",
    ),
    FileSpec(
        "inspections",
        (
            Column("id", required=True),
            _ref("lot", *LOT_LIKE),
            Column("characteristic"),
            Column("value", _N),
            Column("lower", _N),
            Column("upper", _N),
            Column("result"),
            Column("inspected_at", _DT),
        ),
        node_kind=NodeKind.INSPECTION,
        keeps_extra_columns=True,
        description="one row per inspection result, linked to the lot inspected",
    ),
    FileSpec(
        "shipments",
        (
            Column("id", required=True),
            Column("shipped_at", _DT),
            _ref("origin", NodeKind.CUSTOMER, required=False),
            _ref("destination", NodeKind.CUSTOMER),
            Column("despatch_advice"),
        ),
        node_kind=NodeKind.SHIPMENT,
        keeps_extra_columns=True,
        description="one row per shipment; origin is the customer of an onward shipment",
    ),
    FileSpec(
        "consumption",
        (
            _ref("lot", *LOT_LIKE),
            _ref("step", NodeKind.PROCESS_STEP),
            Column("qty", _Q),
            Column("unit", _U),
        ),
        description="lot -> process step: what a step consumed",
    ),
    FileSpec(
        "production",
        (
            _ref("step", NodeKind.PROCESS_STEP),
            _ref("lot", *LOT_LIKE),
            Column("qty", _Q),
            Column("unit", _U),
        ),
        description="process step -> lot: what a step produced",
    ),
    FileSpec(
        "equipment_usage",
        (
            _ref("step", NodeKind.PROCESS_STEP),
            _ref("equipment", NodeKind.EQUIPMENT),
            Column("from", _DT),
            Column("to", _DT),
        ),
        description="process step -> equipment it ran on, with the time window",
    ),
    FileSpec(
        "shipment_lines",
        (
            _ref("shipment", NodeKind.SHIPMENT),
            _ref("lot", *LOT_LIKE),
            Column("qty", _Q),
            Column("unit", _U),
        ),
        description="lot -> shipment: what a shipment carried",
    ),
    FileSpec(
        "aliases",
        (Column("alias", required=True), _ref("node", *NodeKind)),
        description="other names of a node (ERP number, supplier's lot number, label)",
    ),
)

SPECS_BY_KIND: dict[str, FileSpec] = {spec.kind: spec for spec in FILE_SPECS}

# The unit vocabulary (canonical units and their synonyms) is ``traceapi.domain.units``: one
# table for both loaders and the impact answer.
