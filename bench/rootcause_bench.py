"""Root-cause ranking at size M: 50 anomalous finished lots against their baseline, timed.

Each question takes a run of consecutive finished lots of the synthetic genealogy (production
order, so they share suppliers' lots and machines the way a real period does), calls 50 of
them anomalous and holds them against the others as the given baseline (the genealogy's
finished lots carry no material, so the default period rule has nothing to go on). Timed:
the whole ``root_cause`` call (resolving ids, one backward reach per lot, the batched reads,
windows, Fisher tests, Benjamini-Hochberg, the answer), and its parts: the reaches alone and
the extraction (reaches plus reads). The store is built once by ``bench.api_bench`` (or
reused, read only, when ``--data-dir`` already holds it).

    .venv/bin/python -m bench.rootcause_bench --scale 1.0 --data-dir /tmp/apibench-M
"""

from __future__ import annotations

import argparse
import gc
import platform
import random
import statistics
import time
from pathlib import Path

from bench.api_bench import build_or_reuse
from bench.genealogy import Genealogy
from traceapi.services.rootcause import root_cause
from traceapi.services.rootcause.factors import extract_upstream
from traceapi.settings import Settings
from traceapi.store.base import Direction
from traceapi.store.embedded import EmbeddedStore


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/apibench-M"))
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--anomalous", type=int, default=50)
    parser.add_argument("--baselines", default="200,1000", help="baseline sizes to time")
    args = parser.parse_args()

    genealogy = Genealogy(scale=args.scale, seed=args.seed)
    how, seconds = build_or_reuse(args.data_dir, genealogy)
    print(f"store {how} in {seconds:.1f} s at {args.data_dir}")
    store = EmbeddedStore(Settings(data_dir=args.data_dir).sqlite_path)
    started = time.perf_counter()
    store.check_ready()
    print(f"opened and index built in {time.perf_counter() - started:.1f} s")
    finished = genealogy.finished_ids
    del genealogy  # the plan's million ids are the benchmark's, not a server's: out of the heap
    gc.collect()
    gc.freeze()
    rng = random.Random(args.seed)
    store.reach([finished[0]], direction=Direction.BACKWARD)  # compile / load the BFS loop
    root_cause(store, lot_ids=finished[:5], baseline=finished[5:20])  # import scipy once
    print(f"python {platform.python_version()}, {len(finished):,} finished lots")
    print("| baseline lots | question p50 s | p95 s | max s | reaches p50 s | extraction p50 s "
          "| upstream nodes p50 | factors tested p50 | significant p50 |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for size in (int(s) for s in args.baselines.split(",")):
        whole, reaches, extraction, nodes, tested, significant = [], [], [], [], [], []
        for _ in range(args.questions):
            span = args.anomalous + size
            first = rng.randrange(len(finished) - span)
            lots = finished[first : first + span]
            bad = sorted(rng.sample(lots, args.anomalous))
            good = sorted(set(lots) - set(bad))
            gc.collect()
            t0 = time.perf_counter()
            report = root_cause(store, lot_ids=bad, baseline=good)
            whole.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            found = [store.reach([lot], direction=Direction.BACKWARD) for lot in bad + good]
            reaches.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            extract_upstream(store, bad, good, max_depth=None, max_nodes=2_000_000)
            extraction.append(time.perf_counter() - t0)
            nodes.append(len({i for reach in found for i in reach.ids}))
            tested.append(report.tested)
            significant.append(report.significant)
        print(
            f"| {size} | {statistics.median(whole):.3f} | {_percentile(whole, 0.95):.3f} "
            f"| {max(whole):.3f} | {statistics.median(reaches):.3f} "
            f"| {statistics.median(extraction):.3f} | {statistics.median(nodes):,.0f} "
            f"| {statistics.median(tested):,.0f} | {statistics.median(significant):.0f} |"
        )
    store.close()


if __name__ == "__main__":
    main()
