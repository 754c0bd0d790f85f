"""Output to a pipe or a file is never folded at 80 columns: every id and key stays whole."""

from __future__ import annotations

import os
import re
import subprocess

from tests.cli.conftest import DEMO_LOTS, DEMO_SEED, TRACEAPI, LoadedDemo


def piped(demo: LoadedDemo, *args: str) -> subprocess.CompletedProcess[str]:
    """``traceapi *args`` with stdout a pipe and no COLUMNS: what ``| less`` or ``> file`` get."""
    env = {k: v for k, v in os.environ.items() if k not in {"COLUMNS", "LINES"}}
    env.update(TRACEAPI_DATA_DIR=str(demo.data_dir), TRACEAPI_BACKEND="embedded")
    done = subprocess.run(
        [str(TRACEAPI), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done


def _tokens(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z0-9_()\-]+", text))


def test_impact_to_a_pipe_keeps_every_customer_and_shipment_id_whole(
    loaded_demo: LoadedDemo,
) -> None:
    resin = loaded_demo.stories.contaminated_resin
    done = piped(loaded_demo, "impact", resin.lot_id, "--rows", "1000")
    tokens = _tokens(done.stdout)
    assert set(resin.customers) <= tokens
    assert set(resin.shipments) <= tokens
    assert set(resin.finished_lots) <= tokens


def test_trace_to_a_pipe_keeps_every_id_whole(loaded_demo: LoadedDemo) -> None:
    resin = loaded_demo.stories.contaminated_resin
    done = piped(loaded_demo, "trace", "where-used", resin.lot_id, "--rows", "1000")
    tokens = _tokens(done.stdout)
    assert set(resin.customers) | set(resin.lots) <= tokens


def test_demo_keys_and_their_hint_to_a_pipe_stay_on_one_line(loaded_demo: LoadedDemo) -> None:
    done = piped(
        loaded_demo, "demo", "--no-serve", "--lots", str(DEMO_LOTS), "--seed", str(DEMO_SEED)
    )
    keys = (loaded_demo.data_dir / "demo-keys.txt").read_text(encoding="utf-8")
    secrets = [line.split("\t")[1] for line in keys.splitlines() if not line.startswith("#")]
    assert len(secrets) == 5
    for secret in secrets:
        assert secret in done.stdout, secret
    hint = [line for line in done.stdout.splitlines() if "More keys" in line]
    assert len(hint) == 1 and "traceapi keys create --role viewer --name NAME" in hint[0]
    assert str(loaded_demo.data_dir / "demo-keys.txt") in hint[0]
