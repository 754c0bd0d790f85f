"""`traceapi graph` through the real console script: SVG files and stdout, checked against the
`--json` answers of the same questions."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from tests.cli.conftest import Cli, LoadedDemo

SVG = "{http://www.w3.org/2000/svg}"


def _drawn_ids(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg" and root.get("viewBox")
    return [str(g.get("data-id")) for g in root.iter(f"{SVG}g") if g.get("data-id") is not None]


def _answer(demo: LoadedDemo, *args: str) -> dict[str, Any]:
    done = demo.run(*args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_graph_impact_writes_the_file_and_prints_its_path(
    loaded_demo: LoadedDemo, tmp_path: Path
) -> None:
    story = loaded_demo.stories.contaminated_resin
    out = tmp_path / "pictures" / "impact.svg"
    done = loaded_demo.run("graph", story.supplier_lot, "--direction", "impact", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(out)
    drawn = _drawn_ids(out.read_text(encoding="utf-8"))

    report = _answer(loaded_demo, "impact", story.supplier_lot)
    expected = {
        v["id"] for key in ("seed_lots", "lots", "shipments", "customers") for v in report[key]
    }
    if len(expected) <= 300:
        assert sorted(drawn) == sorted(expected)
    else:
        assert set(drawn) < expected and len(drawn) == len(set(drawn))
    assert set(story.customers) <= expected


def test_graph_where_from_without_out_writes_svg_to_stdout(loaded_demo: LoadedDemo) -> None:
    lot = loaded_demo.stories.leak_test_run.failed_lots[0]
    done = loaded_demo.run("graph", lot, "--direction", "where-from", "--max-depth", "2")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("<?xml")
    drawn = _drawn_ids(done.stdout)

    report = _answer(loaded_demo, "trace", "where-from", lot, "--max-depth", "2")
    lists = ("lots", "process_steps", "equipment", "suppliers", "shipments", "customers")
    expected = [report["lot"]["id"], *(v["id"] for key in lists for v in report[key])]
    assert sorted(drawn) == sorted(expected)
    assert "max depth 2" in done.stdout


def test_graph_default_is_where_used(loaded_demo: LoadedDemo) -> None:
    lot = loaded_demo.stories.contaminated_resin.lot_id
    done = loaded_demo.run("graph", lot)
    assert done.returncode == 0, done.stderr
    assert "where-used (downstream) of" in done.stdout


def test_graph_of_an_unknown_lot_fails_naming_it(cli: Cli) -> None:
    assert cli("db", "init").returncode == 0
    done = cli("graph", "NO-SUCH-LOT")
    assert done.returncode != 0
    assert "NO-SUCH-LOT" in done.stderr
    assert done.stdout == ""


def test_graph_of_several_lots_needs_impact(loaded_demo: LoadedDemo) -> None:
    story = loaded_demo.stories.contaminated_resin
    done = loaded_demo.run("graph", story.lot_id, story.finished_lots[0])
    assert done.returncode == 2, done.stderr  # InvalidInput
    assert "--direction impact" in done.stderr


def test_demo_pictures_head_their_columns_in_order(loaded_demo: LoadedDemo) -> None:
    """On the demo, where distributors ship on: columns read depth by depth, then deliveries
    tier by tier (never "depth 9, depth 10, depth 9, depth 10")."""
    from tests.unit.test_render_svg import _heading_key, _headings

    lot = loaded_demo.stories.contaminated_resin.lot_id
    for direction in ("where-used", "impact"):
        done = loaded_demo.run("graph", lot, "--direction", direction)
        assert done.returncode == 0, done.stderr
        headings = _headings(ET.fromstring(done.stdout))
        assert headings == sorted(headings, key=_heading_key), (direction, headings)
        assert len(set(headings)) == len(headings), (direction, headings)
        assert any(h.startswith("tier 2") for h in headings), (direction, headings)
