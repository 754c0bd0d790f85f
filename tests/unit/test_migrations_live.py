"""Migrations against a live Neo4j (CI's neo4j:5 service container); skipped without NEO4J_URI."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import neo4j
import pytest

from traceapi.settings import Settings
from traceapi.store.migrations import applied_versions, load_migrations
from traceapi.store.neo4j_store import Neo4jStore

pytestmark = pytest.mark.neo4j


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Neo4jStore]:
    uri = os.environ.get("NEO4J_URI")
    if not uri:
        pytest.skip("NEO4J_URI is not set: these tests need a live Neo4j server")
    settings = Settings(
        backend="neo4j",
        data_dir=tmp_path,
        neo4j_uri=uri,
        neo4j_user=os.environ.get("NEO4J_USER", "neo4j"),
        neo4j_password=os.environ.get("NEO4J_PASSWORD"),
        neo4j_database=os.environ.get("NEO4J_DATABASE", "neo4j"),
    )
    store = Neo4jStore.connect(settings)
    try:
        yield store
    finally:
        store.close()


def _driver(store: Neo4jStore) -> neo4j.Driver:
    return store._driver  # the test inspects the schema the store created


def test_connect_applied_every_migration_and_a_second_run_applies_none(live: Neo4jStore) -> None:
    versions = {m.version for m in load_migrations()}
    assert versions <= applied_versions(_driver(live), database=live._database)
    assert live.migrate() == []


def test_the_constraints_of_v0001_exist_under_their_names(live: Neo4jStore) -> None:
    records = (
        _driver(live)
        .execute_query(
            "SHOW CONSTRAINTS YIELD name RETURN collect(name) AS names", database_=live._database
        )
        .records
    )
    names = set(records[0]["names"])
    assert {"node_id", "alias_value", "api_key_hash", "audit_entry_seq", "meta_key"} <= names
