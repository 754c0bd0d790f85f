"""``traceapi users create|list|disable|reset-password|roles``: people who sign in and sign.

The CLI acts as the local operator (whoever can run it on the store's machine), as ``keys``
does; every change is an audit entry naming it. Passwords are read from stdin
(``--password-stdin``) or asked for without echo, never taken from the command line.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from traceapi.cli.common import console, console_err, opened_store, print_json
from traceapi.cli.groups import users_app
from traceapi.domain.security import Role, User
from traceapi.errors import InvalidInput
from traceapi.services import users
from traceapi.services.policy import Principal, RequestContext

OPERATOR = RequestContext(Principal.local_operator())


def _password(from_stdin: bool) -> str:
    if from_stdin:
        text = sys.stdin.readline().rstrip("\r\n")
    else:
        text = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    if not text:
        raise InvalidInput("no password given", details={"field": "password"})
    return text


def _row(user: User) -> dict[str, object]:
    return {
        "user_id": user.user_id,
        "username": user.username,
        "name": user.printed_name,
        "roles": [role.value for role in user.roles],
        "created_at": user.created_at.isoformat(),
        "disabled_at": user.disabled_at.isoformat() if user.disabled_at else None,
        "locked_at": user.locked_at.isoformat() if user.locked_at else None,
        "failed_logins": user.failed_logins,
    }


PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from the first line of stdin.")
]


@users_app.command("create")
def create(
    username: Annotated[str, typer.Option("--username", help="What they sign in with.")],
    name: Annotated[str, typer.Option("--name", help="Printed name, shown on signatures.")],
    role: Annotated[list[Role], typer.Option("--role", help="A role; repeat for several.")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Creates a person (roles viewer, coordinator, qa, admin; 'system' is for API keys)."""
    users.check_username(username)
    users.check_roles(role)
    password = _password(password_stdin)
    with opened_store() as store:
        user = users.create_user(
            store, OPERATOR, username=username, printed_name=name, roles=role, password=password
        )
    roles = ", ".join(r.value for r in user.roles)
    console.print(f"created user {user.username} ({user.printed_name}; {roles})", highlight=False)


@users_app.command("list")
def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Every person, with roles and whether they are disabled or locked (never hashes)."""
    with opened_store() as store:
        people = users.list_users(store)
    if as_json:
        print_json([_row(user) for user in people])
        return
    if not people:
        console.print("no users yet: traceapi users create --username U --name N --role R")
        return
    table = Table(title="Users", title_justify="left")
    for column in ("username", "name", "roles", "created", "status"):
        table.add_column(column)
    for user in people:
        status = "disabled" if user.disabled_at else "locked" if user.locked_at else "active"
        table.add_row(
            user.username,
            user.printed_name,
            ", ".join(r.value for r in user.roles),
            user.created_at.isoformat(),
            status,
        )
    console.print(table)


@users_app.command("disable")
def disable(username: Annotated[str, typer.Argument(help="The username.")]) -> None:
    """Disables an account at once (its tokens stop working within 5 seconds); kept, never
    deleted, so what it signed still names it."""
    with opened_store() as store:
        user = users.disable_user(store, OPERATOR, username=username)
    console.print(f"user {user.username} is disabled", highlight=False)


@users_app.command("reset-password")
def reset_password(
    username: Annotated[str, typer.Argument(help="The username.")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Sets a new password and unlocks an account locked by failed logins."""
    password = _password(password_stdin)
    with opened_store() as store:
        user = users.reset_password(store, OPERATOR, username=username, password=password)
    console.print(f"password of {user.username} reset; the account is unlocked", highlight=False)


@users_app.command("roles")
def roles(
    username: Annotated[str, typer.Argument(help="The username.")],
    role: Annotated[list[Role], typer.Option("--role", help="A role; repeat for several.")],
) -> None:
    """Replaces a person's roles (an audited security event)."""
    with opened_store() as store:
        user = users.set_roles(store, OPERATOR, username=username, roles=role)
    console_err.print(
        f"{user.username} now holds: {', '.join(r.value for r in user.roles)}", highlight=False
    )
