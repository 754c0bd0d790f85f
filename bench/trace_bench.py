"""Trace benchmark: the embedded store and trace services side by side with networkx and SQLite.

Builds the synthetic genealogy (bench/genealogy.py) into an EmbeddedStore, reopens it (index
build and memory), then runs, in one process and interleaved query by query, where-used (raw
lot -> downstream), where-from (finished lot -> upstream) and recall impacts (every raw lot of
one material in a 90-day window) through:

- the store's ``reach`` (answers as ids, kinds and depths: the performance.md targets),
- the trace services (full TraceReport / ImpactReport, nodes and annotations included),
- networkx ``descendants`` / ``ancestors`` over the same flow edges,
- a SQLite recursive CTE (``UNION``, indexed edge table) over the same flow edges,

and checks that all three reachability answers are the same sets. Prints a markdown table and
writes it to bench/results/trace_bench.md.

    .venv/bin/python -m bench.trace_bench --scale 0.05          # quick
    .venv/bin/python -m bench.trace_bench                        # size M (heavy: minutes, ~3 GiB)
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from bench.genealogy import Genealogy
from traceapi.domain.model import FLOW_EDGE_TYPES
from traceapi.services.impact import recall_impact
from traceapi.services.trace import trace_backward, trace_forward
from traceapi.store.base import Direction
from traceapi.store.embedded import EmbeddedStore

RESULTS = Path(__file__).resolve().parent / "results"
TARGETS = {"forward": 2.0, "backward": 1.0, "recall": 5.0}
"""p95 targets in ms for the store's reach (performance.md)."""

BLOCK_APPROACHES = ("reach", "networkx", "sqlite")
"""The reachability approaches timed back to back (the services are timed interleaved only)."""


def rss_mib() -> float:
    """Resident set size of this process now."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def timed(run: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[float, Any]:
    """Milliseconds one call takes, and what it returned."""
    started = time.perf_counter()
    result = run(*args, **kwargs)
    return (time.perf_counter() - started) * 1000.0, result


@dataclass
class Series:
    """Latencies (ms) of one approach on one query family."""

    times: list[float] = field(default_factory=list)

    def p(self, q: float) -> float:
        return float(np.percentile(self.times, q)) if self.times else float("nan")


class SqliteBaseline:
    """Flow edges as integer pairs in an indexed SQLite table, walked by a recursive CTE."""

    def __init__(self, path: Path, edges: list[tuple[str, str]], number: dict[str, int]) -> None:
        self.conn = sqlite3.connect(path)
        self.conn.execute("PRAGMA journal_mode=OFF")
        self.conn.execute("PRAGMA synchronous=OFF")
        self.conn.execute("CREATE TABLE edges (src INTEGER NOT NULL, dst INTEGER NOT NULL)")
        self.conn.executemany(
            "INSERT INTO edges VALUES (?, ?)", ((number[a], number[b]) for a, b in edges)
        )
        self.conn.execute("CREATE INDEX edges_src ON edges (src, dst)")
        self.conn.execute("CREATE INDEX edges_dst ON edges (dst, src)")
        self.conn.commit()
        self.conn.execute("PRAGMA cache_size=-200000")

    def reach(self, seeds: list[int], *, forward: bool) -> set[int]:
        near, far = ("src", "dst") if forward else ("dst", "src")
        rows = self.conn.execute(
            "WITH RECURSIVE r(n) AS (SELECT value FROM json_each(?) UNION "
            f"SELECT e.{far} FROM edges AS e JOIN r ON e.{near} = r.n) SELECT n FROM r",
            (json.dumps(seeds),),
        ).fetchall()
        return {row[0] for row in rows}


def networkx_reach(graph: nx.DiGraph, seeds: list[str], *, forward: bool) -> set[str]:
    """descendants/ancestors; several seeds go through one temporary super-node."""
    walk = nx.descendants if forward else nx.ancestors
    if len(seeds) == 1:
        return walk(graph, seeds[0]) | {seeds[0]}
    hub = "__seeds__"
    if forward:
        graph.add_edges_from((hub, s) for s in seeds)
    else:
        graph.add_edges_from((s, hub) for s in seeds)
    try:
        return walk(graph, hub) | set(seeds)
    finally:
        graph.remove_node(hub)


def build_store(path: Path, genealogy: Genealogy) -> tuple[float, int, int]:
    """Loads the genealogy through ``apply_batch``; seconds, nodes and edges."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    nodes = edges = 0
    started = time.perf_counter()
    store = EmbeddedStore(path)
    try:
        for batch in genealogy.batches():
            store.apply_batch(batch)
            nodes += len(batch.nodes)
            edges += len(batch.edges)
        store.set_meta("bench_genealogy", f"{genealogy.scale}:{genealogy.seed}")
    finally:
        store.close()
    return time.perf_counter() - started, nodes, edges


