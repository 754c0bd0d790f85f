"""``traceapi db init``, ``db stats`` and ``db export``: make a store, count or write it."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from traceapi.cli.common import cli_settings, console, console_err, opened_store, print_json
from traceapi.cli.groups import db_app
from traceapi.cli.progress import progress_bar
from traceapi.store.base import GraphStore


@db_app.command("init")
def init(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Create an empty store where the settings point (no-op when one is already there)."""
    settings = cli_settings()
    existed = settings.backend != "embedded" or settings.sqlite_path.is_file()
    with opened_store(settings, create=True) as store:
        backend = store.backend
    where = str(settings.sqlite_path.resolve()) if backend == "embedded" else settings.neo4j_uri
    if as_json:
        print_json({"backend": backend, "store": where, "created": not existed})
        return
    verb = "a store was already at" if existed else "created an empty store at"
    console.print(f"{verb} {where} ({backend})", highlight=False)


@db_app.command("stats")
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Node and edge counts by kind and type."""
    with opened_store() as store:
        counts = store.stats()
        backend = store.backend
    if as_json:
        print_json(
            {
                "backend": backend,
                "nodes": counts.nodes,
                "edges": counts.edges,
                "node_total": counts.node_total,
                "edge_total": counts.edge_total,
            }
        )
        return
    table = Table(title=f"traceapi store ({backend})", title_justify="left")
    table.add_column("what")
    table.add_column("kind / type")
    table.add_column("count", justify="right")
    for kind, count in sorted(counts.nodes.items()):
        table.add_row("node", kind, f"{count:,}")
    for edge_type, count in sorted(counts.edges.items()):
        table.add_row("edge", edge_type, f"{count:,}")
    table.add_row("[bold]nodes[/]", "", f"[bold]{counts.node_total:,}[/]")
    table.add_row("[bold]edges[/]", "", f"[bold]{counts.edge_total:,}[/]")
    console.print(table)


class ExportFormat(StrEnum):
    JSON = "json"
    GRAPHML = "graphml"


@contextmanager
def _export_progress(store: GraphStore, fmt: ExportFormat) -> Iterator[Callable[[int], None]]:
    """A bar over the records an export reads (GraphML reads the store twice); on a terminal."""
    if not console_err.is_terminal:
        yield lambda done: None
        return
    counts = store.stats()
    passes = 1 if fmt is ExportFormat.JSON else 2
    total = passes * (counts.node_total + counts.edge_total)
    with progress_bar(f"exporting {fmt.value}", total=total) as advance:
        yield lambda done: advance(done, total)


@db_app.command("export")
def export(
    fmt: Annotated[
        ExportFormat, typer.Option("--format", help="json or graphml.")
    ] = ExportFormat.JSON,
    out: Annotated[
        Path | None, typer.Option("--out", help="File to write; stdout if absent.", dir_okay=False)
    ] = None,
) -> None:
    """The whole graph: JSON {"nodes", "edges"} or GraphML (networkx, Gephi, yEd)."""
    from traceapi.services.export import write_graphml, write_json

    writer = write_json if fmt is ExportFormat.JSON else write_graphml
    with opened_store() as store, _export_progress(store, fmt) as progress:
        if out is None:
            writer(store, sys.stdout, progress=progress)
            sys.stdout.flush()
            return
        out.parent.mkdir(parents=True, exist_ok=True)
        # Written next to the target and renamed, so a failed export leaves no half file.
        handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as target:
                nodes, edges = writer(store, target, progress=progress)
            os.chmod(temporary, 0o644)
            os.replace(temporary, out)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    console_err.print(f"wrote {nodes:,} nodes and {edges:,} edges to {out}", highlight=False)


@db_app.command("backup")
def backup(
    target: Annotated[Path, typer.Argument(help="The copy to write (must not exist).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Copies the live embedded store to FILE while writes go on (SQLite's backup API), then
    checks the copy: integrity_check and the audit chain. Neo4j: use neo4j-admin."""
    from traceapi.errors import InvalidInput
    from traceapi.services.audit import verify_chain
    from traceapi.store.embedded import EmbeddedStore

    settings = cli_settings()
    if settings.backend != "embedded":
        raise InvalidInput(
            "db backup copies the embedded store; back Neo4j up with neo4j-admin database dump",
            details={"field": "backend"},
        )
    with opened_store(settings) as store:
        assert isinstance(store, EmbeddedStore)
        store.backup_to(target)
    with EmbeddedStore(target) as copy:
        verified = verify_chain(copy)
    report = {
        "file": str(target),
        "integrity_check": "ok",
        "audit_ok": verified.ok,
        "audit_entries": verified.checked,
        "first_broken_seq": verified.first_broken_seq,
    }
    if as_json:
        print_json(report)
    else:
        state = "verifies" if verified.ok else f"is broken at seq {verified.first_broken_seq}"
        console.print(
            f"backup written to {target}: integrity_check ok, audit chain of "
            f"{verified.checked:,} entries {state}",
            highlight=False,
        )
    if not verified.ok:
        raise typer.Exit(8)
