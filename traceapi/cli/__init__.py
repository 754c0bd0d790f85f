"""The ``traceapi`` command: the groups of ``groups.py`` filled by one module per concern."""

from __future__ import annotations

import importlib
import sys

import typer

from traceapi.cli.common import console_err
from traceapi.cli.groups import app
from traceapi.errors import TraceapiError

# Importing a command module registers its commands on the groups.
COMMAND_MODULES = (
    "root_options",  # --data-dir, --version
    "demo_cmd",  # demo, serve
    "trace_cmd",  # trace where-used|where-from, impact
    "scan_cmd",  # scan
    "db_cmd",  # db stats, db export
    "db_admin_cmd",  # db migrate, db copy
    "check_cmd",  # db check
    "load_epcis_cmd",  # load epcis
    "load_csv_cmd",  # load csv
    "keys_cmd",  # keys create|list|revoke
    "users_cmd",  # users create|list|disable|reset-password|roles
    "audit_cmd",  # audit verify, audit show
    "graph_cmd",  # graph (an SVG picture of a trace or recall)
    "unit_cmd",  # unit (whereabouts of a serialised unit), units (a lot's units and places)
    "rootcause_cmd",  # rootcause, equipment-window
)
for _name in COMMAND_MODULES:
    importlib.import_module(f"traceapi.cli.{_name}")


def main() -> None:
    """Entry point: runs the app and turns a TraceapiError into a message and an exit code."""
    try:
        # With standalone_mode=False click returns a typer.Exit code instead of raising it.
        code = app(standalone_mode=False)
        if isinstance(code, int) and code != 0:
            sys.exit(code)
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
    except Exception as err:
        import click

        # Recent typer vendors click (typer._click); its usage errors are TyperExceptions.
        usage_error = (click.exceptions.ClickException, typer.TyperException)
        if isinstance(err, usage_error) and hasattr(err, "show"):
            err.show()
            sys.exit(getattr(err, "exit_code", 2))
        raise


__all__ = ["app", "main"]
