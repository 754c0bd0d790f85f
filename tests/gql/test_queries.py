"""GraphQL queries on a real embedded store: lookups, navigation both ways, traces, impact."""

from __future__ import annotations

from tests.api.fixtures import auth, gql
from tests.api.genealogy import FG_DIGITAL_LINK, FINISHED_LOT, RESIN_ELEMENT_STRING, RESIN_LOT


def test_lot_navigates_to_material_suppliers_inputs_steps_equipment(client, viewer):
    body = gql(
        client,
        """
        query ($id: ID!) {
          lot(id: $id) {
            id kind name status lotType quantity unit onHand gtin lotNumber aliases
            material { id name lots { id } }
            suppliers { id }
            inputs { id suppliers { id } }
            producedBy { id stepCode equipment { id } }
            equipment { id processSteps { id } }
            inspections { id characteristic value result lot { id } }
            shipments { id customers { id customerType } shippedFrom { id } }
            units { id lot { id } containers { id contents { id } } }
          }
        }""",
        viewer,
        id=FG_DIGITAL_LINK,
    )
    assert "errors" not in body, body
    lot = body["data"]["lot"]
    assert lot["id"] == FINISHED_LOT and lot["kind"] == "Lot"
    assert lot["status"] == "RELEASED" and lot["lotType"] == "FINISHED"
    assert lot["quantity"] == 100 and lot["onHand"] == 20 and lot["lotNumber"] == "F0812"
    assert any(a.startswith("(01)") for a in lot["aliases"])
    assert lot["material"]["id"] == "MAT-SET"
    assert {x["id"] for x in lot["material"]["lots"]} == {FINISHED_LOT, "FG-2"}
    assert lot["suppliers"] == []
    inputs = {x["id"]: x for x in lot["inputs"]}
    assert set(inputs) == {"RM-CLAMP-77", "TUB-1"}
    assert inputs["RM-CLAMP-77"]["suppliers"] == [{"id": "SUP-CLAMP"}]
    assert lot["producedBy"] == [
        {"id": "PS-ASM-1", "stepCode": "assembly", "equipment": [{"id": "EQ-ASM-1"}]}
    ]
    assert lot["equipment"] == [{"id": "EQ-ASM-1", "processSteps": [{"id": "PS-ASM-1"}]}]
    assert lot["inspections"] == [
        {
            "id": "INS-1",
            "characteristic": "leak",
            "value": 0.2,
            "result": "pass",
            "lot": {"id": FINISHED_LOT},
        }
    ]
    shipments = {s["id"]: s for s in lot["shipments"]}
    assert shipments["SHP-2"]["shippedFrom"] == {"id": "CUS-DIST"}
    assert shipments["SHP-1"]["customers"] == [{"id": "CUS-DIST", "customerType": "distributor"}]
    assert lot["units"] == [
        {
            "id": "UNIT-1",
            "lot": {"id": FINISHED_LOT},
            "containers": [{"id": "PAL-1", "contents": [{"id": "UNIT-1"}]}],
        }
    ]


def test_navigation_downstream_and_from_customers_back(client, viewer):
    body = gql(
        client,
        """
        {
          raw: lot(id: "2291") { outputs { id outputs { id } } consumedBy { id outputs { id } } }
          customer: node(id: "CUS-DIST") {
            ... on Customer { shipments { id lots { id } } onwardShipments { id customers { id } } }
          }
          supplier: node(id: "SUP-RESIN") { ... on Supplier { lots { id } } }
          step: node(id: "PS-EXT-1") {
            ... on ProcessStep { params inputs { id } outputs { id } equipment { id } }
          }
        }""",
        viewer,
    )
    assert "errors" not in body, body
    data = body["data"]
    assert data["raw"]["outputs"] == [{"id": "TUB-1", "outputs": [{"id": FINISHED_LOT}]}]
    assert data["raw"]["consumedBy"] == [{"id": "PS-EXT-1", "outputs": [{"id": "TUB-1"}]}]
    assert data["customer"]["shipments"] == [{"id": "SHP-1", "lots": [{"id": FINISHED_LOT}]}]
    onward = data["customer"]["onwardShipments"]
    assert onward == [{"id": "SHP-2", "customers": [{"id": "CUS-HOSP"}]}]
    assert {x["id"] for x in data["supplier"]["lots"]} == {RESIN_LOT, "RM-RESIN-2292"}
    assert data["step"]["params"] == {"melt_c": 190}
    assert {x["id"] for x in data["step"]["inputs"]} == {RESIN_LOT, "RM-RESIN-2292"}
    assert data["step"]["equipment"] == [{"id": "EQ-EXT-1"}]


