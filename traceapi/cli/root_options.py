"""Options of ``traceapi`` itself, given before any command: ``--data-dir`` and ``--version``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from traceapi.cli.common import override_settings
from traceapi.cli.groups import app


def _print_version(value: bool) -> None:
    if value:
        from traceapi import __version__

        print(f"traceapi {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            file_okay=False,
            help="Directory of the embedded store (and the demo's keys file); overrides "
            "TRACEAPI_DATA_DIR, whose default is ./data.",
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_print_version, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Lot traceability: where-used, where-from, recall impact."""
    if data_dir is not None:
        override_settings(data_dir=data_dir)
