"""``traceapi rootcause`` and ``traceapi equipment-window``, run as the installed console script
on the small demo; expectations come from the generator's story metadata."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
from defusedxml import ElementTree

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


def test_baseline_takes_several_lots_after_one_flag(loaded_demo: LoadedDemo):
    """``--baseline A B C`` (contracts.md) and ``--baseline A --baseline B --baseline C`` give
    the same baseline."""
    run = loaded_demo.stories.leak_test_run
    listed = loaded_demo.run("rootcause", *run.failed_lots, "--json")
    good = json.loads(listed.stdout)["baseline"]["lots"][:3]
    spread = loaded_demo.run("rootcause", *run.failed_lots, "--baseline", *good, "--json")
    assert spread.returncode == 0, spread.stderr
    repeated = [arg for lot in good for arg in ("--baseline", lot)]
    again = loaded_demo.run("rootcause", *run.failed_lots, *repeated, "--json")
    assert again.returncode == 0, again.stderr
    for done in (spread, again):
        answer = json.loads(done.stdout)
        assert answer["baseline"]["rule"] == "given"
        assert sorted(answer["baseline"]["lots"]) == sorted(good)
        assert sorted(lot["id"] for lot in answer["lots"]) == sorted(run.failed_lots)
    bare = loaded_demo.run("rootcause", run.failed_lots[0], "--baseline")
    assert bare.returncode == 2  # an option with no value is refused, not dropped


def test_unknown_ids_of_lots_and_baseline_are_named_together(loaded_demo: LoadedDemo):
    run = loaded_demo.stories.leak_test_run
    done = loaded_demo.run("rootcause", run.failed_lots[0], "GONE-1", "--baseline", "NOPE-1",
                           "NOPE-2", "--json")  # fmt: skip
    assert done.returncode == 3
    for named in ("GONE-1", "NOPE-1", "NOPE-2", "lots", "baseline"):
        assert named in done.stderr


def test_the_neighbourhood_as_svg(loaded_demo: LoadedDemo, tmp_path: Path):
    run = loaded_demo.stories.leak_test_run
    picture = tmp_path / "pictures" / "rc.svg"
    done = loaded_demo.run("rootcause", *run.failed_lots, "--json", "--svg", str(picture))
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert "subgraph" not in answer or answer["subgraph"] is None
    root = ElementTree.fromstring(picture.read_bytes())
    drawn = {
        g.get("data-id"): g.attrib
        for g in root.iter("{http://www.w3.org/2000/svg}g")
        if g.get("class") == "node"
    }
    assert set(run.failed_lots) <= set(drawn)
    significant = {c["id"] for c in answer["candidates"] if c["significant"]} & set(drawn)
    assert significant
    assert {i for i, a in drawn.items() if a.get("data-significant") == "true"} == significant


def test_the_sterilizer_window_by_parameter(loaded_demo: LoadedDemo):
    """Every EtO load records a concentration near 600 mg/l (the generator's draw), so outside
    [0, 1] on STER-02 in the story's window is the window's steps and finished lots."""
    story = loaded_demo.stories.sterilizer_window
    done = loaded_demo.run("parameter-window", "eto_concentration_mg_l", "--low", "0", "--high",
                           "1", "--equipment", story.equipment_id, "--from", story.window_from,
                           "--to", story.window_to, "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert sorted(r["step"] for r in answer["readings"]) == sorted(story.process_steps)
    assert sorted(lot["id"] for lot in answer["lots"]) == sorted(story.finished_lots)
    table = loaded_demo.run("parameter-window", "exposure_time_min", "--low", "360", "--high",
                            "360", "--step-code", "eto_sterilisation")  # fmt: skip
    assert table.returncode == 0, table.stderr
    assert "0 of " in table.stdout  # the generator records 360 min on every load
    typo = loaded_demo.run("parameter-window", "eto", "--low", "1", "--step-code",
                           "eto_sterilisation")  # fmt: skip
    assert typo.returncode == 2 and "eto_concentration_mg_l" in typo.stderr
