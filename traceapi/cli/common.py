"""What every command shares: the consoles, opening the store, and printing JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import BaseModel
from rich.console import Console

from traceapi.settings import Settings, load_settings
from traceapi.store.base import GraphStore
from traceapi.store.factory import open_store

console = Console()
console_err = Console(stderr=True)


@contextmanager
def opened_store(settings: Settings | None = None) -> Iterator[GraphStore]:
    """The configured store, closed when the command ends."""
    store = open_store(settings or load_settings())
    try:
        yield store
    finally:
        store.close()


def print_json(value: BaseModel | dict[str, Any] | list[Any]) -> None:
    """One JSON document on stdout and nothing else (the ``--json`` contract)."""
    if isinstance(value, BaseModel):
        text = value.model_dump_json(exclude_none=True)
    else:
        text = json.dumps(value, default=str)
    print(text)
