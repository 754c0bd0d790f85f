"""Long store work shows progress on a terminal (stderr a pseudo-terminal here) and nothing
when stderr is a pipe; stdout stays the document either way."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import threading
from pathlib import Path

import pytest

from tests.cli.conftest import TRACEAPI, LoadedDemo


def _with_terminal_stderr(
    demo: LoadedDemo, *args: str
) -> tuple[subprocess.CompletedProcess[str], str]:
    """Runs ``traceapi *args`` with stderr on a pseudo-terminal; returns it and what it drew."""
    env = {
        **os.environ,
        "TRACEAPI_DATA_DIR": str(demo.data_dir),
        "TRACEAPI_BACKEND": "embedded",
        "COLUMNS": "120",
        "TERM": "xterm",
    }
    master, slave = pty.openpty()
    drawn: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO once the last writer is gone
                return
            if not chunk:
                return
            drawn.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        done = subprocess.run(
            [str(TRACEAPI), *args], env=env, stdout=subprocess.PIPE, stderr=slave, timeout=120
        )
    finally:
        os.close(slave)
    reader.join(timeout=10)
    os.close(master)
    result = subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode(), "")
    return result, b"".join(drawn).decode("utf-8", "replace")


@pytest.mark.parametrize("fmt", ["json", "graphml"])
def test_export_draws_a_bar_on_a_terminal(
    loaded_demo: LoadedDemo, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / f"graph.{fmt}"
    done, drawn = _with_terminal_stderr(
        loaded_demo, "db", "export", "--format", fmt, "--out", str(out)
    )
    assert done.returncode == 0, drawn
    stats = json.loads(loaded_demo.run("db", "stats", "--json").stdout)
    records = stats["node_total"] + stats["edge_total"]
    passes = 1 if fmt == "json" else 2
    assert f"exporting {fmt}" in drawn
    assert f"{passes * records}/{passes * records}" in drawn  # the bar ends full
    assert out.stat().st_size > 0


def test_export_to_stdout_keeps_stdout_the_document(loaded_demo: LoadedDemo) -> None:
    done, drawn = _with_terminal_stderr(loaded_demo, "db", "export")
    assert done.returncode == 0, drawn
    assert json.loads(done.stdout)["nodes"]
    assert "exporting json" in drawn


def test_check_draws_a_spinner_on_a_terminal_and_keeps_json_clean(
    loaded_demo: LoadedDemo,
) -> None:
    done, drawn = _with_terminal_stderr(loaded_demo, "db", "check", "--json")
    assert done.returncode == 0, drawn
    json.loads(done.stdout)
    assert "checking data quality" in drawn


def test_nothing_is_drawn_when_stderr_is_a_pipe(loaded_demo: LoadedDemo, tmp_path: Path) -> None:
    export = loaded_demo.run("db", "export", "--out", str(tmp_path / "g.json"))
    check = loaded_demo.run("db", "check", "--json")
    assert export.returncode == check.returncode == 0
    assert "exporting" not in export.stderr and "checking" not in check.stderr
