"""The root Typer app and its command groups; each ``*_cmd`` module decorates commands onto them."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="traceapi",
    help="Lot traceability: where-used, where-from, recall impact.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
trace_app = typer.Typer(
    help="Trace one lot downstream (where-used) or upstream (where-from).", no_args_is_help=True
)
load_app = typer.Typer(
    help="Load source data (GS1 EPCIS, CSV bundles); idempotent.", no_args_is_help=True
)
db_app = typer.Typer(
    help="Store administration: init, stats, export, checks, migrations, copies.",
    no_args_is_help=True,
)
keys_app = typer.Typer(help="API keys: create, list, revoke.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit trail.", no_args_is_help=True)
users_app = typer.Typer(
    help="People: create, list, disable, reset passwords, change roles.", no_args_is_help=True
)

app.add_typer(trace_app, name="trace")
app.add_typer(load_app, name="load")
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
app.add_typer(audit_app, name="audit")
app.add_typer(users_app, name="users")
