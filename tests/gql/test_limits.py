"""Abuse limits: deep, wide, long and costly queries are refused before any resolver runs; the
key is the only thing checked before them."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.api.fixtures import CountingStore, auth, make_client
from tests.api.genealogy import FINISHED_LOT, RESIN_LOT


def deep_query(depth: int) -> str:
    """``lot { inputs { inputs { ... { id } } } }`` nested ``depth`` levels."""
    return '{ lot(id: "FG-1") ' + "{ inputs " * (depth - 1) + "{ id }" + " }" * depth


def aliased_query(count: int) -> str:
    return "{ " + " ".join(f'a{i}: lot(id: "FG-1") {{ id }}' for i in range(count)) + " }"


@pytest.fixture
def counted(api_settings, api_store, keys):
    """A client on the real store wrapped in a call counter, and viewer headers."""
    counting = CountingStore(api_store)

    def open_client(**overrides: Any):
        settings = api_settings.model_copy(update=overrides)
        return make_client(settings, counting)

    return counting, open_client, auth(keys["viewer"])


def post(client, query: str, headers: dict[str, str]) -> dict[str, Any]:
    response = client.post("/graphql", json={"query": query}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_depth_20_query_is_refused_before_any_store_call(counted):
    counting, open_client, headers = counted
    with open_client() as client:
        counting.reset()
        body = post(client, deep_query(20), headers)
    assert body.get("data") is None
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]
    assert counting.beyond_key_checks == {}, counting.calls


def test_a_query_at_the_depth_limit_runs(counted):
    _, open_client, headers = counted
    with open_client(gql_max_depth=5, gql_max_cost=10**9) as client:  # depth alone
        assert "errors" not in post(client, deep_query(5), headers)
        assert "errors" in post(client, deep_query(6), headers)


def test_500_aliases_are_refused_before_any_store_call(counted):
    counting, open_client, headers = counted
    with open_client() as client:  # default limits: refused on tokens or on aliases
        counting.reset()
        body = post(client, aliased_query(500), headers)
        assert body.get("data") is None and body["errors"]
        assert counting.beyond_key_checks == {}, counting.calls
    with open_client(gql_max_tokens=100_000) as client:  # the alias limit alone
        counting.reset()
        body = post(client, aliased_query(500), headers)
        assert body["errors"][0]["message"] == "500 aliases found. Allowed: 30"
        assert counting.beyond_key_checks == {}, counting.calls


def test_the_alias_limit_is_exact(counted):
    _, open_client, headers = counted
    with open_client() as client:
        allowed = post(client, aliased_query(30), headers)
        assert "errors" not in allowed and len(allowed["data"]) == 30
        refused = post(client, aliased_query(31), headers)
        assert refused["errors"][0]["message"] == "31 aliases found. Allowed: 30"


def test_too_many_tokens_are_refused_while_parsing(counted):
    counting, open_client, headers = counted
    with open_client(gql_max_tokens=50) as client:
        counting.reset()
        body = post(client, aliased_query(10), headers)
    assert "tokens" in body["errors"][0]["message"]
    assert counting.beyond_key_checks == {}, counting.calls


def test_page_size_and_node_caps_answer_limit_exceeded(counted):
    _, open_client, headers = counted
    with open_client(max_page_size=5, max_trace_nodes=3) as client:
        page = post(client, "{ lots(first: 6) { edges { cursor } } }", headers)
        assert page["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"
        trace = post(client, f'{{ whereUsed(lot: "{RESIN_LOT}") {{ lots {{ id }} }} }}', headers)
        assert trace["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"
        seeds = ", ".join(f'"L{i}"' for i in range(3))
        with open_client(max_impact_seeds=2) as small:
            impact = post(
                small, f"{{ recallImpact(lots: [{seeds}]) {{ lots {{ id }} }} }}", headers
            )
            assert impact["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"


def test_production_turns_off_introspection_and_graphiql(counted):
    _, open_client, headers = counted
    introspection = "{ __schema { queryType { name } } }"
    with open_client() as dev:
        assert post(dev, introspection, headers)["data"]["__schema"]["queryType"]["name"]
    with open_client(profile="production") as client:
        body = post(client, introspection, headers)
        assert body.get("data") is None
        assert "introspection" in body["errors"][0]["message"].lower()
        assert client.get("/graphql", headers={"Accept": "text/html"}).status_code != 200
        normal = post(client, f'{{ lot(id: "{FINISHED_LOT}") {{ id }} }}', headers)
        assert normal["data"]["lot"]["id"] == FINISHED_LOT


class FaultyStore(CountingStore):
    """The real store with one method failing like a bug would (fault injection)."""

    def __getattr__(self, name: str) -> Any:
        if name == "reach":

            def broken(*args: Any, **kwargs: Any) -> Any:
                raise RuntimeError("index corrupted at /secret/path")

            return broken
        return super().__getattr__(name)


def test_unexpected_errors_are_masked_with_the_request_id(api_settings, api_store, keys, caplog):
    client = make_client(api_settings, FaultyStore(api_store))
    with client, caplog.at_level(logging.ERROR, logger="traceapi"):
        response = client.post(
            "/graphql",
            json={"query": f'{{ whereUsed(lot: "{RESIN_LOT}") {{ lots {{ id }} }} }}'},
            headers={**auth(keys["viewer"]), "X-Request-ID": "gql-7"},
        )
    body = response.json()
    [error] = body["errors"]
    assert error["message"] == "internal error"
    assert error["extensions"] == {"code": "INTERNAL", "request_id": "gql-7"}
    assert "secret" not in response.text
    logged = [r for r in caplog.records if getattr(r, "request_id", None) == "gql-7"]
    assert logged and logged[0].exc_info is not None


def test_graphiqls_full_introspection_query_fits_the_limits_in_dev(client):
    from graphql import get_introspection_query

    query = get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
    )
    body = post(client, query, {})
    assert "errors" not in body, body["errors"]
    names = {t["name"] for t in body["data"]["__schema"]["types"]}
    assert {"Lot", "Customer", "TraceResult", "ImpactResult"} <= names


def test_queries_over_get_work_in_dev(client, viewer):
    response = client.get(
        "/graphql", params={"query": '{ lot(id: "FG-1") { id } }'}, headers=viewer
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"lot": {"id": FINISHED_LOT}}}
