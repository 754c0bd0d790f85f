"""The ``traceapi`` command: one Typer app assembled from a module per command group."""

from __future__ import annotations

import sys

import typer

from traceapi.cli import (
    audit_cmd,
    db_cmd,
    demo_cmd,
    keys_cmd,
    load_cmd,
    trace_cmd,
)
from traceapi.cli.common import console_err
from traceapi.errors import TraceapiError

app = typer.Typer(
    name="traceapi",
    help="Lot traceability: where-used, where-from, recall impact.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for _module in (demo_cmd, trace_cmd, db_cmd, load_cmd, keys_cmd, audit_cmd):
    _module.register(app)


def main() -> None:
    """Entry point: runs the app and turns a TraceapiError into a message and an exit code."""
    try:
        app(standalone_mode=False)
    except TraceapiError as err:
        console_err.print(f"[bold red]error[/] ({err.code}): {err.message}", highlight=False)
        if err.details:
            console_err.print(f"  {err.details}", highlight=False)
        sys.exit(err.exit_code)
    except typer.Exit as ex:
        sys.exit(ex.exit_code)
    except typer.Abort:
        console_err.print("aborted")
        sys.exit(130)
    except Exception as err:  # click usage errors and the like
        import click

        if isinstance(err, click.exceptions.ClickException):
            err.show()
            sys.exit(err.exit_code)
        raise
