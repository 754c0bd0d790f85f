"""``traceapi rootcause``, ``traceapi equipment-window`` and ``traceapi parameter-window``:
causes, machine windows and parameters out of range."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from typer.core import TyperCommand

from traceapi.cli.common import cli_settings, console, opened_store, print_json
from traceapi.cli.groups import app
from traceapi.errors import InvalidInput
from traceapi.services.rootcause import (
    DEFAULT_LEVEL,
    DEFAULT_LIMIT,
    EquipmentWindowReport,
    ParameterWindowReport,
    RootCauseReport,
)
from traceapi.services.rootcause.baseline import DEFAULT_PERIOD_DAYS

AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON document and nothing else.")]


def _p(value: float) -> str:
    return f"{value:.2g}" if value >= 0.001 else f"{value:.1e}"


def _explained(by: list[str]) -> str:
    return "" if not by else by[0] if len(by) == 1 else f"{by[0]} (+{len(by) - 1})"


def _show(report: RootCauseReport, *, rows: int) -> None:
    baseline = report.baseline
    assert baseline is not None
    lots = ", ".join(view.id for view in report.lots)
    console.print(f"[bold]Root cause[/] of [bold cyan]{lots}[/]", highlight=False)
    console.print(
        f"baseline ({baseline.rule.value}): {len(baseline.lots)} {baseline.description}",
        highlight=False,
    )
    console.print(
        f"{report.tested} factors tested; {report.significant} significant at "
        f"{report.level:g} (Benjamini-Hochberg)",
        highlight=False,
    )
    table = Table(title_justify="left")
    columns = ("rank", "kind", "id", "anomalous", "baseline", "lift", "p", "adjusted", "sig")
    for column in (*columns, "explained by"):
        table.add_column(column, overflow="fold")
    n_bad, n_good = len(report.lots), len(baseline.lots)
    for c in report.candidates[:rows]:
        table.add_row(
            str(c.rank),
            c.kind.value,
            c.id,
            f"{len(c.anomalous_lots)}/{n_bad}",
            f"{len(c.baseline_lots)}/{n_good}",
            "-" if c.lift is None else f"{c.lift:.3g}",
            _p(c.p_value),
            _p(c.adjusted_p_value),
            "yes" if c.significant else "",
            _explained(c.explained_by),
        )
    console.print(table)
    more = len(report.candidates) - rows + report.candidates_left_out
    if more > 0:
        console.print(f"  ... and {more} more (--rows N shows more, --json all)")


def _write(path: Path, text: str, *, option: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as err:
        raise InvalidInput(
            f"cannot write {path}: {err.strerror or err}",
            details={"field": option, "path": str(path)},
        ) from err


def spread_option(args: list[str], option: str) -> list[str]:
    """``OPTION A B C`` as ``OPTION A OPTION B OPTION C``: the values after the option up to
    the next option (or ``--``), so ``--baseline LOT...`` reads as written; the repeated form
    and ``OPTION=A`` pass unchanged, and an option given no value is left for click to
    refuse."""
    spread: list[str] = []
    values: int | None = None  # values taken since the option, None when not after it
    for position, arg in enumerate(args):
        if arg == "--" or (arg.startswith("-") and len(arg) > 1):
            if values == 0:
                spread.append(option)
            values = None
            if arg == "--":
                spread.extend(args[position:])
                return spread
            if arg == option:
                values = 0
            else:
                spread.append(arg)
        elif values is not None:
            spread.extend([option, arg])
            values += 1
        else:
            spread.append(arg)
    if values == 0:
        spread.append(option)
    return spread


class _ManyBaselineLots(TyperCommand):
    """``traceapi rootcause``: ``--baseline`` takes every value up to the next option."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # typer's own click Context
        return super().parse_args(ctx, spread_option(args, "--baseline"))


