"""The embedded store's traversal index: flow edges as numpy CSR arrays plus a small delta.

Nodes are numbered by their SQLite rowid (``nodes.rid``), so arrays are indexed by it directly,
and a dict maps each node id to its rowid so seeds are found without a query. Each direction
keeps ``indptr`` / ``indices`` built at the last (re)build and an adjacency dict for edges added
since; when the delta grows past a threshold it is folded into new arrays. Walks run in the
compiled kernel of ``bfs_kernel``, level by level with a visited bitmap; the delta goes to it
as sorted arrays, rebuilt only when it changed.

Readers (walks) share the index; writers (``add``) take it exclusively, so a walk never sees
half-applied changes.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from traceapi.domain.model import NodeKind
from traceapi.errors import LimitExceeded

KIND_CODES: dict[str, int] = {kind.value: code for code, kind in enumerate(NodeKind)}
"""Node kind -> small integer stored in the index's ``kinds`` array."""

_KINDS_BY_CODE = np.array(list(NodeKind), dtype=object)

IntArray = npt.NDArray[np.int64]

_SPARE_SCRATCH = 4
"""Walk buffers kept for reuse: about one per concurrent walk."""

MIN_DELTA_REBUILD = 1_000
MAX_DELTA_REBUILD = 100_000
DELTA_SHARE_REBUILD = 0.05
"""Fold the delta into the arrays once it holds more than 5% of the edges (at least 1,000,
at most 100,000 edges)."""


class SharedLock:
    """Many readers or one writer; a waiting writer holds back new readers."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False
        self._writers_waiting = 0

    @contextmanager
    def shared(self) -> Iterator[None]:
        with self._cond:
            while self._writing or self._writers_waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._cond:
            self._writers_waiting += 1
            try:
                while self._writing or self._readers:
                    self._cond.wait()
            finally:
                self._writers_waiting -= 1
            self._writing = True
        try:
            yield
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()


@dataclass
class _Adjacency:
    """One direction: CSR arrays over nodes ``0..capacity`` plus the delta since the build."""

    indptr: IntArray
    indices: npt.NDArray[np.int32]
    delta: dict[int, list[int]] = field(default_factory=dict)
    _delta_arrays: tuple[IntArray, IntArray, IntArray] | None = field(default=None, repr=False)

    @classmethod
    def build(cls, src: IntArray, dst: IntArray, *, capacity: int) -> _Adjacency:
        order = np.argsort(src, kind="stable")
        indices = dst[order].astype(np.int32)
        counts = np.bincount(src, minlength=capacity)
        indptr = np.zeros(capacity + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        return cls(indptr, indices)

    def grow(self, capacity: int) -> None:
        old = self.indptr.size - 1
        if capacity <= old:
            return
        indptr = np.empty(capacity + 1, dtype=np.int64)
        indptr[: old + 1] = self.indptr
        indptr[old + 1 :] = self.indptr[old]
        self.indptr = indptr

    def link(self, node: int, neighbour: int) -> None:
        self.delta.setdefault(node, []).append(neighbour)
        self._delta_arrays = None

    def delta_arrays(self) -> tuple[IntArray, IntArray, IntArray]:
        """The delta as the kernel reads it: sorted nodes, offsets, and their neighbours."""
        arrays = self._delta_arrays
        if arrays is None:
            keys = sorted(self.delta)
            lists = [self.delta[key] for key in keys]
            pointers = np.zeros(len(keys) + 1, dtype=np.int64)
            np.cumsum([len(found) for found in lists], out=pointers[1:])
            values = [n for found in lists for n in found]
            arrays = (
                np.asarray(keys, dtype=np.int64),
                pointers,
                np.asarray(values, dtype=np.int64),
            )
            self._delta_arrays = arrays
        return arrays


@dataclass
class _Scratch:
    """One walk's buffers: the visited bitmap and where the kernel writes its answer."""

    visited: npt.NDArray[np.bool_]
    order: IntArray
    level_ends: IntArray

    @classmethod
    def sized(cls, capacity: int) -> _Scratch:
        # np.empty touches no memory: only the pages a walk writes become resident.
        return cls(
            np.zeros(capacity, dtype=np.bool_),
            np.empty(capacity, dtype=np.int64),
            np.empty(capacity + 1, dtype=np.int64),
        )


