"""A stored record that does not decode: it fails only the answers that contain it, naming it;
readiness and ``damaged_records`` find it; on every backend.

The damage is written past the store's own checks, the way a bad disk, a hand edit or a buggy
old writer would leave it: SQL on the embedded file, Cypher on the Neo4j server.
"""

from __future__ import annotations

import sqlite3

import pytest

from tests.contract.graphs import edge, lot, step
from traceapi.domain.model import Batch, EdgeType
from traceapi.errors import CorruptData
from traceapi.store.base import DamagedRecord, Direction, GraphStore

BAD_JSON = '{"status": "rel'


def _damage_node(store: GraphStore, node_id: str) -> None:
    if store.backend == "embedded":
        conn = sqlite3.connect(store.path)  # type: ignore[attr-defined]
        with conn:
            conn.execute("UPDATE nodes SET props = ? WHERE id = ?", (BAD_JSON, node_id))
        conn.close()
    else:
        store._driver.execute_query(  # type: ignore[attr-defined]
            "MATCH (n:Node {id: $id}) SET n.props_json = $bad",
            {"id": node_id, "bad": BAD_JSON},
            database_=store._database,  # type: ignore[attr-defined]
        )


@pytest.fixture
def damaged_store(store: GraphStore) -> GraphStore:
    """R -> S1 -> T (damaged) -> S2 -> F, and an unrelated R2 -> S3 -> G."""
    store.apply_batch(
        Batch(
            nodes=[
                lot("R", status="released"),
                lot("T", status="released"),
                lot("F", status="released"),
                lot("R2"),
                lot("G"),
                step("S1"),
                step("S2"),
                step("S3"),
            ],
            edges=[
                edge("R", EdgeType.CONSUMED_BY, "S1"),
                edge("S1", EdgeType.PRODUCED, "T"),
                edge("T", EdgeType.CONSUMED_BY, "S2"),
                edge("S2", EdgeType.PRODUCED, "F"),
                edge("R2", EdgeType.CONSUMED_BY, "S3"),
                edge("S3", EdgeType.PRODUCED, "G"),
            ],
            source="test",
        )
    )
    _damage_node(store, "T")
    return store


def test_reading_the_damaged_node_names_it(damaged_store: GraphStore) -> None:
    with pytest.raises(CorruptData, match="node 'T' is stored damaged") as caught:
        damaged_store.get_nodes(["R", "T", "F"])
    assert caught.value.details["record"] == "node 'T'"
    assert set(damaged_store.get_nodes(["R", "F", "G"])) == {"R", "F", "G"}


def test_reachability_does_not_read_properties(damaged_store: GraphStore) -> None:
    reach = damaged_store.reach(["R"], direction=Direction.FORWARD)
    assert "T" in reach.ids and "F" in reach.ids


def test_damaged_records_lists_it_and_readiness_fails(damaged_store: GraphStore) -> None:
    assert damaged_store.damaged_records() == [
        DamagedRecord("node 'T'", damaged_store.damaged_records()[0].reason)
    ]
    assert "not JSON" in damaged_store.damaged_records()[0].reason
    with pytest.raises(CorruptData, match="node 'T'"):
        damaged_store.check_ready()  # a small store: the sample is every node


def test_an_intact_store_is_ready_and_has_nothing_damaged(store: GraphStore) -> None:
    store.apply_batch(Batch(nodes=[lot("A"), lot("B")], source="test"))
    store.check_ready()
    assert store.damaged_records() == []
