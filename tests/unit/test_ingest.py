"""Loaders and the demo write through the ingestion service: one transaction and one audit
entry per batch, recorded with the principal's fields like every other change."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.contract.graphs import flow_batch
from traceapi.errors import InvalidInput
from traceapi.services.ingest import ingest, loader_context
from traceapi.store.embedded import EmbeddedStore


def test_a_batch_comes_in_with_its_audit_entry_or_not_at_all(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "s.sqlite3") as store:
        result = ingest(
            store,
            flow_batch([("A", "B")]),
            ctx=loader_context("cli"),
            entity_kind="File",
            entity_id="a.json",
            new={"nodes": 2},
        )
        assert result.nodes_added == 2
        [entry] = store.audit_entries()
        assert (entry.action, entry.actor, entry.auth_method, entry.entity_id) == (
            "load.batch",
            "cli",
            "cli",
            "a.json",
        )
        dangling = flow_batch([("C", "D")]).model_copy(update={"nodes": []})
        with pytest.raises(InvalidInput, match="dangling"):
            ingest(store, dangling, ctx=loader_context("demo"), entity_kind=None, entity_id=None)
        assert len(store.audit_entries()) == 1 and store.stats().node_total == 2
