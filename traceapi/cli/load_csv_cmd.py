"""``traceapi load csv DIR``: a CSV bundle into the store as one batch, then the quality report."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from traceapi.cli.check_cmd import print_quality
from traceapi.cli.common import console, console_err, opened_store, print_json
from traceapi.cli.groups import load_app
from traceapi.errors import InvalidInput

if TYPE_CHECKING:  # loaders and the quality check load only when `load csv` runs
    from loaders.csv_bundle import CsvLoadReport
    from loaders.csv_bundle import Progress as LoadProgress
    from traceapi.services.quality import QualityReport


@contextmanager
def _progress() -> Iterator[LoadProgress | None]:
    """A bytes-read bar with the current stage on stderr, drawn only when it is a terminal."""
    if not console_err.is_terminal:
        yield None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console_err, transient=True) as bar:
        task = bar.add_task("reading", total=None)

        def update(description: str, done: int, total: int) -> None:
            bar.update(task, description=description, completed=done, total=total or None)

        yield update


def _report_json(report: CsvLoadReport, quality: QualityReport | None) -> dict[str, Any]:
    outcome = report.files[0] if report.files else None
    body: dict[str, Any] = {
        "directory": report.directory,
        "status": outcome.status if outcome else "rejected",
        "rows": report.rows,
        "totals": report.totals.model_dump(mode="json"),
        "loaded": len(report.files) - report.rejected,
        "rejected": report.rejected,
        "warnings": outcome.warnings if outcome else [],
        "elapsed_s": report.elapsed_s,
    }
    if outcome is not None and outcome.status == "rejected":
        body["error"] = outcome.error
        body["details"] = outcome.details
    if quality is not None:
        body["quality"] = quality.model_dump(mode="json")
    return body


def _print_counts(report: CsvLoadReport) -> None:
    totals = report.totals
    console.print(f"loaded bundle {report.directory}", highlight=False)
    table = Table()
    for column in ("", "added", "updated", "unchanged"):
        table.add_column(column, justify="right" if column else "left")
    table.add_row(
        "nodes",
        f"{totals.nodes_added:,}",
        f"{totals.nodes_updated:,}",
        f"{totals.nodes_unchanged:,}",
    )
    table.add_row(
        "edges",
        f"{totals.edges_added:,}",
        f"{totals.edges_updated:,}",
        f"{totals.edges_unchanged:,}",
    )
    table.add_row("aliases", f"{totals.aliases_added:,}", "", "")
    console.print(table)
    rows = sum(report.rows.values())
    console.print(
        f"{rows:,} rows from {len(report.rows)} file(s) in {report.elapsed_s:.1f} s; rejected: 0",
        highlight=False,
    )


def _print_rejection(report: CsvLoadReport) -> None:
    for outcome in report.files:
        if outcome.status != "rejected":
            continue
        console_err.print("[bold red]rejected[/] ", end="")
        console_err.print(outcome.error or "", highlight=False, markup=False)
        details = outcome.details if isinstance(outcome.details, dict) else {}
        for error in details.get("errors", [])[1:]:
            where = f"{error['file']}:{error['line']}"
            field = f" [{error['field']}]" if error.get("field") else ""
            console_err.print(
                f"  {where}{field}: {error['message']}", highlight=False, markup=False
            )
        if details.get("more_errors"):
            console_err.print(f"  ... and {details['more_errors']} more", highlight=False)


@load_app.command("csv")
def load_csv(
    directory: Annotated[
        Path,
        typer.Argument(
            help="The bundle directory (suppliers.csv, lots.csv, ...; see docs/csv-format.md).",
            file_okay=False,
        ),
    ],
    mapping: Annotated[
        Path | None,
        typer.Option(
            "--mapping",
            dir_okay=False,
            help="Column mapping (YAML or TOML); default: mapping.yaml in the bundle.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    check: Annotated[
        bool, typer.Option("--check/--no-check", help="Run the data-quality report after loading.")
    ] = True,
) -> None:
    """Load a CSV bundle: validated whole, then written in one transaction; idempotent."""
    from loaders.csv_bundle import load_csv_bundle
    from traceapi.services.quality import check_quality

    quality: QualityReport | None = None
    with opened_store(create=True) as store:
        with _progress() as progress:
            report = load_csv_bundle(store, directory, mapping=mapping, progress=progress)
        if check and not report.rejected:
            quality = check_quality(store)
    if as_json:
        print_json(_report_json(report, quality))
    elif report.rejected:
        console.print(f"bundle {report.directory} rejected: nothing was written", highlight=False)
    else:
        _print_counts(report)
        for outcome in report.files:
            for warning in outcome.warnings:
                console_err.print("[yellow]warning[/] ", end="")
                console_err.print(warning, highlight=False, markup=False)
        if quality is not None:
            print_quality(quality)
    if report.rejected:
        _print_rejection(report)
        raise typer.Exit(code=InvalidInput.exit_code)