def test_lots_connection_pages_with_cursors_and_filters(client, viewer):
    query = """
        query ($after: String, $status: LotStatus, $lotType: LotType, $material: ID) {
          lots(first: 2, after: $after, status: $status, lotType: $lotType, material: $material) {
            edges { node { id } cursor }
            pageInfo { hasNextPage endCursor }
          }
        }"""
    seen, after = [], None
    for _ in range(10):
        page = gql(client, query, viewer, after=after)["data"]["lots"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        assert after == page["edges"][-1]["cursor"]
    assert seen == sorted(seen) and len(seen) == 7 and len(set(seen)) == 7

    def ids(**filters):
        page = gql(client, query, viewer, **filters)["data"]["lots"]
        return [e["node"]["id"] for e in page["edges"]]

    assert ids(lotType="FINISHED") == [FINISHED_LOT, "FG-2"]
    assert ids(status="QUARANTINED") == ["RM-RESIN-2292"]
    assert ids(material="MAT-TUBE") == ["TUB-1", "TUB-2"]
    assert ids(material="MAT-RESIN", status="RELEASED") == [RESIN_LOT]


def test_a_bad_cursor_is_invalid_input(client, viewer):
    body = gql(client, '{ lots(after: "not-a-cursor") { edges { cursor } } }', viewer)
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


def test_where_used_and_where_from(client, viewer):
    body = gql(
        client,
        """
        query ($raw: ID!, $fg: ID!) {
          whereUsed(lot: $raw) {
            lot { id depth } lots { id kind name depth } shipments { id } customers { id depth }
          }
          whereFrom(lot: $fg) {
            lots { id depth node { ... on Lot { status } } }
            suppliers { id } processSteps { id } equipment { id name depth }
          }
        }""",
        viewer,
        raw=RESIN_ELEMENT_STRING,
        fg=FINISHED_LOT,
    )
    assert "errors" not in body, body
    used = body["data"]["whereUsed"]
    assert used["lot"] == {"id": RESIN_LOT, "depth": 0}
    assert {x["id"] for x in used["customers"]} == {"CUS-DIST", "CUS-HOSP"}
    assert {x["id"] for x in used["shipments"]} == {"SHP-1", "SHP-2"}
    assert all(x["depth"] > 0 for x in used["lots"])
    source = body["data"]["whereFrom"]
    statuses = {x["id"]: x["node"]["status"] for x in source["lots"]}
    assert statuses["RM-RESIN-2292"] == "QUARANTINED"
    assert {x["id"] for x in source["suppliers"]} == {"SUP-RESIN", "SUP-CLAMP"}
    assert {x["id"] for x in source["processSteps"]} == {"PS-ASM-1", "PS-EXT-1"}
    assert {x["id"] for x in source["equipment"]} == {"EQ-ASM-1", "EQ-EXT-1"}


def test_max_depth_bounds_graphql_traces_too(client, viewer):
    body = gql(
        client, f'{{ whereUsed(lot: "{RESIN_LOT}", maxDepth: 2) {{ lots {{ id }} }} }}', viewer
    )
    assert body["data"]["whereUsed"]["lots"] == [{"id": "TUB-1"}]
    negative = gql(
        client, f'{{ whereUsed(lot: "{RESIN_LOT}", maxDepth: -1) {{ lots {{ id }} }} }}', viewer
    )
    assert negative["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


def test_recall_impact(client, viewer):
    body = gql(
        client,
        """
        query ($lots: [ID!]!) {
          recallImpact(lots: $lots) {
            seedLots { id } finishedLots { id quantityShare }
            shipments { id }
            customers { id tier quantity unit lots shipments }
            consignees { customerId lotId tier quantity route via }
            stockInDistribution { holder lotId received shippedOnward quantity unit negative }
            summary { affectedLots customers customersByTier quantityShipped
                      quantityInDistribution negativeStock }
          }
        }""",
        viewer,
        lots=[RESIN_LOT],
    )
    assert "errors" not in body, body
    impact = body["data"]["recallImpact"]
    assert impact["seedLots"] == [{"id": RESIN_LOT}]
    assert [x["id"] for x in impact["finishedLots"]] == [FINISHED_LOT]
    tiers = {c["id"]: c["tier"] for c in impact["customers"]}
    assert tiers == {"CUS-DIST": 1, "CUS-HOSP": 2}
    assert {(r["customerId"], r["lotId"]) for r in impact["consignees"]} == {
        ("CUS-DIST", FINISHED_LOT),
        ("CUS-HOSP", FINISHED_LOT),
    }
    routes = {(r["customerId"], r["tier"], r["route"], r["via"]) for r in impact["consignees"]}
    assert routes == {("CUS-DIST", 1, "direct", None), ("CUS-HOSP", 2, "onward", "CUS-DIST")}
    # The distributor got 60 and shipped 20 on; the hospital holds its 20.
    held = [
        (h["holder"], h["received"], h["shippedOnward"], h["quantity"], h["unit"], h["negative"])
        for h in impact["stockInDistribution"]
    ]
    assert held == [
        ("CUS-DIST", 60.0, 20.0, 40.0, "pcs", False),
        ("CUS-HOSP", 20.0, 0.0, 20.0, "pcs", False),
    ]
    assert impact["summary"]["quantityInDistribution"] == {"pcs": 60.0}
    assert impact["summary"]["negativeStock"] == 0
    assert impact["summary"]["customers"] == 2


def test_unknown_lot_is_not_found_and_the_rest_of_the_answer_survives(client, viewer):
    body = gql(
        client,
        """
        { missing: lot(id: "NO-SUCH") { id } present: lot(id: "FG-1") { id } }""",
        viewer,
    )
    assert body["data"] == {"missing": None, "present": {"id": FINISHED_LOT}}
    [error] = body["errors"]
    assert error["path"] == ["missing"]
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert "NO-SUCH" in error["message"]


def test_lot_refuses_nodes_that_are_not_lots(client, viewer):
    body = gql(client, '{ lot(id: "CUS-HOSP") { id } }', viewer)
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


def test_audit_trail_pages_for_qa(client, keys, api_store):
    query = """query ($after: String) { auditTrail(first: 3, after: $after) {
        edges { cursor node { seq action actor entityKind hash prevHash } }
        pageInfo { hasNextPage endCursor } } }"""
    seqs, after = [], None
    for _ in range(20):
        page = gql(client, query, auth(keys["qa"]), after=after)["data"]["auditTrail"]
        seqs += [e["node"]["seq"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seqs == [e.seq for e in api_store.audit_entries()]
    assert len(seqs) > 3
    first = gql(client, query, auth(keys["admin"]))["data"]["auditTrail"]["edges"]
    assert first[1]["node"]["prevHash"] == first[0]["node"]["hash"]


def test_graphiql_page_loads_without_a_key_in_dev(client):
    response = client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()
