"""Loading speed: a size-M CSV bundle and an EPCIS document, each beside a bare-SQLite ceiling.

The CSV bundle is the synthetic genealogy of ``bench.genealogy`` written out as CSV files; it is
timed through ``load_csv_bundle`` into a fresh embedded store, and the same rows are timed as a
bare ``executemany`` into two minimal tables (the storage ceiling). EPCIS: a generated EPCIS 2.0
JSON document of commissioning, transformation and shipping events, timed the way
``traceapi load epcis`` loads it (``load_files`` with ``parse_epcis_file``: parse, validate, map,
then ``apply_batch`` into a fresh embedded store), with the parse-only part reported beside it,
and a bare insert of one row per event as the ceiling.

    python -m bench.load_bench --scale 0.05        # quick
    python -m bench.load_bench                      # size M; writes bench/results/load_bench.md
    python -m bench.load_bench --skip-csv           # EPCIS only (--skip-epcis: CSV only)
    python -m bench.load_bench --bundle DIR         # reuse a bundle written by an earlier run
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import os
import platform
import resource
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.genealogy import Genealogy
from traceapi.domain.model import Batch, EdgeType, NodeKind

RESULTS = Path(__file__).resolve().parent / "results" / "load_bench.md"

_NODE_FILES: dict[NodeKind, tuple[str, tuple[str, ...]]] = {
    NodeKind.SUPPLIER: ("suppliers.csv", ("id", "name")),
    NodeKind.MATERIAL: ("materials.csv", ("id", "name")),
    NodeKind.EQUIPMENT: ("equipment.csv", ("id", "name")),
    NodeKind.CUSTOMER: ("customers.csv", ("id", "name", "customer_type", "region")),
    NodeKind.LOT: (
        "lots.csv",
        (
            "id",
            "name",
            "material",
            "supplier",
            "lot_type",
            "status",
            "quantity",
            "unit",
            "produced_at",
        ),
    ),
    NodeKind.PROCESS_STEP: ("process_steps.csv", ("id", "name", "step_code", "started_at")),
    NodeKind.SHIPMENT: ("shipments.csv", ("id", "shipped_at", "origin", "destination")),
}
_EDGE_FILES: dict[EdgeType, tuple[str, tuple[str, ...]]] = {
    EdgeType.CONSUMED_BY: ("consumption.csv", ("lot", "step", "qty", "unit")),
    EdgeType.PRODUCED: ("production.csv", ("step", "lot", "qty", "unit")),
    EdgeType.ON: ("equipment_usage.csv", ("step", "equipment")),
    EdgeType.SHIPPED_IN: ("shipment_lines.csv", ("shipment", "lot", "qty", "unit")),
}


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else repr(value)


def write_bundle(directory: Path, batches: Iterable[Batch]) -> dict[str, int]:
    """Writes batches (nodes before the edges that need them) as a canonical CSV bundle.

    Supports what the synthetic genealogy and the demo emit: lots' material and supplier come
    from their OF and SUPPLIED edges, shipments' origin and destination from SHIPPED_FROM and
    DELIVERED_TO. Returns rows written per file.
    """
    directory.mkdir(parents=True, exist_ok=True)
    handles: dict[str, Any] = {}
    writers: dict[str, Any] = {}
    counts: dict[str, int] = {}

    def writer(name: str, header: tuple[str, ...]) -> Any:
        if name not in writers:
            handle = (directory / name).open("w", encoding="utf-8", newline="")
            handles[name] = handle
            writers[name] = csv.writer(handle, lineterminator="\n")
            writers[name].writerow(header)
            counts[name] = 0
        return writers[name]

    try:
        for batch in batches:
            rows: dict[str, dict[str, str]] = {}
            kinds: dict[str, NodeKind] = {}
            for node in batch.nodes:
                row = {
                    k: "" if v is None else _number(v) if isinstance(v, float) else str(v)
                    for k, v in node.props.items()
                }
                row["id"] = node.id
                row["name"] = node.name or ""
                rows[node.id] = row
                kinds[node.id] = node.kind
            edge_rows: list[tuple[EdgeType, tuple[str, ...]]] = []
            for edge in batch.edges:
                if edge.type is EdgeType.OF and edge.source in rows:
                    rows[edge.source]["material"] = edge.target
                elif edge.type is EdgeType.SUPPLIED and edge.target in rows:
                    rows[edge.target]["supplier"] = edge.source
                elif edge.type is EdgeType.DELIVERED_TO and edge.source in rows:
                    rows[edge.source]["destination"] = edge.target
                elif edge.type is EdgeType.SHIPPED_FROM and edge.source in rows:
                    rows[edge.source]["origin"] = edge.target
                elif edge.type in _EDGE_FILES:
                    qty, unit = _number(edge.qty), edge.unit or ""
                    if edge.type in (EdgeType.CONSUMED_BY, EdgeType.PRODUCED):
                        edge_rows.append((edge.type, (edge.source, edge.target, qty, unit)))
                    elif edge.type is EdgeType.ON:
                        edge_rows.append((edge.type, (edge.source, edge.target)))
                    else:
                        edge_rows.append((edge.type, (edge.target, edge.source, qty, unit)))
                else:
                    raise ValueError(f"the bundle writer cannot place edge {edge.key}")
            for node_id, row in rows.items():
                name, header = _NODE_FILES[kinds[node_id]]
                writer(name, header).writerow([row.get(column, "") for column in header])
                counts[name] += 1
            for edge_type, values in edge_rows:
                name, header = _EDGE_FILES[edge_type]
                writer(name, header).writerow(values)
                counts[name] += 1
    finally:
        for handle in handles.values():
            handle.close()
    return counts


def generate_bundle(directory: Path, *, scale: float, seed: int = 7) -> dict[str, int]:
    """The synthetic genealogy at ``scale`` (1.0 = size M) as a CSV bundle in ``directory``."""
    return write_bundle(directory, Genealogy(scale=scale, seed=seed).batches())


# -- the bare-SQLite ceilings --------------------------------------------------------------


def _bare_connection(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA cache_size = -32768")
    return conn


def bare_csv_ceiling(bundle: Path, path: Path) -> float:
    """Seconds to read the bundle's rows with csv.reader and executemany them into two tables
    (nodes keyed by id, edges unique on (src, type, dst)) in one durable transaction."""
    started = time.perf_counter()
    conn = _bare_connection(path)
    conn.execute("CREATE TABLE nodes (id TEXT PRIMARY KEY, kind TEXT, props TEXT)")
    conn.execute(
        "CREATE TABLE edges (src TEXT, dst TEXT, type TEXT, qty REAL, unit TEXT, "
        "UNIQUE (src, type, dst))"
    )
    conn.execute("BEGIN IMMEDIATE")
    for kind, (name, _header) in _NODE_FILES.items():
        file = bundle / name
        if not file.exists():
            continue
        with file.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            conn.executemany(
                "INSERT INTO nodes VALUES (?, ?, ?)",
                (
                    (row[0], kind.value, json.dumps(dict(zip(header[1:], row[1:], strict=True))))
                    for row in reader
                ),
            )
    for edge_type, (name, _header) in _EDGE_FILES.items():
        file = bundle / name
        if not file.exists():
            continue
        with file.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            next(reader)
            rows: Iterable[tuple[str, str, str, float | None, str | None]]
            if edge_type is EdgeType.ON:
                rows = ((r[0], r[1], edge_type.value, None, None) for r in reader)
            elif edge_type is EdgeType.SHIPPED_IN:
                rows = ((r[1], r[0], edge_type.value, float(r[2]), r[3]) for r in reader)
            else:
                rows = ((r[0], r[1], edge_type.value, float(r[2]), r[3]) for r in reader)
            conn.executemany("INSERT INTO edges VALUES (?, ?, ?, ?, ?)", rows)
    conn.execute("CREATE INDEX edges_dst ON edges (dst, type)")
    conn.execute("COMMIT")
    conn.close()
    return time.perf_counter() - started


def _bundle_rows(bundle: Path) -> dict[str, int]:
    """Data rows per file of an existing bundle (lines after the header: the writer never
    puts a line break inside a cell)."""
    counts: dict[str, int] = {}
    for path in sorted(bundle.glob("*.csv")):
        with path.open("rb") as handle:
            counts[path.name] = sum(1 for _ in handle) - 1
    return counts


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- CSV -----------------------------------------------------------------------------------


def bench_csv(workdir: Path, *, scale: float, bundle: Path | None = None) -> dict[str, Any]:
    """Figures for the CSV bundle; ``bundle`` reuses a directory ``generate_bundle`` wrote
    (at the same scale) instead of generating one, which takes longer than loading it."""
    from loaders.csv_bundle import load_csv_bundle
    from traceapi.services.quality import check_quality
    from traceapi.store.embedded import EmbeddedStore

    started = time.perf_counter()
    generated = bundle is None
    if bundle is None:
        bundle = workdir / "bundle"
        rows = generate_bundle(bundle, scale=scale)
    else:
        rows = _bundle_rows(bundle)
    generated_s = time.perf_counter() - started
    size_mib = sum(p.stat().st_size for p in bundle.iterdir()) / 2**20
    gc.collect()

    ceiling_s = bare_csv_ceiling(bundle, workdir / "bare.sqlite3")

    store = EmbeddedStore(workdir / "store" / "traceapi.sqlite3")
    write_started: list[float] = []

    def note_write(description: str, _done: int, _total: int) -> None:
        if description.startswith("writing") and not write_started:
            write_started.append(time.perf_counter())

    started = time.perf_counter()
    report = load_csv_bundle(store, bundle, progress=note_write)
    load_s = time.perf_counter() - started
    read_s = (write_started[0] if write_started else time.perf_counter()) - started
    if report.rejected:
        raise SystemExit(f"the bundle was rejected: {report.files[0].error}")
    totals = report.totals
    rss_after_load = _peak_rss_mib()

    started = time.perf_counter()
    again = load_csv_bundle(store, bundle)
    reload_s = time.perf_counter() - started

    started = time.perf_counter()
    quality = check_quality(store)
    check_s = time.perf_counter() - started
    stats = store.stats()
    store.close()
    return {
        "scale": scale,
        "rows": sum(rows.values()),
        "bundle_mib": round(size_mib, 1),
        "generate_s": round(generated_s, 1) if generated else None,
        "nodes": stats.node_total,
        "edges": stats.edge_total,
        "load_s": round(load_s, 1),
        "read_validate_s": round(read_s, 1),
        "write_s": round(load_s - read_s, 1),
        "ceiling_s": round(ceiling_s, 1),
        "reload_s": round(reload_s, 1),
        "reload_added": again.totals.nodes_added + again.totals.edges_added,
        "nodes_added": totals.nodes_added,
        "edges_added": totals.edges_added,
        "check_s": round(check_s, 1),
        "score": quality.score,
        "peak_rss_mib": round(rss_after_load),
    }


# -- EPCIS ---------------------------------------------------------------------------------

_COMPANY = "4012345"
_ITEM_REFS = ("012345", "012346", "012347", "012348")


def _lgtin(item: int, lot: int) -> str:
    return f"urn:epc:class:lgtin:{_COMPANY}.{_ITEM_REFS[item % len(_ITEM_REFS)]}.L{lot:07d}"


def epcis_document(events: int) -> dict[str, Any]:
    """An EPCIS 2.0 JSON-LD document: per group of four events, one lot is commissioned, two
    earlier lots are transformed into a new one, and a lot is shipped to a customer location."""
    start = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    body: list[dict[str, Any]] = []
    lot = 0
    for i in range(events):
        when = (start + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        base = {
            "eventTime": when,
            "eventTimeZoneOffset": "+00:00",
            "readPoint": {"id": f"urn:epc:id:sgln:{_COMPANY}.00001.0"},
        }
        step = i % 4
        if step in (0, 1) or lot < 3:
            lot += 1
            body.append(
                {
                    "type": "ObjectEvent",
                    **base,
                    "action": "ADD",
                    "bizStep": "commissioning",
                    "epcList": [],
                    "quantityList": [{"epcClass": _lgtin(lot, lot), "quantity": 100, "uom": "KGM"}],
                }
            )
        elif step == 2:
            lot += 1
            body.append(
                {
                    "type": "TransformationEvent",
                    **base,
                    "bizStep": "creating_class_instance",
                    "transformationID": f"urn:uuid:00000000-0000-4000-8000-{i:012d}",
                    "inputQuantityList": [
                        {"epcClass": _lgtin(lot - 1, lot - 1), "quantity": 40, "uom": "KGM"},
                        {"epcClass": _lgtin(lot - 2, lot - 2), "quantity": 60, "uom": "KGM"},
                    ],
                    "outputQuantityList": [
                        {"epcClass": _lgtin(lot, lot), "quantity": 100, "uom": "KGM"}
                    ],
                }
            )
        else:
            body.append(
                {
                    "type": "ObjectEvent",
                    **base,
                    "action": "OBSERVE",
                    "bizStep": "shipping",
                    "disposition": "in_transit",
                    "epcList": [],
                    "quantityList": [{"epcClass": _lgtin(lot, lot), "quantity": 10, "uom": "KGM"}],
                    "sourceList": [
                        {"type": "owning_party", "source": f"urn:epc:id:sgln:{_COMPANY}.00001.0"}
                    ],
                    "destinationList": [
                        {
                            "type": "owning_party",
                            "destination": f"urn:epc:id:sgln:4098765.{i % 97:05d}.0",
                        }
                    ],
                }
            )
    return {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": start.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "epcisBody": {"eventList": body},
    }


def bare_event_ceiling(document: Path, path: Path) -> float:
    """Seconds to json-load the document and insert one row per event in one transaction."""
    started = time.perf_counter()
    events = json.loads(document.read_bytes())["epcisBody"]["eventList"]
    conn = _bare_connection(path)
    conn.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY, type TEXT, at TEXT, body TEXT)")
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(
        "INSERT INTO events (type, at, body) VALUES (?, ?, ?)",
        ((e["type"], e["eventTime"], json.dumps(e)) for e in events),
    )
    conn.execute("COMMIT")
    conn.close()
    return time.perf_counter() - started


def bench_epcis(workdir: Path, *, events: int) -> dict[str, Any]:
    """Figures for one EPCIS document loaded as ``traceapi load epcis`` does (``load_files``:
    parse, validate, map, ``apply_batch`` with its audit entry), the parse timed inside it;
    then the same document again (idempotent: adds nothing)."""
    from loaders.epcis import parse_epcis_file
    from loaders.report import FileOutcome, LoadReport, load_files
    from traceapi.store.embedded import EmbeddedStore

    document = workdir / "events.jsonld"
    document.write_text(json.dumps(epcis_document(events)), encoding="utf-8")
    ceiling_s = bare_event_ceiling(document, workdir / "bare-events.sqlite3")
    store = EmbeddedStore(workdir / "epcis-store" / "traceapi.sqlite3")
    parse_s: list[float] = []

    def parse(path: Path) -> tuple[Batch, list[str]]:
        started = time.perf_counter()
        try:
            return parse_epcis_file(path, store=store)
        finally:
            parse_s.append(time.perf_counter() - started)

    def load() -> tuple[LoadReport, float]:
        started = time.perf_counter()
        report = load_files(store, [document], parse)
        elapsed = time.perf_counter() - started
        if report.rejected:
            raise SystemExit(f"the EPCIS document was rejected: {report.files[0].error}")
        return report, elapsed

    report, load_s = load()
    again, reload_s = load()
    store.close()
    outcome: FileOutcome = report.files[0]
    assert outcome.result is not None
    return {
        "events": events,
        "document_mib": round(document.stat().st_size / 2**20, 1),
        "load_s": round(load_s, 2),
        "parse_s": round(parse_s[0], 2),
        "apply_s": round(load_s - parse_s[0], 2),
        "end_to_end_events_per_s": round(events / load_s),
        "parse_events_per_s": round(events / parse_s[0]),
        "reload_events_per_s": round(events / reload_s),
        "reload_added": again.totals.nodes_added + again.totals.edges_added,
        "ceiling_events_per_s": round(events / ceiling_s),
        "nodes_added": outcome.result.nodes_added,
        "edges_added": outcome.result.edges_added,
        "warnings": len(outcome.warnings),
    }


# -- report --------------------------------------------------------------------------------


def write_results(
    csv_figures: dict[str, Any] | None,
    epcis_figures: dict[str, Any] | None,
    *,
    path: Path = RESULTS,
    load_average: tuple[float, float] | None = None,
) -> str:
    """The results as Markdown, written to ``path``; ``load_average`` is the machine's 1-minute
    load average at the start and the end of the run (this process counts for about 1)."""
    busy = (
        f" Load average {load_average[0]:.1f} at the start, {load_average[1]:.1f} at the end "
        f"(this benchmark counts for about 1 of it): compare rows of one run, not runs."
        if load_average
        else ""
    )
    lines = [
        "# Load benchmark",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node() or 'this machine'} "
        f"({os.cpu_count()} cores, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}). `python -m bench.load_bench` regenerates this file."
        + busy,
        "",
    ]
    if csv_figures:
        f = csv_figures
        ratio = f["load_s"] / f["ceiling_s"] if f["ceiling_s"] else float("nan")
        lines += [
            f"## CSV bundle (scale {f['scale']}: {f['nodes']:,} nodes, {f['edges']:,} edges, "
            f"{f['rows']:,} rows, {f['bundle_mib']} MiB)",
            "",
            "| what | seconds | note |",
            "|---|---|---|",
            f"| `load_csv_bundle` into a fresh embedded store | **{f['load_s']}** | target <= 60 s"
            f" at size M; validate all, one transaction |",
            f"| of which reading and validating the bundle | {f['read_validate_s']} | csv "
            "parsing, conversion, reference checks, building the batch |",
            f"| of which `apply_batch` (one transaction) | {f['write_s']} | the store's part |",
            f"| bare csv.reader + sqlite executemany (ceiling) | {f['ceiling_s']} | "
            f"loader = {ratio:.1f}x the ceiling |",
            f"| re-load of the same bundle | {f['reload_s']} | added {f['reload_added']} "
            "(idempotent) |",
            f"| `check_quality` on the loaded store | {f['check_s']} | score {f['score']} |",
            f"| generating the bundle | {f['generate_s'] or '-'} | "
            + ("not part of the load |" if f["generate_s"] else "an earlier run's bundle |"),
            "",
            f"Peak RSS of the benchmark process after the load: {f['peak_rss_mib']:,} MiB "
            "(the whole bundle is one in-memory batch).",
            "",
        ]
    if epcis_figures:
        e = epcis_figures
        lines += [
            f"## EPCIS ({e['events']:,} events in one EPCIS 2.0 JSON document, "
            f"{e['document_mib']} MiB)",
            "",
            "| what | events/s | seconds | note |",
            "|---|---|---|---|",
            f"| end to end, as `traceapi load epcis` (parse, validate, map, `apply_batch`) "
            f"into a fresh embedded store | **{e['end_to_end_events_per_s']:,}** | "
            f"{e['load_s']} | target >= 10,000 events/s; {e['nodes_added']:,} nodes, "
            f"{e['edges_added']:,} edges |",
            f"| of which `parse_epcis_file` (parse, validate, map; no store writes) | "
            f"{e['parse_events_per_s']:,} | {e['parse_s']} | not the target figure |",
            f"| of which `apply_batch` (one transaction) | | {e['apply_s']} | |",
            f"| re-load of the same document | {e['reload_events_per_s']:,} | | added "
            f"{e['reload_added']} (idempotent; duplicates by event hash) |",
            f"| bare json.loads + sqlite executemany, one row per event (ceiling) | "
            f"{e['ceiling_events_per_s']:,} | | no validation, no graph |",
            "",
        ]
    text = "\n".join(lines)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = size M (1.0M nodes)")
    parser.add_argument(
        "--events",
        type=int,
        default=None,
        help="EPCIS events (default 100,000 x scale, at least 2,000)",
    )
    parser.add_argument("--skip-csv", action="store_true", help="EPCIS only")
    parser.add_argument("--skip-epcis", action="store_true", help="CSV only")
    parser.add_argument(
        "--bundle",
        type=Path,
        default=None,
        help="Load this bundle (written by an earlier run at the same scale) instead of "
        "generating one",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="Where to put the generated files (default: a temporary dir)",
    )
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    workdir = Path(tempfile.mkdtemp(prefix="load-bench-", dir=args.workdir))
    try:
        csv_figures = (
            None if args.skip_csv else bench_csv(workdir, scale=args.scale, bundle=args.bundle)
        )
        if csv_figures:
            print(json.dumps(csv_figures))
        events = args.events or max(2_000, round(100_000 * args.scale))
        epcis_figures = None if args.skip_epcis else bench_epcis(workdir, events=events)
        if epcis_figures:
            print(json.dumps(epcis_figures))
        load_average = (load_before, os.getloadavg()[0])
        print(write_results(csv_figures, epcis_figures, path=args.out, load_average=load_average))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
