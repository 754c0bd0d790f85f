"""apply_batch on every backend: counts, idempotency, merging, and all-or-nothing validation."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tests.contract.graphs import edge, lot, step
from traceapi.domain.audit import AuditDraft
from traceapi.domain.model import Alias, Batch, BatchResult, Edge, EdgeType, Node, NodeKind
from traceapi.errors import Conflict, InvalidInput
from traceapi.store.base import GraphStore


def _genealogy() -> Batch:
    return Batch(
        nodes=[
            Node(id="SUP-1", kind=NodeKind.SUPPLIER, name="Resin Co"),
            lot("RM-1", status="released", quantity=100.0, unit="kg"),
            step("STEP-1"),
            lot("FG-1", status="released", lot_type="finished"),
            Node(id="MAT-1", kind=NodeKind.MATERIAL),
        ],
        edges=[
            edge("SUP-1", "SUPPLIED", "RM-1"),
            edge("RM-1", "CONSUMED_BY", "STEP-1", qty=12.5, unit="kg"),
            edge("STEP-1", "PRODUCED", "FG-1", qty=1000.0, unit="ea", props={"line": "L2"}),
            edge("RM-1", "OF", "MAT-1"),
        ],
        aliases=[Alias(alias="2291", node_id="RM-1")],
        source="test",
    )


def test_first_load_adds_everything(store: GraphStore) -> None:
    result = store.apply_batch(_genealogy())
    assert result == BatchResult(nodes_added=5, edges_added=4, aliases_added=1)
    stats = store.stats()
    assert stats.nodes == {"Supplier": 1, "Lot": 2, "ProcessStep": 1, "Material": 1}
    assert stats.edges == {"SUPPLIED": 1, "CONSUMED_BY": 1, "PRODUCED": 1, "OF": 1}


def test_reapplying_a_batch_changes_nothing(store: GraphStore) -> None:
    store.apply_batch(_genealogy())
    before = store.stats()
    again = store.apply_batch(_genealogy())
    assert again == BatchResult(nodes_unchanged=5, edges_unchanged=4)
    assert store.stats() == before


def test_reapplying_with_unicode_and_float_props_is_still_a_no_op(store: GraphStore) -> None:
    batch = Batch(
        nodes=[lot("A", note="Stérile «B»", ratio=1e-05, nested={"k": [1, 2.5]}), lot("B")],
        edges=[edge("A", "PACKED_IN", "B", qty=0.1, props={"é": "ü", "x": 1.0, "n": None})],
    )
    store.apply_batch(batch)
    assert store.apply_batch(batch) == BatchResult(nodes_unchanged=2, edges_unchanged=1)
    node = store.get_nodes(["A"])["A"]
    assert node.props == {"note": "Stérile «B»", "ratio": 1e-05, "nested": {"k": [1, 2.5]}}


def test_node_upsert_merges_props_keeps_name_and_unions_aliases(store: GraphStore) -> None:
    store.apply_batch(
        Batch(
            nodes=[
                Node(
                    id="L",
                    kind=NodeKind.LOT,
                    name="Lot L",
                    aliases=["a1"],
                    props={"status": "released", "quantity": 5},
                )
            ]
        )
    )
    result = store.apply_batch(
        Batch(
            nodes=[
                Node(
                    id="L",
                    kind=NodeKind.LOT,
                    aliases=["a2"],
                    props={"status": "on_hold", "unit": "ea"},
                )
            ]
        )
    )
    assert result.nodes_updated == 1 and result.aliases_added == 1
    node = store.get_nodes(["L"])["L"]
    assert node.name == "Lot L"
    assert node.props == {"status": "on_hold", "quantity": 5, "unit": "ea"}
    assert sorted(node.aliases) == ["a1", "a2"]
    assert store.resolve("a1") == store.resolve("a2") == store.resolve("L") == "L"

    renamed = store.apply_batch(Batch(nodes=[Node(id="L", kind=NodeKind.LOT, name="New name")]))
    assert renamed.nodes_updated == 1
    assert store.get_nodes(["L"])["L"].name == "New name"


def test_a_null_property_is_absent(store: GraphStore) -> None:
    store.apply_batch(
        Batch(
            nodes=[lot("A", status="released", note="x"), lot("B")],
            edges=[edge("A", "PACKED_IN", "B", props={"line": "L1", "shift": 2})],
        )
    )
    result = store.apply_batch(
        Batch(
            nodes=[lot("A", note=None)],
            edges=[edge("A", "PACKED_IN", "B", props={"shift": None})],
        )
    )
    assert result.nodes_updated == 1 and result.edges_updated == 1
    assert store.get_nodes(["A"])["A"].props == {"status": "released"}
    assert store.edges_of(["A"])[0].props == {"line": "L1"}


def test_edge_upsert_updates_quantity(store: GraphStore) -> None:
    store.apply_batch(_genealogy())
    changed = Batch(edges=[edge("RM-1", "CONSUMED_BY", "STEP-1", qty=20.0, unit="kg")])
    result = store.apply_batch(changed)
    assert result == BatchResult(edges_updated=1)
    (consumed,) = store.edges_of(["RM-1"], side="out", types=frozenset({EdgeType.CONSUMED_BY}))
    assert consumed.qty == 20.0 and consumed.unit == "kg"
    assert store.apply_batch(changed) == BatchResult(edges_unchanged=1)
    assert store.stats().edges["CONSUMED_BY"] == 1


def test_same_node_twice_in_a_batch_is_merged(store: GraphStore) -> None:
    result = store.apply_batch(
        Batch(
            nodes=[lot("L", status="released"), lot("L", quantity=3), lot("M")],
            edges=[edge("L", "PACKED_IN", "M"), edge("L", "PACKED_IN", "M", qty=2.0)],
        )
    )
    assert result.nodes_added == 2 and result.edges_added == 1
    assert store.get_nodes(["L"])["L"].props == {"status": "released", "quantity": 3}
    assert store.edges_of(["L"])[0].qty == 2.0


def test_edges_may_point_at_nodes_already_stored(store: GraphStore) -> None:
    store.apply_batch(Batch(nodes=[lot("A"), lot("B")]))
    result = store.apply_batch(Batch(edges=[edge("A", "PACKED_IN", "B")]))
    assert result.edges_added == 1


def test_a_dangling_edge_rejects_the_whole_batch(store: GraphStore) -> None:
    store.apply_batch(Batch(nodes=[lot("OLD")]))
    before = store.stats()
    bad = Batch(
        nodes=[lot("NEW-1"), lot("NEW-2")],
        edges=[
            edge("OLD", "PACKED_IN", "NEW-1"),
            edge("NEW-1", "PACKED_IN", "NEW-2"),
            edge("NEW-2", "SHIPPED_IN", "GHOST"),
        ],
        aliases=[Alias(alias="new-one", node_id="NEW-1")],
    )
    with pytest.raises(InvalidInput) as caught:
        store.apply_batch(bad, audit=AuditDraft(actor="test", action="load.batch"))
    message = caught.value.message
    assert "NEW-2" in message and "SHIPPED_IN" in message and "GHOST" in message
    assert "#2" in message
    assert caught.value.details["index"] == 2
    assert store.stats() == before
    assert store.get_nodes(["NEW-1", "NEW-2"]) == {}
    assert store.resolve("new-one") is None
    assert store.edges_of(["OLD"]) == []
    assert store.audit_entries() == []


def test_an_alias_of_a_missing_node_is_rejected(store: GraphStore) -> None:
    with pytest.raises(InvalidInput) as caught:
        store.apply_batch(Batch(nodes=[lot("A")], aliases=[Alias(alias="x", node_id="NOPE")]))
    assert "NOPE" in caught.value.message and "'x'" in caught.value.message
    assert store.stats().node_total == 0


def test_a_node_cannot_change_kind(store: GraphStore) -> None:
    store.apply_batch(Batch(nodes=[lot("K")]))
    with pytest.raises(InvalidInput) as caught:
        store.apply_batch(Batch(nodes=[lot("OTHER"), Node(id="K", kind=NodeKind.MATERIAL)]))
    assert "K" in caught.value.message and "Material" in caught.value.message
    assert store.get_nodes(["K"])["K"].kind is NodeKind.LOT
    assert store.get_nodes(["OTHER"]) == {}


def test_an_alias_cannot_move_to_another_node(store: GraphStore) -> None:
    store.apply_batch(
        Batch(
            nodes=[
                lot(
                    "A",
                ),
                lot("B"),
            ],
            aliases=[Alias(alias="shared", node_id="A")],
        )
    )
    with pytest.raises(Conflict) as caught:
        store.apply_batch(Batch(nodes=[lot("C")], aliases=[Alias(alias="shared", node_id="B")]))
    assert "shared" in caught.value.message and "A" in caught.value.message
    assert store.resolve("shared") == "A"
    assert store.get_nodes(["C"]) == {}
    # Re-stating the existing binding is fine and adds nothing.
    again = store.apply_batch(Batch(aliases=[Alias(alias="shared", node_id="A")]))
    assert again.aliases_added == 0


def test_one_alias_for_two_nodes_in_one_batch_is_a_conflict(store: GraphStore) -> None:
    with pytest.raises(Conflict):
        store.apply_batch(
            Batch(
                nodes=[
                    Node(id="A", kind=NodeKind.LOT, aliases=["dup"]),
                    Node(id="B", kind=NodeKind.LOT, aliases=["dup"]),
                ]
            )
        )
    assert store.stats().node_total == 0


def test_the_model_rejects_impossible_quantities() -> None:
    with pytest.raises(ValidationError):
        Edge(source="a", target="b", type=EdgeType.CONSUMED_BY, qty=-1.0)
    with pytest.raises(ValidationError):
        Edge(source="a", target="b", type=EdgeType.CONSUMED_BY, qty=float("nan"))
    with pytest.raises(ValidationError):
        Node(id="L", kind=NodeKind.LOT, props={"quantity": -3})


def test_the_audit_entry_lands_with_the_batch(store: GraphStore) -> None:
    draft = AuditDraft(
        actor="loader",
        action="load.batch",
        entity_kind="batch",
        entity_id="file.csv",
        new={"nodes": 5},
    )
    store.apply_batch(_genealogy(), audit=draft)
    (entry,) = store.audit_entries()
    assert (entry.actor, entry.action, entry.entity_id, entry.new) == (
        "loader",
        "load.batch",
        "file.csv",
        {"nodes": 5},
    )


def test_an_empty_batch_is_fine(store: GraphStore) -> None:
    assert store.apply_batch(Batch()) == BatchResult()


def test_a_large_batch_lands_whole(store: GraphStore) -> None:
    n = 5_000
    nodes = [lot(f"L{i:05d}") for i in range(n)]
    edges = [
        edge(f"L{i:05d}", "CONSUMED_BY" if i % 2 else "PACKED_IN", f"L{(i * 7 + 1) % n:05d}")
        for i in range(n)
    ]
    result = store.apply_batch(Batch(nodes=nodes, edges=edges))
    assert result.nodes_added == n and result.edges_added == len({e.key for e in edges})
    assert store.stats().edge_total == result.edges_added
    assert store.apply_batch(Batch(nodes=nodes, edges=edges)).edges_unchanged == result.edges_added


def test_a_property_changing_type_is_an_update(store: GraphStore) -> None:
    store.apply_batch(Batch(nodes=[lot("T", flag=1, ratio=2, tags=["a"])]))
    result = store.apply_batch(Batch(nodes=[lot("T", flag=True)]))
    assert result.nodes_updated == 1
    assert store.get_nodes(["T"])["T"].props["flag"] is True
    assert store.apply_batch(Batch(nodes=[lot("T", flag=True, tags=["a"])])).nodes_unchanged == 1
    assert store.apply_batch(Batch(nodes=[lot("T", tags=["a", "b"])])).nodes_updated == 1
