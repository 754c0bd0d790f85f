"""``traceapi graph``: a picture (SVG) of a where-used, where-from or recall impact answer."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from traceapi.cli.common import cli_settings, opened_store
from traceapi.cli.groups import app
from traceapi.errors import InvalidInput


class GraphDirection(StrEnum):
    WHERE_USED = "where-used"
    WHERE_FROM = "where-from"
    IMPACT = "impact"


@app.command("graph")
def graph(
    ids: Annotated[
        list[str],
        typer.Argument(
            metavar="ID...",
            help="The lot (any identifier form); several seed lots for --direction impact.",
        ),
    ],
    direction: Annotated[
        GraphDirection, typer.Option("--direction", help="What to draw.")
    ] = GraphDirection.WHERE_USED,
    max_depth: Annotated[
        int | None, typer.Option("--max-depth", min=0, help="Stop this many edges from the lot.")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Write the SVG here and print the path (default: SVG on stdout)."
        ),
    ] = None,
) -> None:
    """Draw a trace or a recall impact as an SVG graph, material flowing left to right."""
    from traceapi.render import impact_svg, trace_svg

    if direction is not GraphDirection.IMPACT and len(ids) != 1:
        raise InvalidInput(
            f"{direction.value} draws one lot, got {len(ids)}; use --direction impact for several",
            details={"field": "ids"},
        )
    settings = cli_settings()
    with opened_store(settings) as store:
        if direction is GraphDirection.IMPACT:
            from traceapi.services.impact import recall_impact

            impact = recall_impact(
                store, lot_ids=ids, max_depth=max_depth, max_nodes=settings.max_trace_nodes
            )
            svg = impact_svg(store, impact)
        else:
            from traceapi.services.trace import trace_backward, trace_forward

            trace = trace_forward if direction is GraphDirection.WHERE_USED else trace_backward
            report = trace(
                store, lot_id=ids[0], max_depth=max_depth, max_nodes=settings.max_trace_nodes
            )
            svg = trace_svg(store, report)
    if out is None:
        sys.stdout.write(svg)
        return
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(svg, encoding="utf-8")
    except OSError as err:
        raise InvalidInput(
            f"cannot write {out}: {err.strerror or err}",
            details={"field": "--out", "path": str(out)},
        ) from err
    print(out)
