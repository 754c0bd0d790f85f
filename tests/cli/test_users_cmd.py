"""`traceapi users create|list|disable|reset-password|roles` through the real console script."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.cli.conftest import TRACEAPI, Cli
from traceapi.store.embedded import EmbeddedStore

PASSWORD = "correct horse battery"


def _run(data_dir: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TRACEAPI_DATA_DIR": str(data_dir), "TRACEAPI_BACKEND": "embedded"}
    return subprocess.run(
        [str(TRACEAPI), *args], env=env, input=stdin, capture_output=True, text=True, check=False
    )


def test_users_are_created_listed_disabled_and_reset_each_change_audited(cli: Cli) -> None:
    data_dir: Path = cli.data_dir  # type: ignore[attr-defined]
    assert cli("db", "init").returncode == 0
    made = _run(
        data_dir,
        "users",
        "create",
        "--username",
        "ada",
        "--name",
        "Ada Lovelace",
        "--role",
        "qa",
        "--role",
        "viewer",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert made.returncode == 0, made.stderr
    listed = json.loads(cli("users", "list", "--json").stdout)
    assert [(u["username"], u["name"], u["roles"]) for u in listed] == [
        ("ada", "Ada Lovelace", ["qa", "viewer"])
    ]
    assert "hash" not in json.dumps(listed)
    again = _run(
        data_dir,
        "users",
        "create",
        "--username",
        "ada",
        "--name",
        "A",
        "--role",
        "qa",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert again.returncode == 4 and "taken" in again.stderr
    system = _run(
        data_dir,
        "users",
        "create",
        "--username",
        "bot",
        "--name",
        "Bot",
        "--role",
        "system",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert system.returncode == 2 and "role" in system.stderr
    short = _run(
        data_dir,
        "users",
        "create",
        "--username",
        "bob",
        "--name",
        "Bob",
        "--role",
        "qa",
        "--password-stdin",
        stdin="short\n",
    )
    assert short.returncode == 2 and "password" in short.stderr
    assert cli("users", "roles", "ada", "--role", "admin").returncode == 0
    assert cli("users", "disable", "ada").returncode == 0
    reset = _run(data_dir, "users", "reset-password", "ada", "--password-stdin", stdin="x" * 14)
    assert reset.returncode == 0, reset.stderr
    assert json.loads(cli("users", "list", "--json").stdout)[0]["disabled_at"] is not None
    assert cli("users", "disable", "nobody").returncode == 3
    with EmbeddedStore(data_dir / "traceapi.sqlite3") as store:
        entries = store.audit_entries()
    assert [e.action for e in entries] == [
        "user.create",
        "security.role_change",
        "user.disable",
        "user.reset_password",
    ]
    assert entries[1].changes == {"roles": [["qa", "viewer"], ["admin"]]}
    assert all(e.actor == "cli" and e.auth_method == "cli" for e in entries)
    assert PASSWORD not in json.dumps([e.model_dump(mode="json") for e in entries])
