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

    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE audit SET actor = 'mallory' WHERE seq = 3")
    conn.close()

    broken = cli("audit", "verify")
    assert broken.returncode == BROKEN_CHAIN_EXIT
    assert "seq 3" in broken.stderr
    assert broken.stdout == ""
