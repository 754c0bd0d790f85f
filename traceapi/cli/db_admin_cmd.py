"""``traceapi db migrate`` and ``traceapi db copy``: schema upkeep and moving between backends."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from traceapi.cli.common import cli_settings, console, console_err, opened_store, print_json
from traceapi.cli.groups import db_app
from traceapi.cli.progress import progress_bar
from traceapi.errors import InvalidInput
from traceapi.services.copy import CopyReport, copy_store
from traceapi.settings import Settings
from traceapi.store.factory import open_store


class Backend(StrEnum):
    EMBEDDED = "embedded"
    NEO4J = "neo4j"


@db_app.command("migrate")
def migrate(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Apply the Neo4j schema migrations not applied yet (the embedded store does so on open)."""
    settings = cli_settings()
    if settings.backend != "neo4j":
        with opened_store(settings):
            pass
        applied: list[dict[str, object]] = []
        note = "the embedded store brings its schema up to date whenever it opens"
    else:
        from traceapi.store.neo4j_store import Neo4jStore

        store = Neo4jStore.connect(settings, migrate=False)
        try:
            ran = store.migrate()
        finally:
            store.close()
        applied = [{"version": m.version, "name": m.name} for m in ran]
        note = f"{len(ran)} migration(s) applied" if ran else "the schema was already up to date"
    if as_json:
        print_json({"backend": settings.backend, "applied": applied, "note": note})
        return
    for item in applied:
        console.print(f"applied V{item['version']:04d} {item['name']}", highlight=False)
    console.print(note, highlight=False)


@db_app.command("copy")
def copy(
    source: Annotated[Backend, typer.Option("--from", help="Backend to copy from.")],
    target: Annotated[Backend, typer.Option("--to", help="Backend to copy into.")],
    from_data_dir: Annotated[
        Path | None, typer.Option("--from-data-dir", help="Embedded source directory.")
    ] = None,
    to_data_dir: Annotated[
        Path | None, typer.Option("--to-data-dir", help="Embedded target directory.")
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Clear a target that already holds a graph.")
    ] = False,
    chunk_size: Annotated[int, typer.Option("--chunk-size", min=1)] = 5_000,
    samples: Annotated[
        int, typer.Option("--samples", min=0, help="Lots whose traces are compared.")
    ] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Copy the whole graph between backends (keys and audit trail stay), then compare traces.

    Neo4j is reached with NEO4J_URI / NEO4J_USER / NEO4J_PASSWORD / NEO4J_DATABASE; the embedded
    store lives under TRACEAPI_DATA_DIR unless --from-data-dir / --to-data-dir say otherwise.
    """
    base = cli_settings()
    source_settings = _settings_for(base, source, from_data_dir)
    target_settings = _settings_for(base, target, to_data_dir)
    if _same_store(source_settings, target_settings):
        raise InvalidInput("--from and --to name the same store; point one at another data dir")
    with opened_store(source_settings) as source_store:
        target_store = open_store(target_settings)
        try:
            with progress_bar(f"copying {source} -> {target}") as progress:
                report = copy_store(
                    source_store,
                    target_store,
                    chunk_size=chunk_size,
                    samples=samples,
                    replace=replace,
                    progress=progress,
                )
        finally:
            target_store.close()
    _print_report(report, as_json=as_json)
    if not report.ok:
        raise typer.Exit(1)


def _settings_for(base: Settings, backend: Backend, data_dir: Path | None) -> Settings:
    changes: dict[str, object] = {"backend": backend.value}
    if data_dir is not None:
        if backend is not Backend.EMBEDDED:
            raise InvalidInput("--from-data-dir / --to-data-dir apply to the embedded backend")
        changes["data_dir"] = data_dir
    return base.model_copy(update=changes)


def _same_store(left: Settings, right: Settings) -> bool:
    if left.backend != right.backend:
        return False
    if left.backend == "embedded":
        return left.sqlite_path.resolve() == right.sqlite_path.resolve()
    return (left.neo4j_uri, left.neo4j_database) == (right.neo4j_uri, right.neo4j_database)


def _print_report(report: CopyReport, *, as_json: bool) -> None:
    if as_json:
        body = report.model_dump(mode="json")
        body["ok"] = report.ok
        print_json(body)
        return
    console.print(
        f"copied {report.nodes_copied:,} nodes and {report.edges_copied:,} edges "
        f"from {report.source_backend} to {report.target_backend}",
        highlight=False,
    )
    check = report.check
    console.print(
        f"checked counts by kind and type and {len(check.sampled_lots)} sample lots "
        f"(trace digest {check.target_digest[:16]})",
        highlight=False,
    )
    if report.ok:
        console.print("[green]the copy matches the source[/]")
        return
    for line in check.mismatches:
        console_err.print(f"[red]mismatch[/] {line}", highlight=False)
