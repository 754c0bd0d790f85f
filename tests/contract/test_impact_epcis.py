"""The recall answer on a small device maker's own EPCIS 2.0 documents (``data/devicemaker``),
loaded through the EPCIS loader, on every backend. Every figure below is worked out by hand.

The documents: resin R1 received 100 KGM and R2 20 KGM from a supplier; extrusion EXT-1 (R1
40 kg -> TUB1 200 m) and EXT-2 (R1 20 kg + R2 20 kg -> TUB2 150 m); SCRAP-1 takes R1 10 kg and
records no output; SAMPLE-1 takes R1 2 EA (a unit that cannot be reconciled with kg) -> S1 1
EA; assembly ASM-1 (TUB1 120 m -> FG1 100 H87) and ASM-2 (TUB1 60 m + TUB2 150 m -> FG2 200 EA).
We ship FG1 60 to the distributor D (its GLN as a Digital Link ``/417/``), FG1 10 straight to
hospital H, FG2 80 to D; D (its GLN now as an SGLN URN) ships FG1 15 on to clinic C and FG2 30
on to H. Nothing is named by the demo's conventions, and no lot has a ``lot_type``.

Seed R1, 100 kg. R1 passes 40/100, 20/100, 10/100 of itself to EXT-1, EXT-2, SCRAP-1; the 30
kg left cannot be split between stock and SAMPLE-1 (pcs): unaccounted, as is SCRAP-1's 10 kg.
TUB1 holds 40 kg of seed in 200 m: ASM-1 takes 120/200 (24 kg), ASM-2 60/200 (12 kg), 20 m
(4 kg) stay. TUB2: 20 kg, all to ASM-2. FG1: 24 kg in 100 pcs (0.24 kg each); FG2: 32 kg in
200 pcs (0.16 kg each). Distributed: 60 x 0.24 + 10 x 0.24 + 80 x 0.16 = 29.6 kg; on hand: 4
+ 30 x 0.24 + 120 x 0.16 = 30.4 kg; unaccounted 40 kg; 29.6 + 30.4 + 40 = 100.
"""

from __future__ import annotations

import csv
import io
import json
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from loaders.epcis import parse_epcis_document, parse_epcis_file
from loaders.report import load_files
from traceapi.domain.model import EdgeType, NodeKind
from traceapi.services.impact import consignee_csv, recall_consignees, recall_impact
from traceapi.store.base import GraphStore

DATA = Path(__file__).parent / "data" / "devicemaker"
SEED = "urn:epc:class:lgtin:4012345.011111.R1"
R1 = "(01)04012345111118(10)R1"
TUB1 = "(01)04012345222227(10)TUB1"
TUB2 = "(01)04012345222227(10)TUB2"
S1 = "(01)04012345444445(10)S1"
FG1 = "(01)04012345333336(10)FG1"
FG2 = "(01)04012345333336(10)FG2"
D = "customer:(417)0614142000011"
H = "customer:(417)0614143000010"
C = "customer:(417)0614144000019"


@pytest.fixture
def loaded(store: GraphStore) -> GraphStore:
    report = load_files(store, sorted(DATA.glob("*.json")), partial(parse_epcis_file, store=store))
    assert [f.status for f in report.files] == ["loaded"] * 4
    return store


def _extra(view: Any) -> dict[str, Any]:
    return dict(view.model_dump())


def test_finished_lots_come_from_the_genealogy_not_from_a_lot_type(loaded: GraphStore) -> None:
    report = recall_impact(loaded, lot_ids=[SEED])
    assert [(v.id, _extra(v)["finished_because"]) for v in report.finished_lots] == [
        (FG1, "produced, shipped, never consumed"),
        (FG2, "produced, shipped, never consumed"),
    ]
    assert report.summary.finished_lots == 2


