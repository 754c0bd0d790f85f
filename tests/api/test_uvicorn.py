"""The app served by a real uvicorn process on loopback, queried over real HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from tests.api.fixtures import auth
from tests.api.genealogy import RESIN_LOT

START_TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_uvicorn_serves_rest_and_graphql_over_loopback(api_settings, keys):
    port = free_port()
    env = {
        **os.environ,
        "TRACEAPI_DATA_DIR": str(api_settings.data_dir),
        "TRACEAPI_BACKEND": "embedded",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "traceapi.api.app:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            try:
                if httpx.get(f"{base}/readyz", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "uvicorn did not become ready in time"
            time.sleep(0.2)
        with httpx.Client(base_url=base, timeout=10.0, headers=auth(keys["viewer"])) as http:
            used = http.get(f"/api/v1/lots/{RESIN_LOT}/where-used")
            assert used.status_code == 200
            assert {c["id"] for c in used.json()["customers"]} == {"CUS-DIST", "CUS-HOSP"}
            graphql = http.post("/graphql", json={"query": '{ lot(id: "2291") { id } }'})
            assert graphql.json() == {"data": {"lot": {"id": RESIN_LOT}}}
            assert http.get("/api/v1/lots", headers={"Authorization": ""}).status_code == 401
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        if process.stderr:
            process.stderr.close()
