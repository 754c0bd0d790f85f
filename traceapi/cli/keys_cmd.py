"""``traceapi keys create|list|revoke``: API keys; a secret is shown once, when it is created."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from traceapi.cli.common import console, console_err, opened_store, print_json
from traceapi.cli.groups import keys_app
from traceapi.domain.security import Role
from traceapi.services.keys import create_key, list_keys, revoke_key


@keys_app.command("create")
def create(
    role: Annotated[Role, typer.Option("--role", help="What the key may do.")],
    name: Annotated[str, typer.Option("--name", help="Who or what uses the key.")],
) -> None:
    """Creates a key and prints it alone on the last line of stdout (only its hash is stored)."""
    with opened_store() as store:
        key, secret = create_key(store, role=role, name=name, actor="cli")
    console_err.print(
        f"created key [bold]{key.key_id}[/] ({key.role.value}) for {key.name}; "
        "this is the only time it is shown:",
        highlight=False,
    )
    print(secret)


@keys_app.command("list")
def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Every key, active and revoked (ids, names, roles; never secrets or hashes)."""
    with opened_store() as store:
        keys = list_keys(store)
    records = [
        {
            "key_id": key.key_id,
            "name": key.name,
            "role": key.role.value,
            "created_at": key.created_at.isoformat(),
            "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
            "active": key.active,
        }
        for key in keys
    ]
    if as_json:
        print_json(records)
        return
    if not records:
        console.print("no API keys yet: traceapi keys create --role viewer --name NAME")
        return
    table = Table(title="API keys", title_justify="left")
    for column in ("key id", "name", "role", "created", "revoked"):
        table.add_column(column)
    for key in keys:
        table.add_row(
            key.key_id,
            key.name,
            key.role.value,
            key.created_at.isoformat(),
            key.revoked_at.isoformat() if key.revoked_at else "",
        )
    console.print(table)


@keys_app.command("revoke")
def revoke(key_id: Annotated[str, typer.Argument(help="The key id shown by `keys list`.")]) -> None:
    """Revokes a key at once; requests with it get 401 from then on."""
    with opened_store() as store:
        before = next((k for k in list_keys(store) if k.key_id == key_id), None)
        key = revoke_key(store, key_id=key_id, actor="cli")
    if before is not None and before.revoked_at is not None:
        console.print(
            f"key {key.key_id} ({key.name}, {key.role.value}) was already revoked at "
            f"{before.revoked_at.isoformat()}; nothing changed",
            highlight=False,
        )
        return
    console.print(f"revoked key {key.key_id} ({key.name}, {key.role.value})", highlight=False)
