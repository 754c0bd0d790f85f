"""What every command shares: the consoles, the settings, opening the store, printing JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import BaseModel
from rich.console import Console

from traceapi.errors import StoreMissing
from traceapi.settings import Settings, load_settings
from traceapi.store.base import GraphStore
from traceapi.store.factory import open_store, require_existing_store

UNFOLDED_WIDTH = 10_000
"""Line width when the output is not a terminal: as long as the content, so ids never fold."""


def _console(*, stderr: bool = False) -> Console:
    """The terminal's own width, or, for a pipe or a file, lines as long as their content (rich
    would fold them at 80 columns and cut ids in two: "CUS-CLIN-000 / 03")."""
    terminal = Console(stderr=stderr)
    return terminal if terminal.is_terminal else Console(stderr=stderr, width=UNFOLDED_WIDTH)


console = _console()
console_err = _console(stderr=True)

_overrides: dict[str, object] = {}
"""Settings given as options of ``traceapi`` itself (``--data-dir``); they win over the
environment for every command of this run."""

STORE_HINT = (
    "run the command where the store is, or choose its directory with "
    "`traceapi --data-dir DIR ...` or TRACEAPI_DATA_DIR=DIR; "
    "`traceapi demo`, `traceapi load ...` and `traceapi db init` create a store"
)


def override_settings(**values: object) -> None:
    """Record settings given on the command line, for ``cli_settings`` to apply."""
    _overrides.update(values)


def cli_settings() -> Settings:
    """The settings of this run: the environment, then the options of ``traceapi`` itself."""
    return load_settings(**_overrides)


@contextmanager
def opened_store(settings: Settings | None = None, *, create: bool = False) -> Iterator[GraphStore]:
    """The configured store, closed when the command ends.

    Only commands that write data on purpose pass ``create=True``; every other command refuses
    a missing store, naming the directory it looked in, instead of answering from an empty one.
    """
    with _hinted():
        store = open_store(settings or cli_settings(), create=create)
    try:
        yield store
    finally:
        store.close()


def require_store(settings: Settings) -> None:
    """Refuse, as ``opened_store`` would, when the embedded store is missing (without opening
    anything: ``serve`` waits for a Neo4j server that is down rather than failing)."""
    with _hinted():
        require_existing_store(settings)


@contextmanager
def _hinted() -> Iterator[None]:
    try:
        yield
    except StoreMissing as missing:
        raise StoreMissing(f"{missing.message}: {STORE_HINT}", details=missing.details) from None


def print_json(value: BaseModel | dict[str, Any] | list[Any]) -> None:
    """One JSON document on stdout and nothing else (the ``--json`` contract)."""
    if isinstance(value, BaseModel):
        text = value.model_dump_json(exclude_none=True)
    else:
        text = json.dumps(value, default=str)
    print(text)
