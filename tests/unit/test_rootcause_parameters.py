"""Process-parameter seeds (``parameter_window``) on a planted bakery of seven steps whose
temperatures, machines and times are written below, so every answer is worked out by hand;
and on the demo, where the sterilizer window's steps all record an EtO concentration near
600 mg/l and an exposure of exactly 360 min (``traceapi/demo/generator.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from traceapi.demo.generator import DemoGenerator
from traceapi.demo.stories import SterilizerWindow
from traceapi.domain.model import Batch, Edge, EdgeType, Node, NodeKind
from traceapi.errors import InvalidInput, NotFound
from traceapi.services.rootcause import parameter_window
from traceapi.store.embedded import EmbeddedStore

# step: (step code, machine, day of January 2024 (08:00 to 10:00), params, lots it made)
STEPS: dict[str, tuple[str, str, int, dict[str, Any], list[str]]] = {
    "S1": ("bake", "EQ-A", 1, {"temp_c": 180}, ["L1"]),
    "S2": ("bake", "EQ-A", 2, {"temp_c": 195}, ["L2"]),
    "S3": ("bake", "EQ-A", 3, {"temp_c": 170}, ["L3", "L3b"]),
    "S4": ("bake", "EQ-B", 2, {"temp_c": 200}, ["L4"]),
    "S5": ("bake", "EQ-B", 3, {"time_min": 30}, ["L5"]),  # no temperature recorded
    "S6": ("bake", "EQ-A", 4, {"temp_c": "199.5"}, ["L6"]),  # a number loaded as text
    "S7": ("cool", "EQ-A", 5, {"temp_c": 20}, ["L7"]),
}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    nodes = [Node(id=e, kind=NodeKind.EQUIPMENT) for e in ("EQ-A", "EQ-B")]
    nodes.append(Node(id="DOUGH-1", kind=NodeKind.LOT, props={"lot_type": "raw"}))
    edges: list[Edge] = []
    for step, (code, machine, day, params, lots) in STEPS.items():
        nodes.append(
            Node(
                id=step,
                kind=NodeKind.PROCESS_STEP,
                props={
                    "step_code": code,
                    "started_at": f"2024-01-0{day}T08:00:00Z",
                    "ended_at": f"2024-01-0{day}T10:00:00Z",
                    "params": params,
                },
            )
        )
        edges.append(Edge(source=step, target=machine, type=EdgeType.ON))
        edges.append(Edge(source="DOUGH-1", target=step, type=EdgeType.CONSUMED_BY))
        for lot in lots:
            nodes.append(Node(id=lot, kind=NodeKind.LOT, props={"lot_type": "finished"}))
            edges.append(Edge(source=step, target=lot, type=EdgeType.PRODUCED))
    opened = EmbeddedStore(tmp_path / "bakery.sqlite3")
    opened.apply_batch(Batch(nodes=nodes, edges=edges))
    yield opened
    opened.close()


def test_a_step_code_outside_the_range(store) -> None:
    """bake steps outside [175, 190]: S2 (195), S3 (170), S4 (200), S6 (199.5, from text); S1
    (180) is inside, S5 records no temperature, S7 is another code. By start time, S2 and S4
    (both 2 January, by id) before S3 and S6."""
    report = parameter_window(store, parameter="temp_c", low=175, high=190, step_code="bake")
    assert report.steps_checked == 6
    assert report.without_parameter == ["S5"]
    assert [(r.step, r.value) for r in report.readings] == [
        ("S2", 195.0),
        ("S4", 200.0),
        ("S3", 170.0),
        ("S6", 199.5),
    ]
    assert [r.equipment for r in report.readings] == [["EQ-A"], ["EQ-B"], ["EQ-A"], ["EQ-A"]]
    assert report.readings[2].lots == ["L3", "L3b"]
    assert [s.id for s in report.process_steps] == ["S2", "S4", "S3", "S6"]
    assert [lot.id for lot in report.lots] == ["L2", "L4", "L3", "L3b", "L6"]


def test_one_bound_only(store) -> None:
    report = parameter_window(store, parameter="temp_c", high=190, step_code="bake")
    assert [r.step for r in report.readings] == ["S2", "S4", "S6"]
    report = parameter_window(store, parameter="temp_c", low=175, step_code="bake")
    assert [r.step for r in report.readings] == ["S3"]


def test_a_machine_and_a_time_window(store) -> None:
    """On EQ-A from 2 January 09:00 to 3 January 08:30: S2 (08:00 to 10:00 on the 2nd) was
    still running at the start, S3 (from 08:00 on the 3rd) had begun by the end; S1 ended
    before, S6 began after."""
    report = parameter_window(
        store,
        parameter="temp_c",
        low=175,
        high=190,
        equipment="EQ-A",
        step_code="bake",
        window_from="2024-01-02T09:00Z",
        window_to="2024-01-03T08:30Z",
    )
    assert report.steps_checked == 2
    assert report.equipment is not None and report.equipment.id == "EQ-A"
    assert [r.step for r in report.readings] == ["S2", "S3"]
    assert [lot.id for lot in report.lots] == ["L2", "L3", "L3b"]


def test_a_machine_alone_takes_every_code(store) -> None:
    """Every step on EQ-A: S1, S2, S3, S6 (bake) and S7 (cool, 20)."""
    report = parameter_window(store, parameter="temp_c", low=175, high=190, equipment="EQ-A")
    assert report.steps_checked == 5
    assert [r.step for r in report.readings] == ["S2", "S3", "S6", "S7"]


def test_nothing_outside_is_an_empty_answer(store) -> None:
    report = parameter_window(store, parameter="temp_c", low=0, high=1000, step_code="bake")
    assert report.steps_checked == 6 and report.readings == [] and report.lots == []


@pytest.mark.parametrize(
    ("arguments", "field"),
    [({"low": 1}, "step_code"), ({"step_code": "bake"}, "low"),
     ({"step_code": "bake", "low": 5, "high": 1}, "high"),
     ({"step_code": "bake", "low": float("nan")}, "low"),
     ({"step_code": "fry", "low": 1}, "step_code"),
     ({"equipment": "EQ-B", "step_code": "cool", "low": 1}, "step_code"),
     ({"equipment": "L1", "low": 1}, "equipment"),
     ({"step_code": "bake", "low": 1, "window_from": "monday"}, "from")],
)  # fmt: skip
def test_bad_questions_name_the_field(store, arguments, field) -> None:
    with pytest.raises(InvalidInput) as raised:
        parameter_window(store, parameter="temp_c", **arguments)
    assert raised.value.details["field"] == field


def test_a_parameter_no_step_records_lists_those_they_do(store) -> None:
    with pytest.raises(InvalidInput) as raised:
        parameter_window(store, parameter="temperature", low=1, step_code="bake")
    assert raised.value.details == {"field": "parameter", "recorded": ["temp_c", "time_min"]}


def test_unknown_equipment_is_not_found(store) -> None:
    with pytest.raises(NotFound):
        parameter_window(store, parameter="temp_c", low=1, equipment="EQ-NOPE")


@pytest.fixture(scope="module")
def demo(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[EmbeddedStore, SterilizerWindow]]:
    store = EmbeddedStore(tmp_path_factory.mktemp("param-demo") / "demo.sqlite3")
    generator = DemoGenerator(lots=600, seed=7)
    generator.load(store)
    yield store, generator.stories.sterilizer_window
    store.close()


def test_the_sterilizer_window_by_eto_concentration(demo) -> None:
    """Every EtO load records a concentration near 600 mg/l, so outside [0, 1] on STER-02 in
    the story's window is every step of the window: the story's steps and finished lots, and
    their impact is seeded by exactly those lots."""
    store, story = demo
    report = parameter_window(
        store,
        parameter="eto_concentration_mg_l",
        low=0,
        high=1,
        equipment=story.equipment_id,
        window_from=story.window_from,
        window_to=story.window_to,
        impact=True,
    )
    assert sorted(s.id for s in report.process_steps) == sorted(story.process_steps)
    assert sorted(lot.id for lot in report.lots) == sorted(story.finished_lots)
    assert report.steps_checked == len(story.process_steps) and not report.without_parameter
    assert report.impact is not None
    assert sorted(v.id for v in report.impact.seed_lots) == sorted(story.finished_lots)


def test_the_fixed_exposure_time_is_never_out_of_range(demo) -> None:
    """The generator records exposure_time_min = 360 on every load."""
    store, _ = demo
    report = parameter_window(
        store, parameter="exposure_time_min", low=360, high=360, step_code="eto_sterilisation"
    )
    assert report.steps_checked > 0 and report.readings == []
