"""``traceapi scan``: decode a barcode or Digital Link, find its lot, and trace it."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.table import Table

from traceapi.cli.common import cli_settings, console, opened_store, print_json
from traceapi.cli.groups import app
from traceapi.domain.gs1 import Element, GS1Error, ParsedIdentifier, parse_identifier
from traceapi.domain.gs1.element_string import GS, currency_code
from traceapi.domain.model import Node
from traceapi.domain.results import NodeView, TraceReport
from traceapi.errors import NotFound
from traceapi.services.lookup import resolve_lot
from traceapi.services.trace import trace_backward, trace_forward
from traceapi.store.base import GraphStore

# Ways to write the GS (FNC1) separator on a command line, where the control character is awkward.
_GS_SPELLINGS = ("<GS>", "{GS}", "\\x1d", "\\x1D", "\\u001d", "\\u001D", "\u241d")


class Direction(StrEnum):
    WHERE_USED = "where-used"
    WHERE_FROM = "where-from"


def read_scan(text: str) -> str:
    """The scanned text with a typed ``<GS>``, ``\\x1d`` or ``␝`` turned into the GS character."""
    for spelling in _GS_SPELLINGS:
        text = text.replace(spelling, GS)
    return text


def element_facts(element: Element) -> dict[str, Any]:
    """One decoded AI as plain data (the --json shape)."""
    facts: dict[str, Any] = {"ai": element.ai, "title": element.title, "value": element.value}
    if element.date is not None:
        facts["date"] = element.date.isoformat()
    if element.datetime is not None:
        facts["datetime"] = element.datetime.isoformat()
    if element.decimal is not None:
        facts["decimal"] = str(element.decimal)
    if element.currency is not None:
        facts["currency"] = currency_code(element) or element.currency
    return facts


def decoded_facts(parsed: ParsedIdentifier) -> dict[str, Any]:
    """What the scan said: its form, symbology, AIs, and the aliases it is looked up under."""
    facts: dict[str, Any] = {"form": parsed.form}
    if parsed.symbology:
        facts["symbology"] = parsed.symbology
    if parsed.message is not None:
        facts["elements"] = [element_facts(e) for e in parsed.message.elements]
    if parsed.epc is not None:
        epc = parsed.epc
        facts["epc"] = {
            "scheme": epc.scheme,
            "company_prefix_length": epc.company_prefix_length,
            **{k: v for k in ("gtin", "lot", "serial", "sscc", "gln") if (v := getattr(epc, k))},
        }
    facts["keys"] = parsed.keys()
    return facts


def _meaning(facts: dict[str, Any]) -> str:
    for key in ("datetime", "date", "decimal"):
        if key in facts:
            return f"{facts[key]} {facts.get('currency', '')}".strip()
    return ""


def _show_decoded(facts: dict[str, Any]) -> None:
    heading = facts["form"] + (f" ({facts['symbology']})" if "symbology" in facts else "")
    table = Table(title=f"Decoded {heading}", title_justify="left")
    for column in ("AI", "title", "value", "meaning"):
        table.add_column(column, overflow="fold")
    for element in facts.get("elements", []):
        table.add_row(element["ai"], element["title"], element["value"], _meaning(element))
    for key, value in facts.get("epc", {}).items():
        table.add_row("EPC", key, str(value), "")
    console.print(table)


def _show_views(title: str, views: Sequence[NodeView]) -> None:
    if not views:
        return
    table = Table(title=f"{title} ({len(views)})", title_justify="left")
    for column in ("depth", "id", "name"):
        table.add_column(column, overflow="fold")
    for view in views:
        table.add_row(str(view.depth or 0), view.id, view.name or "")
    console.print(table)


def _show_trace(report: TraceReport, direction: Direction) -> None:
    console.print(
        f"[bold]{direction.value}[/] of lot [bold cyan]{report.lot.id}[/] {report.lot.name or ''}",
        highlight=False,
    )
    parts = (
        ("Lots", report.lots),
        ("Process steps", report.process_steps),
        ("Equipment", report.equipment),
        ("Suppliers", report.suppliers),
        ("Shipments", report.shipments),
        ("Customers", report.customers),
    )
    for title, views in parts:
        _show_views(title, views)
    if not any(views for _, views in parts):
        console.print("nothing found in this direction")


def _lot_of(store: GraphStore, parsed: ParsedIdentifier, facts: dict[str, Any], code: str) -> Node:
    try:
        return resolve_lot(store, parsed.text)
    except NotFound:
        tried = ", ".join(facts["keys"]) or parsed.text
        raise NotFound(
            f"no lot is known for the scanned {parsed.form} (looked up: {tried})",
            details={"identifier": code, "keys": facts["keys"]},
        ) from None


@app.command("scan")
def scan(
    code: Annotated[
        str,
        typer.Argument(
            help="A barcode's scan data (]d2..., GS1 element string, '<GS>' for the separator), "
            "a GS1 Digital Link URI or an EPC URN."
        ),
    ],
    direction: Annotated[
        Direction, typer.Option("--direction", help="Trace downstream or upstream.")
    ] = Direction.WHERE_USED,
    max_depth: Annotated[
        int | None, typer.Option("--max-depth", min=0, help="Stop this many edges from the lot.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON document and nothing else.")
    ] = False,
) -> None:
    """Decode a GS1 barcode or link, find the lot it names, and show its trace."""
    text = read_scan(code)
    settings = cli_settings()
    with opened_store(settings) as store:
        try:
            parsed = parse_identifier(text)
        except GS1Error as not_gs1:
            # a plain label (a non-GS1 Code 128, say) may still be a known lot id or alias;
            # if it is not, the GS1 error explains what is wrong with the barcode
            try:
                lot = resolve_lot(store, text.strip())
            except NotFound:
                raise not_gs1 from None
            facts: dict[str, Any] = {"form": "plain identifier", "keys": []}
        else:
            facts = decoded_facts(parsed)
            if not as_json:
                _show_decoded(facts)
            lot = _lot_of(store, parsed, facts, code)
        trace = trace_forward if direction is Direction.WHERE_USED else trace_backward
        report = trace(
            store, lot_id=lot.id, max_depth=max_depth, max_nodes=settings.max_trace_nodes
        )
    if as_json:
        print_json(
            {
                "input": code,
                "decoded": facts,
                "lot": lot.id,
                "direction": direction.value,
                "trace": report.model_dump(mode="json", exclude_none=True),
            }
        )
    else:
        _show_trace(report, direction)
