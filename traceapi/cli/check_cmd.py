"""``traceapi db check``: the data-quality report (also printed after every CSV load)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from traceapi.cli.common import console, opened_store, print_json
from traceapi.cli.groups import db_app
from traceapi.cli.progress import working
from traceapi.errors import CorruptData
from traceapi.store.base import DamagedRecord

if TYPE_CHECKING:  # the check pulls in numpy; only `db check` should pay for that import
    from traceapi.services.quality import QualityReport

_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def print_quality(report: QualityReport, *, examples: int = 3) -> None:
    """A short table of the findings with a few examples each, then the score."""
    from traceapi.services.quality import percent  # loaded with the report, after numpy

    table = Table(
        title=f"data quality ({report.backend}: {report.nodes:,} nodes, {report.edges:,} edges)",
        title_justify="left",
    )
    table.add_column("finding")
    table.add_column("count", justify="right")
    table.add_column("examples")
    for finding in report.findings:
        if not finding.count:
            continue
        shown = ", ".join(
            str(example.get("id") or example.get("node") or example.get("nodes"))
            for example in finding.examples[:examples]
        )
        if finding.count > examples:
            shown += ", ..."
        style = _STYLE[finding.severity]
        table.add_row(
            f"[{style}]{finding.severity}[/] {finding.title}", f"{finding.count:,}", shown
        )
    if table.row_count:
        console.print(table)
    else:
        console.print("no findings: every check passed")
    parts = ", ".join(f"{name} {percent(ratio)}" for name, ratio in report.score_parts.items())
    console.print(
        f"completeness score [bold]{report.score:.1f}[/] / 100" + (f" ({parts})" if parts else ""),
        highlight=False,
    )


@db_app.command("check")
def check(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    tolerance: Annotated[
        float,
        typer.Option("--tolerance", min=0.0, help="Relative mass-balance gap allowed per step."),
    ] = 0.05,
    examples: Annotated[
        int, typer.Option("--examples", min=0, max=1000, help="Examples listed per finding.")
    ] = 10,
) -> None:
    """Data-quality report: cycles, self-loops, lots without origin, mass-balance gaps, ...

    Findings are a report, not a failure: the exit code is 0 unless the check itself fails.
    Stored records that do not decode come first: they are listed and the exit code is 10
    (the rest of the report needs every record readable).
    """
    from traceapi.services.quality import check_quality

    with opened_store() as store, working("checking data quality"):
        damaged = store.damaged_records(limit=max(examples, 100))
        report = None if damaged else check_quality(store, tolerance=tolerance, examples=examples)
    if report is None:
        _print_damaged(damaged, as_json=as_json)
        raise typer.Exit(CorruptData.exit_code)
    if as_json:
        print_json(report)
    else:
        print_quality(report)


def _print_damaged(damaged: list[DamagedRecord], *, as_json: bool) -> None:
    if as_json:
        print_json({"damaged_records": [record._asdict() for record in damaged]})
        return
    table = Table(title="damaged records: stored, but they do not decode", title_justify="left")
    table.add_column("record", overflow="fold")
    table.add_column("why")
    for record in damaged:
        table.add_row(f"[bold red]{record.record}[/]", record.reason)
    console.print(table)
    console.print(
        "Answers that contain these records fail with CORRUPT_DATA; restore them from a backup "
        "or load their source again."
    )
