"""Health, readiness and metrics: no key needed; readiness tells the truth about the store."""

from __future__ import annotations

from tests.api.fixtures import make_client


def test_livez_answers_without_a_key(client):
    response = client.get("/livez")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ok_while_the_store_answers(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["backend"] == "embedded"


def test_readyz_is_503_with_the_error_body_once_the_store_is_closed(api_settings, api_store):
    with make_client(api_settings, api_store) as client:
        api_store.close()
        response = client.get("/readyz")
        assert response.status_code == 503
        error = response.json()["error"]
        assert error["code"] == "STORE_UNAVAILABLE"
        assert error["message"]
        assert client.get("/livez").status_code == 200


def test_every_answer_carries_a_request_id(client):
    generated = client.get("/livez").headers["x-request-id"]
    assert len(generated) >= 16
    echoed = client.get("/livez", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"]
    assert echoed == "abc-123"
    unsafe = client.get("/livez", headers={"X-Request-ID": "bad id\twith spaces"})
    assert unsafe.headers["x-request-id"] != "bad id\twith spaces"


def test_metrics_count_requests_by_route_template_and_errors_by_code(client, viewer):
    client.get("/api/v1/lots/RM-RESIN-2291/where-used", headers=viewer)
    client.get("/api/v1/lots/NO-SUCH-LOT", headers=viewer)
    text = client.get("/metrics").text
    assert 'route="/api/v1/lots/{lot_id:path}/where-used"' in text
    assert "RM-RESIN-2291" not in text  # templates, not raw paths
    assert 'traceapi_errors_total{code="NOT_FOUND",interface="rest"} 1.0' in text
    assert 'traceapi_trace_result_nodes_count{operation="where-used"} 1.0' in text
