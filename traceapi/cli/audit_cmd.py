"""``traceapi audit verify`` and ``traceapi audit show``: check and read the hash-chained trail."""

from __future__ import annotations

from collections import deque
from typing import Annotated

import typer
from rich.table import Table

from traceapi.cli.common import console, console_err, opened_store, print_json
from traceapi.cli.groups import audit_app
from traceapi.domain.audit import AuditEntry
from traceapi.services.audit import verify_chain

BROKEN_CHAIN_EXIT = 8


@audit_app.command("verify")
def verify(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Recomputes every entry's hash and link; names the first broken entry (exit code 8)."""
    with opened_store() as store:
        result = verify_chain(store)
    if as_json:
        print_json(result)
    elif result.ok:
        console.print(f"audit chain ok: {result.checked:,} entries checked", highlight=False)
    else:
        console_err.print(
            f"[bold red]audit chain broken[/] at entry seq "
            f"{result.first_broken_seq}: {result.reason} "
            f"({result.checked:,} entries before it are intact)",
            highlight=False,
        )
    if not result.ok:
        raise typer.Exit(BROKEN_CHAIN_EXIT)


@audit_app.command("show")
def show(
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many entries.")] = 20,
    after: Annotated[
        int | None,
        typer.Option(
            "--after",
            min=0,
            help="Show entries after this seq (oldest first) instead of the latest ones.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """The latest audit entries (or those after --after): who did what, when, old and new."""
    with opened_store() as store:
        if after is not None:
            entries = store.audit_entries(after_seq=after, limit=limit)
        else:
            latest: deque[AuditEntry] = deque(maxlen=limit)
            cursor = 0
            while page := store.audit_entries(after_seq=cursor, limit=1000):
                latest.extend(page)
                cursor = page[-1].seq
            entries = list(latest)
    if as_json:
        print_json([entry.model_dump(mode="json") for entry in entries])
        return
    if not entries:
        console.print("the audit trail is empty")
        return
    table = Table(title="Audit trail", title_justify="left")
    for column in ("seq", "at (UTC)", "actor", "action", "entity", "change", "hash"):
        table.add_column(column, overflow="fold")
    for entry in entries:
        entity = f"{entry.entity_kind or ''} {entry.entity_id or ''}".strip()
        change = " -> ".join(str(part) for part in (entry.old, entry.new) if part is not None)
        table.add_row(
            str(entry.seq),
            entry.at.strftime("%Y-%m-%d %H:%M:%S"),
            entry.actor,
            entry.action,
            entity,
            change,
            entry.hash[:12],
        )
    console.print(table)
