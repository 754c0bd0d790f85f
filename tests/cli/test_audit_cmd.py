"""`traceapi audit verify|show`: an intact chain passes; an entry changed in the file is named."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.cli.conftest import Cli
from traceapi.cli.audit_cmd import BROKEN_CHAIN_EXIT
from traceapi.domain.audit import AuditDraft
from traceapi.store.embedded import EmbeddedStore


def test_verify_then_tamper_then_verify_names_the_entry(cli: Cli) -> None:
    db: Path = cli.data_dir / "traceapi.sqlite3"  # type: ignore[attr-defined]
    store = EmbeddedStore(db)
    try:
        for name in ("erp", "mes", "wms", "lims"):
            store.append_audit(
                AuditDraft(
                    actor="tester",
                    action="key.create",
                    entity_kind="ApiKey",
                    entity_id=name,
                    new={"name": name},
                )
            )
    finally:
        store.close()
    ok = cli("audit", "verify", "--json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout) | {"last_hash": None} == {
        "ok": True,
        "checked": 4,
        "last_seq": 4,
        "last_hash": None,
    }

    shown = json.loads(cli("audit", "show", "--limit", "2", "--json").stdout)
    assert [entry["seq"] for entry in shown] == [3, 4]
    assert shown[0]["action"] == "key.create" and shown[0]["new"] == {"name": "wms"}

    _sql(db, "UPDATE audit SET actor = 'mallory' WHERE seq = 3")

    broken = cli("audit", "verify")
    assert broken.returncode == BROKEN_CHAIN_EXIT
    assert "seq 3" in broken.stderr
    assert broken.stdout == ""


def _append(db: Path, count: int) -> None:
    store = EmbeddedStore(db)
    try:
        for number in range(count):
            store.append_audit(AuditDraft(actor="tester", action="x.y", new={"n": number}))
    finally:
        store.close()


def _sql(db: Path, statement: str) -> None:
    """Tampers as one who has the file would: the append-only triggers dropped first."""
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("DROP TRIGGER IF EXISTS audit_append_only_update")
        conn.execute("DROP TRIGGER IF EXISTS audit_append_only_delete")
        conn.execute(statement)
    conn.close()


def test_a_malformed_entry_is_named_not_a_crash(cli: Cli) -> None:
    db: Path = cli.data_dir / "traceapi.sqlite3"  # type: ignore[attr-defined]
    _append(db, 4)
    _sql(db, "UPDATE audit SET new = '{broken' WHERE seq = 2")
    broken = cli("audit", "verify", "--json")
    assert broken.returncode == BROKEN_CHAIN_EXIT
    assert "Traceback" not in broken.stderr
    result = json.loads(broken.stdout)
    assert result["first_broken_seq"] == 2 and "does not decode" in result["reason"]
    shown = cli("audit", "show", "--json")
    assert shown.returncode == 10 and "audit entry 2 does not decode" in shown.stderr
    assert "Traceback" not in shown.stderr


def test_a_checkpoint_catches_deleted_last_entries(cli: Cli, tmp_path: Path) -> None:
    db: Path = cli.data_dir / "traceapi.sqlite3"  # type: ignore[attr-defined]
    _append(db, 5)
    anchor = tmp_path / "checkpoint.json"
    taken = cli("audit", "checkpoint", "--out", str(anchor))
    assert taken.returncode == 0, taken.stderr
    assert json.loads(anchor.read_text())["seq"] == 5
    assert cli("audit", "verify", "--checkpoint", str(anchor)).returncode == 0
    _sql(db, "DELETE FROM audit WHERE seq = 5")
    assert cli("audit", "verify").returncode == 0  # alone, a shorter chain looks intact
    caught = cli("audit", "verify", "--checkpoint", str(anchor))
    assert caught.returncode == BROKEN_CHAIN_EXIT
    assert "seq 5" in caught.stderr and "missing" in caught.stderr
    anchor.write_text("{}")
    refused = cli("audit", "verify", "--checkpoint", str(anchor))
    assert refused.returncode == 2 and "not a checkpoint" in refused.stderr
