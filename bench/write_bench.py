"""The write side on the embedded store: a record transition with its audit entry, against a bare
SQLite ``INSERT`` + ``COMMIT`` with ``synchronous=FULL`` in the same run, and ``audit verify``.

    .venv/bin/python -m bench.write_bench                  # ~1 minute
    .venv/bin/python -m bench.write_bench --transitions 2000 --entries 100000 --dir /var/tmp

Both writers use the same file settings (WAL, synchronous=FULL) on the same disk, so the ratio
says what the unit of work costs on top of the durable commit every write pays anyway. The
transition is the full service path: policy, version check, new version row, audit entry
chained to the last, one commit. ``audit verify`` walks a trail of ``--entries`` entries (written
in batches first) recomputing every hash. Results print as JSON; ``--out`` writes them too.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from traceapi.domain.audit import AuditDraft, chain_entry
from traceapi.domain.clock import utc_now
from traceapi.domain.security import Role
from traceapi.services import records
from traceapi.services.audit import verify_chain
from traceapi.services.policy import AuthMethod, Principal, RequestContext
from traceapi.store.base import StoreTx
from traceapi.store.embedded import EmbeddedStore
from traceapi.store.sqlite_schema import connect


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "n": len(ordered),
        "p50_ms": round(1000 * statistics.median(ordered), 3),
        "p95_ms": round(1000 * ordered[int(0.95 * (len(ordered) - 1))], 3),
        "max_ms": round(1000 * ordered[-1], 3),
    }


def bare_inserts(path: Path, count: int) -> list[float]:
    """``INSERT`` of one row and ``COMMIT``, ``count`` times, on the store's connection settings."""
    conn = connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    times = []
    for number in range(count):
        started = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t (body) VALUES (?)", (f"row {number} " + "x" * 200,))
        conn.execute("COMMIT")
        times.append(time.perf_counter() - started)
    conn.close()
    return times


def transitions(store: EmbeddedStore, count: int) -> list[float]:
    """``investigate`` on ``count`` fresh anomalies through the service, each timed alone."""
    actor = RequestContext(
        Principal(
            id="u-bench",
            name="Bench Person",
            roles=frozenset({Role.QA}),
            auth_method=AuthMethod.TOKEN,
            username="bench",
        ),
        request_id="bench",
        client_address="127.0.0.1",
    )
    made = [
        records.create_record(store, actor, kind="anomaly", data={"title": f"bench {n}"})
        for n in range(count)
    ]
    times = []
    for record in made:
        started = time.perf_counter()
        records.transition_record(
            store, actor, record_id=record.id, expected_version=1, action="investigate"
        )
        times.append(time.perf_counter() - started)
    return times


def fill_trail(store: EmbeddedStore, entries: int, *, per_tx: int = 2000) -> None:
    """Appends ``entries`` chained entries, ``per_tx`` per unit of work (as a busy day would)."""
    written = 0
    while written < entries:
        batch = min(per_tx, entries - written)

        def work(tx: StoreTx, batch: int = batch, start: int = written) -> None:
            seq, prev = tx.audit_head()
            for number in range(batch):
                draft = AuditDraft(
                    actor="u-bench",
                    actor_name="Bench Person",
                    auth_method="token",
                    action="anomaly.update",
                    entity_kind="anomaly",
                    entity_id=f"ANO-{start + number}",
                    record_version=2,
                    changes={"description": [None, f"entry {start + number}"]},
                )
                entry = chain_entry(draft, prev_seq=seq, prev_hash=prev, at=utc_now())
                tx.put_audit(entry)
                seq, prev = entry.seq, entry.hash

        store.run_in_tx(work)
        written += batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transitions", type=int, default=1000)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, default=None, help="where the files go (a real disk)")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="write_bench_", dir=args.dir))
    result: dict[str, Any] = {"dir": str(folder), "sqlite": sqlite3.sqlite_version}

    bare = bare_inserts(folder / "bare.sqlite3", args.transitions)
    with EmbeddedStore(folder / "store.sqlite3") as store:
        moved = transitions(store, args.transitions)
    result["bare_insert_commit"] = _percentiles(bare)
    result["record_transition_with_audit"] = _percentiles(moved)
    result["p95_ratio"] = round(
        result["record_transition_with_audit"]["p95_ms"] / result["bare_insert_commit"]["p95_ms"],
        2,
    )

    with EmbeddedStore(folder / "trail.sqlite3") as store:
        started = time.perf_counter()
        fill_trail(store, args.entries)
        result["trail_write_s"] = round(time.perf_counter() - started, 2)
        started = time.perf_counter()
        verified = verify_chain(store)
        result["audit_verify"] = {
            "entries": verified.checked,
            "ok": verified.ok,
            "seconds": round(time.perf_counter() - started, 3),
        }
    text = json.dumps(result, indent=2)
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
