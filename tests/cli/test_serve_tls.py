"""`traceapi serve` over TLS on 127.0.0.1 with a throwaway self-signed certificate: HTTPS
answers with HSTS, plain HTTP sends none, and a bad certificate or key is a clear error."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.cli.conftest import TRACEAPI, run_traceapi
from tests.cli.test_serve_cmd import _env, _free_port

pytestmark = pytest.mark.slow


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a throwaway certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


@contextmanager
def serving(data_dir: Path, port: int, *args: str) -> Iterator[subprocess.Popen[str]]:
    server = subprocess.Popen(
        [str(TRACEAPI), "serve", "--host", "127.0.0.1", "--port", str(port), *args],
        env=_env(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield server
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)


def _first_answer(url: str, server: subprocess.Popen[str], **client: object) -> httpx.Response:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and server.poll() is None:
        try:
            return httpx.get(url, timeout=2, **client)  # type: ignore[arg-type]
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(server.communicate(timeout=5)[0])


def test_serve_over_tls_answers_https_with_hsts(
    tmp_path: Path, certificate: tuple[Path, Path]
) -> None:
    cert, key = certificate
    assert run_traceapi(tmp_path / "data", "db", "init").returncode == 0
    port = _free_port()
    tls = ("--ssl-certfile", str(cert), "--ssl-keyfile", str(key))
    with serving(tmp_path / "data", port, *tls) as server:
        trust = ssl.create_default_context(cafile=str(cert))
        answer = _first_answer(f"https://127.0.0.1:{port}/livez", server, verify=trust)
        assert answer.status_code == 200
        assert answer.headers["strict-transport-security"] == "max-age=31536000"
        with pytest.raises(httpx.TransportError):  # no plain HTTP on a TLS port
            httpx.get(f"http://127.0.0.1:{port}/livez", timeout=5)


def test_plain_http_sends_no_hsts(tmp_path: Path) -> None:
    assert run_traceapi(tmp_path / "data", "db", "init").returncode == 0
    port = _free_port()
    with serving(tmp_path / "data", port) as server:
        answer = _first_answer(f"http://127.0.0.1:{port}/livez", server)
        assert answer.status_code == 200
        assert "strict-transport-security" not in answer.headers


def test_a_certificate_without_its_key_is_refused(
    tmp_path: Path, certificate: tuple[Path, Path]
) -> None:
    cert, _ = certificate
    done = run_traceapi(tmp_path / "data", "serve", "--ssl-certfile", str(cert))
    assert done.returncode == 2
    assert "--ssl-keyfile" in " ".join(done.stderr.split())


def test_a_key_that_does_not_match_is_refused_naming_the_files(
    tmp_path: Path, certificate: tuple[Path, Path]
) -> None:
    cert, _ = certificate
    junk = tmp_path / "junk.pem"
    junk.write_text("not a key\n")
    port = _free_port()
    done = run_traceapi(
        tmp_path / "data",
        "serve", "--host", "127.0.0.1", "--port", str(port),
        "--ssl-certfile", str(cert), "--ssl-keyfile", str(junk),
        timeout=60,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    message = " ".join(done.stderr.split())
    assert str(cert) in message and str(junk) in message
    assert "Traceback" not in done.stderr
