"""REST recall impact: JSON, the consignee CSV, and the limits on its input."""

from __future__ import annotations

import csv
import io

from tests.api.genealogy import FINISHED_LOT, RESIN_ELEMENT_STRING, RESIN_LOT


def test_impact_of_a_resin_lot_names_finished_lots_shipments_and_tiered_consignees(client, viewer):
    response = client.post("/api/v1/impact", json={"lots": [RESIN_LOT]}, headers=viewer)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [s["id"] for s in body["seed_lots"]] == [RESIN_LOT]
    assert [lot["id"] for lot in body["finished_lots"]] == [FINISHED_LOT]
    assert {s["id"] for s in body["shipments"]} == {"SHP-1", "SHP-2"}
    tiers = {c["id"]: c["tier"] for c in body["customers"]}
    assert tiers == {"CUS-DIST": 1, "CUS-HOSP": 2}
    assert body["summary"]["customers"] == 2


def test_impact_accepts_identifier_forms_and_several_seeds(client, viewer):
    response = client.post(
        "/api/v1/impact",
        json={"lots": [RESIN_ELEMENT_STRING, "RM-RESIN-2292"], "max_depth": 10},
        headers=viewer,
    )
    assert response.status_code == 200
    body = response.json()
    assert {s["id"] for s in body["seed_lots"]} == {RESIN_LOT, "RM-RESIN-2292"}
    assert {c["id"] for c in body["customers"]} == {"CUS-DIST", "CUS-HOSP", "CUS-CLINIC"}


def test_impact_as_csv_is_an_attachment_with_one_row_per_customer_and_lot(client, viewer):
    response = client.post(
        "/api/v1/impact",
        json={"lots": [RESIN_LOT]},
        headers={**viewer, "Accept": "text/csv"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {(r["customer_id"], r["lot_id"], r["tier"]) for r in rows} == {
        ("CUS-DIST", FINISHED_LOT, "1"),
        ("CUS-HOSP", FINISHED_LOT, "2"),
    }
    direct = next(r for r in rows if r["customer_id"] == "CUS-DIST")
    assert float(direct["quantity"]) == 60


def test_malformed_impact_bodies_are_422_naming_the_field(client, viewer):
    cases = [
        ({}, "lots"),
        ({"lots": []}, "lots"),
        ({"lots": "FG-1"}, "lots"),
        ({"lots": [RESIN_LOT], "max_depth": -1}, "max_depth"),
        ({"lots": [RESIN_LOT], "colour": "red"}, "colour"),
    ]
    for body, field in cases:
        response = client.post("/api/v1/impact", json=body, headers=viewer)
        assert response.status_code == 422, body
        error = response.json()["error"]
        assert error["code"] == "INVALID_INPUT"
        assert field in error["message"], (body, error)
        assert any(field in [str(p) for p in d["loc"]] for d in error["details"])


def test_invalid_json_is_422(client, viewer):
    response = client.post(
        "/api/v1/impact",
        content=b'{"lots": [',
        headers={**viewer, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "INVALID_INPUT"


def test_unknown_seed_is_404(client, viewer):
    response = client.post("/api/v1/impact", json={"lots": ["NOPE"]}, headers=viewer)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_too_many_seeds_is_413(api_settings, api_store, keys):
    from tests.api.fixtures import auth, make_client

    settings = api_settings.model_copy(update={"max_impact_seeds": 2})
    with make_client(settings, api_store) as client:
        response = client.post(
            "/api/v1/impact",
            json={"lots": [RESIN_LOT, "RM-RESIN-2292", "RM-CLAMP-77"]},
            headers=auth(keys["viewer"]),
        )
    assert response.status_code == 413
    assert response.json()["error"]["details"]["max_impact_seeds"] == 2
