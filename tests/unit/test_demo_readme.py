"""The README's "What to ask the demo" names the ids that `make run` really plants."""

from __future__ import annotations

from pathlib import Path

import pytest

from traceapi.cli.demo_cmd import DEFAULT_LOTS, DEFAULT_SEED
from traceapi.demo.generator import demo_stories

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture(scope="module")
def section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## What to ask the demo")
    return text[start : text.index("\n## ", start + 1)]


def test_readme_stories_match_the_default_demo(section: str) -> None:
    stories = demo_stories(lots=DEFAULT_LOTS, seed=DEFAULT_SEED)
    assert f"--lots {DEFAULT_LOTS} --seed {DEFAULT_SEED}" in section
    resin = stories.contaminated_resin
    for text in (
        f"`{resin.supplier_lot}`",
        f"`{resin.lot_id}`",
        f"`{resin.supplier_id}`",
        f"{len(resin.finished_lots)} finished lots (`{resin.finished_lots[0]}` to "
        f"`{resin.finished_lots[-1]}`)",
        f"{len(resin.shipments)} shipments",
        f"{len(resin.customers)} customers",
    ):
        assert text in section
    window = stories.sterilizer_window
    assert window.window_from.replace(":00Z", "Z") in section
    assert window.window_to.replace(":00Z", "Z") in section
    assert f"{len(window.finished_lots)} finished lots" in section
    assert f"`{window.process_steps[0]}` to `{window.process_steps[-1]}`" in section
    # one step record per lot in a chamber load: say both counts, not "loads" of step ids
    loads = len(set(window.load_starts))
    assert loads == 6 and len(window.process_steps) == 18
    assert f"{loads} loads: {len(window.process_steps)} step records at {loads} start times" in (
        " ".join(section.split())
    )
    printed = stories.describe()[1]
    assert f"{len(window.process_steps)} step records at {loads} start times" in printed
    for lot_id in window.finished_lots:
        assert f"`{lot_id}`" in section and f" {lot_id}" in section  # listed and in the command
    run = stories.leak_test_run
    for member in (*run.failed_lots, *run.moulded_lots, *run.inspections):
        assert f"`{member}`" in section
    loop = stories.rework_loops[0]
    assert f"`{loop.lot_id}` is consumed by" in section and f"`{loop.step_id}`" in section