def test_units_are_stored_in_one_vocabulary(loaded: GraphStore) -> None:
    report = recall_impact(loaded, lot_ids=[SEED])
    units = {v.id: _extra(v)["on_hand_unit"] for v in report.stock_on_hand}
    assert units == {R1: "kg", TUB1: "m", S1: "pcs", FG1: "pcs", FG2: "pcs"}  # H87, EA: pcs


def test_seed_quantity_through_same_unit_ratios(loaded: GraphStore) -> None:
    report = recall_impact(loaded, lot_ids=[SEED])
    seed = {v.id: _extra(v).get("seed_quantity") for v in report.lots}
    assert seed == {
        R1: pytest.approx({"kg": 100.0}),
        TUB1: pytest.approx({"kg": 40.0}),
        TUB2: pytest.approx({"kg": 20.0}),
        S1: None,  # SAMPLE-1 took R1 in pieces: no ratio of kg to weigh it by
        FG1: pytest.approx({"kg": 24.0}),
        FG2: pytest.approx({"kg": 32.0}),
    }
    shipped = {v.id: _extra(v)["seed_quantity"] for v in report.shipments}
    assert shipped == {
        "urn:example:desadv:1": pytest.approx({"kg": 14.4}),
        "urn:example:desadv:2": pytest.approx({"kg": 2.4}),
        "urn:example:desadv:3": pytest.approx({"kg": 12.8}),
        "urn:example:desadv:4": pytest.approx({"kg": 3.6}),  # D's onward: FG1 15 x 0.24
        "urn:example:desadv:5": pytest.approx({"kg": 4.8}),  # FG2 30 x 0.16
    }
    balance = report.summary.seed_balance["kg"]
    assert balance == pytest.approx(
        {"seed": 100.0, "distributed": 29.6, "on_hand": 30.4, "unaccounted": 40.0}
    )
    lost = [(u.node_id, u.seed_quantity, u.reason) for u in report.seed_unaccounted]
    assert [(n, q) for n, q, _ in lost] == [
        (R1, pytest.approx({"kg": 30.0})),
        ("urn:example:step:SCRAP-1", pytest.approx({"kg": 10.0})),
    ]
    assert "units cannot be reconciled" in lost[0][2] and "SAMPLE-1" in lost[0][2]
    assert lost[1][2] == "no recorded output"


def test_our_stock_counts_receipts_and_only_our_own_shipments(loaded: GraphStore) -> None:
    report = recall_impact(loaded, lot_ids=[SEED])
    stock = {v.id: _extra(v) for v in report.stock_on_hand}
    figures = {i: (s["on_hand"], s["holder"], s["on_hand_source"]) for i, s in stock.items()}
    assert figures == {
        R1: (30.0, "us", "derived"),  # received 100 kg, consumed 40 + 20 + 10 kg
        TUB1: (20.0, "us", "derived"),  # produced 200 m, consumed 120 + 60 m
        S1: (1.0, "us", "derived"),
        FG1: (30.0, "us", "derived"),  # 100 - 60 - 10; D's onward 15 is not ours
        FG2: (120.0, "us", "derived"),  # 200 - 80; D's onward 30 is not ours
    }
    assert stock[R1]["units_unreconciled"] == ["urn:example:step:SAMPLE-1 (pcs)"]
    assert stock[FG1]["seed_quantity_on_hand"] == pytest.approx({"kg": 7.2})
    assert report.summary.quantity_on_hand == {"kg": 30.0, "m": 20.0, "pcs": 151.0}
    assert report.stock_unknown == []  # TUB2: 150 m made, 150 m consumed: known, and zero


