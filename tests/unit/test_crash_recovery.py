"""A writer killed with SIGKILL mid-load loses no committed batch and leaves no partial one."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from traceapi.domain.audit import AuditDraft, entry_hash
from traceapi.domain.model import Batch, Node, NodeKind
from traceapi.store.base import Direction
from traceapi.store.embedded import EmbeddedStore

NODES_PER_BATCH = 400

WRITER = textwrap.dedent(
    f"""
    import sys
    from traceapi.domain.audit import AuditDraft
    from traceapi.domain.model import Batch, Edge, EdgeType, Node, NodeKind
    from traceapi.store.embedded import EmbeddedStore

    store = EmbeddedStore(sys.argv[1])
    n = {NODES_PER_BATCH}
    for i in range(10_000):
        ids = [f"b{{i}}-{{j}}" for j in range(n)]
        batch = Batch(
            nodes=[Node(id=x, kind=NodeKind.LOT, props={{"batch": i}}) for x in ids],
            edges=[Edge(source=a, target=b, type=EdgeType.PACKED_IN)
                   for a, b in zip(ids, ids[1:])],
        )
        store.apply_batch(batch, audit=AuditDraft(actor="writer", action="load.batch",
                                                  entity_id=str(i)))
        print(i, flush=True)
    """
)


def test_a_killed_writer_leaves_only_whole_batches(tmp_path: Path) -> None:
    path = tmp_path / "traceapi.sqlite3"
    EmbeddedStore(path).close()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert writer.stdout is not None
    reported = -1
    try:
        for line in writer.stdout:
            reported = int(line)
            if reported >= 12:
                break
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    assert reported >= 12, "the writer never got going"

    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    with EmbeddedStore(path) as store:
        stats = store.stats()
        batches, remainder = divmod(stats.node_total, NODES_PER_BATCH)
        assert remainder == 0, "a partial batch landed"
        assert batches >= reported + 1, "a reported commit was lost"
        assert stats.edge_total == batches * (NODES_PER_BATCH - 1)
        # The counters agree with the rows, batch by batch.
        with sqlite3.connect(path) as conn:
            rows = conn.execute(
                "SELECT json_extract(props, '$.batch'), count(*) FROM nodes GROUP BY 1"
            ).fetchall()
            edges = conn.execute("SELECT count(*) FROM edges").fetchone()[0]
        assert dict(rows) == dict.fromkeys(range(batches), NODES_PER_BATCH)
        assert edges == stats.edge_total
        entries = store.audit_entries(limit=100_000)
        assert [e.entity_id for e in entries] == [str(i) for i in range(batches)]
        for entry in entries:
            draft = AuditDraft(**entry.model_dump(include=set(AuditDraft.model_fields)))
            assert entry_hash(entry.prev_hash, entry.seq, entry.at, draft) == entry.hash
        last = batches - 1
        chain = store.reach([f"b{last}-0"], direction=Direction.FORWARD)
        assert len(chain) == NODES_PER_BATCH
        # And the store takes writes again where the writer stopped.
        more = Batch(nodes=[Node(id="after", kind=NodeKind.LOT)])
        assert store.apply_batch(more).nodes_added == 1
