"""``traceapi rootcause`` and ``traceapi equipment-window``, run as the installed console script
on the small demo; expectations come from the generator's story metadata."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx

from tests.cli.conftest import LoadedDemo


def test_the_leak_test_lots_rank_mld02_above_ext01(loaded_demo: LoadedDemo, tmp_path: Path):
    run = loaded_demo.stories.leak_test_run
    graphml = tmp_path / "rc.graphml"
    done = loaded_demo.run("rootcause", *run.failed_lots, "--json", "--graphml", str(graphml))
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["baseline"]["rule"] == "period"
    rank = {c["id"]: c["rank"] for c in answer["candidates"]}
    assert rank["MLD-02"] < rank["EXT-01"]
    # The step that moulded the worn-cavity lot is first (it is in every failed lot's past and
    # in no good lot's), as the picture's node attributes say too.
    graph = nx.read_graphml(graphml)
    (moulded,) = run.moulded_lots
    (step,) = [s for s, t, d in graph.in_edges(moulded, data=True) if d["type"] == "PRODUCED"]
    assert rank[step] == 1 and graph.nodes[step]["rank"] == 1
    assert set(run.failed_lots) <= set(graph.nodes)


def test_the_table_says_the_baseline_and_how_many_are_significant(loaded_demo: LoadedDemo):
    run = loaded_demo.stories.leak_test_run
    done = loaded_demo.run("rootcause", *run.failed_lots, "--rows", "5")
    assert done.returncode == 0, done.stderr
    assert "baseline (period)" in done.stdout
    assert "significant at 0.05" in done.stdout
    assert "more (--rows N shows more, --json all)" in done.stdout  # cut at 5 rows


def test_an_explicit_baseline_and_every_unknown_id_named(loaded_demo: LoadedDemo):
    run = loaded_demo.stories.leak_test_run
    done = loaded_demo.run("rootcause", run.failed_lots[0], "--baseline", "NOPE-1",
                           "--baseline", "NOPE-2", "--json")  # fmt: skip
    assert done.returncode == 3
    assert "NOPE-1" in done.stderr and "NOPE-2" in done.stderr and "baseline" in done.stderr
    assert done.stdout == ""


def test_the_sterilizer_window_gives_the_story_lots(loaded_demo: LoadedDemo):
    story = loaded_demo.stories.sterilizer_window
    done = loaded_demo.run("equipment-window", story.equipment_id, "--from", story.window_from,
                           "--to", story.window_to, "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert sorted(lot["id"] for lot in answer["lots"]) == sorted(story.finished_lots)
    assert not {lot["id"] for lot in answer["carry_over_lots"]} & set(story.finished_lots)


def test_a_reversed_window_is_refused_naming_to(loaded_demo: LoadedDemo):
    story = loaded_demo.stories.sterilizer_window
    done = loaded_demo.run("equipment-window", story.equipment_id, "--from", story.window_to,
                           "--to", story.window_from)  # fmt: skip
    assert done.returncode == 2
    assert "to (" in done.stderr
