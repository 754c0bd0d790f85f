"""Fixtures shared by every test layer: settings on a temp data dir and the store per backend."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from traceapi.settings import Settings
from traceapi.store.base import GraphStore
from traceapi.store.factory import open_store

TEST_DATA = Path(__file__).resolve().parent / "data"
"""Published data others wrote whose licences let us ship it (each folder's SOURCE.md)."""

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "external"
"""Published data we may not redistribute: only our CI clone has it beside it."""

GS1_EPCIS = SHARED_DATA / "gs1-epcis"
"""GS1's EPCIS 2.0 examples: their repository grants no licence (only GS1's disclaimer)."""

REQUIRE_SHARED_DATA = bool(os.environ.get("TRACEAPI_REQUIRE_SHARED_DATA"))
"""Set by .ci/run, whose clone has shared/ beside it; a clone elsewhere (GitHub) has none."""

SHARED_DATA_MARK = "shared_data"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{SHARED_DATA_MARK}: reads published data we may not ship (skips without shared/ beside "
        "the clone, fails then if TRACEAPI_REQUIRE_SHARED_DATA is set)",
    )


def _reads_shared_data(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    params = callspec.params.values() if callspec is not None else ()
    return any(isinstance(v, Path) and v.is_relative_to(SHARED_DATA) for v in params)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test whose parameters are unshipped files; skip them where those are missing."""
    skip = pytest.mark.skip(
        reason=f"needs {GS1_EPCIS}, which we may not ship (tests/data/README.md)"
    )
    for item in items:
        if _reads_shared_data(item):
            item.add_marker(SHARED_DATA_MARK)
        if item.get_closest_marker(SHARED_DATA_MARK) and not (
            GS1_EPCIS.is_dir() or REQUIRE_SHARED_DATA
        ):
            item.add_marker(skip)


def _modules_reading_shared_data() -> list[str]:
    here = Path(__file__).parent
    return sorted(
        str(path.relative_to(here.parent))
        for path in here.rglob("test_*.py")
        if "GS1_EPCIS" in path.read_text(encoding="utf-8")
    )


def pytest_report_header() -> list[str]:
    modules = ", ".join(_modules_reading_shared_data())
    if GS1_EPCIS.is_dir():
        data = f"unshippable test data (GS1 EPCIS examples): {GS1_EPCIS}"
    elif REQUIRE_SHARED_DATA:
        data = f"unshippable test data MISSING at {GS1_EPCIS}: its tests will fail ({modules})"
    else:
        data = (
            f"unshippable test data (GS1 EPCIS examples, no licence to redistribute) not at "
            f"{GS1_EPCIS}: the tests marked {SHARED_DATA_MARK} in {modules} are skipped"
        )
    uri = os.environ.get("NEO4J_URI")
    neo4j = f"neo4j leg: {uri}" if uri else "neo4j leg: skipped (NEO4J_URI is not set)"
    return [f"published test data: {TEST_DATA}", data, neo4j]


BACKENDS = ["embedded", "neo4j"]
# The neo4j leg carries its marker from collection on, so `pytest -m neo4j` selects it (a marker
# added while the fixture runs would come too late for -m).
_BACKEND_PARAMS = ["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Embedded settings on a fresh temporary data directory."""
    return Settings(backend="embedded", data_dir=tmp_path / "data")


def _neo4j_settings(tmp_path: Path) -> Settings:
    uri = os.environ.get("NEO4J_URI")
    if not uri:
        pytest.skip("NEO4J_URI is not set: the Neo4j leg of the contract suite needs a live server")
    return Settings(
        backend="neo4j",
        data_dir=tmp_path / "data",
        neo4j_uri=uri,
        neo4j_user=os.environ.get("NEO4J_USER", "neo4j"),
        neo4j_password=os.environ.get("NEO4J_PASSWORD"),
        neo4j_database=os.environ.get("NEO4J_DATABASE", "neo4j"),
    )


@pytest.fixture(params=_BACKEND_PARAMS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    """A fresh, empty store on each backend; the Neo4j leg skips without NEO4J_URI."""
    if request.param == "neo4j":
        from traceapi.store.neo4j_store import Neo4jStore

        opened = open_store(_neo4j_settings(tmp_path))
        assert isinstance(opened, Neo4jStore)
        # Fresh means no keys and no audit entries either, which clear() keeps by contract.
        opened.erase_everything()
    else:
        opened = open_store(Settings(backend="embedded", data_dir=tmp_path / "data"))
    try:
        yield opened
    finally:
        opened.close()
