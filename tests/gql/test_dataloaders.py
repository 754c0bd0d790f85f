"""DataLoaders keep store calls bounded: a page of lots with their neighbours costs a few calls,
not a few per lot. The counter wraps the real store and only counts."""

from __future__ import annotations

from tests.api.fixtures import CountingStore, auth, make_client
from tests.api.genealogy import many_lots_batch

PAGE = """{ lots(first: 100, lotType: RAW) { edges { node {
    id status material { id name } suppliers { id name } } } } }"""


def test_a_page_of_100_lots_with_materials_and_suppliers_costs_at_most_5_store_calls(
    api_settings, api_store, keys
):
    api_store.apply_batch(many_lots_batch(120))
    counting = CountingStore(api_store)
    headers = auth(keys["viewer"])
    with make_client(api_settings, counting) as client:
        client.post(
            "/graphql", json={"query": "{ lots(first: 1) { edges { cursor } } }"}, headers=headers
        )  # the key is now cached, as it is in steady state
        counting.reset()
        body = client.post("/graphql", json={"query": PAGE}, headers=headers).json()
    assert "errors" not in body, body
    edges = body["data"]["lots"]["edges"]
    assert len(edges) == 100
    assert all(e["node"]["material"]["id"] == "MAT-RESIN" for e in edges)
    assert all(e["node"]["suppliers"] for e in edges)
    assert counting.total <= 5, counting.calls
    assert counting.calls.get("edges_of", 0) <= 2
    assert counting.calls.get("get_nodes", 0) <= 2


def test_nested_navigation_batches_per_level(api_settings, api_store, keys):
    counting = CountingStore(api_store)
    headers = auth(keys["viewer"])
    query = """{ lots(first: 100) { edges { node { id
        inputs { id material { id } }
        outputs { id material { id } } } } } }"""
    with make_client(api_settings, counting) as client:
        client.post(
            "/graphql", json={"query": "{ lots(first: 1) { edges { cursor } } }"}, headers=headers
        )
        counting.reset()
        body = client.post("/graphql", json={"query": query}, headers=headers).json()
    assert "errors" not in body, body
    lots = {e["node"]["id"]: e["node"] for e in body["data"]["lots"]["edges"]}
    assert {x["id"] for x in lots["FG-1"]["inputs"]} == {"TUB-1", "RM-CLAMP-77"}
    assert lots["TUB-1"]["outputs"] == [{"id": "FG-1", "material": {"id": "MAT-SET"}}]
    # list + (producers, consumers) + (inputs, outputs) + materials, each with its nodes
    assert counting.total <= 10, counting.calls