class TraversalIndex:
    """Flow-edge adjacency of the whole graph, by node rowid, in both directions."""

    def __init__(
        self,
        *,
        node_rids: IntArray,
        node_ids: Sequence[str],
        node_codes: npt.NDArray[np.integer],
        edge_src: IntArray,
        edge_dst: IntArray,
    ) -> None:
        size = int(node_rids.max()) + 1 if node_rids.size else 0
        capacity = size + size // 8 + 16  # headroom: new nodes rarely force a regrow
        self._size = size
        self.lock = SharedLock()
        self._spare_scratch: list[_Scratch] = []
        self._kinds = np.full(capacity, -1, dtype=np.int8)
        self._kinds[node_rids] = node_codes
        self._ids = np.empty(capacity, dtype=object)
        self._ids[node_rids] = _objects(node_ids)
        self.rid_of: dict[str, int] = dict(zip(node_ids, node_rids.tolist(), strict=True))
        """Node id -> rowid for every node the index knows."""
        self._build(edge_src, edge_dst, capacity=capacity)

    def _build(self, src: IntArray, dst: IntArray, *, capacity: int) -> None:
        self._forward = _Adjacency.build(src, dst, capacity=capacity)
        self._backward = _Adjacency.build(dst, src, capacity=capacity)
        self._built_edges = int(src.size)
        self._delta_src: list[int] = []
        self._delta_dst: list[int] = []

    # -- facts ---------------------------------------------------------------------------
    @property
    def size(self) -> int:
        """One more than the highest node rowid the index knows."""
        return self._size

    @property
    def edge_count(self) -> int:
        return self._built_edges + len(self._delta_src)

    @property
    def delta_count(self) -> int:
        return len(self._delta_src)

    def nbytes(self) -> int:
        """Approximate memory held: arrays, id strings, and the delta."""
        arrays = [self._kinds, self._ids]
        for adj in (self._forward, self._backward):
            arrays += [adj.indptr, adj.indices]
        total = sum(int(a.nbytes) for a in arrays)
        names = [s for s in self._ids[: self._size].tolist() if s is not None]
        total += 49 * len(names) + sum(map(len, names))
        total += sys.getsizeof(self.rid_of) + 28 * len(self.rid_of)  # the table and its ints
        total += len(self._delta_src) * 2 * 90
        return total

    # -- changes -------------------------------------------------------------------------
    def add(
        self,
        *,
        node_rids: IntArray,
        node_ids: Sequence[str],
        node_codes: npt.NDArray[np.integer],
        edge_src: Sequence[int],
        edge_dst: Sequence[int],
    ) -> None:
        """Take in nodes and flow edges committed since the last build or add."""
        with self.lock.exclusive():
            if node_rids.size:
                self._grow(int(node_rids.max()) + 1)
                self._kinds[node_rids] = node_codes
                self._ids[node_rids] = _objects(node_ids)
                self.rid_of.update(zip(node_ids, node_rids.tolist(), strict=True))
            if not len(edge_src):
                return
            self._delta_src.extend(int(s) for s in edge_src)
            self._delta_dst.extend(int(d) for d in edge_dst)
            threshold = min(
                MAX_DELTA_REBUILD, max(MIN_DELTA_REBUILD, DELTA_SHARE_REBUILD * self._built_edges)
            )
            if len(self._delta_src) > threshold:
                self._compact()
                return
            for src, dst in zip(edge_src, edge_dst, strict=True):
                self._forward.link(int(src), int(dst))
                self._backward.link(int(dst), int(src))

    def _grow(self, size: int) -> None:
        if size <= self._size:
            return
        capacity = self._kinds.size
        if size > capacity:
            capacity = max(size, capacity + capacity // 2)
            kinds = np.full(capacity, -1, dtype=np.int8)
            kinds[: self._kinds.size] = self._kinds
            ids = np.empty(capacity, dtype=object)
            ids[: self._ids.size] = self._ids
            self._kinds, self._ids = kinds, ids
            self._forward.grow(capacity)
            self._backward.grow(capacity)
        self._size = size

    def _compact(self) -> None:
        """Fold the delta into fresh CSR arrays."""
        fwd = self._forward
        capacity = self._kinds.size
        counts = np.diff(fwd.indptr)
        src = np.concatenate(
            (
                np.repeat(np.arange(capacity, dtype=np.int64), counts),
                np.asarray(self._delta_src, dtype=np.int64),
            )
        )
        dst = np.concatenate(
            (fwd.indices.astype(np.int64), np.asarray(self._delta_dst, dtype=np.int64))
        )
        self._build(src, dst, capacity=capacity)

    # -- walking -------------------------------------------------------------------------
    def reach(
        self,
        seeds: Sequence[int],
        *,
        forward: bool,
        max_depth: int | None,
        max_nodes: int,
    ) -> tuple[list[str], list[NodeKind], list[int]]:
        """Breadth-first from ``seeds`` (rowids, known to the index): ids, kinds, depths.

        Seeds come first at depth 0 in the order given, then each level in rowid order.
        Walks run concurrently; each borrows its own buffers.
        """
        unique_seeds = list(dict.fromkeys(seeds))
        if len(unique_seeds) > max_nodes:
            self._too_many(unique_seeds, max_nodes)
        from traceapi.store import bfs_kernel  # imports numba: only once a walk is needed

        with self.lock.shared():
            adjacency = self._forward if forward else self._backward
            scratch = self._borrow_scratch()
            try:
                deepest = bfs_kernel.walk(
                    adjacency.indptr,
                    adjacency.indices,
                    adjacency.delta_arrays(),
                    np.asarray(unique_seeds, dtype=np.int64),
                    scratch.visited,
                    max_depth=max_depth,
                    max_nodes=max_nodes,
                    order=scratch.order,
                    level_ends=scratch.level_ends,
                )
                if deepest == bfs_kernel.OVERFLOW:
                    self._too_many(unique_seeds, max_nodes)
                ends: list[int] = scratch.level_ends[: deepest + 1].tolist()
                order = scratch.order[: ends[-1]]
                ids: list[str] = self._ids[order].tolist()
                kinds: list[NodeKind] = _KINDS_BY_CODE[self._kinds[order]].tolist()
            finally:
                self._return_scratch(scratch)
        depths: list[int] = []
        start = 0
        for depth, end in enumerate(ends):
            depths += [depth] * (end - start)
            start = end
        return ids, kinds, depths

    def _borrow_scratch(self) -> _Scratch:
        """Buffers over the nodes; reused, since zeroing a fresh bitmap per walk costs more
        than the walk itself on a large graph (the kernel leaves it all False)."""
        capacity = self._kinds.size
        try:
            scratch = self._spare_scratch.pop()
        except IndexError:
            return _Scratch.sized(capacity)
        return scratch if scratch.visited.size == capacity else _Scratch.sized(capacity)

    def _return_scratch(self, scratch: _Scratch) -> None:
        if scratch.visited.size == self._kinds.size and len(self._spare_scratch) < _SPARE_SCRATCH:
            self._spare_scratch.append(scratch)

    def _too_many(self, seeds: list[int], max_nodes: int) -> None:
        names = [str(self._ids[s]) for s in seeds[:5]]
        shown = ", ".join(names) + (f" and {len(seeds) - 5} more" if len(seeds) > 5 else "")
        raise LimitExceeded(
            f"the trace from {shown} reaches more than {max_nodes} nodes (the node cap); "
            "narrow it with a smaller max depth or fewer seeds",
            details={"max_nodes": max_nodes, "seeds": names},
        )


def _objects(strings: Sequence[str]) -> npt.NDArray[np.object_]:
    """An object array of the strings themselves (no detour through a wide unicode array)."""
    return np.fromiter(strings, dtype=object, count=len(strings))


def empty_index() -> TraversalIndex:
    nothing = np.zeros(0, dtype=np.int64)
    return TraversalIndex(
        node_rids=nothing, node_ids=[], node_codes=nothing, edge_src=nothing, edge_dst=nothing
    )
