"""Overload benchmark: a bounded loopback load on one uvicorn worker, at a normal and at five
times the normal number of users, then a soak; what admission does to latency, errors and RSS.

Each user is one keep-alive connection sending requests back to back (a closed loop), cycling
through a mix of lot lookups, where-used, where-from and one-lot impacts on the size-M
genealogy of bench/genealogy.py. Every phase is bounded in time; the server is started and
stopped here, on 127.0.0.1 only. Reported per phase: throughput, p50/p95/max by status, the
share of each status, and the server's RSS at the start and the end; the soak samples RSS every
30 s. Only 200, 429 and 503 are acceptable answers (exit code 1 otherwise).

    .venv/bin/python -m bench.overload_bench --scale 0.05 --seconds 10 --soak 30   # quick
    .venv/bin/python -m bench.overload_bench --data-dir /tmp/apibench-M            # size M
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from bench.api_bench import RESULTS, _exchange, prepared_store, raw_request, uvicorn_server

ACCEPTABLE = {200, 429, 503}


@dataclass
class Phase:
    name: str
    users: int
    seconds: float = 0.0
    latencies: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    rss_start_mib: float = 0.0
    rss_end_mib: float = 0.0

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    def pct(self, status: int | None, q: float) -> float:
        values = sorted(
            self.latencies[status] if status is not None else sum(self.latencies.values(), [])
        )
        return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def server_pid(port: int) -> int:
    """The pid listening on ``port`` (from /proc: no tools needed)."""
    inode = None
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if int(parts[1].rsplit(":", 1)[1], 16) == port and parts[3] == "0A":
                inode = parts[9]
    if inode is None:
        raise RuntimeError(f"nothing listens on {port}")
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                if fd.readlink().as_posix() == f"socket:[{inode}]":
                    return int(proc.name)
        except OSError:
            continue
    raise RuntimeError(f"no process owns the socket on {port}")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def run_phase(phase: Phase, base: str, requests: list[bytes], pid: int) -> None:
    host, port = base.removeprefix("http://").split(":")
    deadline = 0.0
    issued = 0

    async def user(index: int) -> None:
        nonlocal issued
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while time.perf_counter() < deadline:
                request = requests[(index * 7 + issued) % len(requests)]
                issued += 1
                started = time.perf_counter()
                status, _ = await _exchange(reader, writer, request)
                phase.latencies[status].append((time.perf_counter() - started) * 1000)
                if status == 429 or status == 503:
                    await asyncio.sleep(0.05)  # a polite client backs off a little
        finally:
            writer.close()

    phase.rss_start_mib = rss_mib(pid)
    started = time.perf_counter()
    deadline = started + phase.seconds
    await asyncio.gather(*(user(i) for i in range(phase.users)))
    phase.seconds = time.perf_counter() - started
    phase.rss_end_mib = rss_mib(pid)


async def soak(
    base: str, requests: list[bytes], pid: int, *, users: int, seconds: float
) -> list[tuple[float, float]]:
    """RSS every 30 s (and at the end) while ``users`` keep the server busy."""
    samples = [(0.0, rss_mib(pid))]
    phase = Phase("soak", users, seconds=seconds)
    runner = asyncio.create_task(run_phase(phase, base, requests, pid))
    started = time.perf_counter()
    while not runner.done():
        await asyncio.sleep(min(30.0, max(1.0, seconds / 10)))
        samples.append((time.perf_counter() - started, rss_mib(pid)))
    await runner
    samples.append((time.perf_counter() - started, rss_mib(pid)))
    return samples


def table(phases: list[Phase]) -> list[str]:
    lines = [
        "| phase | users | req/s | 200 | 429 | 503 | other | p95 ms (200) | p95 ms (503) "
        "| max ms | RSS start → end MiB |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for p in phases:
        counts = Counter({status: len(v) for status, v in p.latencies.items()})
        other = sum(n for status, n in counts.items() if status not in ACCEPTABLE)
        share = {s: f"{100 * counts[s] / p.total:.1f}%" if p.total else "-" for s in ACCEPTABLE}
        lines.append(
            f"| {p.name} | {p.users} | {p.total / p.seconds:,.0f} | {share[200]} | {share[429]} "
            f"| {share[503]} | {other} | {p.pct(200, 0.95):.1f} | {p.pct(503, 0.95):.1f} "
            f"| {p.pct(None, 1.0):.0f} | {p.rss_start_mib:.0f} → {p.rss_end_mib:.0f} |"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = size M")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data-dir", type=Path, help="keep (and reuse) the store here")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0, help="per phase")
    parser.add_argument("--soak", type=float, default=600.0, help="soak seconds (0: none)")
    parser.add_argument("--out", type=Path, default=RESULTS / "overload_bench.md")
    args = parser.parse_args()

    bench = prepared_store(
        args.data_dir, scale=args.scale, seed=args.seed, prefix="overload-bench-"
    )
    data_dir, genealogy, how, secret = bench.data_dir, bench.genealogy, bench.how, bench.secret
    rng = random.Random(args.seed)
    raw = rng.sample(genealogy.raw_ids, min(100, len(genealogy.raw_ids)))
    finished = rng.sample(genealogy.finished_ids, min(100, len(genealogy.finished_ids)))
    auth = {"Authorization": f"Bearer {secret}"}
    post = {**auth, "Content-Type": "application/json"}
    mix: list[bytes] = []
    for i in range(100):
        lot, fg = quote(raw[i % len(raw)], safe=""), quote(finished[i % len(finished)], safe="")
        mix.append(raw_request("GET", f"/api/v1/lots/{fg}", auth))
        mix.append(raw_request("GET", f"/api/v1/lots/{fg}", auth))
        mix.append(raw_request("GET", f"/api/v1/lots/{lot}/where-used", auth))
        mix.append(raw_request("GET", f"/api/v1/lots/{fg}/where-from", auth))
        if i % 4 == 0:
            body = json.dumps({"lots": [raw[i % len(raw)]]}).encode()
            mix.append(raw_request("POST", "/api/v1/impact", post, body))
    # One key for every user, as one integration would: the per-key rate is lifted so the
    # in-flight bound is what the 5x phase meets (both answer at once; the test suite covers
    # the rates).
    env = {
        "TRACEAPI_DATA_DIR": str(data_dir),
        "TRACEAPI_BACKEND": "embedded",
        "TRACEAPI_RATE_PER_KEY": "0",
        "TRACEAPI_RATE_PER_ADDRESS": "0",
    }
    log = data_dir / "overload-bench-server.log"
    phases: list[Phase] = []
    with uvicorn_server("traceapi.api.app:create_app", env, log) as base:
        pid = server_pid(int(base.rsplit(":", 1)[1]))
        for request in mix[:10]:  # the index build and the compiled walk, before the clock
            asyncio.run(run_phase(Phase("warm-up", 1, seconds=0.5), base, [request], pid))
        for name, users in (("normal", args.users), ("5x users", 5 * args.users)):
            phase = Phase(name, users, seconds=args.seconds)
            asyncio.run(run_phase(phase, base, mix, pid))
            phases.append(phase)
            print("\n".join(table(phases)[-1:]), flush=True)
        samples = (
            asyncio.run(soak(base, mix, pid, users=args.users, seconds=args.soak))
            if args.soak
            else []
        )
    lines = [
        "# overload_bench",
        "",
        f"{platform.node()}, Python {platform.python_version()}, genealogy scale {args.scale} "
        f"({genealogy.scale}), store {how}; one uvicorn worker on 127.0.0.1; default "
        "admission (max_in_flight 32) with the rates lifted.",
        "",
        *table(phases),
    ]
    if samples:
        first = samples[1][1] if len(samples) > 1 else samples[0][1]
        growth = 100 * (samples[-1][1] - first) / first
        lines += [
            "",
            f"Soak, {args.users} users for {args.soak:.0f} s: RSS "
            + ", ".join(f"{t:.0f} s {mib:.0f} MiB" for t, mib in samples)
            + f"; growth after the first sample {growth:+.1f}%.",
        ]
    bad = sum(
        len(v) for p in phases for status, v in p.latencies.items() if status not in ACCEPTABLE
    )
    lines.append("")
    lines.append(
        f"Answers other than 200, 429 and 503: {bad}. p95 of the 503s in the 5x phase: "
        f"{phases[-1].pct(503, 0.95):.1f} ms."
    )
    text = "\n".join(lines) + "\n"
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