@app.command("rootcause", cls=_ManyBaselineLots)
def rootcause(
    lots: Annotated[list[str], typer.Argument(help="The anomalous lots (any identifier form).")],
    baseline: Annotated[
        list[str] | None,
        typer.Option(
            "--baseline",
            help="Comparable good lots: --baseline A B C (every value up to the next option; "
            "put the anomalous lots first), or --baseline A --baseline B.",
        ),
    ] = None,
    passed_inspection: Annotated[
        str | None,
        typer.Option(
            "--passed-inspection", help="Baseline: lots that passed this inspection characteristic."
        ),
    ] = None,
    period_days: Annotated[
        int, typer.Option("--period-days", min=0, help="Default baseline's days around the lots.")
    ] = DEFAULT_PERIOD_DAYS,
    level: Annotated[float, typer.Option("--level", help="Significance level.")] = DEFAULT_LEVEL,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Candidates listed.")] = (
        DEFAULT_LIMIT
    ),
    graphml: Annotated[
        Path | None, typer.Option("--graphml", help="Write the neighbourhood as GraphML here.")
    ] = None,
    svg: Annotated[
        Path | None, typer.Option("--svg", help="Draw the neighbourhood as SVG here.")
    ] = None,
    as_json: AsJson = False,
    rows: Annotated[int, typer.Option("--rows", min=1, help="Rows shown (not for --json).")] = 20,
) -> None:
    """Candidate causes of anomalous lots: what their genealogies share that good lots' do not,
    with coverage, lift, Fisher p-values and Benjamini-Hochberg adjusted values."""
    from traceapi.services.rootcause import root_cause, subgraph_graphml

    settings = cli_settings()
    with opened_store(settings) as store:
        report = root_cause(
            store,
            lot_ids=lots,
            baseline=baseline or None,
            passed_inspection=passed_inspection,
            period_days=period_days,
            level=level,
            limit=limit,
            subgraph=graphml is not None or svg is not None,
            max_nodes=settings.max_trace_nodes,
        )
        if svg is not None and report.subgraph is not None:
            from traceapi.render import rootcause_svg

            _write(svg, rootcause_svg(store, report), option="--svg")
    if graphml is not None and report.subgraph is not None:
        _write(graphml, subgraph_graphml(report.subgraph), option="--graphml")
    report.subgraph = None  # written to a file, not repeated on stdout
    if as_json:
        print_json(report)
    else:
        _show(report, rows=rows)


def _show_window(report: EquipmentWindowReport) -> None:
    console.print(
        f"[bold]{report.equipment.id}[/] from {report.window_from} to {report.window_to}: "
        f"{len(report.process_steps)} steps made {len(report.lots)} lots",
        highlight=False,
    )
    table = Table(title="Lots made in the window", title_justify="left")
    table.add_column("id")
    table.add_column("material")
    table.add_column("status")
    for lot in report.lots:
        table.add_row(lot.id, str(getattr(lot, "material", "")), str(getattr(lot, "status", "")))
    console.print(table)
    if report.carry_over_lots:
        carried = ", ".join(lot.id for lot in report.carry_over_lots)
        console.print(f"carry-over candidates (next runs): {carried}", highlight=False)
    if report.impact is not None:
        summary = report.impact.summary
        console.print(
            f"impact: {summary.finished_lots} finished lots, {summary.shipments} shipments, "
            f"{summary.customers} customers (traceapi impact LOT... for the whole answer)",
            highlight=False,
        )


