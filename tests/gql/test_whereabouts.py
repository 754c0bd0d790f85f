"""GraphQL: ``Unit.whereabouts``, ``Lot.unitPlaces`` and current versus past containers, through
the real app on a real embedded store loaded with ``tests/contract/data/whereabouts`` (the
answers are worked out in ``tests/contract/test_whereabouts.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from loaders.epcis import parse_epcis_file
from loaders.report import load_files
from tests.api.fixtures import gql, make_client
from traceapi.settings import Settings
from traceapi.store.embedded import EmbeddedStore

DATA = Path(__file__).parents[1] / "contract" / "data" / "whereabouts"
W1 = "(01)04012345333336(10)W1"
CASE1 = "(00)040123450000000115"
PALLET = "(00)040123450000000214"
D = "customer:(417)0614142000011"
C = "customer:(417)0614144000019"


def unit(serial: int) -> str:
    return f"(01)04012345333336(21){serial}"


@pytest.fixture
def client(api_settings: Settings, api_store: EmbeddedStore) -> Iterator[Any]:
    report = load_files(
        api_store, sorted(DATA.glob("*.json")), partial(parse_epcis_file, store=api_store)
    )
    assert [f.status for f in report.files] == ["loaded", "loaded"]
    with make_client(api_settings, api_store) as test_client:
        yield test_client


WHEREABOUTS = """
query ($id: ID!) { node(id: $id) { ... on Unit {
  containers { id }
  packing { container current removedAt }
  whereabouts {
    unit lot commissionedReadPoint
    packing { item container current }
    shipments { shipment origin consignees containers inTransit }
    now { status holder shipment since }
  } } } }
"""


def test_unit_whereabouts_and_its_current_containers(client: Any, viewer: dict[str, str]) -> None:
    body = gql(client, WHEREABOUTS, viewer, id="urn:epc:id:sgtin:4012345.033333.503")
    assert "errors" not in body, body
    node = body["data"]["node"]
    # 503 was taken out of CASE1 (09-03): in no container now, though packed into one once.
    assert node["containers"] == []
    assert node["packing"] == [
        {"container": CASE1, "current": False, "removedAt": "2024-09-03T08:00:00.000Z"}
    ]
    where = node["whereabouts"]
    assert (where["unit"], where["lot"]) == (unit(503), W1)
    assert where["commissionedReadPoint"] == "urn:epc:id:sgln:4012345.00000.7"
    assert where["packing"] == [
        {"item": unit(503), "container": CASE1, "current": False},
        {"item": CASE1, "container": PALLET, "current": True},
    ]
    assert where["shipments"] == [
        {
            "shipment": "urn:example:desadv:W-H1",
            "origin": None,
            "consignees": ["customer:(417)0614143000010"],
            "containers": [],
            "inTransit": True,
        }
    ]
    assert where["now"] == {
        "status": "in_transit",
        "holder": "customer:(417)0614143000010",
        "shipment": "urn:example:desadv:W-H1",
        "since": "2024-09-04T09:00:00.000Z",
    }


def test_a_unit_still_packed_lists_its_case(client: Any, viewer: dict[str, str]) -> None:
    body = gql(client, WHEREABOUTS, viewer, id=unit(501))
    assert body["data"]["node"]["containers"] == [{"id": CASE1}]


def test_a_case_holds_what_was_not_taken_out(client: Any, viewer: dict[str, str]) -> None:
    query = "query ($id: ID!) { node(id: $id) { ... on Container { contents { id } } } }"
    body = gql(client, query, viewer, id=CASE1)
    # 501, 502, 503 packed; 503 out on 09-03, 502 out at the distributor on 09-07.
    assert body["data"]["node"]["contents"] == [{"id": unit(501)}]


def test_lot_unit_places_at_a_consignee(client: Any, viewer: dict[str, str]) -> None:
    query = """query ($lot: ID!, $c: String) { lot(id: $lot) { unitPlaces(consignee: $c) {
      lot consignee units { id place { status holder } } passedOn { id place { holder } }
      byStatus } } }"""
    body = gql(client, query, viewer, lot=W1, c="0614142000011")
    assert "errors" not in body, body
    places = body["data"]["lot"]["unitPlaces"]
    assert (places["lot"], places["consignee"]) == (W1, D)
    assert places["units"] == [{"id": unit(501), "place": {"status": "received", "holder": D}}]
    assert [(u["id"], u["place"]["holder"]) for u in places["passedOn"]] == [
        (unit(502), "customer:(417)0614143000010"),
        (unit(504), C),
        (unit(505), C),
    ]
    assert places["byStatus"] == {"received": 1}


def test_lot_unit_places_name_a_bad_consignee(client: Any, viewer: dict[str, str]) -> None:
    query = """query ($lot: ID!) { lot(id: $lot) { unitPlaces(consignee: "nobody") {
      units { id } } } }"""
    body = gql(client, query, viewer, lot=W1)
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert error["extensions"]["details"]["field"] == "consignee"
