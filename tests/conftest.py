"""Fixtures shared by every test layer: settings on a temp data dir and the store per backend."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from traceapi.settings import Settings
from traceapi.store.base import GraphStore
from traceapi.store.factory import open_store

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "external"
"""Published data others wrote (GS1, openFDA); tests read it, the package never does."""

REQUIRE_SHARED_DATA = bool(os.environ.get("TRACEAPI_REQUIRE_SHARED_DATA"))
"""Set by .ci/run, whose clone has shared/ beside it; a clone elsewhere (GitHub) has none."""

if not SHARED_DATA.is_dir() and not REQUIRE_SHARED_DATA:
    # Modules that read published vectors cannot even be collected without them; leave them out
    # loudly (see pytest_report_header) rather than fail a clone that has no shared/ beside it.
    collect_ignore_glob = [
        str(path.relative_to(Path(__file__).parent))
        for path in Path(__file__).parent.rglob("test_*.py")
        if "SHARED_DATA" in path.read_text(encoding="utf-8")
    ]


def pytest_report_header() -> list[str]:
    if SHARED_DATA.is_dir():
        data = f"published test data: {SHARED_DATA}"
    elif REQUIRE_SHARED_DATA:
        data = f"published test data MISSING at {SHARED_DATA}: its tests will fail"
    else:
        data = f"published test data not at {SHARED_DATA}: the modules needing it are left out"
    uri = os.environ.get("NEO4J_URI")
    neo4j = f"neo4j leg: {uri}" if uri else "neo4j leg: skipped (NEO4J_URI is not set)"
    return [data, neo4j]


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
