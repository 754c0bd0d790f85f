"""``traceapi unit`` and ``traceapi units``: where a serialised unit has been and is now, and
where the units of a lot are (at one consignee, or all of them)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from traceapi.cli.common import cli_settings, console, opened_store, print_json
from traceapi.cli.groups import app
from traceapi.services.whereabouts import (
    LotUnitsReport,
    UnitPlace,
    UnitWhereabouts,
    lot_units,
    unit_whereabouts,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


@app.command("unit")
def unit_command(
    identifier: Annotated[
        str,
        typer.Argument(
            metavar="ID",
            help="The unit: id, SGTIN URN, GS1 element string (01)...(21)... or Digital Link.",
        ),
    ],
    as_json: JsonOption = False,
) -> None:
    """Where a serialised unit has been (commissioning, packing, shipments, with their places)
    and where it is now."""
    with opened_store() as store:
        answer = unit_whereabouts(store, unit=identifier)
    if as_json:
        print_json(answer)
        return
    _print_whereabouts(answer)


@app.command("units")
def units_command(
    lot: Annotated[str, typer.Argument(metavar="LOT", help="Any identifier of the lot.")],
    consignee: Annotated[
        str | None,
        typer.Option(
            "--consignee", help="Only the units at this customer (its id or GLN, any GS1 form)."
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """The serialised units of a lot and where each is now; with --consignee, those at that
    consignee and those it shipped on."""
    settings = cli_settings()
    with opened_store(settings) as store:
        report = lot_units(store, lot=lot, consignee=consignee, max_nodes=settings.max_trace_nodes)
    if as_json:
        print_json(report)
        return
    _print_lot_units(report)


def _place(place: UnitPlace) -> str:
    if place.status == "with_us":
        return "with us"
    holder = place.holder_name or place.holder or "no consignee recorded"
    status = "received by" if place.status == "received" else "in transit to"
    when = f" since {place.since}" if place.since else ""
    return f"{status} {holder}" + (f" ({place.holder})" if place.holder_name else "") + when


def _print_whereabouts(answer: UnitWhereabouts) -> None:
    lot = answer.lot.id if answer.lot is not None else "no lot recorded"
    console.print(f"unit {answer.unit.id} (serial {answer.serial or '?'}) of lot {lot}")
    if answer.commissioned_at or answer.commissioned_read_point:
        place = answer.commissioned_read_point or answer.commissioned_biz_location or "?"
        console.print(f"commissioned {answer.commissioned_at or '?'} at {place}")
    console.print(f"now: {_place(answer.now)}", highlight=False)
    if answer.packing:
        table = Table(title="packing", title_justify="left")
        for column in ("item", "container", "packed", "taken out", "place"):
            table.add_column(column)
        for p in answer.packing:
            table.add_row(
                p.item,
                p.container,
                p.packed_at or "",
                p.removed_at or ("" if p.current else "yes, time not recorded"),
                p.packed_read_point or p.packed_biz_location or "",
            )
        console.print(table)
    if answer.shipments:
        table = Table(title="shipments that carried it", title_justify="left")
        for column in ("shipment", "shipped", "from", "to", "in", "received"):
            table.add_column(column)
        for s in answer.shipments:
            table.add_row(
                s.shipment,
                s.shipped_at or "",
                s.origin or "us",
                ", ".join(s.consignees),
                ", ".join(s.containers) or "itself",
                s.received_at or "in transit",
            )
        console.print(table)


def _print_lot_units(report: LotUnitsReport) -> None:
    where = f" at {report.consignee.id}" if report.consignee is not None else ""
    counts = ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in report.by_status.items())
    n = len(report.units)
    console.print(
        f"lot {report.lot.id}: {n} unit{'' if n == 1 else 's'}{where}"
        + (f" ({counts})" if counts else "")
    )
    for title, units in (("units", report.units), ("received and shipped on", report.passed_on)):
        if not units:
            continue
        table = Table(title=title, title_justify="left")
        for column in ("unit", "serial", "where"):
            table.add_column(column)
        for u in units:
            table.add_row(u.id, u.serial or "", _place(u.place))
        console.print(table)
