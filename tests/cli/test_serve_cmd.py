"""`traceapi serve` and `demo` on 127.0.0.1: serving /livez, and a taken port said plainly."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.cli.conftest import TRACEAPI, run_traceapi
from traceapi.errors import PortInUse


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "TRACEAPI_DATA_DIR": str(data_dir),
        "TRACEAPI_BACKEND": "embedded",
        **extra,
    }


@contextmanager
def taken_port() -> Iterator[int]:
    """A port on 127.0.0.1 that another program listens on while the block runs."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other:
        other.bind(("127.0.0.1", 0))
        other.listen(1)
        yield int(other.getsockname()[1])


@pytest.mark.slow
def test_serve_answers_livez(tmp_path: Path) -> None:
    port = _free_port()
    assert run_traceapi(tmp_path / "data", "db", "init").returncode == 0
    server = subprocess.Popen(
        [str(TRACEAPI), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=_env(tmp_path / "data"),
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


def _says_the_port_is_taken(done: subprocess.CompletedProcess[str], port: int) -> None:
    assert done.returncode == PortInUse.exit_code == 9, done.stderr
    message = " ".join(done.stderr.split())
    assert f"port {port} on 127.0.0.1 is taken" in message
    assert "--port N" in message and "TRACEAPI_PORT" in message
    assert "Errno" not in message


def test_serve_on_a_taken_port_says_so_and_how_to_choose_another(tmp_path: Path) -> None:
    assert run_traceapi(tmp_path / "data", "db", "init").returncode == 0
    with taken_port() as port:
        done = subprocess.run(
            [str(TRACEAPI), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=_env(tmp_path / "data"),
            capture_output=True,
            text=True,
            timeout=60,
        )
    _says_the_port_is_taken(done, port)


def test_demo_on_a_taken_port_says_so_before_loading_anything(tmp_path: Path) -> None:
    with taken_port() as port:
        done = subprocess.run(
            [str(TRACEAPI), "demo", "--lots", "50"],
            env=_env(tmp_path / "data", TRACEAPI_HOST="127.0.0.1", TRACEAPI_PORT=str(port)),
            capture_output=True,
            text=True,
            timeout=60,
        )
    _says_the_port_is_taken(done, port)
    assert not (tmp_path / "data" / "traceapi.sqlite3").exists()


@pytest.mark.slow
def test_each_request_is_logged_once_as_json_with_its_request_id(tmp_path: Path) -> None:
    port = _free_port()
    assert run_traceapi(tmp_path / "data", "db", "init").returncode == 0
    server = subprocess.Popen(
        [str(TRACEAPI), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=_env(tmp_path / "data", TRACEAPI_LOG_LEVEL="INFO"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and server.poll() is None:
            try:
                httpx.get(f"http://127.0.0.1:{port}/livez", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        answer = httpx.get(
            f"http://127.0.0.1:{port}/readyz", headers={"X-Request-ID": "probe-7f3a"}, timeout=5
        )
        assert answer.headers["x-request-id"] == "probe-7f3a"
        time.sleep(0.5)  # let the log line reach the pipe before the server stops
    finally:
        server.terminate()
        try:
            output, _ = server.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            output, _ = server.communicate(timeout=5)
    lines = [line for line in output.splitlines() if "/readyz" in line]
    assert len(lines) == 1, output
    logged = json.loads(lines[0])
    assert logged["request_id"] == "probe-7f3a"
    assert logged["path"] == "/readyz" and logged["status"] == answer.status_code
