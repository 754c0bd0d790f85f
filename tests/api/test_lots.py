"""REST lot lookups, paging and traces on a real embedded store."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.api.genealogy import (
    FG_DIGITAL_LINK,
    FG_ELEMENT_STRING,
    FINISHED_LOT,
    RESIN_ELEMENT_STRING,
    RESIN_LOT,
    SET_GTIN,
    UNIT_SERIAL,
)

IDENTIFIERS_OF_FG1 = [
    FINISHED_LOT,
    FG_ELEMENT_STRING,
    quote(FG_ELEMENT_STRING, safe=""),
    FG_DIGITAL_LINK,
    quote(FG_DIGITAL_LINK, safe=""),
    "urn:epc:class:lgtin:9506000.013436.F0812",
    f"(01){SET_GTIN}(21){UNIT_SERIAL}",  # a serialised unit resolves to its lot
    f"urn:epc:id:sgtin:9506000.013436.{UNIT_SERIAL}",
    quote(f"https://id.gs1.org/01/{SET_GTIN}/21/{UNIT_SERIAL}", safe=""),
    quote(f"https://example.com/01/{SET_GTIN}/10/F0812?17=261231", safe=""),
]


@pytest.mark.parametrize("identifier", IDENTIFIERS_OF_FG1)
def test_lot_detail_accepts_every_identifier_form(client, viewer, identifier):
    response = client.get(f"/api/v1/lots/{identifier}", headers=viewer)
    assert response.status_code == 200, response.text
    assert response.json()["lot"]["id"] == FINISHED_LOT


def test_lot_detail_shows_its_direct_genealogy(client, viewer):
    body = client.get(f"/api/v1/lots/{FINISHED_LOT}", headers=viewer).json()
    assert body["lot"]["status"] == "released"
    assert body["material"]["id"] == "MAT-SET"
    assert [s["id"] for s in body["produced_by"]] == ["PS-ASM-1"]
    assert sorted(i["id"] for i in body["inputs"]) == ["RM-CLAMP-77", "TUB-1"]
    assert [e["id"] for e in body["equipment"]] == ["EQ-ASM-1"]
    assert [i["id"] for i in body["inspections"]] == ["INS-1"]
    assert sorted(s["id"] for s in body["shipments"]) == ["SHP-1", "SHP-2"]
    assert body["outputs"] == [] and body["consumed_by"] == []


def test_raw_lot_detail_names_supplier_and_outputs(client, viewer):
    body = client.get(f"/api/v1/lots/{RESIN_LOT}", headers=viewer).json()
    assert [s["id"] for s in body["suppliers"]] == ["SUP-RESIN"]
    assert [o["id"] for o in body["outputs"]] == ["TUB-1"]
    assert body["inputs"] == []


def test_unknown_lot_is_404_with_the_error_body(client, viewer):
    response = client.get("/api/v1/lots/NO-SUCH-LOT", headers=viewer)
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "NOT_FOUND"
    assert "NO-SUCH-LOT" in error["message"]


def test_a_node_that_is_not_a_lot_is_422(client, viewer):
    response = client.get("/api/v1/lots/CUS-HOSP/where-used", headers=viewer)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "INVALID_INPUT"


def test_where_used_reaches_customers_through_onward_shipments(client, viewer):
    response = client.get(
        f"/api/v1/lots/{quote(RESIN_ELEMENT_STRING, safe='')}/where-used", headers=viewer
    )
    assert response.status_code == 200
    body = response.json()
    assert body["lot"]["id"] == RESIN_LOT
    assert {lot["id"] for lot in body["lots"]} >= {"TUB-1", FINISHED_LOT}
    assert "FG-2" not in {lot["id"] for lot in body["lots"]}
    assert {c["id"] for c in body["customers"]} == {"CUS-DIST", "CUS-HOSP"}
    assert {s["id"] for s in body["shipments"]} == {"SHP-1", "SHP-2"}
    assert all(lot["depth"] >= 1 for lot in body["lots"])


def test_where_used_max_depth_bounds_the_walk(client, viewer):
    body = client.get(
        f"/api/v1/lots/{RESIN_LOT}/where-used", params={"max_depth": 2}, headers=viewer
    ).json()
    assert [lot["id"] for lot in body["lots"]] == ["TUB-1"]
    assert body["customers"] == []
    assert body["max_depth"] == 2


def test_where_from_reaches_suppliers_steps_and_equipment(client, viewer):
    body = client.get(f"/api/v1/lots/{FG_DIGITAL_LINK}/where-from", headers=viewer).json()
    assert {lot["id"] for lot in body["lots"]} == {
        "TUB-1",
        "RM-CLAMP-77",
        RESIN_LOT,
        "RM-RESIN-2292",
    }
    assert {s["id"] for s in body["suppliers"]} == {"SUP-RESIN", "SUP-CLAMP"}
    assert {s["id"] for s in body["process_steps"]} == {"PS-ASM-1", "PS-EXT-1"}
    assert {e["id"] for e in body["equipment"]} == {"EQ-ASM-1", "EQ-EXT-1"}
    assert body["customers"] == [] and body["shipments"] == []


@pytest.mark.parametrize("bad", ["-1", "x"])
def test_bad_max_depth_is_422_naming_the_parameter(client, viewer, bad):
    response = client.get(
        f"/api/v1/lots/{RESIN_LOT}/where-used", params={"max_depth": bad}, headers=viewer
    )
    assert response.status_code == 422
    assert "max_depth" in response.json()["error"]["message"]


def test_trace_past_the_node_cap_is_413(api_settings, api_store, keys):
    from tests.api.fixtures import auth, make_client

    settings = api_settings.model_copy(update={"max_trace_nodes": 3})
    with make_client(settings, api_store) as client:
        response = client.get(f"/api/v1/lots/{RESIN_LOT}/where-used", headers=auth(keys["viewer"]))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "LIMIT_EXCEEDED"


def test_lot_pages_follow_the_cursor_without_gaps_or_repeats(client, viewer):
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params = {"limit": 3, **({"after": cursor} if cursor else {})}
        page = client.get("/api/v1/lots", params=params, headers=viewer).json()
        seen.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen)
    assert set(seen) == {
        RESIN_LOT,
        "RM-RESIN-2292",
        "RM-CLAMP-77",
        "TUB-1",
        "TUB-2",
        FINISHED_LOT,
        "FG-2",
    }


def test_lot_filters(client, viewer):
    def ids(**params):
        page = client.get("/api/v1/lots", params=params, headers=viewer)
        assert page.status_code == 200, page.text
        return [item["id"] for item in page.json()["items"]]

    assert ids(lot_type="finished") == [FINISHED_LOT, "FG-2"]
    assert ids(status="on_hold") == ["FG-2"]
    assert ids(material="MAT-RESIN") == [RESIN_LOT, "RM-RESIN-2292"]
    assert ids(material="MAT-RESIN", status="quarantined") == ["RM-RESIN-2292"]
    assert ids(kind="Unit") == ["UNIT-1"]
    assert ids(kind="Container") == ["PAL-1"]


def test_lot_list_rejects_bad_filters_and_oversized_pages(client, viewer, api_settings):
    for params in ({"kind": "Customer"}, {"status": "lost"}, {"limit": 0}):
        response = client.get("/api/v1/lots", params=params, headers=viewer)
        assert response.status_code == 422
        assert next(iter(params)) in response.json()["error"]["message"]
    too_big = client.get(
        "/api/v1/lots", params={"limit": api_settings.max_page_size + 1}, headers=viewer
    )
    assert too_big.status_code == 413
    assert too_big.json()["error"]["details"]["max_page_size"] == api_settings.max_page_size
