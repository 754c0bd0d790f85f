"""`traceapi trace` and `traceapi impact` on the demo's planted stories, through the real CLI."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from tests.cli.conftest import LoadedDemo
from traceapi.services.impact import CONSIGNEE_COLUMNS


def _json(demo: LoadedDemo, *args: str) -> dict[str, Any]:
    done = demo.run(*args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # the whole of stdout is one JSON document


def _ids(views: list[dict[str, Any]]) -> set[str]:
    return {view["id"] for view in views}


def test_where_used_of_the_contaminated_resin_reaches_its_lots_shipments_customers(
    loaded_demo: LoadedDemo,
) -> None:
    story = loaded_demo.stories.contaminated_resin
    report = _json(loaded_demo, "trace", "where-used", story.supplier_lot)
    assert report["lot"]["id"] == story.lot_id
    lots = _ids(report["lots"])
    assert set(story.lots) <= lots
    assert {lot["id"] for lot in report["lots"] if lot.get("lot_type") == "finished"} == set(
        story.finished_lots
    )
    assert _ids(report["shipments"]) == set(story.shipments)
    assert _ids(report["customers"]) == set(story.customers)
    assert all(view["depth"] >= 1 for view in report["lots"])
    assert report["suppliers"] == []


def test_where_from_of_a_leaking_lot_names_the_moulding_machine(loaded_demo: LoadedDemo) -> None:
    story = loaded_demo.stories.leak_test_run
    assert len(story.failed_lots) >= 2
    for lot_id in story.failed_lots[:2]:
        report = _json(loaded_demo, "trace", "where-from", lot_id)
        assert story.equipment_id in _ids(report["equipment"])
        assert _ids(report["lots"]) & set(story.moulded_lots)
        assert report["suppliers"], "a where-from reaches the supplier lots"
        assert report["customers"] == [] and report["shipments"] == []


def test_traces_survive_the_rework_loop(loaded_demo: LoadedDemo) -> None:
    loop = loaded_demo.stories.rework_loops[0]
    forward = _json(loaded_demo, "trace", "where-used", loop.lot_id)
    backward = _json(loaded_demo, "trace", "where-from", loop.lot_id)
    for report in (forward, backward):
        assert loop.step_id in _ids(report["process_steps"])
        assert loop.lot_id not in _ids(report["lots"]), "the seed is not listed as reached"
        assert len(_ids(report["lots"])) == len(report["lots"]), "each lot appears once"


def test_max_depth_bounds_the_trace(loaded_demo: LoadedDemo) -> None:
    lot_id = loaded_demo.stories.contaminated_resin.lot_id
    report = _json(loaded_demo, "trace", "where-used", lot_id, "--max-depth", "2")
    depths = [
        view["depth"]
        for key in ("lots", "process_steps", "shipments", "customers")
        for view in report[key]
    ]
    assert depths and max(depths) <= 2


def test_impact_of_the_sterilizer_window_lots(loaded_demo: LoadedDemo) -> None:
    window = loaded_demo.stories.sterilizer_window
    assert window.finished_lots
    report = _json(loaded_demo, "impact", *window.finished_lots)
    assert _ids(report["seed_lots"]) == set(window.finished_lots)
    assert report["summary"]["seed_lots"] == len(window.finished_lots)
    one = _json(loaded_demo, "trace", "where-from", window.finished_lots[0])
    assert window.equipment_id in _ids(one["equipment"])


def test_impact_csv_lists_every_consignee_of_the_contaminated_resin(
    loaded_demo: LoadedDemo,
) -> None:
    story = loaded_demo.stories.contaminated_resin
    done = loaded_demo.run("impact", story.supplier_lot, "--csv")
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(io.StringIO(done.stdout)))
    assert rows[0] == CONSIGNEE_COLUMNS
    body = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert {row["customer_id"] for row in body} == set(story.customers)
    assert {row["lot_id"] for row in body} <= set(story.finished_lots)
    assert all(float(row["quantity"]) > 0 for row in body)
    assert {row["tier"] for row in body} >= {"1", "2"}


def test_impact_json_matches_the_story(loaded_demo: LoadedDemo) -> None:
    story = loaded_demo.stories.contaminated_resin
    report = _json(loaded_demo, "impact", story.lot_id)
    assert _ids(report["finished_lots"]) == set(story.finished_lots)
    assert _ids(report["customers"]) == set(story.customers)
    assert report["summary"]["customers"] == len(story.customers)


def test_table_output_names_the_story_members(loaded_demo: LoadedDemo) -> None:
    run = loaded_demo.stories.leak_test_run
    done = loaded_demo.run("trace", "where-from", run.failed_lots[0], "--rows", "500")
    assert done.returncode == 0, done.stderr
    assert run.equipment_id in done.stdout
    assert "Process steps" in done.stdout and "Suppliers" in done.stdout


def test_unknown_lot_is_named_on_stderr_with_a_non_zero_exit(loaded_demo: LoadedDemo) -> None:
    for args in (
        ("trace", "where-used", "NO-SUCH-LOT", "--json"),
        ("impact", "NO-SUCH-LOT", "--csv"),
    ):
        done = loaded_demo.run(*args)
        assert done.returncode == 3
        assert "NO-SUCH-LOT" in done.stderr
        assert done.stdout == ""


def test_impact_refuses_json_and_csv_together(loaded_demo: LoadedDemo) -> None:
    lot_id = loaded_demo.stories.contaminated_resin.lot_id
    done = loaded_demo.run("impact", lot_id, "--json", "--csv")
    assert done.returncode == 2
    assert "--csv" in done.stderr
