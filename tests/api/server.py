"""A real uvicorn process serving the app on a free loopback port, for tests that need real
HTTP and real concurrency (a frozen event loop shows only there)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx

START_TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def uvicorn_server(
    data_dir: Path, *, unread_stderr: bool = False, **settings: str
) -> Iterator[str]:
    """Serves ``data_dir``'s embedded store on 127.0.0.1 with ``TRACEAPI_<NAME>`` settings;
    yields the base URL once ``/readyz`` answers, and stops the process on the way out.
    ``unread_stderr`` gives the server a pipe that nobody reads, as a stalled log reader would."""
    port = free_port()
    env = {
        **os.environ,
        "TRACEAPI_DATA_DIR": str(data_dir),
        "TRACEAPI_BACKEND": "embedded",
        **{f"TRACEAPI_{name.upper()}": value for name, value in settings.items()},
    }
    # stderr to a file, never a pipe: a pipe nobody reads fills after 64 KiB of log lines and
    # then blocks the server's writes (and the server with them).
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in the finally below)
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
            "--no-access-log",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE if unread_stderr else log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert process.poll() is None, "" if unread_stderr else _tail(log)
            try:
                if httpx.get(f"{base}/readyz", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "uvicorn did not become ready in time"
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log.close()
        if process.stderr:
            process.stderr.close()


def _tail(log: IO[bytes], size: int = 4000) -> str:
    log.seek(0)
    return log.read()[-size:].decode(errors="replace")
