"""The root-cause neighbourhood as SVG (``traceapi.render.rootcause_svg``), on the small demo's
leak-test story (``demo_stories``: the failed lots and the lot moulded on the worn cavity)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from defusedxml import ElementTree

from traceapi.demo.generator import DemoGenerator
from traceapi.demo.stories import LeakTestRun
from traceapi.domain.model import EdgeType
from traceapi.render import rootcause_svg
from traceapi.render.scene import MARKED_RANKS
from traceapi.render.svg import CANDIDATE, SIGNIFICANT
from traceapi.services.rootcause import RootCauseReport, root_cause
from traceapi.store.embedded import EmbeddedStore

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EmbeddedStore, LeakTestRun]]:
    store = EmbeddedStore(tmp_path_factory.mktemp("rc-svg") / "demo.sqlite3")
    generator = DemoGenerator(lots=120, seed=11)
    generator.load(store)
    yield store, generator.stories.leak_test_run
    store.close()


@pytest.fixture(scope="module")
def report(demo) -> RootCauseReport:
    store, run = demo
    return root_cause(store, lot_ids=run.failed_lots, subgraph=True)


def _nodes(svg: str) -> dict[str, dict[str, str]]:
    root = ElementTree.fromstring(svg)
    found: dict[str, dict[str, str]] = {}
    for group in root.iter(f"{SVG}g"):
        if group.get("class") == "node":
            rect = group.find(f"{SVG}rect")
            assert rect is not None
            found[group.get("data-id", "")] = {
                **group.attrib,
                "stroke": rect.get("stroke", ""),
                "dash": rect.get("stroke-dasharray", ""),
                "text": " ".join(t.text or "" for t in group.iter(f"{SVG}text")),
            }
    return found


def test_the_anomalous_lots_stand_right_and_the_top_candidate_is_named(demo, report) -> None:
    _, run = demo
    svg = rootcause_svg(demo[0], report)
    nodes = _nodes(svg)
    last = max(int(n["data-column"]) for n in nodes.values())
    for lot in run.failed_lots:
        assert nodes[lot]["data-column"] == str(last) and nodes[lot]["data-depth"] == "0"
        assert nodes[lot]["stroke"] == "#111111"  # the thick frame of the seeds
        assert lot in svg.split("</title>")[0]  # named in the picture's title too
    top = report.candidates[0]
    desc = ElementTree.fromstring(svg).find(f"{SVG}desc")
    assert desc is not None and f"top: {top.id}" in (desc.text or "")
    assert set(nodes) == {n.id for n in report.subgraph.nodes}  # type: ignore[union-attr]


def test_significant_candidates_are_marked_apart_from_the_others(demo, report) -> None:
    nodes = _nodes(rootcause_svg(demo[0], report))
    listed = {c.id: c for c in report.candidates if c.id in nodes}
    assert any(c.significant for c in listed.values())
    assert any(not c.significant for c in listed.values())
    assert any(c.rank > MARKED_RANKS for c in listed.values())
    for node_id, c in listed.items():
        drawn = nodes[node_id]
        assert drawn["data-rank"] == str(c.rank)
        assert drawn["data-significant"] == ("true" if c.significant else "false")
        if c.significant:
            assert drawn["stroke"] == SIGNIFICANT and drawn["dash"] == ""
            assert f"#{c.rank}" in drawn["text"]
        elif c.rank <= MARKED_RANKS:
            assert drawn["stroke"] == CANDIDATE and drawn["dash"] == "5,3"
            assert f"#{c.rank}" in drawn["text"]
        else:  # past the first ranks: in the tooltip only
            assert drawn["stroke"] not in (SIGNIFICANT, CANDIDATE) and drawn["dash"] == ""
            assert f"#{c.rank}" not in drawn["text"]
    unlisted = set(nodes) - set(listed)
    windows = {s for c in report.candidates for s in c.steps}
    assert all("data-rank" not in nodes[i] for i in unlisted - windows)


def test_the_worn_cavity_step_carries_its_rank(demo, report) -> None:
    """The step that moulded the worn-cavity lot ranks first (as ``traceapi rootcause`` says)."""
    store, run = demo
    (moulded,) = run.moulded_lots
    (step,) = [
        e.source for e in store.edges_of([moulded], side="in", types=frozenset({EdgeType.PRODUCED}))
    ]
    rank = {c.id: c.rank for c in report.candidates}
    nodes = _nodes(rootcause_svg(store, report))
    assert rank[step] == 1 and nodes[step]["data-rank"] == "1"


def test_an_unranked_neighbourhood_is_drawn_without_marks(demo) -> None:
    store, run = demo
    plain = root_cause(store, lot_ids=run.failed_lots, rank=False, subgraph=True)
    nodes = _nodes(rootcause_svg(store, plain))
    assert set(run.failed_lots) <= set(nodes)
    assert not any("data-rank" in n for n in nodes.values())


def test_a_report_without_its_subgraph_is_refused(demo, report) -> None:
    with pytest.raises(ValueError, match="subgraph"):
        rootcause_svg(demo[0], report.model_copy(update={"subgraph": None}))


def test_a_cut_keeps_the_candidates(demo, report) -> None:
    """Cut to two boxes a column, the ranked boxes come right after the anomalous lots."""
    nodes = _nodes(rootcause_svg(demo[0], report, max_nodes=10, column_cap=2))
    ranked = [c for c in report.candidates if c.id in {n.id for n in report.subgraph.nodes}]  # type: ignore[union-attr]
    assert ranked[0].id in nodes
