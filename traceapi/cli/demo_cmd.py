"""``traceapi demo`` and ``traceapi serve``: load the demo dataset once, hand out keys, serve.

The demo's API keys are kept in ``<data dir>/demo-keys.txt`` (mode 0600) so every ``make run``
can print them again: a key's secret is otherwise shown only when it is created. Keys made with
``traceapi keys create`` are never written anywhere.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from traceapi.cli.common import cli_settings, console, console_err, opened_store, require_store
from traceapi.cli.groups import app
from traceapi.cli.listen import bind_listener
from traceapi.cli.progress import progress_bar
from traceapi.demo.stories import DemoStories
from traceapi.domain.security import Role
from traceapi.errors import Conflict, InvalidInput, StoreMissing, TraceapiError
from traceapi.services.keys import authenticate, create_key
from traceapi.settings import Settings
from traceapi.store.base import GraphStore

DEFAULT_LOTS = 2000
DEFAULT_SEED = 7
LOADED_META = "demo:loaded"
"""Meta key naming the (lots, seed) demo a store holds, so a second run loads nothing."""
KEYS_FILE = "demo-keys.txt"

Host = Annotated[str | None, typer.Option("--host", help="Interface to listen on.")]
Port = Annotated[int | None, typer.Option("--port", min=1, max=65535, help="Port to listen on.")]


def stories_meta_key(lots: int, seed: int) -> str:
    return f"demo:{lots}:{seed}"


def ensure_demo(store: GraphStore, *, lots: int, seed: int) -> tuple[DemoStories, bool]:
    """The demo's stories, loading the dataset first unless this store already holds it.

    Returns (stories, loaded_now). A store holding a demo of another size or seed is refused:
    the two would share ids and mix.
    """
    wanted = f"{lots}:{seed}"
    holding = store.get_meta(LOADED_META)
    if holding is not None and holding != wanted:
        held_lots, _, held_seed = holding.partition(":")
        raise Conflict(
            f"this store already holds the demo with --lots {held_lots} --seed {held_seed}; "
            "use those options, or point TRACEAPI_DATA_DIR at an empty directory",
            details={"holding": holding, "wanted": wanted},
        )
    saved = store.get_meta(stories_meta_key(lots, seed))
    if saved is not None:
        return DemoStories.model_validate_json(saved), False
    from traceapi.demo.generator import DemoGenerator  # imported on use: keeps start-up fast

    generator = DemoGenerator(lots=lots, seed=seed)
    with progress_bar(f"loading demo ({lots:,} lots)", total=lots) as advance:
        generator.load(store, progress=advance)
    store.set_meta(LOADED_META, wanted)
    store.set_meta(stories_meta_key(lots, seed), generator.stories.model_dump_json())
    return generator.stories, True


def _read_keys_file(path: Path) -> dict[str, str]:
    keys: dict[str, str] = {}
    if not path.exists():
        return keys
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 2 and not line.startswith("#"):
            keys[parts[0]] = parts[1]
    return keys


def _write_keys_file(path: Path, keys: dict[str, str]) -> None:
    """Writes role -> secret lines readable by the owner only (created 0600, then renamed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write("# traceapi demo API keys: role<TAB>key. Keep this file private.\n")
        for role, secret in keys.items():
            handle.write(f"{role}\t{secret}\n")
    os.replace(temporary, path)


def ensure_demo_keys(store: GraphStore, data_dir: Path) -> tuple[dict[str, str], list[str]]:
    """One working key per role: reused from the keys file when still active, else created.

    Returns (role -> secret, roles whose key was created now).
    """
    path = data_dir / KEYS_FILE
    saved = _read_keys_file(path)
    keys: dict[str, str] = {}
    created: list[str] = []
    for role in Role:
        secret = saved.get(role.value)
        if secret is not None:
            try:
                if authenticate(store, secret).role is role:
                    keys[role.value] = secret
                    continue
            except TraceapiError:
                pass
        _, keys[role.value] = create_key(store, role=role, name=f"demo {role.value}", actor="demo")
        created.append(role.value)
    if created or keys != saved:
        _write_keys_file(path, keys)
    return keys, created


def _print_welcome(
    stories: DemoStories,
    keys: dict[str, str],
    created: list[str],
    *,
    key_file: Path,
    base_url: str | None,
    loaded_now: bool,
) -> None:
    if loaded_now:
        console.print(
            f"[bold green]demo loaded[/]: {stories.lot_count:,} lots "
            f"(--lots {stories.lots} --seed {stories.seed})",
            highlight=False,
        )
    else:
        console.print(
            f"demo already loaded (--lots {stories.lots} --seed {stories.seed}); nothing to do",
            highlight=False,
        )
    table = Table(title="API keys (one per role)", title_justify="left")
    table.add_column("role")
    table.add_column("key", overflow="fold")
    table.add_column("this run")
    for role, secret in keys.items():
        table.add_row(role, secret, "new" if role in created else "kept")
    console.print(table)
    console.print(
        f"[bold yellow]Demo keys, admin included, are kept in plaintext[/] in {key_file} "
        "(readable by you only) so that every run can show them again. For a demo only: before "
        "this store holds real data, revoke them (traceapi keys list, traceapi keys revoke ID) "
        "and delete that file; it sits in the data directory, so backups copy it. More keys: "
        "traceapi keys create --role viewer --name NAME (shown once, never stored).",
        highlight=False,
    )
    viewer = keys.get(Role.VIEWER.value, "<key>")
    if base_url is None:
        # --no-serve: nothing listens, so no address is printed, only how to serve
        console.print(
            "\nNot serving (--no-serve); `traceapi serve` serves this store, GraphiQL at "
            "/graphql (in its Headers pane put\n"
            f'  {{"Authorization": "Bearer {viewer}"}}\n'
            "), OpenAPI at /docs and the console at /console (sign in with a key above).\n",
            highlight=False,
            soft_wrap=True,
        )
    else:
        console.print(
            f"\nConsole:  {base_url}/console  -- sign in with the viewer key above\n"
            f"GraphiQL: {base_url}/graphql  -- in the Headers pane put\n"
            f'  {{"Authorization": "Bearer {viewer}"}}\n'
            f"OpenAPI:  {base_url}/docs\n"
            f"REST:     curl -H 'Authorization: Bearer {viewer}' "
            f"{base_url}/api/v1/lots/{stories.contaminated_resin.lot_id}/where-used\n",
            highlight=False,
            soft_wrap=True,
        )
    console.print('[bold]What to ask the demo[/] (README: "What to ask the demo")')
    for line in stories.describe():
        console.print(f"  {line}", highlight=False, soft_wrap=True)


HSTS = "max-age=31536000"
"""Sent on every answer served over TLS: browsers then keep to HTTPS here for a year."""


def run_server(
    settings: Settings, *, listener: socket.socket, tls: tuple[Path, Path] | None = None
) -> None:
    """Serves ``create_app(settings)`` with uvicorn on ``listener``, one worker, until stopped;
    over TLS (with HSTS) when ``tls`` names a certificate and its key."""
    import ssl

    import uvicorn

    from traceapi.api.app import create_app

    host, port = listener.getsockname()[:2]
    config = uvicorn.Config(
        create_app(settings),
        host=host,
        port=port,
        workers=1,
        log_level=settings.log_level.lower(),
        access_log=False,  # our middleware logs each request once, as JSON with its request id
        ssl_certfile=tls[0] if tls else None,
        ssl_keyfile=tls[1] if tls else None,
        headers=[("strict-transport-security", HSTS)] if tls else None,
    )
    server = uvicorn.Server(config)
    try:
        try:
            config.load()  # reads the certificate and key now, to name them if they are bad
        except (ssl.SSLError, OSError) as exc:
            if tls is None:
                raise
            raise InvalidInput(
                f"cannot serve TLS with certificate {tls[0]} and key {tls[1]}: "
                f"{getattr(exc, 'reason', None) or exc}",
                details={"ssl_certfile": str(tls[0]), "ssl_keyfile": str(tls[1])},
            ) from None
        server.run(sockets=[listener])
    except KeyboardInterrupt:
        pass  # uvicorn has shut down cleanly and re-raised the Ctrl+C it caught
    finally:
        listener.close()
    if not server.started:
        raise TraceapiError("the server did not start; the log above says why")


@app.command("demo")
def demo(
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Load and exit.")] = False,
    lots: Annotated[
        int, typer.Option("--lots", min=1, help="About how many lots to make.")
    ] = DEFAULT_LOTS,
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed; same seed, same ids.")
    ] = DEFAULT_SEED,
    host: Host = None,
    port: Port = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="With --no-serve: print the stories and keys as one JSON document."
        ),
    ] = False,
) -> None:
    """Loads the demo dataset (once), prints API keys per role, and serves the API."""
    settings = cli_settings()
    # Bound before the load, so that a taken port is said before minutes of work, not after.
    listener = None if no_serve else bind_listener(host or settings.host, port or settings.port)
    with opened_store(settings, create=True) as store:
        stories, loaded_now = ensure_demo(store, lots=lots, seed=seed)
        keys, created = ensure_demo_keys(store, settings.data_dir)
    base_url = f"http://{host or settings.host}:{port or settings.port}"
    if as_json:
        print(
            json.dumps(
                {
                    "loaded_now": loaded_now,
                    "stories": stories.model_dump(mode="json"),
                    "keys": keys,
                    "keys_created": created,
                }
            )
        )
    else:
        _print_welcome(
            stories,
            keys,
            created,
            key_file=settings.data_dir / KEYS_FILE,
            base_url=None if listener is None else base_url,
            loaded_now=loaded_now,
        )
    if listener is None:
        return
    console_err.print(f"serving on {base_url} (Ctrl+C stops)", highlight=False)
    run_server(settings, listener=listener)


