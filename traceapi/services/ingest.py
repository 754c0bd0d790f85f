"""Ingestion: the one door graph data comes in by (loaders, the demo, ``db copy``).

Every batch is written here, in one transaction with its audit entry, so the rules that decide
what may come in have one home above the backends (the holds of the next issue: a held lot may
not be consumed or shipped). The merge and validation of a batch itself (dangling edges, alias
clashes, kind changes) are still each backend's ``apply_batch`` (``store/sqlite_batch.py`` and
``neo4j_store.py``): moving them up here is the next step.
"""

from __future__ import annotations

from typing import Any

from traceapi.domain.model import Batch, BatchResult
from traceapi.services.audit import draft_for
from traceapi.services.policy import AuthMethod, Principal, RequestContext
from traceapi.store.base import GraphStore


def loader_context(actor: str) -> RequestContext:
    """The context of a load run by ``actor`` on this machine (``cli``, ``demo``, a test)."""
    if actor == "cli":
        return RequestContext(Principal.local_operator())
    return RequestContext(
        Principal(id=actor, name=actor, roles=frozenset(), auth_method=AuthMethod.CLI)
    )


def ingest(
    store: GraphStore,
    batch: Batch,
    *,
    ctx: RequestContext,
    entity_kind: str | None,
    entity_id: str | None,
    new: dict[str, Any] | None = None,
    audited: bool = True,
) -> BatchResult:
    """Writes ``batch`` (merged, all or nothing) with its ``load.batch`` audit entry."""
    audit = None
    if audited:
        audit = draft_for(
            ctx, action="load.batch", entity_kind=entity_kind, entity_id=entity_id, new=new
        )
    return store.apply_batch(batch, audit=audit)
