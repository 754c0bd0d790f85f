"""Commands that read a store refuse to create one: run from a directory holding none, they name
the directory they looked in and how to choose another; only demo, load and db init create."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.cli.conftest import TRACEAPI, LoadedDemo
from traceapi.errors import StoreMissing

READERS = [
    ("trace", "where-used", "RM-PVC-000008"),
    ("trace", "where-from", "FG-000001"),
    ("impact", "RM-PVC-000008"),
    ("impact", "--csv", "RM-PVC-000008"),
    ("scan", "(01)09506000134376(10)AB12"),
    ("graph", "RM-PVC-000008"),
    ("db", "stats"),
    ("db", "export"),
    ("db", "check"),
    ("db", "migrate"),
    ("keys", "list"),
    ("keys", "create", "--role", "viewer", "--name", "x"),
    ("keys", "revoke", "deadbeef"),
    ("audit", "verify"),
    ("audit", "show"),
]


def run_in(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``traceapi *args`` run from ``cwd`` with no TRACEAPI_DATA_DIR: the default ./data."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACEAPI_", "NEO4J_"))}
    env["COLUMNS"] = "200"
    return subprocess.run(
        [str(TRACEAPI), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("args", READERS, ids=" ".join)
def test_a_reading_command_where_no_store_is_refuses_naming_the_directory(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = run_in(elsewhere, *args)
    assert done.returncode == StoreMissing.exit_code == 6, done.stderr
    message = " ".join(done.stderr.split())  # rich folds long lines on a narrow stderr
    assert str(elsewhere / "data") in message
    assert "--data-dir" in message and "TRACEAPI_DATA_DIR" in message
    assert "db init" in message
    assert done.stdout == ""
    assert list(elsewhere.iterdir()) == [], "nothing was created"


def test_data_dir_option_reads_a_store_from_anywhere(
    tmp_path: Path, loaded_demo: LoadedDemo
) -> None:
    done = run_in(tmp_path, "--data-dir", str(loaded_demo.data_dir), "db", "stats", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["nodes"]["Lot"] == loaded_demo.stories.lot_count
    assert not (tmp_path / "data").exists()


def test_db_init_creates_an_empty_store_once(tmp_path: Path) -> None:
    first = run_in(tmp_path, "--data-dir", "store", "db", "init", "--json")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["created"] is True
    assert report["store"] == str(tmp_path / "store" / "traceapi.sqlite3")
    again = run_in(tmp_path, "--data-dir", "store", "db", "init")
    assert again.returncode == 0 and "already" in again.stdout
    stats = run_in(tmp_path, "--data-dir", "store", "db", "stats", "--json")
    assert stats.returncode == 0 and json.loads(stats.stdout)["node_total"] == 0


def test_load_creates_the_store_it_writes(tmp_path: Path) -> None:
    bundle = Path(__file__).resolve().parents[2] / "examples"
    folder = next(p for p in sorted(bundle.iterdir()) if p.is_dir())
    done = run_in(tmp_path, "load", "csv", str(folder), "--json", "--no-check")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "data" / "traceapi.sqlite3").is_file()
