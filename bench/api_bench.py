"""API benchmark: REST and GraphQL under bounded load on loopback, next to a bare FastAPI route.

Builds (or reuses) the synthetic genealogy of bench/genealogy.py in an embedded store, starts
one uvicorn worker serving traceapi on 127.0.0.1, and in the same run a second one serving a
bare FastAPI app with one fixed-JSON route. Each scenario sends a bounded number of requests
(and stops at a time bound) over a few keep-alive connections from a small asyncio HTTP/1.1
client (a Python client like httpx would be the bottleneck on 2 cores); every answer's status
is checked, and one answer per scenario is checked for content through httpx first.

Scenarios: bare route, /livez (our middleware only), lot lookup (REST), where-used (REST and
GraphQL), where-from (REST), impact of one raw lot (REST JSON), and a whole recall: every raw
lot of one material in a 90-day window -> consignee CSV over REST, timed end to end.

    .venv/bin/python -m bench.api_bench --scale 0.05               # quick
    .venv/bin/python -m bench.api_bench --data-dir /tmp/apibench   # size M (heavy), reusable
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
from fastapi import FastAPI

from bench.genealogy import Genealogy
from traceapi.domain.security import Role
from traceapi.services.keys import create_key
from traceapi.settings import Settings
from traceapi.store.embedded import EmbeddedStore

RESULTS = Path(__file__).resolve().parent / "results"
START_TIMEOUT_S = 600.0
GENEALOGY_META = "bench_genealogy"


def bare_app() -> FastAPI:
    """The baseline: FastAPI with one route answering fixed JSON, nothing else."""
    app = FastAPI()

    @app.get("/bare")
    async def bare() -> dict[str, object]:
        return {"status": "ok", "items": [1, 2, 3]}

    return app


# -- the store --------------------------------------------------------------------------------


def build_or_reuse(data_dir: Path, genealogy: Genealogy) -> tuple[str, float]:
    """Makes sure ``data_dir`` holds this genealogy; returns what happened and the seconds."""
    settings = Settings(data_dir=data_dir)
    wanted = f"{genealogy.scale}:{genealogy.seed}"
    started = time.perf_counter()
    if settings.sqlite_path.exists():
        store = EmbeddedStore(settings.sqlite_path)
        try:
            if store.get_meta(GENEALOGY_META) == wanted:
                for _ in genealogy.batches():  # regenerate the id lists only
                    pass
                return "reused", time.perf_counter() - started
        finally:
            store.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{settings.sqlite_path}{suffix}").unlink(missing_ok=True)
    store = EmbeddedStore(settings.sqlite_path)
    try:
        for batch in genealogy.batches():
            store.apply_batch(batch)
        store.set_meta(GENEALOGY_META, wanted)
    finally:
        store.close()
    return "built", time.perf_counter() - started


@dataclass
class BenchStore:
    """The store a benchmark runs on, and what it needs to make requests."""

    data_dir: Path
    genealogy: Genealogy
    how: str
    seconds: float
    secret: str


def prepared_store(
    data_dir: Path | None, *, scale: float, seed: int, prefix: str = "api-bench-"
) -> BenchStore:
    """Builds (or reuses) the genealogy in ``data_dir`` (a new temporary one when None) and
    makes an admin key for the run; says what it did."""
    data_dir = data_dir or Path(tempfile.mkdtemp(prefix=prefix))
    data_dir.mkdir(parents=True, exist_ok=True)
    genealogy = Genealogy(scale=scale, seed=seed)
    how, store_s = build_or_reuse(data_dir, genealogy)
    print(f"store {how} in {store_s:.1f} s at {data_dir}", flush=True)
    return BenchStore(data_dir, genealogy, how, store_s, new_admin_key(data_dir))


def new_admin_key(data_dir: Path) -> str:
    store = EmbeddedStore(Settings(data_dir=data_dir).sqlite_path)
    try:
        return create_key(store, role=Role.ADMIN, name="api bench", actor="bench")[1]
    finally:
        store.close()


# -- servers ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def uvicorn_server(factory: str, env: dict[str, str], log: Path) -> Iterator[str]:
    """One uvicorn worker on loopback serving ``factory``; yields its base URL."""
    port = free_port()
    with log.open("ab") as log_file:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                factory,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "1",
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            env={**os.environ, **env},
            stdout=log_file,
            stderr=log_file,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"{factory} exited with {process.returncode}; see {log}")
                try:
                    if httpx.get(f"{base}/openapi.json", timeout=2.0).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{factory} did not start within {START_TIMEOUT_S:.0f} s")
                time.sleep(0.25)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


# -- a small keep-alive HTTP/1.1 load client --------------------------------------------------


def raw_request(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, int]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = None
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length is None:
        raise RuntimeError("answer without Content-Length")
    await reader.readexactly(length)
    return status, length


@dataclass
class LoadResult:
    name: str
    requests: int
    seconds: float
    latencies_ms: list[float]
    bytes_per_answer: float
    errors: int
    connections: int = 0

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def run_load(
    name: str,
    base: str,
    requests: list[bytes],
    *,
    count: int,
    seconds: float,
    connections: int,
    warmup: int,
) -> LoadResult:
    """Sends up to ``count`` requests (cycling through ``requests``) for at most ``seconds``."""
    host, port = base.removeprefix("http://").split(":")
    latencies: list[float] = []
    sizes: list[int] = []
    errors = 0
    issued = 0
    deadline = 0.0

    warmed = 0
    all_warm = asyncio.Event()
    go = asyncio.Event()

    async def worker() -> None:
        nonlocal issued, errors, warmed
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            for i in range(max(1, warmup // connections)):
                await _exchange(reader, writer, requests[i % len(requests)])
            warmed += 1
            if warmed == connections:
                all_warm.set()
            await go.wait()
            while issued < count and time.perf_counter() < deadline:
                request = requests[issued % len(requests)]
                issued += 1
                started = time.perf_counter()
                status, size = await _exchange(reader, writer, request)
                latencies.append((time.perf_counter() - started) * 1000)
                sizes.append(size)
                if status >= 400:
                    errors += 1
        finally:
            writer.close()

    tasks = [asyncio.create_task(worker()) for _ in range(connections)]
    await asyncio.wait_for(all_warm.wait(), timeout=120)
    started = time.perf_counter()
    deadline = started + seconds
    go.set()
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    return LoadResult(
        name=name,
        requests=len(latencies),
        seconds=elapsed,
        latencies_ms=latencies,
        bytes_per_answer=statistics.fmean(sizes) if sizes else 0.0,
        errors=errors,
    )


# -- the run ----------------------------------------------------------------------------------


def graphql_body(query: str, **variables: object) -> bytes:
    return json.dumps({"query": query, "variables": variables}).encode()


WHERE_USED_GQL = """query ($lot: ID!) { whereUsed(lot: $lot) {
  lots { id kind depth } shipments { id } customers { id name depth } } }"""
LOT_GQL = """query ($id: ID!) { lot(id: $id) { id status lotType quantity
  material { id name } inputs { id } } }"""


def main() -> int:  # noqa: C901 - one linear script, kept in reading order
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = size M")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data-dir", type=Path, help="keep (and reuse) the store here")
    parser.add_argument("--requests", type=int, default=3000, help="per scenario, at most")
    parser.add_argument("--seconds", type=float, default=10.0, help="per scenario, at most")
    parser.add_argument("--connections", type=int, default=8, help="for light scenarios")
    parser.add_argument(
        "--heavy-connections",
        type=int,
        default=2,
        help="for traces and impact, so latency is not mostly queueing",
    )
    parser.add_argument("--recalls", type=int, default=10)
    parser.add_argument(
        "--single-recalls", type=int, default=50, help="one-seed recalls to the consignee CSV"
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "api_bench.md")
    args = parser.parse_args()

    bench = prepared_store(args.data_dir, scale=args.scale, seed=args.seed)
    data_dir, genealogy, how, secret = bench.data_dir, bench.genealogy, bench.how, bench.secret
    rng = random.Random(args.seed)
    raw_lots = rng.sample(genealogy.raw_ids, min(200, len(genealogy.raw_ids)))
    finished = rng.sample(genealogy.finished_ids, min(200, len(genealogy.finished_ids)))
    auth = {"Authorization": f"Bearer {secret}"}
    json_post = {**auth, "Content-Type": "application/json"}

    light, heavy = args.connections, args.heavy_connections
    scenarios: list[tuple[str, list[bytes], int]] = [
        ("traceapi /livez (middleware only)", [raw_request("GET", "/livez", {})], light),
        (
            "REST lot lookup GET /api/v1/lots/{id}",
            [raw_request("GET", f"/api/v1/lots/{quote(i, safe='')}", auth) for i in finished],
            light,
        ),
        (
            "GraphQL lot lookup (+material, inputs)",
            [
                raw_request("POST", "/graphql", json_post, graphql_body(LOT_GQL, id=i))
                for i in finished
            ],
            light,
        ),
        (
            "REST where-used (raw lot)",
            [
                raw_request("GET", f"/api/v1/lots/{quote(i, safe='')}/where-used", auth)
                for i in raw_lots
            ],
            heavy,
        ),
        (
            "GraphQL whereUsed (raw lot)",
            [
                raw_request("POST", "/graphql", json_post, graphql_body(WHERE_USED_GQL, lot=i))
                for i in raw_lots
            ],
            heavy,
        ),
        (
            "REST where-from (finished lot)",
            [
                raw_request("GET", f"/api/v1/lots/{quote(i, safe='')}/where-from", auth)
                for i in finished
            ],
            heavy,
        ),
        (
            "REST impact, one raw lot (JSON)",
            [
                raw_request("POST", "/api/v1/impact", json_post, json.dumps({"lots": [i]}).encode())
                for i in raw_lots
            ],
            heavy,
        ),
    ]

    log = data_dir / "api_bench_server.log"
    env = {
        "TRACEAPI_DATA_DIR": str(data_dir),
        "TRACEAPI_BACKEND": "embedded",
        # Throughput is what this bench measures: admission's bounds would refuse most of it
        # (bench/overload_bench.py measures them).
        "TRACEAPI_MAX_IN_FLIGHT": "0",
        "TRACEAPI_RATE_PER_KEY": "0",
        "TRACEAPI_RATE_PER_ADDRESS": "0",
    }
    results: list[LoadResult] = []

    def load(name: str, base: str, requests: list[bytes], connections: int) -> None:
        result = asyncio.run(
            run_load(
                name,
                base,
                requests,
                count=args.requests,
                seconds=args.seconds,
                connections=connections,
                warmup=min(10 * connections, args.requests // 10),
            )
        )
        result.connections = connections
        results.append(result)
        print(
            f"{name}: {result.rate:,.0f} req/s, p50 {result.pct(0.5):.2f} ms, "
            f"p95 {result.pct(0.95):.2f} ms, p99 {result.pct(0.99):.2f} ms, "
            f"errors {result.errors}",
            flush=True,
        )

    with uvicorn_server("bench.api_bench:bare_app", {}, log) as base:
        load("bare FastAPI route (fixed JSON)", base, [raw_request("GET", "/bare", {})], light)

    recall_rows: list[tuple[int, int, float]] = []
    single_rows: list[tuple[str, int, float]] = []
    started = time.perf_counter()
    with uvicorn_server("traceapi.api.app:create_app", env, log) as base:
        startup_s = time.perf_counter() - started
        with httpx.Client(base_url=base, headers=auth, timeout=60.0) as http:
            lot = http.get(f"/api/v1/lots/{quote(finished[0], safe='')}")
            assert lot.status_code == 200 and lot.json()["lot"]["id"] == finished[0], lot.text
            used = http.post(
                "/graphql", json={"query": WHERE_USED_GQL, "variables": {"lot": raw_lots[0]}}
            ).json()
            assert "errors" not in used and used["data"]["whereUsed"] is not None, used
        for name, requests, connections in scenarios:
            load(name, base, requests, connections)
        # the whole recall: seed lots of one material in 90 days -> consignee CSV, end to end
        with httpx.Client(base_url=base, headers=auth, timeout=120.0) as http:
            # one bad supplier lot -> its consignee CSV: the recall the target names
            for seed in raw_lots[: args.single_recalls]:
                t0 = time.perf_counter()
                answer = http.post(
                    "/api/v1/impact", json={"lots": [seed]}, headers={"Accept": "text/csv"}
                )
                elapsed = (time.perf_counter() - t0) * 1000
                assert answer.status_code == 200, answer.text[:500]
                single_rows.append((seed, answer.text.count("\n") - 1, elapsed))
            for _ in range(args.recalls):
                seeds = genealogy.recall_seeds(rng)[:1000] or [raw_lots[0]]
                t0 = time.perf_counter()
                answer = http.post(
                    "/api/v1/impact", json={"lots": seeds}, headers={"Accept": "text/csv"}
                )
                elapsed = (time.perf_counter() - t0) * 1000
                assert answer.status_code == 200, answer.text[:500]
                rows = answer.text.count("\n") - 1
                recall_rows.append((len(seeds), rows, elapsed))

    bare = results[0]
    lines = [
        "# API benchmark",
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {platform.node()} "
        f"({os.cpu_count()} cores, Python {platform.python_version()}), load average before "
        f"the run {os.getloadavg()[0]:.1f}. Genealogy scale {args.scale} "
        f"(1.0 = size M, about 1.0M nodes / 3.3M edges), store {how} in {bench.seconds:.0f} s; "
        f"traceapi ready (index built) {startup_s:.1f} s after launch.",
        "",
        f"One uvicorn worker (uvloop/httptools when installed) on 127.0.0.1; "
        "keep-alive connections (column conn) from one asyncio client process on the same "
        f"2 cores; at most {args.requests} requests or {args.seconds:g} s per scenario after a "
        "warm-up. traceapi writes its JSON request log line per request (to a file); uvicorn's "
        "own access log is off. Latencies are client-side.",
        "",
        "| scenario | conn | req/s | vs bare | p50 ms | p95 ms | p99 ms | answer bytes | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.name} | {r.connections} | {r.rate:,.0f} | {r.rate / bare.rate:.2f} | "
            f"{r.pct(0.5):.2f} | {r.pct(0.95):.2f} | {r.pct(0.99):.2f} | "
            f"{r.bytes_per_answer:,.0f} | {r.errors} |"
        )
    if single_rows:
        singles = sorted(t for _, _, t in single_rows)
        rows_each = sorted(r for _, r, _ in single_rows)
        lines += [
            "",
            f"## One seed lot to its consignee CSV over REST ({len(single_rows)} recalls)",
            "",
            "One raw lot as the seed, `POST /api/v1/impact` with `Accept: text/csv`, one request "
            "at a time, timed from request to last byte (the whole-recall target).",
            "",
            f"Consignee rows: median {statistics.median(rows_each):.0f}, max {rows_each[-1]}. "
            f"Time: p50 {statistics.median(singles):.0f} ms, "
            f"p95 {singles[min(len(singles) - 1, int(0.95 * len(singles)))]:.0f} ms, "
            f"max {singles[-1]:.0f} ms (target at size M: under one second).",
        ]
    if recall_rows:
        times = sorted(t for _, _, t in recall_rows)
        lines += [
            "",
            f"## A material's 90-day window over REST ({len(recall_rows)} recalls)",
            "",
            "Every raw lot of one material received in a 90-day window as seeds, "
            "`POST /api/v1/impact` with `Accept: text/csv`, timed from request to last byte.",
            "",
            "| seeds | consignee rows | ms |",
            "|---:|---:|---:|",
            *(f"| {s} | {rows} | {t:.0f} |" for s, rows, t in recall_rows),
            "",
            f"p50 {statistics.median(times):.0f} ms, max {times[-1]:.0f} ms "
            "(target at size M: under one second).",
        ]
    text = "\n".join(lines) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
