"""A small, hand-written genealogy for API tests: every node kind, every flow edge, aliases.

SUP-RESIN -SUPPLIED-> RM-RESIN-2291 ─┐
SUP-RESIN -SUPPLIED-> RM-RESIN-2292 ─┼─> PS-EXT-1 (on EQ-EXT-1) -> TUB-1 ─┐
                                     └─> PS-EXT-2 (on EQ-EXT-1) -> TUB-2 ─┼─┐
SUP-CLAMP -SUPPLIED-> RM-CLAMP-77 ───────────────────────────────────────┤ │
                                       PS-ASM-1 (on EQ-ASM-1) <- TUB-1, RM-CLAMP-77 -> FG-1
                                       PS-ASM-2 (on EQ-ASM-2) <- TUB-2, RM-CLAMP-77 -> FG-2
FG-1 -SHIPPED_IN 60-> SHP-1 -DELIVERED_TO-> CUS-DIST (distributor)
FG-1 -SHIPPED_IN 20-> SHP-2 -DELIVERED_TO-> CUS-HOSP (hospital), SHP-2 -SHIPPED_FROM-> CUS-DIST
FG-2 -SHIPPED_IN 30-> SHP-3 -DELIVERED_TO-> CUS-CLINIC
FG-1 -HAS_UNIT-> UNIT-1 -PACKED_IN-> PAL-1 (container);  INS-1 -OF-> FG-1
"""

from __future__ import annotations

from traceapi.domain.gs1 import gtin_check_digit, lot_aliases, unit_aliases
from traceapi.domain.model import Alias, Batch, Edge, EdgeType, Node, NodeKind
from traceapi.store.base import GraphStore


def _gtin(payload13: str) -> str:
    return payload13 + str(gtin_check_digit(payload13))


RESIN_GTIN = _gtin("0950600013435")
SET_GTIN = _gtin("0950600013436")
RESIN_LOT = "RM-RESIN-2291"
FINISHED_LOT = "FG-1"
RESIN_ELEMENT_STRING = f"(01){RESIN_GTIN}(10)2291"
FG_ELEMENT_STRING = f"(01){SET_GTIN}(10)F0812"
FG_DIGITAL_LINK = f"https://id.gs1.org/01/{SET_GTIN}/10/F0812"
UNIT_SERIAL = "S0001"


