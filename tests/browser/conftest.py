"""Browser fixtures: Debian's chromium driven by playwright (no browser download), a real
uvicorn serving a small demo on 127.0.0.1, and pages that record every request and every
console error, with the network cut off from anything but 127.0.0.1.

Where there is no chromium (or no playwright) the browser tests skip, saying so; with
``TRACEAPI_REQUIRE_BROWSER=1`` (set by ``.ci/run``) they fail instead. ``TRACEAPI_CHROMIUM``
names another chromium binary (default: ``chromium`` on the PATH, else ``/usr/bin/chromium``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.api.server import uvicorn_server

REQUIRED = os.environ.get("TRACEAPI_REQUIRE_BROWSER") == "1"
CHROMIUM = os.environ.get("TRACEAPI_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TRACEAPI = Path(sys.executable).parent / "traceapi"
DEMO_LOTS = "200"
LOOPBACK = "127.0.0.1"
PERSON, PERSON_NAME = "cora", "Cora Coordinator"
PERSON_PASSWORD = "recall-coordinator-2024"


def _unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"TRACEAPI_REQUIRE_BROWSER is set, but {reason}")
    pytest.skip(f"browser tests need Debian's chromium and playwright: {reason}")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[dev]')")
    if not Path(CHROMIUM).is_file():
        _unavailable(f"no chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@dataclass(frozen=True)
class Demo:
    data_dir: Path
    keys: dict[str, str]
    stories: dict[str, Any]


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """A small demo (its stories and one key per role), loaded once."""
    data_dir = tmp_path_factory.mktemp("browser-demo") / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACEAPI_", "NEO4J_"))}
    done = subprocess.run(
        [str(TRACEAPI), "demo", "--no-serve", "--lots", DEMO_LOTS, "--json"],
        env={**env, "TRACEAPI_DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    answer = json.loads(done.stdout)
    person = subprocess.run(
        [str(TRACEAPI), "users", "create", "--username", PERSON, "--name", PERSON_NAME,
         "--role", "coordinator", "--password-stdin"],
        input=PERSON_PASSWORD + "\n",
        env={**env, "TRACEAPI_DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )  # fmt: skip
    assert person.returncode == 0, person.stderr[-3000:]
    return Demo(data_dir=data_dir, keys=answer["keys"], stories=answer["stories"])


@pytest.fixture(scope="session")
def server(demo: Demo) -> Iterator[str]:
    with uvicorn_server(demo.data_dir) as base:
        yield base


@dataclass
class Recorder:
    """What a page asked for and what went wrong in it."""

    requests: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def check(self) -> None:
        assert self.outside == [], f"requests to other hosts: {self.outside}"
        assert self.errors == [], f"console errors: {self.errors}"


def _outside(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in {"data", "about"}:
        return False
    if parts.scheme == "blob":
        parts = urlsplit(parts.path)
    return parts.hostname != LOOPBACK


@pytest.fixture
def recorded(browser: Any) -> Iterator[tuple[Any, Recorder]]:
    """A page in a fresh context (no cookies) whose requests to another host are cut off and
    recorded, as are console errors and uncaught exceptions; checked at the end of the test."""
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 860})
    recorder = Recorder()

    def route(route: Any) -> None:
        url = route.request.url
        if _outside(url):
            recorder.outside.append(url)
            route.abort()
        else:
            route.continue_()

    context.route("**/*", route)
    page = context.new_page()
    page.on("request", lambda request: recorder.requests.append(request.url))
    page.on(
        "console",
        lambda message: recorder.errors.append(message.text) if message.type == "error" else None,
    )
    page.on("pageerror", lambda error: recorder.errors.append(f"uncaught: {error}"))
    try:
        yield page, recorder
    finally:
        context.close()
    recorder.check()


def sign_in(page: Any, base: str, key: str) -> None:
    """Through the sign-in form's API key part."""
    page.goto(f"{base}/console")
    page.wait_for_url("**/console/sign-in**")
    page.fill("#api_key", key)
    page.click("#key-sign-in button[type=submit]")
    page.wait_for_url(f"{base}/console")
