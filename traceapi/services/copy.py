"""Copying a whole store to another backend (embedded <-> Neo4j), then checking it traces alike.

What moves: every node (with its aliases and props) and every edge, in batches through the
target's ``apply_batch``, so the target validates them as it would a load. What does not move:
API keys (credentials belong to one deployment; create new ones on the target) and the audit
trail (a chain is bound to its store's sequence; the source keeps its own, and the target
records one ``db.copy`` entry saying where its graph came from).

Afterwards the copy is checked: node counts by kind, edge counts by type, and a SHA-256 digest
of the forward and backward traces of sample lots computed on both stores.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import TypeVar

from pydantic import BaseModel, Field

from traceapi.domain.audit import AuditDraft
from traceapi.domain.model import Batch, BatchResult, NodeKind
from traceapi.errors import Conflict, LimitExceeded
from traceapi.services.ingest import ingest, loader_context
from traceapi.store.base import Direction, GraphStore, StoreStats

T = TypeVar("T")

Progress = Callable[[int, int], None]
"""Called with (items copied, items to copy)."""

SAMPLE_MAX_NODES = 200_000
"""Node cap for each sample trace; a trace over the cap digests as 'over the cap' on both sides."""


class CopyCheck(BaseModel):
    """How the target compares with the source after a copy."""

    source_nodes: dict[str, int]
    target_nodes: dict[str, int]
    source_edges: dict[str, int]
    target_edges: dict[str, int]
    sampled_lots: list[str]
    source_digest: str
    target_digest: str
    mismatches: list[str] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches


class CopyReport(BaseModel):
    """What ``copy_store`` moved and what the check found."""

    source_backend: str
    target_backend: str
    replaced: bool
    nodes_copied: int
    edges_copied: int
    written: BatchResult
    check: CopyCheck

    @property
    def ok(self) -> bool:
        return self.check.ok


def copy_store(
    source: GraphStore,
    target: GraphStore,
    *,
    chunk_size: int = 5_000,
    samples: int = 20,
    replace: bool = False,
    actor: str = "cli",
    progress: Progress | None = None,
) -> CopyReport:
    """Copy every node and edge of ``source`` into ``target`` and check the result.

    ``target`` must hold no graph unless ``replace`` is set, which clears it first (keys and
    its audit trail stay). Raises ``Conflict`` for a non-empty target without ``replace``.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    before = target.stats()
    if before.node_total and not replace:
        raise Conflict(
            f"the target ({target.backend}) already holds {before.node_total:,} nodes; "
            "copy with --replace to clear it first",
            details={"nodes": before.node_total},
        )
    if replace:
        target.clear()
    planned = source.stats()
    total = planned.node_total + planned.edge_total
    done = 0
    written = BatchResult()
    nodes_copied = edges_copied = 0
    tag = f"copy from {source.backend}"
    for nodes in _batched(source.iter_nodes(chunk_size=chunk_size), chunk_size):
        written += ingest(
            target,
            Batch(nodes=nodes, source=tag),
            ctx=loader_context(actor),
            entity_kind=None,
            entity_id=None,
            audited=False,
        )
        nodes_copied += len(nodes)
        done += len(nodes)
        if progress is not None:
            progress(done, total)
    for edges in _batched(source.iter_edges(chunk_size=chunk_size), chunk_size):
        written += ingest(
            target,
            Batch(edges=edges, source=tag),
            ctx=loader_context(actor),
            entity_kind=None,
            entity_id=None,
            audited=False,
        )
        edges_copied += len(edges)
        done += len(edges)
        if progress is not None:
            progress(done, total)
    check = verify_copy(source, target, samples=samples)
    target.append_audit(
        AuditDraft(
            actor=actor,
            action="db.copy",
            new={
                "source": source.backend,
                "nodes": nodes_copied,
                "edges": edges_copied,
                "replaced": replace,
                "mismatches": check.mismatches,
            },
        )
    )
    return CopyReport(
        source_backend=source.backend,
        target_backend=target.backend,
        replaced=replace,
        nodes_copied=nodes_copied,
        edges_copied=edges_copied,
        written=written,
        check=check,
    )


def verify_copy(source: GraphStore, target: GraphStore, *, samples: int = 20) -> CopyCheck:
    """Compare counts by kind and type, and trace digests of up to ``samples`` lots."""
    source_stats, target_stats = source.stats(), target.stats()
    mismatches = _count_mismatches(source_stats, target_stats)
    lots = sample_lots(source, samples=samples)
    missing = sorted(set(lots) - set(target.get_nodes(lots)))
    mismatches += [f"sample lot {lot!r} is missing from the target" for lot in missing]
    lots = [lot for lot in lots if lot not in missing]
    source_digest, source_parts = trace_digest(source, lots)
    target_digest, target_parts = trace_digest(target, lots)
    for lot, direction, source_part, target_part in _paired(lots, source_parts, target_parts):
        if source_part != target_part:
            mismatches.append(f"{direction} trace of lot {lot!r} differs")
    return CopyCheck(
        source_nodes=source_stats.nodes,
        target_nodes=target_stats.nodes,
        source_edges=source_stats.edges,
        target_edges=target_stats.edges,
        sampled_lots=lots,
        source_digest=source_digest,
        target_digest=target_digest,
        mismatches=mismatches,
    )


def sample_lots(store: GraphStore, *, samples: int) -> list[str]:
    """Up to ``samples`` lot ids spread over the id order (deterministic, no randomness)."""
    if samples <= 0:
        return []
    lots = [node.id for node in store.list_nodes(kind=NodeKind.LOT, limit=samples * 50)]
    if len(lots) <= samples:
        return lots
    step = len(lots) / samples
    return [lots[int(i * step)] for i in range(samples)]


def trace_digest(store: GraphStore, lots: list[str]) -> tuple[str, list[str]]:
    """SHA-256 over the sorted (id, kind, depth) reach of each lot, forward then backward.

    Returns the overall digest and the per-trace digests (lot order, forward before backward).
    """
    overall = hashlib.sha256()
    parts: list[str] = []
    for lot in lots:
        for direction in (Direction.FORWARD, Direction.BACKWARD):
            part = hashlib.sha256()
            try:
                reach = store.reach([lot], direction=direction, max_nodes=SAMPLE_MAX_NODES)
                rows = sorted(zip(reach.ids, reach.kinds, reach.depths, strict=True))
                for node_id, kind, depth in rows:
                    part.update(f"{node_id}\t{NodeKind(kind).value}\t{depth}\n".encode())
            except LimitExceeded:
                part.update(b"over the node cap\n")
            parts.append(part.hexdigest())
            overall.update(part.digest())
    return overall.hexdigest(), parts


def _count_mismatches(source: StoreStats, target: StoreStats) -> list[str]:
    found: list[str] = []
    for what, left, right in (
        ("nodes of kind", source.nodes, target.nodes),
        ("edges of type", source.edges, target.edges),
    ):
        for name in sorted(set(left) | set(right)):
            if left.get(name, 0) != right.get(name, 0):
                found.append(
                    f"{what} {name}: source has {left.get(name, 0)}, target {right.get(name, 0)}"
                )
    return found


def _paired(
    lots: list[str], left: list[str], right: list[str]
) -> Iterator[tuple[str, str, str, str]]:
    directions = [d.value for d in (Direction.FORWARD, Direction.BACKWARD)]
    index = 0
    for lot in lots:
        for direction in directions:
            yield lot, direction, left[index], right[index]
            index += 1


def _batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
