"""One error shape everywhere: unexpected errors masked, bodies capped, request logs as JSON."""

from __future__ import annotations

import json
import logging

from tests.api.fixtures import make_client
from traceapi.api.logs import JsonFormatter


def _add_failing_route(app):
    def explode() -> None:
        raise RuntimeError("secret internals: password=hunter2")

    app.add_api_route("/api/v1/_explode", explode, methods=["GET"])


def test_unexpected_errors_answer_500_with_the_request_id_and_no_internals(
    api_settings, api_store, caplog
):
    client = make_client(api_settings, api_store)
    _add_failing_route(client.app)
    with client, caplog.at_level(logging.ERROR, logger="traceapi"):
        response = client.get("/api/v1/_explode", headers={"X-Request-ID": "req-42"})
    assert response.status_code == 500
    assert response.json() == {
        "error": {"code": "INTERNAL", "message": "internal error", "request_id": "req-42"}
    }
    assert response.headers["x-request-id"] == "req-42"
    assert "hunter2" not in response.text and "Traceback" not in response.text
    logged = [
        r
        for r in caplog.records
        if getattr(r, "request_id", None) == "req-42" and r.levelno == logging.ERROR
    ]
    assert logged and logged[0].exc_info is not None


def test_a_declared_oversized_body_is_413_before_it_is_read(client, viewer, api_settings):
    body = b'{"lots": ["' + b"x" * api_settings.max_body_bytes + b'"]}'
    response = client.post(
        "/api/v1/impact", content=body, headers={**viewer, "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "LIMIT_EXCEEDED"
    assert response.headers["x-request-id"]


def test_a_streamed_oversized_body_without_length_is_413(client, viewer, api_settings):
    def chunks():
        yield b'{"lots": ["'
        for _ in range(api_settings.max_body_bytes // 10_000 + 2):
            yield b"x" * 10_000
        yield b'"]}'

    response = client.post(
        "/api/v1/impact",
        content=chunks(),
        headers={**viewer, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "LIMIT_EXCEEDED"


def test_oversized_graphql_bodies_are_413_too(client, viewer, api_settings):
    query = "{ lots { edges { cursor } } }" + " " * api_settings.max_body_bytes
    response = client.post("/graphql", json={"query": query}, headers=viewer)
    assert response.status_code == 413


def test_unknown_routes_and_methods_use_the_error_shape(client, viewer):
    missing = client.get("/api/v2/nothing", headers=viewer)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "NOT_FOUND"
    wrong_method = client.delete("/api/v1/impact", headers=viewer)
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "METHOD_NOT_ALLOWED"


def test_each_request_logs_one_json_line_with_its_figures(client, viewer, caplog):
    with caplog.at_level(logging.INFO, logger="traceapi.access"):
        client.get("/api/v1/lots/FG-1", headers={**viewer, "X-Request-ID": "log-me"})
    mine = [r for r in caplog.records if getattr(r, "request_id", None) == "log-me"]
    assert len(mine) == 1
    line = JsonFormatter().format(mine[0])
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["logger"] == "traceapi.access"
    assert entry["method"] == "GET" and entry["path"] == "/api/v1/lots/FG-1"
    assert entry["status"] == 200 and entry["duration_ms"] >= 0
