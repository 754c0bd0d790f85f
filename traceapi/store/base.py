"""The GraphStore contract every backend implements; services and loaders see nothing else.

Backends translate their own failures into ``StoreUnavailable`` / ``Conflict`` /
``InvalidInput`` from ``traceapi.errors`` and never leak driver or sqlite exceptions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, NamedTuple, Protocol, TypeVar, runtime_checkable

from traceapi.domain.audit import AuditDraft, AuditEntry, AuditRecord
from traceapi.domain.idempotency import IdempotentAnswer
from traceapi.domain.model import Batch, BatchResult, Edge, EdgeType, Node, NodeKind
from traceapi.domain.records import RecordLink, RecordLinkType, Signature, StoredRecord
from traceapi.domain.security import ApiKey, Session, User

T = TypeVar("T")


class Direction(StrEnum):
    FORWARD = "forward"
    """Downstream, the way material flows: where-used."""
    BACKWARD = "backward"
    """Upstream, against the flow: where-from."""


@dataclass(frozen=True, slots=True)
class Reach:
    """Nodes reached by a bounded breadth-first walk over flow edges, seeds included at depth 0.

    Parallel lists in visiting order (by depth). Each node appears once, at its shortest depth.
    """

    ids: list[str]
    kinds: list[NodeKind]
    depths: list[int]

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True, slots=True)
class StoreStats:
    nodes: dict[str, int] = field(default_factory=dict)
    edges: dict[str, int] = field(default_factory=dict)

    @property
    def node_total(self) -> int:
        return sum(self.nodes.values())

    @property
    def edge_total(self) -> int:
        return sum(self.edges.values())


EdgeSide = Literal["out", "in", "both"]


class DamagedRecord(NamedTuple):
    """A stored node or edge that does not decode: which (``node 'X'``, ``edge 'A' -T-> 'B'``)
    and why. Reads that meet one raise ``CorruptData``; ``db check`` lists them all."""

    record: str
    reason: str


class EdgeRow(NamedTuple):
    """An edge without its properties: what answers weighing tens of thousands of edges read
    (``edges_of`` builds a model per edge, several times the cost)."""

    source: str
    target: str
    type: EdgeType
    qty: float | None
    unit: str | None


class StoreTx(Protocol):
    """What a unit of work may do inside its one transaction: primitives only. The rules
    (version checks, audit chaining, the clock) live above, in the services; everything done
    through one ``StoreTx`` commits together or not at all."""

    def get_record(self, record_id: str) -> StoredRecord | None:
        """The latest version of the record, read under the write lock."""
        ...

    def put_record(self, record: StoredRecord) -> None:
        """Stores a new version; ``Conflict`` if that (id, version) is already stored (a
        version is never overwritten)."""
        ...

    def link_record(self, record_id: str, *, link_type: RecordLinkType, target_id: str) -> None:
        """Links the record to graph node ``target_id`` (``NotFound`` if there is no such node);
        linking twice is one link."""
        ...

    def put_signature(self, signature: Signature) -> None: ...

    def get_user(self, username: str) -> User | None: ...

    def put_user(self, user: User) -> None:
        """Creates or replaces the user (by ``user_id``); ``Conflict`` when another user has
        the username."""
        ...

    def put_session(self, session: Session) -> None: ...

    def get_api_key_by_id(self, key_id: str) -> ApiKey | None: ...

    def put_api_key(self, key: ApiKey) -> None:
        """Creates or replaces the key (by ``key_id``); ``Conflict`` when another key has its
        hash."""
        ...

    def get_idempotent(self, key_hash: str) -> IdempotentAnswer | None:
        """The request and answer stored for an Idempotency-Key, read under the write lock."""
        ...

    def put_idempotent(self, answer: IdempotentAnswer) -> None:
        """Creates or replaces the stored request and answer of an Idempotency-Key."""
        ...

    def audit_head(self) -> tuple[int, str]:
        """(seq, hash) of the last audit entry, (0, GENESIS_HASH) for an empty trail."""
        ...

    def put_audit(self, entry: AuditEntry) -> None:
        """Stores an entry the caller chained to ``audit_head()`` (``chain_entry``)."""
        ...


@runtime_checkable
class GraphStore(Protocol):
    """Everything traceapi asks of storage. All methods are synchronous and thread-safe."""

    backend: str
    """``embedded`` or ``neo4j``."""

    # -- writing -------------------------------------------------------------------------
    def apply_batch(self, batch: Batch, *, audit: AuditDraft | None = None) -> BatchResult:
        """Upsert nodes, edges and aliases in one transaction, with ``audit`` in the same one.

        Idempotent: node props are merged (new keys win), aliases unioned, an edge with the same
        (source, type, target) updated. Raises ``InvalidInput`` naming the first dangling edge
        (an endpoint neither in the batch nor in the store), an alias that points at a missing
        node, or a node whose kind differs from the stored one; nothing is written then.
        """
        ...

    def run_in_tx(self, work: Callable[[StoreTx], T], *, doing: str = "writing") -> T:
        """Runs ``work`` in one write transaction, committed when it returns and rolled back
        when it raises (its error then propagates). Writers queue one behind the other. On
        Neo4j the driver may run ``work`` again after a transient failure, so ``work`` must
        only read and write through the ``StoreTx`` it is given."""
        ...

    # -- records, people ----------------------------------------------------------------
    def get_record(self, record_id: str, *, version: int | None = None) -> StoredRecord | None:
        """The latest version of a record, or the given ``version``; None when not stored."""
        ...

    def record_versions(self, record_id: str) -> list[StoredRecord]:
        """Every stored version of a record, oldest first."""
        ...

    def list_records(
        self, *, kind: str | None = None, after: str | None = None, limit: int = 100
    ) -> list[StoredRecord]:
        """Latest versions ordered by id, after ``after`` (keyset paging)."""
        ...

    def record_links(self, record_id: str) -> list[RecordLink]:
        """The graph nodes a record is linked to, by link type then target id."""
        ...

    def signatures_of(self, record_id: str) -> list[Signature]:
        """Signatures stored against a record, oldest first."""
        ...

    def get_user(self, username: str) -> User | None: ...

    def get_user_by_id(self, user_id: str) -> User | None: ...

    def list_users(self) -> list[User]:
        """Every user, by username."""
        ...

    def get_session(self, token_hash: str) -> Session | None: ...

    # -- looking up ----------------------------------------------------------------------
    def resolve(self, identifier: str) -> str | None:
        """The node id that ``identifier`` names, as an id or an alias (exact match), or None."""
        ...

    def get_nodes(self, ids: Sequence[str]) -> dict[str, Node]:
        """The nodes among ``ids`` that exist, keyed by id (aliases included on each node)."""
        ...

    def edges_of(
        self,
        ids: Sequence[str],
        *,
        side: EdgeSide = "out",
        types: frozenset[EdgeType] | None = None,
    ) -> list[Edge]:
        """Edges leaving (``out``), entering (``in``) or touching (``both``) any of ``ids``."""
        ...

    def edge_rows_of(
        self,
        ids: Sequence[str],
        *,
        side: EdgeSide = "out",
        types: frozenset[EdgeType] | None = None,
    ) -> list[EdgeRow]:
        """``edges_of`` as ``EdgeRow`` tuples (no properties), the same edges in the same order."""
        ...

    def list_nodes(
        self,
        *,
        kind: NodeKind | None = None,
        after: str | None = None,
        limit: int = 100,
        where: Mapping[str, Any] | None = None,
    ) -> list[Node]:
        """Nodes ordered by id, after ``after`` (keyset paging), whose props equal ``where``."""
        ...

    # -- traversal -----------------------------------------------------------------------
    def reach(
        self,
        seeds: Sequence[str],
        *,
        direction: Direction,
        max_depth: int | None = None,
        max_nodes: int = 2_000_000,
    ) -> Reach:
        """Breadth-first over flow edges, each node once; raises ``LimitExceeded`` past
        ``max_nodes`` and ``NotFound`` for an unknown seed. Terminates on cycles."""
        ...

    # -- whole-store views ---------------------------------------------------------------
    def stats(self) -> StoreStats: ...

    def iter_nodes(self, *, chunk_size: int = 10_000) -> Iterator[Node]: ...

    def iter_edges(self, *, chunk_size: int = 10_000) -> Iterator[Edge]: ...

    # -- meta, keys, audit ---------------------------------------------------------------
    def get_meta(self, key: str) -> str | None: ...

    def set_meta(self, key: str, value: str) -> None: ...

    def put_api_key(self, key: ApiKey, *, audit: AuditDraft | None = None) -> None: ...

    def get_api_key(self, key_hash: str) -> ApiKey | None:
        """The key whose hash matches, revoked or not."""
        ...

    def list_api_keys(self) -> list[ApiKey]: ...

    def revoke_api_key(self, key_id: str, *, audit: AuditDraft | None = None) -> ApiKey:
        """Marks the key revoked (NotFound if no such key id); revoking twice is a no-op."""
        ...

    def append_audit(self, draft: AuditDraft) -> AuditEntry:
        """Appends one entry chained to the last, under the store's write lock."""
        ...

    def audit_entries(self, *, after_seq: int = 0, limit: int = 1000) -> list[AuditEntry]:
        """Entries after ``after_seq``, oldest first; ``CorruptData`` naming the seq of one
        that does not decode (``audit_records`` reads it anyway)."""
        ...

    def audit_records(self, *, after_seq: int = 0, limit: int = 1000) -> list[AuditRecord]:
        """Entries as stored (``AUDIT_RECORD_FIELDS``, values undecoded), oldest first: what
        ``audit verify`` reads, so a damaged entry is named and judged, not a crash."""
        ...

    # -- lifecycle -----------------------------------------------------------------------
    def clear(self) -> None:
        """Removes every node, edge, alias and meta entry, keeping keys and the audit trail.

        For tests and for ``db copy`` into an empty target; the CLI asks before calling it."""
        ...

    def ping(self) -> None:
        """Returns when the store answers; raises ``StoreUnavailable`` otherwise."""
        ...

    def check_ready(self) -> None:
        """Returns when the store can serve what requests need: it answers, its traversal
        structures are built (the embedded index, built now if it was not), and a sample of
        stored nodes and edges decodes. Raises ``StoreUnavailable`` or ``CorruptData``."""
        ...

    def damaged_records(self, *, limit: int = 100) -> list[DamagedRecord]:
        """Up to ``limit`` stored nodes and edges whose kind or properties do not decode (a
        whole-store scan, for ``db check``)."""
        ...

    def close(self) -> None: ...