def test_stock_in_distribution_is_per_holder(loaded: GraphStore) -> None:
    report = recall_impact(loaded, lot_ids=[SEED])
    held = [
        (h.holder, h.lot_id, h.received, h.shipped_onward, h.quantity, h.unit, h.negative)
        for h in report.stock_in_distribution
    ]
    assert held == [
        (D, FG1, 60.0, 15.0, 45.0, "pcs", False),
        (D, FG2, 80.0, 30.0, 50.0, "pcs", False),
        (H, FG1, 10.0, 0.0, 10.0, "pcs", False),
        (H, FG2, 30.0, 0.0, 30.0, "pcs", False),
        (C, FG1, 15.0, 0.0, 15.0, "pcs", False),
    ]
    seed_held = sum(h.seed_quantity.get("kg", 0.0) for h in report.stock_in_distribution)
    assert seed_held == pytest.approx(29.6)  # all that we distributed, wherever it is now
    assert report.summary.quantity_in_distribution == {"pcs": 150.0}
    assert report.summary.quantity_shipped == {"pcs": 150.0}  # ours only: 60 + 10 + 80


def test_tier_and_route_per_row(loaded: GraphStore) -> None:
    report = recall_impact(loaded, lot_ids=[SEED])
    rows = [
        (r.customer_id, r.lot_id, r.tier, r.route, r.via, r.quantity, r.shipment_ids)
        for r in report.consignees
    ]
    assert rows == [
        (D, FG1, 1, "direct", None, 60.0, ["urn:example:desadv:1"]),
        (D, FG2, 1, "direct", None, 80.0, ["urn:example:desadv:3"]),
        (H, FG1, 1, "direct", None, 10.0, ["urn:example:desadv:2"]),
        (H, FG2, 2, "onward", D, 30.0, ["urn:example:desadv:5"]),
        (C, FG1, 2, "onward", D, 15.0, ["urn:example:desadv:4"]),
    ]
    lots = {v.id for v in report.lots}
    assert {r.lot_id for r in report.consignees} <= lots
    customers = [(c.id, c.tier, _extra(c)["tiers"], _extra(c)["via"]) for c in report.customers]
    assert customers == [(D, 1, [1], []), (H, 1, [1, 2], [D]), (C, 2, [2], [D])]
    parsed = list(csv.DictReader(io.StringIO(consignee_csv(report))))
    assert [(p["customer_id"], p["lot_id"], p["tier"], p["route"], p["via"]) for p in parsed] == [
        (D, FG1, "1", "direct", ""),
        (D, FG2, "1", "direct", ""),
        (H, FG1, "1", "direct", ""),
        (H, FG2, "2", "onward", D),
        (C, FG1, "2", "onward", D),
    ]


def _ship(desadv: str, lot: str, qty: int, source: str, destination: str) -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "action": "OBSERVE",
        "bizStep": "shipping",
        "eventTime": "2024-05-30T08:00:00Z",
        "eventTimeZoneOffset": "+00:00",
        "quantityList": [{"epcClass": lot, "quantity": qty, "uom": "EA"}],
        "bizTransactionList": [{"type": "desadv", "bizTransaction": desadv}],
        "sourceList": [{"type": "owning_party", "source": source}],
        "destinationList": [{"type": "owning_party", "destination": destination}],
    }


def test_negative_stock_is_flagged_not_dropped(loaded: GraphStore) -> None:
    """We ship FG1 40 more (70 + 40 = 110 of 100 made) and D ships FG1 50 more on (65 of the
    60 it got): both figures go below zero and stay in the answer, flagged."""
    fg1 = "urn:epc:class:lgtin:4012345.033333.FG1"
    us, dist, hosp = (
        "urn:epc:id:sgln:4012345.00000.0",
        "https://id.gs1.org/417/0614142000011",
        "urn:epc:id:sgln:0614143.00001.0",
    )
    document = {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2024-06-01T00:00:00Z",
        "epcisBody": {
            "eventList": [
                _ship("urn:example:desadv:6", fg1, 40, us, hosp),
                _ship("urn:example:desadv:7", fg1, 50, dist, hosp),
            ]
        },
    }
    batch, _ = parse_epcis_document(json.dumps(document).encode(), name="more.json", store=loaded)
    loaded.apply_batch(batch)
    report = recall_impact(loaded, lot_ids=[SEED])
    ours = {v.id: _extra(v) for v in report.stock_on_hand}[FG1]
    assert (ours["on_hand"], ours.get("negative")) == (-10.0, True)
    dist_fg1 = [h for h in report.stock_in_distribution if (h.holder, h.lot_id) == (D, FG1)]
    assert [(h.received, h.shipped_onward, h.quantity, h.negative) for h in dist_fg1] == [
        (60.0, 65.0, -5.0, True)
    ]
    assert report.summary.negative_stock == 2
    # More left FG1 than it held: its seed is weighed by what left (110), none stays on hand.
    balance = report.summary.seed_balance["kg"]
    assert balance["distributed"] + balance["on_hand"] + balance["unaccounted"] == pytest.approx(
        100.0
    )


