"""The app served by a real uvicorn process on loopback, queried over real HTTP."""

from __future__ import annotations

import httpx
import pytest

from tests.api.fixtures import auth
from tests.api.genealogy import RESIN_LOT
from tests.api.server import uvicorn_server


@pytest.mark.slow
def test_uvicorn_serves_rest_and_graphql_over_loopback(api_settings, keys):
    with (
        uvicorn_server(api_settings.data_dir) as base,
        httpx.Client(base_url=base, timeout=10.0, headers=auth(keys["viewer"])) as http,
    ):
        used = http.get(f"/api/v1/lots/{RESIN_LOT}/where-used")
        assert used.status_code == 200
        assert {c["id"] for c in used.json()["customers"]} == {"CUS-DIST", "CUS-HOSP"}
        graphql = http.post("/graphql", json={"query": '{ lot(id: "2291") { id } }'})
        assert graphql.json() == {"data": {"lot": {"id": RESIN_LOT}}}
        assert http.get("/api/v1/lots", headers={"Authorization": ""}).status_code == 401
