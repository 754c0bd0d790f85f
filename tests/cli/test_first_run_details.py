"""Small things a newcomer meets on a first run: what `demo --no-serve` prints, the key table's
headers, revoking a key twice, and the printed stories naming every lot they list."""

from __future__ import annotations

import re

import pytest

from tests.cli.conftest import DEMO_LOTS, DEMO_SEED, Cli, LoadedDemo
from traceapi.demo.generator import demo_stories


def _demo_no_serve(demo: LoadedDemo) -> str:
    done = demo.run("demo", "--no-serve", "--lots", str(DEMO_LOTS), "--seed", str(DEMO_SEED))
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_demo_no_serve_prints_no_url_it_does_not_serve(loaded_demo: LoadedDemo) -> None:
    out = _demo_no_serve(loaded_demo)
    assert "http://" not in out and "https://" not in out
    assert "traceapi serve" in out  # says how to serve it instead
    assert '{"Authorization": "Bearer tra_' in out


def test_the_key_table_names_each_column(loaded_demo: LoadedDemo) -> None:
    out = _demo_no_serve(loaded_demo)
    header = next(line for line in out.splitlines() if line.startswith("┃") and "role" in line)
    cells = [cell.strip() for cell in re.split(r"[┃│|]", header) if cell.strip()]
    assert cells == ["role", "key", "this run"]


def test_revoking_a_revoked_key_says_it_already_was(cli: Cli) -> None:
    assert cli("db", "init").returncode == 0
    created = cli("keys", "create", "--role", "viewer", "--name", "twice")
    key_id = created.stdout.rstrip("\n").splitlines()[-1].split("_")[1]
    first = cli("keys", "revoke", key_id)
    assert first.returncode == 0 and "revoked key" in first.stdout
    again = cli("keys", "revoke", key_id)
    assert again.returncode == 0, again.stderr
    assert "already revoked" in again.stdout and "nothing changed" in again.stdout


@pytest.mark.parametrize(("lots", "seed"), [(DEMO_LOTS, DEMO_SEED), (2000, 7)])
def test_story_three_names_every_failed_lot_or_says_how_many_more(lots: int, seed: int) -> None:
    stories = demo_stories(lots=lots, seed=seed)  # the README's demo has six failed lots
    failed = stories.leak_test_run.failed_lots
    assert failed
    line = stories.describe()[2]
    shown = [lot for lot in failed if lot in line]
    assert shown == failed[: len(shown)]
    if len(shown) < len(failed):
        assert f"and {len(failed) - len(shown)} more" in line


def test_story_three_as_demo_prints_it(loaded_demo: LoadedDemo) -> None:
    line = next(line for line in _demo_no_serve(loaded_demo).splitlines() if "3. " in line)
    assert line.strip() == loaded_demo.stories.describe()[2]