@app.command("serve")
def serve(
    host: Host = None,
    port: Port = None,
    ssl_certfile: Annotated[
        Path | None,
        typer.Option(
            "--ssl-certfile",
            exists=True,
            dir_okay=False,
            help="PEM certificate (chain): serve HTTPS, with HSTS. Needs --ssl-keyfile.",
        ),
    ] = None,
    ssl_keyfile: Annotated[
        Path | None,
        typer.Option(
            "--ssl-keyfile", exists=True, dir_okay=False, help="PEM private key of the certificate."
        ),
    ] = None,
) -> None:
    """Serves the REST and GraphQL API (GraphiQL at /graphql, OpenAPI at /docs)."""
    if (ssl_certfile is None) != (ssl_keyfile is None):
        given, missing = (
            ("--ssl-certfile", "--ssl-keyfile") if ssl_keyfile is None else
            ("--ssl-keyfile", "--ssl-certfile")
        )  # fmt: skip
        raise InvalidInput(f"{given} needs {missing} as well", details={"field": missing})
    tls = (ssl_certfile, ssl_keyfile) if ssl_certfile and ssl_keyfile else None
    settings = cli_settings()
    try:
        require_store(settings)
    except StoreMissing as missing:
        # A server may be fed later (and the image serves an empty volume): warn, do not refuse.
        console_err.print(
            f"[yellow]warning[/]: serving a new, empty store. {missing.message}", highlight=False
        )
    listener = bind_listener(host or settings.host, port or settings.port)
    scheme = "https" if tls else "http"
    console_err.print(
        f"serving on {scheme}://{host or settings.host}:{port or settings.port}", highlight=False
    )
    run_server(settings, listener=listener, tls=tls)
