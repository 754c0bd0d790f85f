"""``traceapi load csv`` and ``traceapi db check`` through the installed console script, and a
load killed mid-write that leaves nothing half-done behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.load_bench import generate_bundle
from traceapi.settings import Settings
from traceapi.store.factory import open_store

ROOT = Path(__file__).resolve().parents[2]
TRACEAPI = str(Path(sys.executable).parent / "traceapi")


def run(
    args: list[str], data_dir: Path, *, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TRACEAPI_DATA_DIR": str(data_dir), "TRACEAPI_BACKEND": "embedded"}
    return subprocess.run(
        [TRACEAPI, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def counts(data_dir: Path) -> tuple[dict[str, int], dict[str, int]]:
    store = open_store(Settings(backend="embedded", data_dir=data_dir))
    try:
        stats = store.stats()
        return stats.nodes, stats.edges
    finally:
        store.close()


def test_load_csv_then_db_check_as_json(tmp_path: Path) -> None:
    data = tmp_path / "data"
    loaded = run(["load", "csv", "examples/sap-like-export-b", "--json"], data)
    assert loaded.returncode == 0, loaded.stderr
    body = json.loads(loaded.stdout)
    assert body["status"] == "loaded"
    assert body["totals"]["nodes_added"] == 34 and body["totals"]["edges_added"] == 44
    assert body["rejected"] == 0
    assert body["quality"]["score"] == 100.0

    again = run(["load", "csv", "examples/erp-mes-bundle-a", "--json", "--no-check"], data)
    assert again.returncode == 0, again.stderr
    totals = json.loads(again.stdout)["totals"]
    assert (totals["nodes_added"], totals["edges_added"]) == (0, 0)
    assert (totals["nodes_unchanged"], totals["edges_unchanged"]) == (34, 44)
    assert "quality" not in json.loads(again.stdout)

    checked = run(["db", "check", "--json"], data)
    assert checked.returncode == 0, checked.stderr
    report = json.loads(checked.stdout)
    assert report["nodes"] == 34 and report["score"] == 100.0
    assert all(finding["count"] == 0 for finding in report["findings"])

    human = run(["load", "csv", "examples/erp-mes-bundle-a"], data)
    assert human.returncode == 0
    assert "unchanged" in human.stdout and "completeness score" in human.stdout


def test_db_check_reports_findings_with_exit_code_0(tmp_path: Path) -> None:
    bundle = tmp_path / "b"
    bundle.mkdir()
    (bundle / "lots.csv").write_text("id\nL-1\n")
    data = tmp_path / "data"
    assert run(["load", "csv", str(bundle), "--no-check"], data).returncode == 0
    checked = run(["db", "check"], data)
    assert checked.returncode == 0
    assert "no incoming PRODUCED or SUPPLIED" in checked.stdout


def test_a_rejected_bundle_exits_2_and_names_the_place(tmp_path: Path) -> None:
    bundle = tmp_path / "bad"
    bundle.mkdir()
    (bundle / "process_steps.csv").write_text("id\nS-1\n")
    (bundle / "consumption.csv").write_text("lot,step,qty,unit\nL-404,S-1,1,kg\n")
    data = tmp_path / "data"
    result = run(["load", "csv", str(bundle)], data)
    assert result.returncode == 2
    assert "consumption.csv:2 [lot]" in result.stderr
    as_json = run(["load", "csv", str(bundle), "--json"], data)
    assert as_json.returncode == 2
    body = json.loads(as_json.stdout)
    assert body["status"] == "rejected"
    assert body["details"]["errors"][0] == {
        "file": "consumption.csv",
        "line": 2,
        "field": "lot",
        "message": "unknown lot 'L-404': neither in the bundle nor in the store",
    }
    assert counts(data) == ({}, {})


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs Linux /proc")
def test_a_load_killed_mid_write_leaves_nothing_and_a_rerun_equals_a_clean_load(
    tmp_path: Path,
) -> None:
    bundle = tmp_path / "bundle"
    generate_bundle(bundle, scale=0.01)
    clean = tmp_path / "clean"
    started = time.monotonic()
    assert run(["load", "csv", str(bundle), "--no-check"], clean).returncode == 0
    clean_seconds = time.monotonic() - started
    expected = counts(clean)

    crashed = tmp_path / "crashed"
    counts(crashed)  # create the store first, so its WAL only grows during the load
    wal = crashed / "traceapi.sqlite3-wal"
    baseline = wal.stat().st_size if wal.exists() else 0
    env = {**os.environ, "TRACEAPI_DATA_DIR": str(crashed), "TRACEAPI_BACKEND": "embedded"}
    process = subprocess.Popen(
        [TRACEAPI, "load", "csv", str(bundle), "--no-check"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # Wait until the loader has opened and closed the bundle's files (it is then checking
    # references and writing its one transaction), or until the WAL grows, then kill it.
    seen_reading = False
    deadline = time.monotonic() + 5 * clean_seconds + 10
    while process.poll() is None and time.monotonic() < deadline:
        reading = _has_open_file_in(process.pid, bundle)
        seen_reading = seen_reading or reading
        if (seen_reading and not reading) or (
            wal.exists() and wal.stat().st_size > baseline + 64 * 1024
        ):
            time.sleep(0.05)
            break
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL, "the load finished before it could be killed"

    after_crash = counts(crashed)
    assert after_crash in (({}, {}), expected), "a killed load must not leave part of a bundle"
    assert run(["load", "csv", str(bundle), "--no-check"], crashed).returncode == 0
    assert counts(crashed) == expected


def _has_open_file_in(pid: int, directory: Path) -> bool:
    """Whether process ``pid`` holds a file of ``directory`` open (Linux /proc)."""
    prefix = str(directory.resolve())
    try:
        links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
    except OSError:
        return False
    return any(link.startswith(prefix) for link in links)
