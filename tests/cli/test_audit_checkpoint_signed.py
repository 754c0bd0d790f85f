"""Signed checkpoints: ``audit checkpoint`` signs the head with the store's Ed25519 key;
``audit verify --checkpoint`` refuses an edited, foreign or unsigned checkpoint and catches a
truncated or consistently rewritten chain."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

from tests.cli.conftest import Cli
from traceapi.domain.audit import AuditDraft, entry_hash
from traceapi.services.audit import SIGNING_KEY_FILE
from traceapi.store.embedded import EmbeddedStore

BROKEN = 8


def _trail(db: Path, count: int) -> None:
    with EmbeddedStore(db) as store:
        for number in range(count):
            store.append_audit(AuditDraft(actor="tester", action="x.y", new={"n": number}))


def _tamper(db: Path, *statements: str) -> None:
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("DROP TRIGGER IF EXISTS audit_append_only_update")
        conn.execute("DROP TRIGGER IF EXISTS audit_append_only_delete")
        for statement in statements:
            conn.execute(statement)
    conn.close()


def test_checkpoints_are_signed_and_checked(cli: Cli, tmp_path: Path) -> None:
    data_dir: Path = cli.data_dir  # type: ignore[attr-defined]
    db = data_dir / "traceapi.sqlite3"
    _trail(db, 6)
    anchor = tmp_path / "head.json"
    taken = cli("audit", "checkpoint", "--out", str(anchor))
    assert taken.returncode == 0, taken.stderr
    head = json.loads(anchor.read_text())
    assert head["seq"] == 6 and head["algorithm"] == "Ed25519" and len(head["signature"]) == 128
    key_file = data_dir / SIGNING_KEY_FILE
    assert key_file.is_file() and (os.stat(key_file).st_mode & 0o777) == 0o600
    assert cli("audit", "verify", "--checkpoint", str(anchor)).returncode == 0

    for edit in ({"seq": 3}, {"hash": "0" * 64}, {"signature": None}, {"public_key": "ab" * 32}):
        forged = tmp_path / "forged.json"
        forged.write_text(json.dumps({**head, **edit}))
        refused = cli("audit", "verify", "--checkpoint", str(forged))
        assert refused.returncode == 2, (edit, refused.stderr)
        assert "cannot vouch" in refused.stderr

    # A consistent rewrite of entry 4 onwards (every hash recomputed) passes alone, not here.
    with EmbeddedStore(db) as store:
        entries = store.audit_entries()
    prev = entries[2].hash
    statements = []
    for entry in entries[3:]:
        draft = AuditDraft(actor="mallory", action=entry.action, new=entry.new)
        digest = entry_hash(prev, entry.seq, entry.at, draft)
        statements.append(
            f"UPDATE audit SET actor = 'mallory', prev_hash = '{prev}', hash = '{digest}' "
            f"WHERE seq = {entry.seq}"
        )
        prev = digest
    _tamper(db, *statements)
    assert cli("audit", "verify").returncode == 0
    rewritten = cli("audit", "verify", "--checkpoint", str(anchor))
    assert rewritten.returncode == BROKEN and "seq 6" in rewritten.stderr

    # Truncation: the last two entries deleted.
    _tamper(db, "DELETE FROM audit WHERE seq > 4")
    truncated = cli("audit", "verify", "--checkpoint", str(anchor), "--json")
    assert truncated.returncode == BROKEN
    assert json.loads(truncated.stdout)["first_broken_seq"] == 5
