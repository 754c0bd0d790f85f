"""The masking gaps an attacker found: each odd input answers a clear error of ours, never
INTERNAL, a raw exception text or a database's words."""

from __future__ import annotations

import base64
import sqlite3

from tests.api.fixtures import auth


def _cursor(value: str) -> str:
    return base64.urlsafe_b64encode(f"audit:{value}".encode()).decode()


def test_an_unknown_fragment_is_named_by_graphql(client, viewer):
    body = client.post(
        "/graphql", json={"query": '{ lot(id: "x") { ...Missing } }'}, headers=viewer
    )
    [error] = body.json()["errors"]
    assert error["message"] == "Unknown fragment 'Missing'."


def test_a_lone_surrogate_in_an_id_is_invalid_input(client, viewer):
    query = '{"query": "query ($id: ID!) { lot(id: $id) { id } }", "variables": {"id": "\\ud800x"}}'
    body = client.post(
        "/graphql", content=query, headers={**viewer, "content-type": "application/json"}
    ).json()
    [error] = body["errors"]
    assert error["extensions"]["code"] == "INVALID_INPUT"
    assert "lone surrogate" in error["message"]
    impact = client.post(
        "/api/v1/impact",
        content='{"lots": ["\\ud800"]}',
        headers={**viewer, "content-type": "application/json"},
    )
    assert impact.status_code == 422


def test_a_huge_sequence_number_is_invalid_input_without_the_databases_words(client, keys):
    qa = auth(keys["qa"])
    rest = client.get("/api/v1/audit-entries", params={"after_seq": 10**30}, headers=qa)
    assert rest.status_code == 422
    assert rest.json()["error"]["details"]["field"] == "after_seq"
    graphql = client.post(
        "/graphql",
        json={"query": f'{{ auditTrail(after: "{_cursor("9" * 30)}") {{ edges {{ cursor }} }} }}'},
        headers=qa,
    ).json()
    [error] = graphql["errors"]
    assert error["extensions"]["code"] == "INVALID_INPUT"
    assert error["extensions"]["details"]["field"] == "after"
    for text in (rest.text, str(graphql)):
        assert "SQLite" not in text and "sqlite" not in text and "Python" not in text


def test_a_damaged_audit_entry_is_named_by_its_seq(client, keys, api_settings):
    qa = auth(keys["qa"])
    conn = sqlite3.connect(api_settings.sqlite_path)
    with conn:
        conn.execute("DROP TRIGGER audit_append_only_update")  # as one who has the file would
        conn.execute("UPDATE audit SET new = '{oops' WHERE seq = 2")
    conn.close()
    entries = client.get("/api/v1/audit-entries", headers=qa)
    assert entries.status_code == 500
    assert entries.json()["error"]["code"] == "CORRUPT_DATA"
    assert entries.json()["error"]["details"]["seq"] == 2
    verified = client.get("/api/v1/audit/verify", headers=qa)
    assert verified.status_code == 200
    assert verified.json()["ok"] is False and verified.json()["first_broken_seq"] == 2
    assert client.get("/api/v1/audit/verify", headers=auth(keys["viewer"])).status_code == 403


def test_production_keeps_the_api_description_and_metrics_behind_a_key(
    api_settings, api_store, keys
):
    from tests.api.fixtures import make_client

    production = api_settings.model_copy(update={"profile": "production"})
    with make_client(production, api_store) as client:
        for path in ("/openapi.json", "/docs", "/redoc", "/metrics"):
            assert client.get(path).status_code == 401, path
            assert client.get(path, headers=auth(keys["viewer"])).status_code == 200, path
        assert client.get("/livez").status_code == 200
        assert "/api/v1/impact" in client.get("/openapi.json", headers=auth(keys["viewer"])).text
    closed = production.model_copy(update={"docs_access": "off", "metrics_access": "off"})
    with make_client(closed, api_store) as client:
        for path in ("/openapi.json", "/docs", "/redoc", "/metrics"):
            assert client.get(path, headers=auth(keys["viewer"])).status_code == 404, path
    with make_client(api_settings, api_store) as dev:  # dev: open, as before
        for path in ("/openapi.json", "/docs", "/redoc", "/metrics"):
            assert dev.get(path).status_code == 200, path


def test_a_key_in_the_query_string_is_refused_and_never_logged(client, keys, caplog):
    import logging

    secret = keys["viewer"]
    with caplog.at_level(logging.INFO, logger="traceapi"):
        refused = client.get(f"/api/v1/lots?api_key={secret}&key={secret}")
    assert refused.status_code == 401
    logged = [r for r in caplog.records if r.name == "traceapi.access"]
    assert logged and logged[-1].path == "/api/v1/lots"
    assert all(
        secret not in r.getMessage() and secret not in str(r.__dict__) for r in caplog.records
    )
