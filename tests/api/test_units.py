"""REST: a unit's whereabouts and a lot's units at a consignee, through the real ASGI app on
a real embedded store loaded with ``tests/contract/data/whereabouts`` by the EPCIS loader
(the answers are worked out in ``tests/contract/test_whereabouts.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from loaders.epcis import parse_epcis_file
from loaders.report import load_files
from tests.api.fixtures import make_client
from traceapi.settings import Settings
from traceapi.store.embedded import EmbeddedStore

DATA = Path(__file__).parents[1] / "contract" / "data" / "whereabouts"
W1 = "(01)04012345333336(10)W1"
D = "customer:(417)0614142000011"
H = "customer:(417)0614143000010"


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


@pytest.mark.parametrize(
    "identifier",
    [
        unit(502),
        quote(unit(502), safe=""),
        "urn:epc:id:sgtin:4012345.033333.502",
        "https://id.gs1.org/01/04012345333336/21/502",
        quote("https://id.gs1.org/01/04012345333336/21/502", safe=""),
    ],
)
def test_whereabouts_of_a_unit_in_any_identifier_form(
    client: Any, viewer: dict[str, str], identifier: str
) -> None:
    response = client.get(f"/api/v1/units/{identifier}/whereabouts", headers=viewer)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["unit"]["id"] == unit(502) and body["lot"]["id"] == W1
    assert [(p["item"], p["current"]) for p in body["packing"]] == [
        (unit(502), False),
        ("(00)040123450000000115", True),
    ]
    assert [(s["shipment"], s.get("origin")) for s in body["shipments"]] == [
        ("urn:example:desadv:W-D1", None),
        ("urn:example:desadv:W-H2", D),
    ]
    assert body["now"] == {
        "status": "received",
        "holder": H,
        "shipment": "urn:example:desadv:W-H2",
        "since": "2024-09-08T08:00:00.000Z",
    }


def test_whereabouts_refuses_what_is_not_a_unit(client: Any, viewer: dict[str, str]) -> None:
    response = client.get(f"/api/v1/units/{W1}/whereabouts", headers=viewer)
    assert response.status_code == 422
    assert response.json()["error"]["details"]["field"] == "unit"
    missing = client.get(f"/api/v1/units/{unit(999)}/whereabouts", headers=viewer)
    assert missing.status_code == 404
    assert missing.json()["error"]["details"]["field"] == "unit"
    assert client.get(f"/api/v1/units/{unit(502)}/whereabouts").status_code == 401


def test_units_of_a_lot_at_a_consignee(client: Any, viewer: dict[str, str]) -> None:
    response = client.get(
        "/api/v1/lots/urn:epc:class:lgtin:4012345.033333.W1/units",
        params={"consignee": "urn:epc:id:sgln:0614142.00001.0"},
        headers=viewer,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["lot"]["id"] == W1 and body["consignee"]["id"] == D
    assert [(u["id"], u["place"]["status"]) for u in body["units"]] == [(unit(501), "received")]
    assert [(u["id"], u["place"]["holder"]) for u in body["passed_on"]] == [
        (unit(502), H),
        (unit(504), "customer:(417)0614144000019"),
        (unit(505), "customer:(417)0614144000019"),
    ]
    every = client.get(f"/api/v1/lots/{quote(W1, safe='')}/units", headers=viewer).json()
    assert every["by_status"] == {"in_transit": 3, "received": 2, "with_us": 1}
    assert "consignee" not in every


def test_units_of_a_lot_name_the_bad_field(client: Any, viewer: dict[str, str]) -> None:
    unknown = client.get(f"/api/v1/lots/{W1}/units", params={"consignee": "x"}, headers=viewer)
    assert unknown.status_code == 404
    assert unknown.json()["error"]["details"]["field"] == "consignee"
    not_lot = client.get(f"/api/v1/lots/{unit(501)}/units", headers=viewer)
    assert not_lot.status_code == 422
    assert not_lot.json()["error"]["details"]["field"] == "lot"
    empty = client.get(f"/api/v1/lots/{W1}/units", params={"consignee": ""}, headers=viewer)
    assert empty.status_code == 422
    assert "consignee" in empty.text
