"""``traceapi trace where-used|where-from`` and ``traceapi impact``: answers as tables or JSON."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from rich.table import Table

from traceapi.cli.common import cli_settings, console, opened_store, print_json
from traceapi.cli.groups import app, trace_app
from traceapi.domain.results import ImpactReport, NodeView, TraceReport
from traceapi.errors import InvalidInput

MaxDepth = Annotated[
    int | None, typer.Option("--max-depth", min=0, help="Stop this many edges from the lot.")
]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON document and nothing else.")]
Rows = Annotated[int, typer.Option("--rows", min=1, help="Rows shown per table (not for --json).")]
LotId = Annotated[
    str, typer.Argument(help="A lot id, alias, EPC class URN, GS1 element string or Digital Link.")
]


def _value(view: BaseModel, name: str) -> str:
    value: Any = getattr(view, name, None)
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _table(title: str, views: Sequence[BaseModel], columns: Sequence[str], *, rows: int) -> None:
    """One table of a trace answer; long lists are cut at ``rows`` with a count of the rest."""
    if not views:
        return
    table = Table(title=f"{title} ({len(views)})", title_justify="left", show_lines=False)
    for column in columns:
        table.add_column(column.replace("_", " "), overflow="fold")
    for view in views[:rows]:
        table.add_row(*(_value(view, column) for column in columns))
    console.print(table)
    if len(views) > rows:
        console.print(f"  ... and {len(views) - rows} more (--rows N shows more, --json all)")


def _depth_summary(views: Sequence[NodeView]) -> str:
    by_depth = Counter(view.depth or 0 for view in views)
    return ", ".join(f"depth {depth}: {count}" for depth, count in sorted(by_depth.items()))


def _show_trace(report: TraceReport, *, rows: int) -> None:
    lot = report.lot
    heading = (
        "where-used (downstream)" if report.direction == "forward" else "where-from (upstream)"
    )
    console.print(
        f"[bold]{heading}[/] of [bold cyan]{lot.id}[/] "
        f"{_value(lot, 'name') or _value(lot, 'material')} "
        f"status={_value(lot, 'status') or '-'}",
        highlight=False,
    )
    if report.lots:
        console.print(f"lots by depth: {_depth_summary(report.lots)}", highlight=False)
    _table(
        "Lots",
        report.lots,
        ("depth", "id", "lot_type", "material", "status", "quantity", "unit", "lot_number"),
        rows=rows,
    )
    _table(
        "Process steps",
        report.process_steps,
        ("depth", "id", "step_code", "equipment", "started_at", "ended_at"),
        rows=rows,
    )
    _table("Equipment", report.equipment, ("depth", "id", "name"), rows=rows)
    _table("Suppliers", report.suppliers, ("depth", "id", "name", "country"), rows=rows)
    _table("Shipments", report.shipments, ("depth", "id", "shipped_at", "origin"), rows=rows)
    _table(
        "Customers", report.customers, ("depth", "id", "name", "customer_type", "region"), rows=rows
    )
    total = sum(
        len(v)
        for v in (
            report.lots,
            report.process_steps,
            report.equipment,
            report.suppliers,
            report.shipments,
            report.customers,
        )
    )
    if total == 0:
        console.print("nothing found in this direction")


@trace_app.command("where-used")
def where_used(
    lot: LotId, max_depth: MaxDepth = None, as_json: AsJson = False, rows: Rows = 50
) -> None:
    """Everything downstream of a lot: lots made from it, shipments, customers."""
    from traceapi.services.trace import trace_forward

    settings = cli_settings()
    with opened_store(settings) as store:
        report = trace_forward(
            store, lot_id=lot, max_depth=max_depth, max_nodes=settings.max_trace_nodes
        )
    if as_json:
        print_json(report)
    else:
        _show_trace(report, rows=rows)


@trace_app.command("where-from")
def where_from(
    lot: LotId, max_depth: MaxDepth = None, as_json: AsJson = False, rows: Rows = 50
) -> None:
    """Everything upstream of a lot: input lots, process steps, equipment, suppliers."""
    from traceapi.services.trace import trace_backward

    settings = cli_settings()
    with opened_store(settings) as store:
        report = trace_backward(
            store, lot_id=lot, max_depth=max_depth, max_nodes=settings.max_trace_nodes
        )
    if as_json:
        print_json(report)
    else:
        _show_trace(report, rows=rows)


def _show_impact(report: ImpactReport, *, rows: int) -> None:
    summary = report.summary
    seeds = ", ".join(view.id for view in report.seed_lots)
    console.print(f"[bold]Recall impact[/] of [bold cyan]{seeds}[/]", highlight=False)
    overview = Table(show_header=False, box=None)
    overview.add_column()
    overview.add_column(justify="right")
    for label, value in (
        ("affected lots", summary.affected_lots),
        ("finished lots", summary.finished_lots),
        ("lots with stock on hand", summary.lots_with_stock_on_hand),
        ("shipments", summary.shipments),
        ("customers", summary.customers),
        (
            "customers by tier",
            ", ".join(f"tier {t}: {n}" for t, n in summary.customers_by_tier.items()),
        ),
        ("quantity shipped", ", ".join(f"{q:g} {u}" for u, q in summary.quantity_shipped.items())),
        ("quantity on hand", ", ".join(f"{q:g} {u}" for u, q in summary.quantity_on_hand.items())),
        (
            "quantity in distribution",
            ", ".join(f"{q:g} {u}" for u, q in summary.quantity_in_distribution.items()),
        ),
        ("stock figures below zero", summary.negative_stock),
        (
            "seed",
            "; ".join(
                f"{b['seed']:g} {u}: {b['distributed']:g} distributed, {b['on_hand']:g} on hand, "
                f"{b['unaccounted']:g} unaccounted"
                for u, b in summary.seed_balance.items()
            ),
        ),
        ("steps with an open mass balance", summary.unaccounted_steps),
    ):
        overview.add_row(label, str(value))
    console.print(overview)
    _table(
        "Finished lots",
        report.finished_lots,
        ("depth", "id", "material", "status", "quantity", "on_hand", "quantity_share"),
        rows=rows,
    )
    _table(
        "Stock on hand (ours)",
        report.stock_on_hand,
        ("id", "material", "on_hand", "on_hand_unit", "negative"),
        rows=rows,
    )
    _table(
        "Stock in distribution",
        report.stock_in_distribution,
        ("holder", "lot_id", "received", "shipped_onward", "quantity", "unit", "negative"),
        rows=rows,
    )
    _table("Shipments", report.shipments, ("depth", "id", "shipped_at", "origin"), rows=rows)
    _table(
        "Customers",
        report.customers,
        ("tier", "id", "name", "customer_type", "region", "quantity", "unit"),
        rows=rows,
    )
    _table(
        "Consignee rows (tier per route)",
        report.consignees,
        ("tier", "route", "via", "customer_id", "lot_id", "quantity", "unit"),
        rows=rows,
    )


@app.command("impact")
def impact(
    lots: Annotated[list[str], typer.Argument(help="One or more seed lots (any identifier form).")],
    max_depth: MaxDepth = None,
    as_json: AsJson = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print the consignee list as CSV.")] = False,
    rows: Rows = 50,
) -> None:
    """Recall impact of seed lots: affected lots, stock on hand, shipments, consignees by tier."""
    if as_json and as_csv:
        raise InvalidInput("choose one of --json and --csv")
    from traceapi.services.impact import consignee_csv, recall_consignees, recall_impact

    settings = cli_settings()
    if as_csv:
        with opened_store(settings) as store:
            consignees = recall_consignees(
                store, lot_ids=lots, max_depth=max_depth, max_nodes=settings.max_trace_nodes
            )
        sys.stdout.write(consignee_csv(consignees))
        return
    with opened_store(settings) as store:
        report = recall_impact(
            store, lot_ids=lots, max_depth=max_depth, max_nodes=settings.max_trace_nodes
        )
    if as_json:
        print_json(report)
    else:
        _show_impact(report, rows=rows)