def genealogy_batch() -> Batch:
    """The batch above; applied once it is the whole store."""
    lot = NodeKind.LOT

    def n(node_id: str, kind: NodeKind, name: str, **props: object) -> Node:
        return Node(id=node_id, kind=kind, name=name, props=props)

    nodes = [
        n("SUP-RESIN", NodeKind.SUPPLIER, "Resin Co"),
        n("SUP-CLAMP", NodeKind.SUPPLIER, "Clamp GmbH"),
        n("MAT-RESIN", NodeKind.MATERIAL, "PVC resin"),
        n("MAT-CLAMP", NodeKind.MATERIAL, "Roller clamp"),
        n("MAT-TUBE", NodeKind.MATERIAL, "Tubing"),
        n("MAT-SET", NodeKind.MATERIAL, "Infusion set"),
        n(
            RESIN_LOT,
            lot,
            "Resin 2291",
            lot_type="raw",
            status="released",
            material="MAT-RESIN",
            quantity=500,
            unit="kg",
            gtin=RESIN_GTIN,
            lot_number="2291",
        ),
        n(
            "RM-RESIN-2292",
            lot,
            "Resin 2292",
            lot_type="raw",
            status="quarantined",
            material="MAT-RESIN",
            quantity=400,
            unit="kg",
        ),
        n(
            "RM-CLAMP-77",
            lot,
            "Clamps 77",
            lot_type="raw",
            status="released",
            material="MAT-CLAMP",
            quantity=1000,
            unit="pcs",
        ),
        n(
            "TUB-1",
            lot,
            "Tubing 1",
            lot_type="intermediate",
            status="released",
            material="MAT-TUBE",
            quantity=1000,
            unit="m",
        ),
        n(
            "TUB-2",
            lot,
            "Tubing 2",
            lot_type="intermediate",
            status="released",
            material="MAT-TUBE",
            quantity=800,
            unit="m",
        ),
        n(
            FINISHED_LOT,
            lot,
            "Infusion set F0812",
            lot_type="finished",
            status="released",
            material="MAT-SET",
            quantity=100,
            unit="pcs",
            gtin=SET_GTIN,
            lot_number="F0812",
            on_hand=20,
        ),
        n(
            "FG-2",
            lot,
            "Infusion set F0813",
            lot_type="finished",
            status="on_hold",
            material="MAT-SET",
            quantity=50,
            unit="pcs",
        ),
        n(
            "PS-EXT-1",
            NodeKind.PROCESS_STEP,
            "extrusion 1",
            step_code="extrusion",
            started_at="2024-01-01T06:00:00Z",
            ended_at="2024-01-01T14:00:00Z",
            params={"melt_c": 190},
        ),
        n("PS-EXT-2", NodeKind.PROCESS_STEP, "extrusion 2", step_code="extrusion"),
        n("PS-ASM-1", NodeKind.PROCESS_STEP, "assembly 1", step_code="assembly"),
        n("PS-ASM-2", NodeKind.PROCESS_STEP, "assembly 2", step_code="assembly"),
        n("EQ-EXT-1", NodeKind.EQUIPMENT, "Extruder 1"),
        n("EQ-ASM-1", NodeKind.EQUIPMENT, "Assembly line 1"),
        n("EQ-ASM-2", NodeKind.EQUIPMENT, "Assembly line 2"),
        n(
            "INS-1",
            NodeKind.INSPECTION,
            "leak test",
            characteristic="leak",
            value=0.2,
            lower=0.0,
            upper=0.5,
            result="pass",
        ),
        n("SHP-1", NodeKind.SHIPMENT, "to distributor", shipped_at="2024-02-01T10:00:00Z"),
        n(
            "SHP-2",
            NodeKind.SHIPMENT,
            "onward to hospital",
            shipped_at="2024-02-03T10:00:00Z",
            origin="CUS-DIST",
        ),
        n("SHP-3", NodeKind.SHIPMENT, "to clinic", shipped_at="2024-02-02T10:00:00Z"),
        n(
            "CUS-DIST",
            NodeKind.CUSTOMER,
            "MedDist",
            customer_type="distributor",
            region="DE-NW",
            address="1 Depot Road",
        ),
        n(
            "CUS-HOSP",
            NodeKind.CUSTOMER,
            "General Hospital",
            customer_type="hospital",
            region="DE-NW",
            address="2 Ward Street",
        ),
        n("CUS-CLINIC", NodeKind.CUSTOMER, "City Clinic", customer_type="clinic", region="DE-BY"),
        n("UNIT-1", NodeKind.UNIT, "set S0001"),
        n("PAL-1", NodeKind.CONTAINER, "pallet 1"),
    ]

    def e(
        source: str,
        target: str,
        edge_type: EdgeType,
        qty: float | None = None,
        unit: str | None = None,
    ) -> Edge:
        return Edge(source=source, target=target, type=edge_type, qty=qty, unit=unit)

    C, P = EdgeType.CONSUMED_BY, EdgeType.PRODUCED  # noqa: N806
    edges = [
        e("SUP-RESIN", RESIN_LOT, EdgeType.SUPPLIED, 500, "kg"),
        e("SUP-RESIN", "RM-RESIN-2292", EdgeType.SUPPLIED, 400, "kg"),
        e("SUP-CLAMP", "RM-CLAMP-77", EdgeType.SUPPLIED, 1000, "pcs"),
        e(RESIN_LOT, "MAT-RESIN", EdgeType.OF),
        e("RM-RESIN-2292", "MAT-RESIN", EdgeType.OF),
        e("RM-CLAMP-77", "MAT-CLAMP", EdgeType.OF),
        e("TUB-1", "MAT-TUBE", EdgeType.OF),
        e("TUB-2", "MAT-TUBE", EdgeType.OF),
        e(FINISHED_LOT, "MAT-SET", EdgeType.OF),
        e("FG-2", "MAT-SET", EdgeType.OF),
        e(RESIN_LOT, "PS-EXT-1", C, 100, "kg"),
        e("RM-RESIN-2292", "PS-EXT-1", C, 100, "kg"),
        e("RM-RESIN-2292", "PS-EXT-2", C, 80, "kg"),
        e("PS-EXT-1", "TUB-1", P, 1000, "m"),
        e("PS-EXT-2", "TUB-2", P, 800, "m"),
        e("TUB-1", "PS-ASM-1", C, 1000, "m"),
        e("RM-CLAMP-77", "PS-ASM-1", C, 100, "pcs"),
        e("TUB-2", "PS-ASM-2", C, 800, "m"),
        e("RM-CLAMP-77", "PS-ASM-2", C, 50, "pcs"),
        e("PS-ASM-1", FINISHED_LOT, P, 100, "pcs"),
        e("PS-ASM-2", "FG-2", P, 50, "pcs"),
        e("PS-EXT-1", "EQ-EXT-1", EdgeType.ON),
        e("PS-EXT-2", "EQ-EXT-1", EdgeType.ON),
        e("PS-ASM-1", "EQ-ASM-1", EdgeType.ON),
        e("PS-ASM-2", "EQ-ASM-2", EdgeType.ON),
        e("INS-1", FINISHED_LOT, EdgeType.OF),
        e(FINISHED_LOT, "SHP-1", EdgeType.SHIPPED_IN, 60, "pcs"),
        e("SHP-1", "CUS-DIST", EdgeType.DELIVERED_TO),
        e(FINISHED_LOT, "SHP-2", EdgeType.SHIPPED_IN, 20, "pcs"),
        e("SHP-2", "CUS-HOSP", EdgeType.DELIVERED_TO),
        e("SHP-2", "CUS-DIST", EdgeType.SHIPPED_FROM),
        e("FG-2", "SHP-3", EdgeType.SHIPPED_IN, 30, "pcs"),
        e("SHP-3", "CUS-CLINIC", EdgeType.DELIVERED_TO),
        e(FINISHED_LOT, "UNIT-1", EdgeType.HAS_UNIT),
        e("UNIT-1", FINISHED_LOT, EdgeType.OF),
        e("UNIT-1", "PAL-1", EdgeType.PACKED_IN, 1, "pcs"),
    ]
    aliases = [
        Alias(alias="2291", node_id=RESIN_LOT),
        *(Alias(alias=a, node_id=RESIN_LOT) for a in lot_aliases(RESIN_GTIN, "2291")),
        *(Alias(alias=a, node_id=FINISHED_LOT) for a in lot_aliases(SET_GTIN, "F0812")),
        *(Alias(alias=a, node_id="UNIT-1") for a in unit_aliases(SET_GTIN, UNIT_SERIAL)),
    ]
    return Batch(nodes=nodes, edges=edges, aliases=aliases, source="tests/api/genealogy.py")


def load_genealogy(store: GraphStore) -> None:
    store.apply_batch(genealogy_batch())


def many_lots_batch(count: int) -> Batch:
    """``count`` extra raw lots of MAT-RESIN from SUP-RESIN, for paging and DataLoader tests."""
    nodes = [
        Node(
            id=f"RM-BULK-{i:04d}",
            kind=NodeKind.LOT,
            name=f"bulk {i}",
            props={"lot_type": "raw", "status": "released", "material": "MAT-RESIN"},
        )
        for i in range(count)
    ]
    edges = [
        edge
        for node in nodes
        for edge in (
            Edge(source=node.id, target="MAT-RESIN", type=EdgeType.OF),
            Edge(source="SUP-RESIN", target=node.id, type=EdgeType.SUPPLIED),
        )
    ]
    return Batch(nodes=nodes, edges=edges, source="tests/api/genealogy.py")
