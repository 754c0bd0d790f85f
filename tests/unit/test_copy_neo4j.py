"""Copy embedded -> Neo4j -> embedded against a live server (CI's neo4j:5 service container).

Skipped without NEO4J_URI. The database it points at is cleared (graph only: keys and the audit
trail stay), so point it at a throwaway server.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.test_copy import genealogy
from traceapi.services.copy import copy_store, trace_digest
from traceapi.settings import Settings
from traceapi.store.embedded import EmbeddedStore
from traceapi.store.neo4j_store import Neo4jStore

pytestmark = pytest.mark.neo4j


@pytest.fixture
def neo(tmp_path: Path) -> Iterator[Neo4jStore]:
    uri = os.environ.get("NEO4J_URI")
    if not uri:
        pytest.skip("NEO4J_URI is not set: these tests need a live Neo4j server")
    store = Neo4jStore.connect(
        Settings(
            backend="neo4j",
            data_dir=tmp_path,
            neo4j_uri=uri,
            neo4j_user=os.environ.get("NEO4J_USER", "neo4j"),
            neo4j_password=os.environ.get("NEO4J_PASSWORD"),
            neo4j_database=os.environ.get("NEO4J_DATABASE", "neo4j"),
        )
    )
    store.clear()
    try:
        yield store
    finally:
        store.close()


def test_a_round_trip_through_neo4j_keeps_every_node_edge_and_trace(
    neo: Neo4jStore, tmp_path: Path
) -> None:
    first = EmbeddedStore(tmp_path / "first.sqlite3")
    back = EmbeddedStore(tmp_path / "back.sqlite3")
    try:
        first.apply_batch(genealogy())
        there = copy_store(first, neo, chunk_size=9, samples=10)
        assert there.ok, there.check.mismatches
        assert neo.resolve("(01)04012345123452(10)000") == "RM-000"
        home = copy_store(neo, back, chunk_size=11, samples=10)
        assert home.ok, home.check.mismatches
        assert {n.id: n for n in back.iter_nodes()} == {n.id: n for n in first.iter_nodes()}
        lots = there.check.sampled_lots
        assert trace_digest(back, lots) == trace_digest(first, lots) == trace_digest(neo, lots)
    finally:
        first.close()
        back.close()


def test_reapplying_the_same_batch_changes_nothing(neo: Neo4jStore) -> None:
    batch = genealogy(seed=5)
    first = neo.apply_batch(batch)
    again = neo.apply_batch(batch)
    assert first.nodes_added == len({n.id for n in batch.nodes})
    assert again.nodes_added == again.nodes_updated == 0
    assert again.edges_added == again.edges_updated == again.aliases_added == 0
    assert again.nodes_unchanged == first.nodes_added
