"""``backup_to`` / ``traceapi db backup`` on a live store with writers: the copy is whole,
passes integrity_check and its audit chain verifies."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from tests.cli.conftest import run_traceapi
from tests.records_helpers import OPERATOR
from traceapi.errors import InvalidInput
from traceapi.services import records
from traceapi.services.audit import verify_chain
from traceapi.store.embedded import EmbeddedStore


def test_a_backup_taken_during_writes_verifies(tmp_path: Path) -> None:
    live = EmbeddedStore(tmp_path / "live.sqlite3")
    stop = threading.Event()
    written: list[int] = []

    def writer() -> None:
        while not stop.is_set():
            made = records.create_record(live, OPERATOR, kind="anomaly", data={"title": "w"})
            records.update_record(
                live,
                OPERATOR,
                record_id=made.id,
                expected_version=1,
                changes={"description": "second version"},
            )
            written.append(1)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    try:
        for thread in threads:
            thread.start()
        while len(written) < 20:
            stop.wait(0.01)
        copies = [tmp_path / f"copy{n}.sqlite3" for n in range(3)]
        for copy in copies:
            live.backup_to(copy)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        live.close()
    for copy in copies:
        with sqlite3.connect(copy) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        with EmbeddedStore(copy) as restored:
            result = verify_chain(restored)
            assert result.ok and result.checked > 0
            # Every record version in the copy came with its audit entry, and no entry lacks it.
            versions = sum(
                len(restored.record_versions(r.id)) for r in restored.list_records(limit=100_000)
            )
            assert versions == result.checked
    with pytest.raises(InvalidInput, match="never overwrites"):
        EmbeddedStore(tmp_path / "again.sqlite3").backup_to(copies[0])


def test_db_backup_through_the_cli(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    assert run_traceapi(data_dir, "db", "init").returncode == 0
    with EmbeddedStore(data_dir / "traceapi.sqlite3") as store:
        records.create_record(store, OPERATOR, kind="anomaly", data={"title": "x"})
    done = run_traceapi(data_dir, "db", "backup", str(tmp_path / "b.sqlite3"), "--json")
    assert done.returncode == 0, done.stderr
    assert '"audit_ok": true' in done.stdout and '"audit_entries": 1' in done.stdout
    again = run_traceapi(data_dir, "db", "backup", str(tmp_path / "b.sqlite3"))
    assert again.returncode == 2 and "never overwrites" in again.stderr