def test_the_answer_does_not_depend_on_the_order_files_were_loaded_in(store: GraphStore) -> None:
    """The distributor's documents first (D is no known customer yet, so no ``SHIPPED_FROM``
    edge is made): its shipments still read as onward ones, from their ``origin``."""
    report = load_files(store, sorted(DATA.glob("*.json"), reverse=True), parse_epcis_file)
    assert [f.status for f in report.files] == ["loaded"] * 4
    impact = recall_impact(store, lot_ids=[SEED])
    assert [(r.customer_id, r.lot_id, r.tier, r.via) for r in impact.consignees] == [
        (D, FG1, 1, None),
        (D, FG2, 1, None),
        (H, FG1, 1, None),
        (H, FG2, 2, D),
        (C, FG1, 2, D),
    ]
    assert impact.summary.seed_balance["kg"]["distributed"] == pytest.approx(29.6)


def test_consignee_receipts_mark_shipments_received_and_supply_nothing(
    loaded: GraphStore,
) -> None:
    """``devicemaker-receipts``: D receives desadv 1 and H desadv 2 (their despatch advices name
    our shipments). The shipments are received, the others still in transit; the receipts are
    not supplies to us, so FG1's stock stays 30 (not 100 + 70 received - 70 shipped)."""
    receipts = DATA.parent / "devicemaker-receipts" / "5-consignee-receipts.json"
    report = load_files(loaded, [receipts], partial(parse_epcis_file, store=loaded))
    assert [f.status for f in report.files] == ["loaded"]
    impact = recall_impact(loaded, lot_ids=[SEED])
    transit = {v.id: _extra(v)["in_transit"] for v in impact.shipments}
    assert transit == {
        "urn:example:desadv:1": False,
        "urn:example:desadv:2": False,
        "urn:example:desadv:3": True,
        "urn:example:desadv:4": True,
        "urn:example:desadv:5": True,
    }
    first = {v.id: _extra(v) for v in impact.shipments}["urn:example:desadv:1"]
    assert first["received_at"] == "2024-05-12T09:00:00.000Z"
    assert first["received_read_point"] == "urn:epc:id:sgln:0614142.00001.3"
    assert {v.id: _extra(v)["on_hand"] for v in impact.stock_on_hand}[FG1] == 30.0
    suppliers = {n.id for n in loaded.iter_nodes() if n.kind is NodeKind.SUPPLIER}
    assert suppliers == {"supplier:(417)0614141000012"}  # the resin supplier only


def test_where_a_lot_was_made_and_a_shipment_left(loaded: GraphStore) -> None:
    nodes = loaded.get_nodes([FG1, "urn:example:desadv:1"])
    assert nodes[FG1].props["produced_read_point"] == "urn:epc:id:sgln:4012345.00000.7"
    supplied = loaded.edges_of([R1], side="in")
    receipt = next(e for e in supplied if e.type is EdgeType.SUPPLIED)
    assert receipt.props["biz_location"] == "urn:epc:id:sgln:4012345.00000.0"


