"""`traceapi serve` listens on 127.0.0.1 and answers /livez; it is stopped afterwards."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.cli.conftest import TRACEAPI


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.slow
def test_serve_answers_livez(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "TRACEAPI_DATA_DIR": str(tmp_path / "data"),
        "TRACEAPI_BACKEND": "embedded",
    }
    server = subprocess.Popen(
        [str(TRACEAPI), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        answer = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/livez", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert server.poll() is None, server.communicate(timeout=5)
        assert answer is not None and answer.status_code == 200
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)
