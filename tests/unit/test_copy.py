"""Copying a store: embedded -> embedded for real (two SQLite files), via the service and CLI."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from traceapi.domain.audit import AuditDraft
from traceapi.domain.model import Alias, Batch, Edge, EdgeType, Node, NodeKind
from traceapi.domain.security import ApiKey, Role
from traceapi.errors import Conflict
from traceapi.services.copy import copy_store, sample_lots, trace_digest, verify_copy
from traceapi.store.base import Direction
from traceapi.store.embedded import EmbeddedStore

TRACEAPI = Path(sys.executable).with_name("traceapi")


def genealogy(*, seed: int = 3, raw: int = 12, steps: int = 10) -> Batch:
    """A small blended genealogy with aliases, nested props and quantities on edges."""
    rng = random.Random(seed)
    nodes: list[Node] = []
    edges: list[Edge] = []
    aliases: list[Alias] = []
    for s in range(3):
        nodes.append(Node(id=f"SUP-{s}", kind=NodeKind.SUPPLIER, name=f"Supplier {s}"))
    lots: list[str] = []
    for r in range(raw):
        lot = f"RM-{r:03d}"
        nodes.append(
            Node(
                id=lot,
                kind=NodeKind.LOT,
                aliases=[f"{r:03d}", f"urn:epc:class:lgtin:4012345.012345.{r}"],
                props={"lot_type": "raw", "status": "released", "quantity": 100.0 + r},
            )
        )
        edges.append(Edge(source=f"SUP-{r % 3}", target=lot, type=EdgeType.SUPPLIED))
        lots.append(lot)
    for p in range(steps):
        step, out = f"STEP-{p:03d}", f"IM-{p:03d}"
        nodes.append(
            Node(
                id=step,
                kind=NodeKind.PROCESS_STEP,
                props={"step_code": "MIX", "params": {"temp_c": 180 + p, "zones": [1, 2]}},
            )
        )
        nodes.append(Node(id=out, kind=NodeKind.LOT, props={"lot_type": "intermediate"}))
        for source in rng.sample(lots, k=min(len(lots), rng.randint(2, 4))):
            edges.append(
                Edge(source=source, target=step, type=EdgeType.CONSUMED_BY, qty=5.0, unit="kg")
            )
        edges.append(Edge(source=step, target=out, type=EdgeType.PRODUCED, qty=9.5, unit="kg"))
        lots.append(out)
    nodes.append(Node(id="CUST-1", kind=NodeKind.CUSTOMER, props={"region": "EU"}))
    for i, lot in enumerate(lots[-3:]):
        shipment = f"SHP-{i}"
        nodes.append(Node(id=shipment, kind=NodeKind.SHIPMENT))
        edges.append(Edge(source=lot, target=shipment, type=EdgeType.SHIPPED_IN, qty=2.0))
        edges.append(Edge(source=shipment, target="CUST-1", type=EdgeType.DELIVERED_TO))
    nodes.append(Node(id="MAT-RESIN", kind=NodeKind.MATERIAL, name="Resin"))
    edges.append(Edge(source="RM-000", target="MAT-RESIN", type=EdgeType.OF))
    aliases.append(Alias(alias="(01)04012345123452(10)000", node_id="RM-000"))
    return Batch(nodes=nodes, edges=edges, aliases=aliases, source="test genealogy")


@pytest.fixture
def source(tmp_path: Path) -> EmbeddedStore:
    store = EmbeddedStore(tmp_path / "a" / "traceapi.sqlite3")
    store.apply_batch(genealogy())
    store.append_audit(AuditDraft(actor="test", action="load.batch"))
    yield store
    store.close()


@pytest.fixture
def target(tmp_path: Path) -> EmbeddedStore:
    store = EmbeddedStore(tmp_path / "b" / "traceapi.sqlite3")
    yield store
    store.close()


def _edge_set(store: EmbeddedStore) -> set[str]:
    return {edge.model_dump_json() for edge in store.iter_edges()}


def test_a_copy_holds_the_same_nodes_edges_and_aliases(
    source: EmbeddedStore, target: EmbeddedStore
) -> None:
    seen: list[tuple[int, int]] = []
    report = copy_store(
        source, target, chunk_size=7, samples=5, progress=lambda d, t: seen.append((d, t))
    )
    assert report.ok, report.check.mismatches
    stats = source.stats()
    assert report.nodes_copied == stats.node_total and report.edges_copied == stats.edge_total
    assert report.written.nodes_added == stats.node_total
    assert report.written.aliases_added == 2 * 12 + 1
    assert target.stats() == stats
    assert {n.id: n for n in target.iter_nodes()} == {n.id: n for n in source.iter_nodes()}
    assert _edge_set(target) == _edge_set(source)
    assert target.resolve("(01)04012345123452(10)000") == "RM-000"
    assert target.get_nodes(["STEP-003"])["STEP-003"].props["params"] == {
        "temp_c": 183,
        "zones": [1, 2],
    }
    assert seen[-1] == (stats.node_total + stats.edge_total,) * 2
    assert len(report.check.sampled_lots) == 5
    assert report.check.source_digest == report.check.target_digest


def test_keys_and_the_audit_trail_stay_where_they_are(
    source: EmbeddedStore, target: EmbeddedStore
) -> None:
    source.put_api_key(
        ApiKey(
            key_id="k1",
            name="erp",
            role=Role.SYSTEM,
            key_hash="a" * 64,
            created_at=datetime.now(UTC),
        )
    )
    copy_store(source, target, samples=3)
    assert target.list_api_keys() == []
    actions = [entry.action for entry in target.audit_entries()]
    assert actions == ["db.copy"], "the target records the copy, not the source's trail"
    assert json.loads(json.dumps(target.audit_entries()[0].new))["source"] == "embedded"


def test_a_target_with_a_graph_needs_replace(source: EmbeddedStore, target: EmbeddedStore) -> None:
    target.apply_batch(Batch(nodes=[Node(id="OLD", kind=NodeKind.LOT)]))
    target.put_api_key(
        ApiKey(
            key_id="t1",
            name="ops",
            role=Role.ADMIN,
            key_hash="b" * 64,
            created_at=datetime.now(UTC),
        )
    )
    with pytest.raises(Conflict, match="--replace"):
        copy_store(source, target, samples=2)
    assert target.get_nodes(["RM-000"]) == {}, "nothing copied before the refusal"
    report = copy_store(source, target, samples=2, replace=True)
    assert report.ok and report.replaced
    assert target.get_nodes(["OLD"]) == {}
    assert [k.key_id for k in target.list_api_keys()] == ["t1"], "clear keeps keys"


def test_the_check_names_what_differs(source: EmbeddedStore, target: EmbeddedStore) -> None:
    copy_store(source, target, samples=30)
    # An extra flow edge changes one count and the traces through it.
    target.apply_batch(
        Batch(edges=[Edge(source="RM-000", target="SHP-0", type=EdgeType.SHIPPED_IN)])
    )
    check = verify_copy(source, target, samples=30)
    assert not check.ok
    assert "edges of type SHIPPED_IN: source has 3, target 4" in check.mismatches
    assert "forward trace of lot 'RM-000' differs" in check.mismatches
    assert check.source_digest != check.target_digest


def test_trace_digest_is_order_free_and_sensitive_to_depth(source: EmbeddedStore) -> None:
    lots = sample_lots(source, samples=4)
    assert lots == sample_lots(source, samples=4)
    assert trace_digest(source, lots) == trace_digest(source, list(lots))
    reach = source.reach(["RM-000"], direction=Direction.FORWARD)
    assert len(reach) > 1, "the sample graph has something downstream of RM-000"
    digest, parts = trace_digest(source, ["RM-000"])
    assert len(parts) == 2 and digest != trace_digest(source, ["IM-000"])[0]


def test_db_copy_on_the_command_line(source: EmbeddedStore, tmp_path: Path) -> None:
    env = {**os.environ, "TRACEAPI_BACKEND": "embedded", "TRACEAPI_DATA_DIR": str(tmp_path / "x")}
    args = [
        str(TRACEAPI),
        "db",
        "copy",
        "--from",
        "embedded",
        "--to",
        "embedded",
        "--from-data-dir",
        str(tmp_path / "a"),
        "--to-data-dir",
        str(tmp_path / "c"),
        "--samples",
        "4",
        "--json",
    ]
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert body["ok"] is True and body["nodes_copied"] == source.stats().node_total
    again = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert again.returncode == Conflict.exit_code and "--replace" in again.stderr
    same = [*args[:9], "--to-data-dir", str(tmp_path / "a")]
    refused = subprocess.run(same, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert refused.returncode == 2 and "same store" in refused.stderr
