"""Where a serialised unit is, and which units of a lot a consignee holds, on our own EPCIS 2.0
documents (``data/whereabouts``) loaded through the EPCIS loader, on every backend. Every
answer below is worked out by hand from the documents.

``1-ours.json``: units 501-506 of lot W1 commissioned on line ``.7`` (business location our
site ``.0``), 09-01 08:00. At packing station ``.8``: 501, 502, 503 into CASE1 (09-02 08:00),
504, 505 into CASE2 (09-02 09:00), both cases onto PALLET (09-02 10:00); 503 taken out of
CASE1 (09-03 08:00). PALLET shipped to distributor D (W-D1, 09-04 08:00), 503 alone to
hospital H (W-H1, 09-04 09:00). 506 never leaves.

``2-distributor.json`` (D's events): D receives W-D1 (09-05 08:00, at D), takes CASE2 off
the pallet (09-06 08:00) and ships CASE2 on to clinic C (W-C1, 09-06 09:00, no receipt);
takes 502 out of CASE1 (09-07 08:00) and ships it on to H (W-H2, 09-07 09:00), which H
receives (09-08 08:00).

So: 501 is at D (received; it stayed in CASE1 on the pallet); 502 went to D and on to H
(received); 503 is on its way to H (W-H1 has no receipt; it left CASE1 before the pallet
shipped, so W-D1 did not carry it); 504 and 505 went to D inside CASE2 on the pallet, then on
to C in CASE2 (in transit); 506 is with us.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest

from loaders.epcis import parse_epcis_file
from loaders.report import load_files
from traceapi.errors import InvalidInput, NotFound
from traceapi.services.impact import recall_impact
from traceapi.services.whereabouts import LotUnit, lot_units, unit_whereabouts
from traceapi.store.base import GraphStore

DATA = Path(__file__).parent / "data" / "whereabouts"
W1 = "(01)04012345333336(10)W1"
CASE1 = "(00)040123450000000115"
CASE2 = "(00)040123450000000122"
PALLET = "(00)040123450000000214"
D = "customer:(417)0614142000011"
H = "customer:(417)0614143000010"
C = "customer:(417)0614144000019"
OURS = "urn:epc:id:sgln:4012345.00000.0"
LINE = "urn:epc:id:sgln:4012345.00000.7"
PACK = "urn:epc:id:sgln:4012345.00000.8"
AT_D = "urn:epc:id:sgln:0614142.00001.0"
AT_H = "urn:epc:id:sgln:0614143.00001.0"
W_D1, W_H1, W_C1, W_H2 = (f"urn:example:desadv:{s}" for s in ("W-D1", "W-H1", "W-C1", "W-H2"))


def unit(serial: int) -> str:
    return f"(01)04012345333336(21){serial}"


def t(day: int, hour: int) -> str:
    return f"2024-09-{day:02d}T{hour:02d}:00:00.000Z"


@pytest.fixture
def loaded(store: GraphStore) -> GraphStore:
    files = sorted(DATA.glob("*.json"))
    report = load_files(store, files, partial(parse_epcis_file, store=store))
    assert [f.status for f in report.files] == ["loaded", "loaded"]
    return store


def test_a_unit_that_stayed_in_its_case_on_the_pallet(loaded: GraphStore) -> None:
    answer = unit_whereabouts(loaded, unit="urn:epc:id:sgtin:4012345.033333.501")
    assert answer.unit.id == unit(501) and answer.serial == "501"
    assert answer.lot is not None and answer.lot.id == W1
    assert (
        answer.commissioned_at,
        answer.commissioned_read_point,
        answer.commissioned_biz_location,
    ) == (t(1, 8), LINE, OURS)
    packing = [(p.item, p.container, p.packed_at, p.removed_at, p.current) for p in answer.packing]
    assert packing == [
        (unit(501), CASE1, t(2, 8), None, True),
        (CASE1, PALLET, t(2, 10), None, True),
    ]
    assert answer.packing[0].packed_read_point == PACK
    shipments = [(s.shipment, s.origin, s.consignees, s.containers) for s in answer.shipments]
    assert shipments == [(W_D1, None, [D], [CASE1, PALLET])]
    (shipment,) = answer.shipments
    assert (shipment.shipped_at, shipment.read_point) == (t(4, 8), OURS)
    assert (shipment.received_at, shipment.received_read_point, shipment.in_transit) == (
        t(5, 8),
        AT_D,
        False,
    )
    now = answer.now
    assert (now.status, now.holder, now.shipment, now.since) == ("received", D, W_D1, t(5, 8))


def test_a_unit_unpacked_at_the_distributor_and_sent_on(loaded: GraphStore) -> None:
    answer = unit_whereabouts(loaded, unit="(01)04012345333336(21)502")
    packing = [(p.item, p.container, p.removed_at, p.current) for p in answer.packing]
    assert packing == [(unit(502), CASE1, t(7, 8), False), (CASE1, PALLET, None, True)]
    assert answer.packing[0].removed_read_point == AT_D
    shipments = [(s.shipment, s.origin, s.consignees, s.containers) for s in answer.shipments]
    assert shipments == [(W_D1, None, [D], [CASE1, PALLET]), (W_H2, D, [H], [])]
    now = answer.now
    assert (now.status, now.holder, now.shipment, now.since) == ("received", H, W_H2, t(8, 8))


def test_a_unit_taken_out_before_its_case_shipped_did_not_travel_with_it(
    loaded: GraphStore,
) -> None:
    answer = unit_whereabouts(loaded, unit="https://id.gs1.org/01/04012345333336/21/503")
    assert [(p.container, p.removed_at) for p in answer.packing] == [
        (CASE1, t(3, 8)),
        (PALLET, None),
    ]
    assert [(s.shipment, s.containers, s.in_transit) for s in answer.shipments] == [
        (W_H1, [], True)
    ]
    now = answer.now
    assert (now.status, now.holder, now.shipment, now.since) == ("in_transit", H, W_H1, t(4, 9))


def test_a_case_taken_off_the_pallet_and_shipped_on_carries_its_units(
    loaded: GraphStore,
) -> None:
    answer = unit_whereabouts(loaded, unit=unit(504))
    assert [(p.item, p.container, p.removed_at) for p in answer.packing] == [
        (unit(504), CASE2, None),
        (CASE2, PALLET, t(6, 8)),
    ]
    # W-D1 left on 09-04, before CASE2 came off the pallet (09-06): the unit was on it.
    assert [(s.shipment, s.origin, s.consignees, s.containers) for s in answer.shipments] == [
        (W_D1, None, [D], [CASE2, PALLET]),
        (W_C1, D, [C], [CASE2]),
    ]
    assert (answer.now.status, answer.now.holder) == ("in_transit", C)


def test_a_unit_never_shipped_is_with_us(loaded: GraphStore) -> None:
    answer = unit_whereabouts(loaded, unit=unit(506))
    assert answer.packing == [] and answer.shipments == []
    assert (answer.now.status, answer.now.holder, answer.now.shipment) == ("with_us", "us", None)


def test_only_a_unit_has_whereabouts(loaded: GraphStore) -> None:
    with pytest.raises(InvalidInput) as bad:
        unit_whereabouts(loaded, unit=W1)
    assert bad.value.details["field"] == "unit"
    assert "Lot" in bad.value.message
    with pytest.raises(NotFound) as missing:
        unit_whereabouts(loaded, unit=unit(999))
    assert missing.value.details["field"] == "unit"
    with pytest.raises(InvalidInput) as malformed:
        unit_whereabouts(loaded, unit="(01)04012345333335(21)501")  # wrong check digit
    assert malformed.value.details["field"] == "unit"


def _places(report_units: list[LotUnit]) -> list[tuple[str, str, str | None]]:
    return [(u.id, u.place.status, u.place.holder) for u in report_units]


def test_every_unit_of_the_lot_and_where_it_is(loaded: GraphStore) -> None:
    report = lot_units(loaded, lot="urn:epc:class:lgtin:4012345.033333.W1")
    assert report.lot.id == W1 and report.consignee is None
    assert _places(report.units) == [
        (unit(501), "received", D),
        (unit(502), "received", H),
        (unit(503), "in_transit", H),
        (unit(504), "in_transit", C),
        (unit(505), "in_transit", C),
        (unit(506), "with_us", "us"),
    ]
    assert report.by_status == {"in_transit": 3, "received": 2, "with_us": 1}
    assert report.passed_on == []


@pytest.mark.parametrize(
    ("consignee", "at", "passed_on"),
    [
        (D, [(unit(501), "received", D)], [unit(502), unit(504), unit(505)]),
        # D's GLN as 13 digits, H's as an SGLN URN, C's as a Digital Link party.
        ("0614142000011", [(unit(501), "received", D)], [unit(502), unit(504), unit(505)]),
        (AT_H, [(unit(502), "received", H), (unit(503), "in_transit", H)], []),
        (
            "https://id.gs1.org/417/0614144000019",
            [(unit(504), "in_transit", C), (unit(505), "in_transit", C)],
            [],
        ),
    ],
)
def test_units_at_a_consignee(
    loaded: GraphStore, consignee: str, at: list[tuple[str, str, str]], passed_on: list[str]
) -> None:
    report = lot_units(loaded, lot=W1, consignee=consignee)
    assert report.consignee is not None and report.consignee.id == at[0][2]
    assert _places(report.units) == at
    assert [u.id for u in report.passed_on] == passed_on


def test_units_at_a_consignee_agree_with_the_consignee_rows(loaded: GraphStore) -> None:
    """The impact rows list what each consignee received by each route; the units at a
    consignee are those it received and did not pass on, so both come from one accounting."""
    impact = recall_impact(loaded, lot_ids=[W1])
    rows = {(r.customer_id, r.route, r.via): r.serials for r in impact.consignees}
    assert rows == {
        (D, "direct", None): [unit(501), unit(502), unit(504), unit(505)],
        (H, "direct", None): [unit(503)],
        (H, "onward", D): [unit(502)],
        (C, "onward", D): [unit(504), unit(505)],
    }
    for customer in (D, H, C):
        report = lot_units(loaded, lot=W1, consignee=customer)
        received = {s for (c, _, _), serials in rows.items() if c == customer for s in serials}
        sent_on = {s for (_, _, via), serials in rows.items() if via == customer for s in serials}
        assert {u.id for u in report.units} == received - sent_on
        assert {u.id for u in report.passed_on} == received & sent_on
    # W1 held 6 pieces; our shipments took 5 (W-D1 four, W-H1 one): 506 is on hand.
    assert [(v.id, v.model_dump()["on_hand"]) for v in impact.stock_on_hand] == [(W1, 1.0)]


def test_a_unit_s_place_agrees_with_its_lot_s_list(loaded: GraphStore) -> None:
    listed = {u.id: u.place for u in lot_units(loaded, lot=W1).units}
    for unit_id, place in listed.items():
        assert unit_whereabouts(loaded, unit=unit_id).now == place


def test_bad_lot_and_consignee_name_their_field(loaded: GraphStore) -> None:
    with pytest.raises(InvalidInput) as not_a_lot:
        lot_units(loaded, lot=unit(501))
    assert not_a_lot.value.details["field"] == "lot"
    with pytest.raises(NotFound) as no_lot:
        lot_units(loaded, lot="NO-SUCH-LOT")
    assert no_lot.value.details["field"] == "lot"
    with pytest.raises(NotFound) as no_customer:
        lot_units(loaded, lot=W1, consignee="0614145000018")
    assert no_customer.value.details["field"] == "consignee"
    with pytest.raises(InvalidInput) as not_a_customer:
        lot_units(loaded, lot=W1, consignee=W1)
    assert not_a_customer.value.details["field"] == "consignee"
