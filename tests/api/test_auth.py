"""Who may call what: every route against no key, bad keys and each role."""

from __future__ import annotations

import time

import pytest

from tests.api.fixtures import auth, make_client
from tests.api.genealogy import FINISHED_LOT, RESIN_LOT
from traceapi.api.auth import KeyCache
from traceapi.services.keys import revoke_key

CREDENTIALS = ["none", "unknown", "revoked", "viewer", "system", "coordinator", "qa", "admin"]
BAD = {"none", "unknown", "revoked"}
QA_OR_ABOVE = {"qa", "admin"}

REST_ROUTES = [
    ("GET", "/api/v1/lots", None, "viewer"),
    ("GET", f"/api/v1/lots/{FINISHED_LOT}", None, "viewer"),
    ("GET", f"/api/v1/lots/{RESIN_LOT}/where-used", None, "viewer"),
    ("GET", f"/api/v1/lots/{FINISHED_LOT}/where-from", None, "viewer"),
    ("POST", "/api/v1/impact", {"lots": [RESIN_LOT]}, "viewer"),
    ("GET", "/api/v1/audit-entries", None, "qa"),
    ("GET", "/livez", None, "open"),
    ("GET", "/readyz", None, "open"),
    ("GET", "/metrics", None, "open"),
]

GRAPHQL_FIELDS = [
    ("lots", "{ lots(first: 1) { edges { node { id } } } }", "viewer"),
    ("lot", f'{{ lot(id: "{FINISHED_LOT}") {{ id }} }}', "viewer"),
    ("whereUsed", f'{{ whereUsed(lot: "{RESIN_LOT}") {{ lots {{ id }} }} }}', "viewer"),
    ("whereFrom", f'{{ whereFrom(lot: "{FINISHED_LOT}") {{ lots {{ id }} }} }}', "viewer"),
    ("recallImpact", f'{{ recallImpact(lots: ["{RESIN_LOT}"]) {{ lots {{ id }} }} }}', "viewer"),
    (
        "rootCauseNeighbourhood",
        f'{{ rootCauseNeighbourhood(lots: ["{FINISHED_LOT}"]) {{ equipment {{ id }} }} }}',
        "viewer",
    ),
    ("auditTrail", "{ auditTrail(first: 2) { edges { node { seq } } } }", "qa"),
]


def expected_status(credential: str, needs: str) -> int:
    if needs == "open":
        return 200
    if credential in BAD:
        return 401
    if needs == "qa" and credential not in QA_OR_ABOVE:
        return 403
    return 200


def headers_for(credential: str, keys: dict[str, str]) -> dict[str, str]:
    return {} if credential == "none" else auth(keys[credential])


@pytest.mark.parametrize("credential", CREDENTIALS)
def test_rest_role_matrix(client, keys, credential):
    for method, path, body, needs in REST_ROUTES:
        response = client.request(method, path, json=body, headers=headers_for(credential, keys))
        want = expected_status(credential, needs)
        assert response.status_code == want, (method, path, credential, response.text)
        if want == 401:
            assert response.headers["www-authenticate"] == "Bearer"
            assert response.json()["error"]["code"] == "UNAUTHORIZED"
        if want == 403:
            assert response.json()["error"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize("credential", CREDENTIALS)
def test_graphql_role_matrix(client, keys, credential):
    for field, query, needs in GRAPHQL_FIELDS:
        response = client.post(
            "/graphql", json={"query": query}, headers=headers_for(credential, keys)
        )
        assert response.status_code == 200
        body = response.json()
        want = expected_status(credential, needs)
        if want == 200:
            assert "errors" not in body, (field, credential, body)
            assert body["data"][field] is not None
        else:
            code = "UNAUTHENTICATED" if want == 401 else "FORBIDDEN"
            # A key sent is checked before the document is parsed: a bad one stops the whole
            # operation (data null); a role too low stops only the fields that need more.
            assert (body["data"] or {}).get(field) is None
            assert [e["extensions"]["code"] for e in body["errors"]] == [code], (field, body)


def test_x_api_key_header_works_like_a_bearer_token(client, keys):
    response = client.get("/api/v1/lots", headers={"X-API-Key": keys["viewer"]})
    assert response.status_code == 200
    graphql = client.post(
        "/graphql",
        json={"query": "{ lots { edges { cursor } } }"},
        headers={"X-API-Key": keys["viewer"]},
    )
    assert "errors" not in graphql.json()


def test_other_authorization_schemes_do_not_authenticate(client, keys):
    response = client.get("/api/v1/lots", headers={"Authorization": f"Basic {keys['admin']}"})
    assert response.status_code == 401


def test_revocation_takes_effect_within_the_cache_bound(api_settings, api_store, keys):
    with make_client(api_settings, api_store) as client:
        client.app.state.key_cache = KeyCache(ttl_seconds=0.5)
        headers = auth(keys["viewer"])
        assert client.get("/api/v1/lots", headers=headers).status_code == 200
        key_id = keys["viewer"].removeprefix("tra_").split("_", 1)[0]
        revoke_key(api_store, key_id=key_id, actor="tests")
        # within the bound the cached key may still pass; after it, it must not
        deadline = time.monotonic() + 0.5 + 1.0
        while client.get("/api/v1/lots", headers=headers).status_code == 200:
            assert time.monotonic() < deadline, "revoked key still accepted past the cache bound"
            time.sleep(0.1)
        assert client.get("/api/v1/lots", headers=headers).status_code == 401


def test_the_key_cache_saves_store_lookups(api_settings, api_store, keys):
    from tests.api.fixtures import CountingStore

    counting = CountingStore(api_store)
    with make_client(api_settings, counting) as client:
        for _ in range(5):
            assert client.get("/api/v1/lots", headers=auth(keys["viewer"])).status_code == 200
    assert counting.calls["get_api_key"] == 1
