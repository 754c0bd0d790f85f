"""``traceapi load epcis`` through the installed console script: counts, JSON, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TEST_DATA

pytestmark = pytest.mark.slow  # each test starts the console script two or three times

TRACEAPI = str(Path(sys.executable).parent / "traceapi")
PHARMA = (
    TEST_DATA
    / "openepcis-test-resources"
    / "1.2"
    / "EPCIS"
    / "XML"
    / "Capture"
    / "Documents"
    / "GS1_US_Pharma_Example_2_2_1_1.xml"
)
INVALID = (
    TEST_DATA
    / "openepcis-test-resources"
    / "2.0"
    / "EPCIS"
    / "XML"
    / "Capture"
    / "Invalid"
    / "ObjectEvent_with_near_miss_action.xml"
)


def run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "TRACEAPI_DATA_DIR": str(data_dir),
        "TRACEAPI_BACKEND": "embedded",
        "COLUMNS": "200",
    }
    return subprocess.run(
        [TRACEAPI, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_load_then_reload_as_json_reports_added_then_unchanged(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = run(data, "load", "epcis", "--json", str(PHARMA))
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["rejected"] == 0 and report["loaded"] == 1
    added = report["totals"]["nodes_added"]
    assert added > 0 and report["totals"]["edges_added"] > 0
    second = json.loads(run(data, "load", "epcis", "--json", str(PHARMA)).stdout)
    assert second["totals"]["nodes_added"] == second["totals"]["edges_added"] == 0
    assert second["totals"]["nodes_unchanged"] == added
    stats = json.loads(run(data, "db", "stats", "--json").stdout)
    assert stats["nodes"]["Customer"] == 1 and stats["nodes"]["Shipment"] == 1


def test_a_rejected_file_gives_a_non_zero_exit_and_names_the_fault(tmp_path: Path) -> None:
    data = tmp_path / "data"
    done = run(data, "load", "epcis", "--json", str(INVALID), str(PHARMA))
    assert done.returncode == 2
    report = json.loads(done.stdout)
    assert [f["status"] for f in report["files"]] == ["rejected", "loaded"]
    rejected = report["files"][0]
    assert rejected["details"] == {"file": str(INVALID), "event_index": 0, "field": "action"}
    assert "'OBSERV'" in rejected["error"]
    assert "ObjectEvent_with_near_miss_action.xml" in done.stderr


def test_table_output_lists_files_and_totals(tmp_path: Path) -> None:
    done = run(tmp_path / "data", "load", "epcis", str(PHARMA))
    assert done.returncode == 0, done.stderr
    assert "GS1_US_Pharma_Example_2_2_1_1.xml" in done.stdout
    assert "total" in done.stdout and "1 loaded, 0 rejected" in done.stdout
