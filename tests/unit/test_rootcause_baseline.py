"""The root-cause baseline rules, on a planted plant (``tests/unit/planted.py``) whose lots,
times and inspection results the generator drew: finished lot i is produced 6 h after lot
i - 1, and its leak test passed or failed as the generator says."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.planted import PlantedPlant, planted_plant
from traceapi.domain.model import Node, NodeKind
from traceapi.errors import InvalidInput
from traceapi.services.rootcause import root_cause
from traceapi.store.embedded import EmbeddedStore


@pytest.fixture
def plant() -> PlantedPlant:
    plant = planted_plant(5, "none", noise=0.08)
    rejected = next(n for n in plant.batch.nodes if n.id == plant.passed[0])
    rejected.props["status"] = "rejected"
    plant.batch.nodes.append(Node(id="ODD-1", kind=NodeKind.LOT))  # no material, no time
    return plant


@pytest.fixture
def store(tmp_path: Path, plant: PlantedPlant) -> Iterator[EmbeddedStore]:
    opened = EmbeddedStore(tmp_path / "baseline.sqlite3")
    opened.apply_batch(plant.batch)
    yield opened
    opened.close()


def _index(lot_id: str) -> int:
    return int(lot_id.removeprefix("SET-"))


def test_the_default_is_every_good_lot_of_the_material_within_30_days(store, plant) -> None:
    report = root_cause(store, lot_ids=plant.failed)
    assert report.baseline is not None and report.baseline.rule == "period"
    assert report.baseline.materials == ["MAT-SET"]
    first, last = min(map(_index, plant.failed)), max(map(_index, plant.failed))
    within = {lot for lot in plant.passed if first - 120 <= _index(lot) <= last + 120}
    assert set(report.baseline.lots) == within - {plant.passed[0]}  # 120 lots = 30 days
    assert report.baseline.not_good == (1 if plant.passed[0] in within else 0)


def test_period_days_zero_keeps_the_lots_made_between_the_first_and_last_failure(
    store, plant
) -> None:
    report = root_cause(store, lot_ids=plant.failed, period_days=0)
    first, last = min(map(_index, plant.failed)), max(map(_index, plant.failed))
    expected = {lot for lot in plant.passed[1:] if first <= _index(lot) <= last}
    assert report.baseline is not None and set(report.baseline.lots) == expected


def test_passed_inspection_takes_the_lots_that_passed_it(store, plant) -> None:
    report = root_cause(store, lot_ids=plant.failed, passed_inspection="leak_test")
    period = root_cause(store, lot_ids=plant.failed)
    assert report.baseline is not None and report.baseline.rule == "passed_inspection"
    assert period.baseline is not None
    assert set(report.baseline.lots) == set(period.baseline.lots)  # one inspection only
    with pytest.raises(InvalidInput) as refused:
        root_cause(store, lot_ids=plant.failed, passed_inspection="bioburden")
    assert refused.value.details["field"] == "baseline"


def test_a_lot_without_material_or_time_is_named_and_a_baseline_asked_for(store, plant) -> None:
    with pytest.raises(InvalidInput) as refused:
        root_cause(store, lot_ids=[plant.failed[0], "ODD-1"])
    assert refused.value.details == {
        "field": "baseline",
        "no_material": ["ODD-1"],
        "no_produced_at": ["ODD-1"],
    }
    answered = root_cause(store, lot_ids=[plant.failed[0], "ODD-1"], baseline=plant.passed[:20])
    assert answered.baseline is not None and answered.baseline.rule == "given"


def test_without_ranking_no_baseline_is_needed(store) -> None:
    report = root_cause(store, lot_ids=["ODD-1"], rank=False)
    assert report.baseline is None and report.candidates == []
