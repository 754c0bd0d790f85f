"""A damaged store over HTTP: one bad row fails only the answers that contain it, naming it;
readiness tells the truth about bad rows and damaged pages."""

from __future__ import annotations

import sqlite3

from tests.api.fixtures import make_client
from tests.api.genealogy import RESIN_LOT
from traceapi.store.base import Direction
from traceapi.store.embedded import EmbeddedStore


def _sql(path, statement: str, *args: object) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(statement, args)
    conn.close()


def test_one_bad_row_fails_only_the_answers_that_contain_it(
    client, viewer, api_settings, api_store
):
    assert client.get("/readyz").status_code == 200
    # a lot whose where-from does not reach TUB-1 (reachability reads no properties)
    apart = next(
        lot.id
        for lot in api_store.iter_nodes()
        if lot.kind.value == "Lot"
        and "TUB-1" not in api_store.reach([lot.id], direction=Direction.BACKWARD).ids
    )
    _sql(api_settings.sqlite_path, "UPDATE nodes SET props = '{\"qua' WHERE id = 'TUB-1'")
    through = client.get(f"/api/v1/lots/{RESIN_LOT}/where-used", headers=viewer)
    assert through.status_code == 500
    error = through.json()["error"]
    assert error["code"] == "CORRUPT_DATA" and "node 'TUB-1' is stored damaged" in error["message"]
    other = client.get(f"/api/v1/lots/{apart}/where-from", headers=viewer)
    assert other.status_code == 200
    assert "TUB-1" not in {lot["id"] for lot in other.json()["lots"]}
    graphql = client.post(
        "/graphql",
        json={"query": f'{{ whereUsed(lot: "{RESIN_LOT}") {{ lots {{ id }} }} }}'},
        headers=viewer,
    ).json()
    assert graphql["errors"][0]["extensions"]["code"] == "CORRUPT_DATA"
    assert client.get("/readyz").status_code == 200  # TUB-1 is not in its sample of rows
    conn = sqlite3.connect(api_settings.sqlite_path)
    (last,) = conn.execute("SELECT id FROM nodes ORDER BY rid DESC LIMIT 1").fetchone()
    conn.close()
    _sql(api_settings.sqlite_path, "UPDATE nodes SET props = '[1]' WHERE id = ?", last)
    ready = client.get("/readyz")  # the newest node is in the sample
    assert ready.status_code == 503
    assert f"node {last!r} is stored damaged" in ready.json()["error"]["message"]


def test_damaged_pages_make_readiness_fail(api_settings):
    path = api_settings.sqlite_path
    conn = sqlite3.connect(path)
    (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'edges'").fetchone()
    (page_size,) = conn.execute("PRAGMA page_size").fetchone()
    conn.close()
    with open(path, "r+b") as file:  # the edges table's first page, overwritten with noise
        file.seek((root - 1) * page_size)
        file.write(bytes((i * 37 + 11) % 256 for i in range(page_size)))
    store = EmbeddedStore(path)
    try:
        with make_client(api_settings, store) as client:
            assert client.get("/livez").status_code == 200
            ready = client.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["error"]["code"] == "STORE_UNAVAILABLE"
    finally:
        store.close()
