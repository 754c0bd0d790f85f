"""``traceapi audit verify``, ``audit checkpoint`` and ``audit show``: check, anchor and read
the hash-chained trail."""

from __future__ import annotations

import json
import os
from collections import deque
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.table import Table

from traceapi.cli.common import cli_settings, console, console_err, opened_store, print_json
from traceapi.cli.groups import audit_app
from traceapi.domain.audit import AuditEntry
from traceapi.errors import InvalidInput
from traceapi.services.audit import (
    AuditCheckpoint,
    checkpoint_signature_problem,
    read_entries,
    sign_checkpoint,
    signing_key,
    take_checkpoint,
    verify_chain,
)

BROKEN_CHAIN_EXIT = 8


def _read_checkpoint(path: Path) -> AuditCheckpoint:
    try:
        return AuditCheckpoint.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise InvalidInput(
            f"cannot read checkpoint {path}: {exc.strerror}", details={"file": str(path)}
        ) from exc
    except ValidationError as exc:
        raise InvalidInput(
            f"{path} is not a checkpoint written by 'traceapi audit checkpoint'",
            details={"file": str(path)},
        ) from exc


@audit_app.command("verify")
def verify(
    checkpoint: Annotated[
        Path | None,
        typer.Option(
            "--checkpoint",
            help="A file from 'audit checkpoint': the chain must still reach it, unchanged.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Recomputes every entry's hash and link; names the first broken entry (exit code 8).
    With --checkpoint, the checkpoint's Ed25519 signature must be this store's too."""
    anchor = _read_checkpoint(checkpoint) if checkpoint is not None else None
    if anchor is not None:
        problem = checkpoint_signature_problem(
            anchor, signing_key(cli_settings().data_dir, create=False)
        )
        if problem is not None:
            raise InvalidInput(
                f"{checkpoint}: {problem}; it cannot vouch for the chain",
                details={"file": str(checkpoint)},
            )
    with opened_store() as store:
        result = verify_chain(store, checkpoint=anchor)
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


@audit_app.command("checkpoint")
def checkpoint(
    out: Annotated[
        Path, typer.Option("--out", help="Where to write it; keep it outside the data directory.")
    ],
) -> None:
    """Writes the head of the (verified) chain to a file, so that a later 'audit verify
    --checkpoint FILE' notices entries deleted from the end, which no chain can show alone."""
    with opened_store() as store:
        anchor = take_checkpoint(store)
    key = signing_key(cli_settings().data_dir, create=True)
    assert key is not None
    anchor = sign_checkpoint(anchor, key)
    text = json.dumps(anchor.model_dump(mode="json"), indent=2) + "\n"
    descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
    console.print(
        f"checkpoint: audit entry {anchor.seq}, hash {anchor.hash[:16]}..., signed (Ed25519, "
        f"key {anchor.public_key[:16] if anchor.public_key else ''}...) -> {out}",
        highlight=False,
    )


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
            entries = read_entries(store, after_seq=after, limit=limit)
        else:
            latest: deque[AuditEntry] = deque(maxlen=limit)
            cursor = 0
            while page := read_entries(store, after_seq=cursor, limit=1000):
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
