"""`traceapi demo`: loads once (idempotent), keeps one working key per role, refuses a mix."""

from __future__ import annotations

import json
import stat

import pytest

from tests.cli.conftest import DEMO_LOTS, DEMO_SEED, Cli, LoadedDemo
from traceapi.demo.generator import demo_stories
from traceapi.domain.security import Role, key_id_of


def _stats(cli: Cli) -> dict[str, object]:
    done = cli("db", "stats", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.slow
def test_demo_loads_once_and_a_second_run_changes_no_count(cli: Cli) -> None:
    first = cli("demo", "--no-serve", "--lots", "80", "--seed", "3", "--json")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["loaded_now"] is True
    counts = _stats(cli)
    assert counts["node_total"] > 0 and counts["edge_total"] > 0
    assert counts["nodes"]["Lot"] == demo_stories(lots=80, seed=3).lot_count

    second = cli("demo", "--no-serve", "--lots", "80", "--seed", "3", "--json")
    assert second.returncode == 0, second.stderr
    again = json.loads(second.stdout)
    assert again["loaded_now"] is False
    assert again["keys"] == report["keys"], "the demo keys are reused, not multiplied"
    assert again["keys_created"] == []
    assert _stats(cli) == counts


@pytest.mark.slow
def test_demo_keys_cover_every_role_and_are_private(cli: Cli) -> None:
    done = cli("demo", "--no-serve", "--lots", "40", "--json")
    assert done.returncode == 0, done.stderr
    keys = json.loads(done.stdout)["keys"]
    assert set(keys) == {role.value for role in Role}
    key_file = cli.data_dir / "demo-keys.txt"  # type: ignore[attr-defined]
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    listed = json.loads(cli("keys", "list", "--json").stdout)
    active = {(k["key_id"], k["role"]) for k in listed if k["active"]}
    assert {(key_id_of(secret), role) for role, secret in keys.items()} <= active

    # A revoked demo key is replaced on the next run; the others are kept.
    viewer_id = key_id_of(keys["viewer"])
    assert cli("keys", "revoke", viewer_id).returncode == 0
    rerun = json.loads(cli("demo", "--no-serve", "--lots", "40", "--json").stdout)
    assert rerun["keys_created"] == ["viewer"]
    assert rerun["keys"]["viewer"] != keys["viewer"]
    assert rerun["keys"]["admin"] == keys["admin"]


def test_demo_prints_keys_and_graphiql_header(loaded_demo: LoadedDemo) -> None:
    done = loaded_demo.run("demo", "--no-serve", "--lots", str(DEMO_LOTS), "--seed", str(DEMO_SEED))
    assert done.returncode == 0, done.stderr
    assert "already loaded" in done.stdout
    assert '{"Authorization": "Bearer tra_' in done.stdout
    assert loaded_demo.stories.contaminated_resin.supplier_lot in done.stdout
    # the keys file is said to hold plaintext keys, admin included, and what to do about it
    assert "kept in plaintext" in done.stdout and "revoke them" in done.stdout


def test_demo_of_another_size_into_the_same_store_is_refused(loaded_demo: LoadedDemo) -> None:
    done = loaded_demo.run("demo", "--no-serve", "--lots", str(DEMO_LOTS + 10))
    assert done.returncode == 4
    assert f"--lots {DEMO_LOTS}" in done.stderr
    assert done.stdout == ""
