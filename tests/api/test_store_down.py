"""The service with its store down: it starts, says why it is not ready, answers 503, and
recovers without a restart once the store answers."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from traceapi.api import app as app_module
from traceapi.api.app import create_app
from traceapi.errors import StoreUnavailable
from traceapi.settings import Settings
from traceapi.store import pending as pending_module
from traceapi.store.base import GraphStore
from traceapi.store.embedded import EmbeddedStore
from traceapi.store.pending import PendingStore


def _refused_uri() -> str:
    """A Bolt URI on a loopback port nobody listens on (bound, then closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"bolt://127.0.0.1:{port}"


def test_with_neo4j_down_the_service_starts_and_answers_503(tmp_path: Path) -> None:
    """The real driver against a port that refuses connections: no server needed."""
    uri = _refused_uri()
    settings = Settings(
        backend="neo4j", data_dir=tmp_path / "data", neo4j_uri=uri, neo4j_password="x"
    )
    with TestClient(create_app(settings)) as client:
        assert client.get("/livez").status_code == 200
        started = time.monotonic()
        ready = client.get("/readyz")
        assert time.monotonic() - started < 5
        assert ready.status_code == 503
        assert ready.json()["error"]["code"] == "STORE_UNAVAILABLE"
        assert uri in ready.json()["error"]["message"]
        lot = client.get("/api/v1/lots/RM-1", headers={"X-API-Key": "tra_0000_secret"})
        assert lot.status_code == 503
        assert lot.json()["error"]["code"] == "STORE_UNAVAILABLE"
        answer = client.post(
            "/graphql",
            json={"query": '{ lot(id: "RM-1") { id } }'},
            headers={"X-API-Key": "tra_0000_secret"},
        ).json()
        assert answer["errors"][0]["extensions"]["code"] == "STORE_UNAVAILABLE"


def test_an_embedded_store_that_cannot_open_still_fails_at_startup(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    settings = Settings(backend="embedded", data_dir=data)
    settings.sqlite_path.write_bytes(b"not a database" * 200)
    with pytest.raises(StoreUnavailable), TestClient(create_app(settings)):
        pass


def test_the_service_recovers_when_the_store_comes_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first two attempts find the server down; the third opens a real (embedded) store."""
    settings = Settings(
        backend="neo4j", data_dir=tmp_path / "data", neo4j_uri=_refused_uri(), neo4j_password="x"
    )
    attempts: list[float] = []

    def opener(_settings: Settings) -> GraphStore:
        attempts.append(time.monotonic())
        if len(attempts) <= 2:
            raise StoreUnavailable(f"Neo4j does not answer (attempt {len(attempts)})")
        return EmbeddedStore(tmp_path / "up.sqlite3")

    monkeypatch.setattr(app_module, "open_store", opener)
    monkeypatch.setattr(pending_module, "RETRY_AFTER_S", 0.2)
    with TestClient(create_app(settings)) as client:
        down = client.get("/readyz")
        assert down.status_code == 503 and "attempt 1" in down.json()["error"]["message"]
        time.sleep(0.25)
        assert "attempt 2" in client.get("/readyz").json()["error"]["message"]
        assert "attempt 2" in client.get("/readyz").json()["error"]["message"]  # no new try
        assert len(attempts) == 2
        time.sleep(0.25)
        up = client.get("/readyz")
        assert up.status_code == 200, up.text
        assert up.json()["backend"] == "neo4j"  # as configured; the stand-in store answers
        assert client.get("/api/v1/lots/x", headers={"X-API-Key": "nope"}).status_code == 401
    assert len(attempts) == 3


def test_a_pending_store_delegates_once_open_and_closes_what_it_opened(tmp_path: Path) -> None:
    opened: list[EmbeddedStore] = []

    def opener() -> GraphStore:
        opened.append(EmbeddedStore(tmp_path / "s.sqlite3"))
        return opened[-1]

    pending = PendingStore(
        opener, backend="embedded", reason=StoreUnavailable("down"), retry_after_s=0.0
    )
    assert pending.stats().node_total == 0 and len(opened) == 1
    assert pending.resolve("nothing") is None and len(opened) == 1  # opened once
    pending.close()
    with pytest.raises(StoreUnavailable):
        opened[0].ping()
    never = PendingStore(opener, backend="x", reason=StoreUnavailable("down"), retry_after_s=0.0)
    never.close()
    with pytest.raises(StoreUnavailable, match="closed"):
        never.resolve("anything")
    assert len(opened) == 1