def test_serials_under_their_lot_with_packing_and_unpacking(store: GraphStore) -> None:
    """``serials/serials.json``: units 101-104 of lot FG9 commissioned (ILMD lot number); 101,
    102, 103 packed into a case, 103 unpacked again; the case shipped to H, 104 alone to C, 103
    alone to D. Each row lists the units it carried: H 101 and 102 (not 103, out of the case
    before it left), C 104, D 103."""
    report = load_files(store, [DATA.parent / "serials" / "serials.json"], parse_epcis_file)
    assert [f.status for f in report.files] == ["loaded"]
    fg9 = "(01)04012345333336(10)FG9"

    def unit(serial: int) -> str:
        return f"(01)04012345333336(21){serial}"

    units = store.edges_of([fg9], side="out", types=frozenset({EdgeType.HAS_UNIT}))
    assert sorted(e.target for e in units) == [unit(n) for n in (101, 102, 103, 104)]
    impact = recall_impact(store, lot_ids=["urn:epc:class:lgtin:4012345.033333.FG9"])
    rows = [(r.customer_id, r.lot_id, r.quantity, r.serials) for r in impact.consignees]
    assert rows == [
        (D, fg9, 1.0, [unit(103)]),
        (H, fg9, 2.0, [unit(101), unit(102)]),
        (C, fg9, 1.0, [unit(104)]),
    ]
    parsed = list(csv.DictReader(io.StringIO(consignee_csv(impact))))
    assert [p["serials"] for p in parsed] == [unit(103), f"{unit(101)};{unit(102)}", unit(104)]
    assert {r.lot_id for r in impact.consignees} <= {v.id for v in impact.lots}
    # FG9 held its 4 commissioned units, and all 4 left (2 in the case, 104 and 103 alone).
    assert impact.stock_on_hand == [] and impact.stock_unknown == []
    assert impact.summary.seed_balance == {
        "pcs": {"seed": 4.0, "distributed": 4.0, "on_hand": 0.0, "unaccounted": 0.0}
    }


def test_a_unit_without_a_lot_is_listed_where_its_row_names_it(store: GraphStore) -> None:
    """A step consumes resin lot RX and makes serials 201 and 202 with no ILMD lot number; 201
    is shipped to H. Its row can only name the unit itself, and the unit is listed with the
    affected lots (``lot_unknown``): no row names an item missing from ``lots``."""
    rx = "urn:epc:class:lgtin:4012345.011111.RX"
    events = [
        {
            "type": "TransformationEvent",
            "eventTime": "2024-08-01T08:00:00Z",
            "eventTimeZoneOffset": "+00:00",
            "bizStep": "commissioning",
            "inputQuantityList": [{"epcClass": rx, "quantity": 5, "uom": "KGM"}],
            "outputEPCList": [f"urn:epc:id:sgtin:4012345.033333.{n}" for n in (201, 202)],
        },
        {
            "type": "ObjectEvent",
            "action": "OBSERVE",
            "bizStep": "shipping",
            "eventTime": "2024-08-02T08:00:00Z",
            "eventTimeZoneOffset": "+00:00",
            "epcList": ["urn:epc:id:sgtin:4012345.033333.201"],
            "bizTransactionList": [{"type": "desadv", "bizTransaction": "urn:example:desadv:U1"}],
            "destinationList": [
                {"type": "owning_party", "destination": "urn:epc:id:sgln:0614143.00001.0"}
            ],
        },
    ]
    document = {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2024-08-03T00:00:00Z",
        "epcisBody": {"eventList": events},
    }
    batch, _ = parse_epcis_document(json.dumps(document).encode(), name="u.json", store=store)
    store.apply_batch(batch)
    impact = recall_impact(store, lot_ids=[rx])
    unit = "(01)04012345333336(21)201"
    assert [(r.customer_id, r.lot_id, r.quantity) for r in impact.consignees] == [(H, unit, 1.0)]
    listed = {v.id: _extra(v) for v in impact.lots}
    assert listed[unit]["lot_unknown"] is True and listed[unit]["kind"] == "Unit"
    assert {r.lot_id for r in impact.consignees} <= set(listed)
    alone = recall_consignees(store, lot_ids=[rx])
    assert alone.rows == impact.consignees
    assert alone.reached == len(impact.lots) + len(impact.shipments) + len(impact.customers)
