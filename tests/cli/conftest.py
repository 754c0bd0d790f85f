"""Runs the installed ``traceapi`` console script as a subprocess against a temporary data dir."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from traceapi.demo.generator import demo_stories
from traceapi.demo.stories import DemoStories

TRACEAPI = Path(sys.executable).parent / "traceapi"
DEMO_LOTS = 120
DEMO_SEED = 11

Cli = Callable[..., subprocess.CompletedProcess[str]]


def run_traceapi(
    data_dir: Path, *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``traceapi *args`` with TRACEAPI_DATA_DIR=data_dir on the embedded backend."""
    env = {
        **os.environ,
        "TRACEAPI_DATA_DIR": str(data_dir),
        "TRACEAPI_BACKEND": "embedded",
        "COLUMNS": "200",
    }
    return subprocess.run(
        [str(TRACEAPI), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@dataclass(frozen=True)
class LoadedDemo:
    data_dir: Path
    stories: DemoStories

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_traceapi(self.data_dir, *args)


@pytest.fixture(scope="session")
def loaded_demo(tmp_path_factory: pytest.TempPathFactory) -> LoadedDemo:
    """A data dir holding the small demo, loaded once through the CLI, and its planted stories
    (computed by the generator in this process, independently of any trace service)."""
    data_dir = tmp_path_factory.mktemp("demo") / "data"
    done = run_traceapi(
        data_dir, "demo", "--no-serve", "--lots", str(DEMO_LOTS), "--seed", str(DEMO_SEED)
    )
    assert done.returncode == 0, done.stderr
    return LoadedDemo(data_dir, demo_stories(lots=DEMO_LOTS, seed=DEMO_SEED))


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """``traceapi`` on a fresh, empty data dir of this test."""
    data_dir = tmp_path / "data"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return run_traceapi(data_dir, *args)

    run.data_dir = data_dir  # type: ignore[attr-defined]
    return run
