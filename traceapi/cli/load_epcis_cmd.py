"""``traceapi load epcis FILE...``: GS1 EPCIS documents into the store, one batch per file."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from loaders.report import FileOutcome, LoadReport, load_files
from traceapi.cli.common import console, console_err, opened_store, print_json
from traceapi.cli.groups import load_app
from traceapi.cli.progress import progress_bar
from traceapi.domain.model import BatchResult
from traceapi.errors import InvalidInput


def _added(result: BatchResult | None) -> int:
    if result is None:
        return 0
    return result.nodes_added + result.edges_added + result.nodes_updated + result.edges_updated


def _unchanged(result: BatchResult | None) -> int:
    return 0 if result is None else result.nodes_unchanged + result.edges_unchanged


def _report_json(report: LoadReport) -> dict[str, Any]:
    return {
        "files": [f.model_dump(mode="json", exclude_none=True) for f in report.files],
        "totals": report.totals.model_dump(mode="json"),
        "loaded": len(report.files) - report.rejected,
        "rejected": report.rejected,
    }


def _print_table(report: LoadReport) -> None:
    table = Table(title="traceapi load epcis", title_justify="left")
    for column in ("file", "status", "added/updated", "unchanged", "warnings"):
        table.add_column(column, justify="right" if column not in ("file", "status") else "left")
    for outcome in report.files:
        status = "[green]loaded[/]" if outcome.status == "loaded" else "[red]rejected[/]"
        table.add_row(
            Path(outcome.file).name,
            status,
            f"{_added(outcome.result):,}",
            f"{_unchanged(outcome.result):,}",
            str(len(outcome.warnings)),
        )
    totals = report.totals
    table.add_row(
        "[bold]total[/]",
        f"{len(report.files) - report.rejected} loaded, {report.rejected} rejected",
        f"[bold]{_added(totals):,}[/]",
        f"[bold]{_unchanged(totals):,}[/]",
        "",
    )
    console.print(table)
    for outcome in report.files:
        for warning in outcome.warnings:
            console_err.print(
                f"[yellow]warning[/] {Path(outcome.file).name}: {warning}",
                highlight=False,
                markup=True,
            )


@load_app.command("epcis")
def load_epcis(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="EPCIS 2.0 JSON/JSON-LD or XML (1.2 or 2.0) documents.", dir_okay=False
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Load GS1 EPCIS documents; each file is validated whole and applied atomically."""
    from loaders.epcis import parse_epcis_file  # the parsers load only when this command runs

    with (
        opened_store(create=True) as store,
        progress_bar("EPCIS files", total=len(files)) as advance,
    ):
        done = 0

        def file_done(outcome: FileOutcome) -> None:
            nonlocal done
            done += 1
            advance(done, len(files))

        report = load_files(
            store, files, partial(parse_epcis_file, store=store), on_file_done=file_done
        )
    if as_json:
        print_json(_report_json(report))
    else:
        _print_table(report)
    if report.rejected:
        for outcome in report.files:
            if outcome.status == "rejected":
                console_err.print(f"[bold red]rejected[/] {outcome.error}", highlight=False)
        raise typer.Exit(code=InvalidInput.exit_code)
