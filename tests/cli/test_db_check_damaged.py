"""`traceapi db check` on a store with a damaged record: it is listed first, exit code 10."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import Cli
from tests.cli.test_audit_cmd import _sql
from traceapi.domain.model import Batch, Node, NodeKind
from traceapi.store.embedded import EmbeddedStore


def test_db_check_lists_damaged_records_first(cli: Cli) -> None:
    db: Path = cli.data_dir / "traceapi.sqlite3"  # type: ignore[attr-defined]
    store = EmbeddedStore(db)
    try:
        store.apply_batch(
            Batch(nodes=[Node(id=f"L-{i}", kind=NodeKind.LOT) for i in range(3)], source="t")
        )
    finally:
        store.close()
    _sql(db, "UPDATE nodes SET props = '{bad' WHERE id = 'L-1'")
    checked = cli("db", "check", "--json")
    assert checked.returncode == 10, checked.stderr
    [record] = json.loads(checked.stdout)["damaged_records"]
    assert record["record"] == "node 'L-1'" and "not JSON" in record["reason"]
