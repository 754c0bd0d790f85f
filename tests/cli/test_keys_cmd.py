"""`traceapi keys create|list|revoke` through the real console script."""

from __future__ import annotations

import json
import re

from tests.cli.conftest import Cli
from traceapi.domain.security import key_id_of


def test_create_prints_the_key_last_and_list_and_revoke_follow(cli: Cli) -> None:
    assert cli("db", "init").returncode == 0  # keys live in a store; only db init makes one empty
    created = cli("keys", "create", "--role", "qa", "--name", "LIMS bridge")
    assert created.returncode == 0, created.stderr
    secret = created.stdout.rstrip("\n").splitlines()[-1]
    assert re.fullmatch(r"tra_[0-9a-f]{8}_[A-Za-z0-9_-]+", secret)
    key_id = key_id_of(secret)

    listed = json.loads(cli("keys", "list", "--json").stdout)
    mine = [key for key in listed if key["key_id"] == key_id]
    assert mine == [
        {
            "key_id": key_id,
            "name": "LIMS bridge",
            "role": "qa",
            "created_at": mine[0]["created_at"],
            "revoked_at": None,
            "active": True,
        }
    ]
    assert secret not in json.dumps(listed), "secrets are never listed"

    revoked = cli("keys", "revoke", key_id)
    assert revoked.returncode == 0, revoked.stderr
    table = cli("keys", "list")
    assert key_id in table.stdout and "LIMS bridge" in table.stdout
    assert mine[0]["created_at"][:10] in table.stdout  # and its revocation time beside it
    assert table.stdout.count(mine[0]["created_at"][:10]) == 2


def test_bad_role_and_unknown_key_fail_clearly(cli: Cli) -> None:
    assert cli("db", "init").returncode == 0
    bad_role = cli("keys", "create", "--role", "overlord", "--name", "x")
    assert bad_role.returncode == 2
    assert "overlord" in bad_role.stderr
    unknown = cli("keys", "revoke", "deadbeef")
    assert unknown.returncode == 3
    assert "deadbeef" in unknown.stderr
