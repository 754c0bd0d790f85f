"""Startup of the Neo4j backend against what this machine really has: no server at all.

The real driver is pointed at a closed loopback port; it must give up within seconds with a
StoreUnavailable naming the URI (what /readyz and `db migrate` report), not hang or leak a
driver exception. Nothing here imitates a Neo4j server.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from traceapi.errors import InvalidInput, StoreUnavailable
from traceapi.settings import Settings
from traceapi.store.factory import open_store
from traceapi.store.neo4j_store import Neo4jStore

TRACEAPI = Path(sys.executable).with_name("traceapi")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _settings(uri: str, tmp_path: Path) -> Settings:
    return Settings(
        backend="neo4j", data_dir=tmp_path, neo4j_uri=uri, neo4j_password="not-a-real-password"
    )


@pytest.mark.parametrize("scheme", ["bolt", "neo4j"])
def test_connect_to_a_closed_port_fails_fast_with_store_unavailable(
    scheme: str, tmp_path: Path
) -> None:
    uri = f"{scheme}://127.0.0.1:{_closed_port()}"
    started = time.monotonic()
    with pytest.raises(StoreUnavailable) as caught:
        open_store(_settings(uri, tmp_path))
    assert time.monotonic() - started < 3.0
    assert uri in caught.value.message
    assert "does not answer" in caught.value.message


@pytest.mark.parametrize(
    "uri", ["http://127.0.0.1:7474", "localhost:7687", "foo://127.0.0.1:7687", ""]
)
def test_uris_the_backend_cannot_use_are_invalid_input(uri: str, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        Neo4jStore.connect(_settings(uri, tmp_path))


def test_db_migrate_reports_a_down_server_with_the_store_unavailable_exit_code(
    tmp_path: Path,
) -> None:
    env = {
        **os.environ,
        "TRACEAPI_BACKEND": "neo4j",
        "NEO4J_URI": f"bolt://127.0.0.1:{_closed_port()}",
        "NEO4J_PASSWORD": "not-a-real-password",
        "TRACEAPI_DATA_DIR": str(tmp_path),
    }
    started = time.monotonic()
    done = subprocess.run(
        [str(TRACEAPI), "db", "migrate", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == StoreUnavailable.exit_code, done.stderr
    assert "STORE_UNAVAILABLE" in done.stderr
    assert done.stdout == ""
    assert time.monotonic() - started < 15


def test_db_migrate_on_the_embedded_backend_says_there_is_nothing_to_do(tmp_path: Path) -> None:
    env = {**os.environ, "TRACEAPI_BACKEND": "embedded", "TRACEAPI_DATA_DIR": str(tmp_path)}
    env.pop("NEO4J_URI", None)
    # migrate reads a store: it refuses to make one (exit 6), so db init makes it first
    missing = subprocess.run(
        [str(TRACEAPI), "db", "migrate"], env=env, capture_output=True, text=True, timeout=60
    )
    assert missing.returncode == 6 and not (tmp_path / "traceapi.sqlite3").exists()
    subprocess.run(
        [str(TRACEAPI), "db", "init"], env=env, capture_output=True, timeout=60, check=True
    )
    done = subprocess.run(
        [str(TRACEAPI), "db", "migrate", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    body = json.loads(done.stdout)
    assert body["backend"] == "embedded" and body["applied"] == []