def main() -> int:  # noqa: C901 - one linear script, kept in reading order
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = size M")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", type=Path, help="store file (default: a temporary directory)")
    parser.add_argument("--reuse", action="store_true", help="reuse --db if it holds this size")
    parser.add_argument("--forward", type=int, default=200)
    parser.add_argument("--backward", type=int, default=200)
    parser.add_argument("--recalls", type=int, default=20)
    parser.add_argument("--out", type=Path, default=RESULTS / "trace_bench.md")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="trace-bench-"))
    db = args.db or workdir / "genealogy.sqlite3"
    genealogy = Genealogy(scale=args.scale, seed=args.seed, keep_edges=True)
    notes: list[str] = []

    reused = False
    if args.reuse and db.exists():
        probe = EmbeddedStore(db)
        reused = probe.get_meta("bench_genealogy") == f"{args.scale}:{args.seed}"
        probe.close()
    if reused:
        started = time.perf_counter()
        counts = [(len(b.nodes), len(b.edges)) for b in genealogy.batches()]
        node_count, edge_count = sum(c[0] for c in counts), sum(c[1] for c in counts)
        load_s = float("nan")
        notes.append(
            f"store reused from {db} (generated again in {time.perf_counter() - started:.1f} s)"
        )
    else:
        load_s, node_count, edge_count = build_store(db, genealogy)
    print(f"genealogy: {node_count:,} nodes, {edge_count:,} edges; load {load_s:.1f} s", flush=True)

    # -- the store: index build at open and its memory -------------------------------------
    gc.collect()
    before = rss_mib()
    started = time.perf_counter()
    store = EmbeddedStore(db)
    info = store.index_info()
    open_s = time.perf_counter() - started
    store_rss = rss_mib() - before
    store.close()
    del store
    gc.collect()
    tracemalloc.start()
    store = EmbeddedStore(db)
    store.index_info()
    traced_mib = tracemalloc.get_traced_memory()[0] / 2**20
    tracemalloc.stop()
    print(
        f"store: open + index {open_s:.2f} s; index {info['bytes'] / 2**20:.0f} MiB of arrays, "
        f"{traced_mib:.0f} MiB traced, RSS +{store_rss:.0f} MiB",
        flush=True,
    )

    # -- baselines over the same flow edges ---------------------------------------------------
    edges = genealogy.flow_edges
    gc.collect()
    before = rss_mib()
    started = time.perf_counter()
    graph: nx.DiGraph = nx.DiGraph()
    graph.add_edges_from(edges)
    nx_s = time.perf_counter() - started
    nx_rss = rss_mib() - before
    print(f"networkx: build {nx_s:.1f} s, RSS +{nx_rss:.0f} MiB", flush=True)

    number = {node_id: i for i, node_id in enumerate(graph)}
    name = list(graph)
    gc.collect()
    before = rss_mib()
    started = time.perf_counter()
    cte = SqliteBaseline(workdir / "cte.sqlite3", edges, number)
    cte_s = time.perf_counter() - started
    cte_rss = rss_mib() - before
    cte_file = (workdir / "cte.sqlite3").stat().st_size / 2**20
    print(f"sqlite CTE: build {cte_s:.1f} s, file {cte_file:.0f} MiB", flush=True)

    # -- the queries --------------------------------------------------------------------------
    rng = random.Random(args.seed + 1)
    raw_in_graph = [r for r in genealogy.raw_ids if r in number]
    queries: list[tuple[str, list[str]]] = [
        ("forward", [s]) for s in rng.sample(raw_in_graph, min(args.forward, len(raw_in_graph)))
    ]
    queries += [
        ("backward", [s])
        for s in rng.sample(genealogy.finished_ids, min(args.backward, len(genealogy.finished_ids)))
    ]
    recalls = 0
    while recalls < args.recalls:
        seeds = [s for s in genealogy.recall_seeds(rng) if s in number]
        if seeds:
            queries.append(("recall", seeds))
            recalls += 1
    rng.shuffle(queries)

    approaches = ("reach", "service", "networkx", "sqlite")
    series = {(family, a): Series() for family in TARGETS for a in approaches}
    parts = {(family, p): Series() for family in TARGETS for p in ("get_nodes", "edges_of")}
    sizes: dict[str, list[int]] = {family: [] for family in TARGETS}
    mismatches: list[str] = []
    # The baselines hold millions of Python objects: freeze them out of the collector's sight
    # and collect between queries, so no approach pays for a collection another one caused.
    gc.collect()
    gc.freeze()
    gc.disable()
    for warm in queries[:5]:  # first touches of code paths and caches
        store.reach(warm[1], direction=Direction.FORWARD)
    for family, seeds in queries:
        gc.collect()
        forward = family != "backward"
        direction = Direction.FORWARD if forward else Direction.BACKWARD
        ms, reach = timed(store.reach, seeds, direction=direction)
        series[(family, "reach")].times.append(ms)
        if family == "forward":
            ms, _ = timed(trace_forward, store, lot_id=seeds[0])
        elif family == "backward":
            ms, _ = timed(trace_backward, store, lot_id=seeds[0])
        else:
            ms, _ = timed(recall_impact, store, lot_ids=seeds)
        series[(family, "service")].times.append(ms)
        ms, _ = timed(store.get_nodes, reach.ids)
        parts[(family, "get_nodes")].times.append(ms)
        if family == "recall":
            material = [i for i, k in zip(reach.ids, reach.kinds, strict=True) if k != "Customer"]
            ms, _ = timed(store.edges_of, material, side="in", types=FLOW_EDGE_TYPES)
            parts[(family, "edges_of")].times.append(ms)
        ms, by_nx = timed(networkx_reach, graph, seeds, forward=forward)
        series[(family, "networkx")].times.append(ms)
        rids = [number[s] for s in seeds]
        ms, by_sql = timed(cte.reach, rids, forward=forward)
        series[(family, "sqlite")].times.append(ms)
        ours = set(reach.ids)
        sizes[family].append(len(ours))
        if ours != by_nx or ours != {name[i] for i in by_sql}:
            mismatches.append(f"{family} {seeds[:3]}: {len(ours)} / {len(by_nx)} / {len(by_sql)}")
    # Back to back: each approach answers every query in one block, two rounds in rotated
    # order, with the collector off: warm caches, as in a service answering query after query.
    rids_of = [[number[s] for s in seeds] for _family, seeds in queries]

    def run_block(approach: str) -> None:
        for (family, seeds), rids in zip(queries, rids_of, strict=True):
            forward = family != "backward"
            if approach == "reach":
                direction = Direction.FORWARD if forward else Direction.BACKWARD
                ms, _ = timed(store.reach, seeds, direction=direction)
            elif approach == "networkx":
                ms, _ = timed(networkx_reach, graph, seeds, forward=forward)
            else:
                ms, _ = timed(cte.reach, rids, forward=forward)
            blocks[(family, approach)].times.append(ms)

    blocks = {(family, a): Series() for family in TARGETS for a in BLOCK_APPROACHES}
    for round_number in range(2):
        rotation = BLOCK_APPROACHES if round_number == 0 else BLOCK_APPROACHES[::-1]
        for approach in rotation:
            gc.collect()
            run_block(approach)
    gc.enable()
    store.close()

    # -- the answer -------------------------------------------------------------------------
    def cell(family: str, approach: str, table: dict[tuple[str, str], Series]) -> str:
        s = table[(family, approach)]
        return f"{s.p(50):.3f} / {s.p(95):.3f}"

    def cells(approach: str, table: dict[tuple[str, str], Series]) -> str:
        return " | ".join(cell(family, approach, table) for family in TARGETS)

    header = [
        "| approach | build s | memory MiB | where-used p50 / p95 ms | where-from p50 / p95 ms "
        "| recall p50 / p95 ms |",
        "|---|---|---|---|---|---|",
    ]
    store_cells = (
        f"{open_s:.2f} (open + index) | {traced_mib:.0f} traced ({info['bytes'] / 2**20:.0f} "
        "arrays)"
    )
    nx_cells = f"{nx_s:.1f} | {nx_rss:.0f} (RSS)"
    cte_cells = f"{cte_s:.1f} | {cte_file:.0f} file, {cte_rss:.0f} RSS"
    rows = [
        "Back to back (the targets): each approach answers all the queries in one block, two "
        "rounds in rotated order, collector off.",
        "",
        *header,
        f"| embedded store `reach` (ids, kinds, depths) | {store_cells} "
        f"| {cells('reach', blocks)} |",
        f"| networkx `descendants` / `ancestors` | {nx_cells} | {cells('networkx', blocks)} |",
        f"| SQLite recursive CTE (UNION, indexed) | {cte_cells} | {cells('sqlite', blocks)} |",
        "",
        "Interleaved: query by query through every approach, a collection between queries "
        "(caches cold for each call), and the full trace services:",
        "",
        *header,
        f"| embedded store `reach` | same | same | {cells('reach', series)} |",
        f"| trace services (full TraceReport / ImpactReport) | same | same "
        f"| {cells('service', series)} |",
        f"| networkx | same | same | {cells('networkx', series)} |",
        f"| SQLite recursive CTE | same | same | {cells('sqlite', series)} |",
    ]
    rows += [
        "",
        "Where the services' time goes (p50 ms; the same calls the services make, timed alone):",
        "",
        "| query | store `reach` | store `get_nodes` (reached) | store `edges_of` (in) "
        "| whole service |",
        "|---|---|---|---|---|",
    ]
    for family in TARGETS:
        edges_cell = f"{parts[(family, 'edges_of')].p(50):.1f}" if family == "recall" else "-"
        rows.append(
            f"| {family} | {series[(family, 'reach')].p(50):.2f} "
            f"| {parts[(family, 'get_nodes')].p(50):.1f} | {edges_cell} "
            f"| {series[(family, 'service')].p(50):.1f} |"
        )
    checks = []
    for family, target in TARGETS.items():
        ours = blocks[(family, "reach")].p(95)
        worst = min(blocks[(family, "networkx")].p(95), blocks[(family, "sqlite")].p(95))
        cold = series[(family, "reach")].p(95)
        cold_worst = min(series[(family, "networkx")].p(95), series[(family, "sqlite")].p(95))
        checks.append(
            f"- {family}: reach p95 {ours:.3f} ms (target <= {target} ms: "
            f"{'met' if ours <= target else 'MISSED'}); {worst / ours:.1f}x faster than the "
            f"faster baseline at p95 (target >= 10x: {'met' if worst / ours >= 10 else 'MISSED'})"
            f"; interleaved: {cold:.3f} ms, {cold_worst / cold:.1f}x"
        )
    checks.append(
        f"- index memory {traced_mib:.0f} MiB traced (target <= 400: "
        f"{'met' if traced_mib <= 400 else 'MISSED'}); open + index build {open_s:.2f} s "
        f"(target <= 5 s: {'met' if open_s <= 5 else 'MISSED'})"
    )
    size_line = "; ".join(
        f"{family} median {statistics.median(v):.0f}, max {max(v)}" for family, v in sizes.items()
    )
    load_text = "not measured (store reused)" if reused else f"{load_s:.1f} s"
    text = "\n".join(
        [
            f"## Trace benchmark, scale {args.scale} ({node_count:,} nodes, {edge_count:,} edges)",
            "",
            f"{platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores, "
            f"numpy {np.__version__}, networkx {nx.__version__}, SQLite {sqlite3.sqlite_version}. "
            f"Load through `apply_batch`: {load_text}. Queries: {args.forward} where-used, "
            f"{args.backward} where-from, {args.recalls} recalls, all in one run.",
            f"Reachable set sizes (nodes): {size_line}.",
            "",
            *rows,
            "",
            *checks,
            f"- identical reachable sets on {len(queries) - len(mismatches)} of {len(queries)} "
            "queries (store, networkx, SQLite)",
            *(f"- note: {n}" for n in notes),
            "",
        ]
    )
    print(text)
    for mismatch in mismatches[:10]:
        print("MISMATCH", mismatch, file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(f"written to {args.out}")
    cte.conn.close()
    shutil.rmtree(workdir, ignore_errors=True)  # the CTE file, and the store unless --db
    return 1 if mismatches else 0


if __name__ == "__main__":
    raise SystemExit(main())