@app.command("equipment-window")
def equipment_window_cmd(
    equipment: Annotated[str, typer.Argument(help="The machine (its id or an alias).")],
    window_from: Annotated[str, typer.Option("--from", help="Window start (ISO 8601).")],
    window_to: Annotated[str, typer.Option("--to", help="Window end (ISO 8601).")],
    carry_over: Annotated[
        int, typer.Option("--carry-over", min=0, help="Runs after the window to report.")
    ] = 1,
    impact: Annotated[bool, typer.Option("--impact", help="Add the lots' recall impact.")] = False,
    as_json: AsJson = False,
) -> None:
    """What a machine made in a time window (a step running at any moment of it counts), the
    lots of its next runs (carry-over candidates) and, with --impact, their recall impact."""
    from traceapi.services.rootcause import equipment_window

    settings = cli_settings()
    with opened_store(settings) as store:
        report = equipment_window(
            store,
            equipment=equipment,
            window_from=window_from,
            window_to=window_to,
            carry_over=carry_over,
            impact=impact,
            max_nodes=settings.max_trace_nodes,
        )
    if as_json:
        print_json(report)
    else:
        _show_window(report)


def _show_parameters(report: ParameterWindowReport) -> None:
    bounds = f"[{'-inf' if report.low is None else f'{report.low:g}'}, "
    bounds += f"{'inf' if report.high is None else f'{report.high:g}'}]"
    scope = " and ".join(
        x
        for x in (
            f"with step code {report.step_code}" if report.step_code else "",
            f"on {report.equipment.id}" if report.equipment else "",
        )
        if x
    )
    when = ""
    if report.window_from or report.window_to:
        when = f" from {report.window_from or '-'} to {report.window_to or '-'}"
    console.print(
        f"[bold]{report.parameter}[/] outside {bounds} on steps {scope}{when}: "
        f"{len(report.readings)} of {report.steps_checked} steps made {len(report.lots)} lots",
        highlight=False,
    )
    if report.without_parameter:
        console.print(
            f"{len(report.without_parameter)} steps record no number for {report.parameter}",
            highlight=False,
        )
    if not report.readings:
        return
    table = Table(title="Steps out of range", title_justify="left")
    for column in ("step", "value", "started", "equipment", "lots made"):
        table.add_column(column, overflow="fold")
    for reading in report.readings:
        table.add_row(
            reading.step,
            f"{reading.value:g}",
            reading.started_at or "",
            ", ".join(reading.equipment),
            ", ".join(reading.lots),
        )
    console.print(table)
    if report.impact is not None:
        summary = report.impact.summary
        console.print(
            f"impact: {summary.finished_lots} finished lots, {summary.shipments} shipments, "
            f"{summary.customers} customers (traceapi impact LOT... for the whole answer)",
            highlight=False,
        )


@app.command("parameter-window")
def parameter_window_cmd(
    parameter: Annotated[
        str, typer.Argument(help="A process parameter (a key of a step's params).")
    ],
    low: Annotated[float | None, typer.Option("--low", help="Values below this are out.")] = None,
    high: Annotated[float | None, typer.Option("--high", help="Values above this are out.")] = None,
    step_code: Annotated[
        str | None, typer.Option("--step-code", help="Steps with this step code.")
    ] = None,
    equipment: Annotated[
        str | None, typer.Option("--equipment", help="Steps on this machine (id or alias).")
    ] = None,
    window_from: Annotated[
        str | None, typer.Option("--from", help="Window start (ISO 8601).")
    ] = None,
    window_to: Annotated[str | None, typer.Option("--to", help="Window end (ISO 8601).")] = None,
    impact: Annotated[bool, typer.Option("--impact", help="Add the lots' recall impact.")] = False,
    as_json: AsJson = False,
) -> None:
    """Steps of a step code (or on a machine) whose recorded parameter was outside [--low,
    --high], optionally in a time window: their values, the lots they made and, with --impact,
    those lots' recall impact."""
    from traceapi.services.rootcause import parameter_window

    settings = cli_settings()
    with opened_store(settings) as store:
        report = parameter_window(
            store,
            parameter=parameter,
            low=low,
            high=high,
            step_code=step_code,
            equipment=equipment,
            window_from=window_from,
            window_to=window_to,
            impact=impact,
            max_nodes=settings.max_trace_nodes,
        )
    if as_json:
        print_json(report)
    else:
        _show_parameters(report)
