"""The embedded store's traversal index: flow edges as numpy CSR arrays plus a small delta.

Nodes are numbered by their SQLite rowid (``nodes.rid``), so arrays are indexed by it directly.
Each direction keeps ``indptr`` / ``indices`` built at the last (re)build and a Python adjacency
dict for edges added since; when the delta grows past a threshold it is folded into new arrays.
Walks are level by level. A small frontier (the narrow start and end of most traces) is expanded
by plain Python loops over memoryviews of the arrays, since each vectorised step costs ten or more
microseconds however few nodes it touches; a large one gathers the neighbours of the whole
frontier with one vectorised slice-and-concatenate, filters them through the visited array, and
deduplicates them. Both kinds of level share the same visited array, so a walk switches freely.

Readers (walks) share the index; writers (``add``) take it exclusively, so a walk never sees
half-applied changes.
"""

from __future__ import annotations

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

_SPARE_VISITED = 8
"""Visited arrays kept for reuse: about one per concurrent walk."""

SMALL_FRONTIER = 24
"""Frontiers smaller than this are expanded in plain Python, larger ones with numpy."""

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
    has_delta: npt.NDArray[np.bool_]
    delta: dict[int, list[int]] = field(default_factory=dict)
    indptr_view: memoryview = field(init=False, repr=False)
    indices_view: memoryview = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._refresh_views()

    def _refresh_views(self) -> None:
        """Zero-copy views for the Python path: indexing them yields plain ints quickly."""
        self.indptr_view = self.indptr.data
        self.indices_view = self.indices.data

    @classmethod
    def build(cls, src: IntArray, dst: IntArray, *, capacity: int) -> _Adjacency:
        order = np.argsort(src, kind="stable")
        indices = dst[order].astype(np.int32)
        counts = np.bincount(src, minlength=capacity)
        indptr = np.zeros(capacity + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        return cls(indptr, indices, np.zeros(capacity, dtype=np.bool_))

    def grow(self, capacity: int) -> None:
        old = self.has_delta.size
        if capacity <= old:
            return
        indptr = np.empty(capacity + 1, dtype=np.int64)
        indptr[: old + 1] = self.indptr
        indptr[old + 1 :] = self.indptr[old]
        self.indptr = indptr
        self._refresh_views()
        has_delta = np.zeros(capacity, dtype=np.bool_)
        has_delta[:old] = self.has_delta
        self.has_delta = has_delta

    def expand_small(self, frontier: list[int], visited: memoryview) -> list[int]:
        """The unvisited neighbours of a small frontier, sorted, marked visited on the way."""
        indptr, indices, delta = self.indptr_view, self.indices_view, self.delta
        found: list[int] = []
        for node in frontier:
            for neighbour in indices[indptr[node] : indptr[node + 1]]:
                if not visited[neighbour]:
                    visited[neighbour] = True
                    found.append(neighbour)
            if delta and node in delta:
                for neighbour in delta[node]:
                    if not visited[neighbour]:
                        visited[neighbour] = True
                        found.append(neighbour)
        found.sort()
        return found

    def neighbours(self, frontier: IntArray) -> npt.NDArray[np.integer]:
        """Every neighbour of every frontier node, duplicates included."""
        indptr = self.indptr
        if frontier.size == 1:
            node = int(frontier[0])
            found: npt.NDArray[np.integer] = self.indices[indptr[node] : indptr[node + 1]]
        else:
            starts = indptr[frontier]
            counts = indptr[frontier + 1] - starts
            ends = np.cumsum(counts)
            total = int(ends[-1]) if ends.size else 0
            if total:
                # Positions of all neighbours: each node's run starts at starts[i] and the
                # output offset of that run is ends[i] - counts[i].
                shift = np.repeat(starts - (ends - counts), counts)
                found = self.indices[shift + np.arange(total, dtype=np.int64)]
            else:
                found = self.indices[:0]
        if self.delta:
            touched = frontier[self.has_delta[frontier]]
            if touched.size:
                delta = self.delta
                extra = [n for node in touched.tolist() for n in delta[node]]
                found = np.concatenate((found, np.asarray(extra, dtype=np.int64)))
        return found


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
        self._spare_visited: list[npt.NDArray[np.bool_]] = []
        self._kinds = np.full(capacity, -1, dtype=np.int8)
        self._kinds[node_rids] = node_codes
        self._ids = np.empty(capacity, dtype=object)
        self._ids[node_rids] = _objects(node_ids)
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
            arrays += [adj.indptr, adj.indices, adj.has_delta]
        total = sum(int(a.nbytes) for a in arrays)
        names = [s for s in self._ids[: self._size].tolist() if s is not None]
        total += 49 * len(names) + sum(map(len, names))
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
                _link(self._forward, int(src), int(dst))
                _link(self._backward, int(dst), int(src))

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
        Walks run concurrently; each borrows its own visited array.
        """
        with self.lock.shared():
            order, depths = self._walk(seeds, forward, max_depth, max_nodes)
            ids: list[str] = self._ids[order].tolist()
            kinds: list[NodeKind] = _KINDS_BY_CODE[self._kinds[order]].tolist()
        return ids, kinds, depths

    def _walk(
        self, seeds: Sequence[int], forward: bool, max_depth: int | None, max_nodes: int
    ) -> tuple[IntArray, list[int]]:
        adjacency = self._forward if forward else self._backward
        unique_seeds = list(dict.fromkeys(seeds))
        if len(unique_seeds) > max_nodes:
            self._too_many(unique_seeds, max_nodes)
        visited = self._borrow_visited()
        marks = visited.data
        # Each level is a sorted list (small, Python path) or array (large, numpy path).
        frontier: list[int] | IntArray = unique_seeds
        levels: list[list[int] | IntArray] = [unique_seeds]
        try:
            _mark_visited(visited, marks, unique_seeds)
            total = len(unique_seeds)
            depth = 0
            while len(frontier) and (max_depth is None or depth < max_depth):
                found: list[int] | IntArray
                if len(frontier) < SMALL_FRONTIER:
                    small = frontier if isinstance(frontier, list) else frontier.tolist()
                    found = adjacency.expand_small(small, marks)
                else:
                    wide = np.asarray(frontier, dtype=np.int64)
                    reached = adjacency.neighbours(wide)
                    found = _distinct(reached[~visited[reached]])
                    visited[found] = True
                if not len(found):
                    break
                levels.append(found)
                total += len(found)
                if total > max_nodes:
                    self._too_many(unique_seeds, max_nodes)
                depth += 1
                frontier = found
            order = _concatenated(levels)
        finally:
            marks.release()
        # Only a walk that completed knows every flag it set; one cut short (the node cap, or
        # anything unexpected) drops its array rather than return it half-cleared.
        visited[order] = False
        self._return_visited(visited)
        depths: list[int] = []
        for level_number, nodes in enumerate(levels):
            depths += [level_number] * len(nodes)
        return order, depths

    def _borrow_visited(self) -> npt.NDArray[np.bool_]:
        """An all-False array over the nodes; reused, since zeroing a fresh one per walk costs
        more than the walk itself on a large graph."""
        try:
            visited = self._spare_visited.pop()
        except IndexError:
            return np.zeros(self._kinds.size, dtype=np.bool_)
        if visited.size != self._kinds.size:
            return np.zeros(self._kinds.size, dtype=np.bool_)
        return visited

    def _return_visited(self, visited: npt.NDArray[np.bool_]) -> None:
        if visited.size == self._kinds.size and len(self._spare_visited) < _SPARE_VISITED:
            self._spare_visited.append(visited)

    def _too_many(self, seeds: list[int], max_nodes: int) -> None:
        names = [str(self._ids[s]) for s in seeds[:5]]
        shown = ", ".join(names) + (f" and {len(seeds) - 5} more" if len(seeds) > 5 else "")
        raise LimitExceeded(
            f"the trace from {shown} reaches more than {max_nodes} nodes (the node cap); "
            "narrow it with a smaller max depth or fewer seeds",
            details={"max_nodes": max_nodes, "seeds": names},
        )


def _distinct(nodes: npt.NDArray[np.integer]) -> IntArray:
    """The distinct values, sorted (cheaper than ``np.unique`` for the small arrays of a level)."""
    if nodes.size < 2:
        return nodes.astype(np.int64, copy=False)
    ordered = np.sort(nodes).astype(np.int64, copy=False)
    keep = np.empty(ordered.size, dtype=np.bool_)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def _mark_visited(visited: npt.NDArray[np.bool_], marks: memoryview, nodes: list[int]) -> None:
    """Set the nodes' visited flags: one by one for a few, vectorised for many."""
    if len(nodes) < SMALL_FRONTIER:
        for node in nodes:
            marks[node] = True
    else:
        visited[nodes] = True


def _concatenated(levels: list[list[int] | IntArray]) -> IntArray:
    """All levels in order as one array (runs of small lists joined before converting)."""
    parts: list[IntArray] = []
    run: list[int] = []
    for level in levels:
        if isinstance(level, list):
            run += level
        else:
            if run:
                parts.append(np.asarray(run, dtype=np.int64))
                run = []
            parts.append(level)
    if run or not parts:
        parts.append(np.asarray(run, dtype=np.int64))
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _objects(strings: Sequence[str]) -> npt.NDArray[np.object_]:
    """An object array of the strings themselves (no detour through a wide unicode array)."""
    return np.fromiter(strings, dtype=object, count=len(strings))


def _link(adjacency: _Adjacency, node: int, neighbour: int) -> None:
    adjacency.delta.setdefault(node, []).append(neighbour)
    adjacency.has_delta[node] = True


def empty_index() -> TraversalIndex:
    nothing = np.zeros(0, dtype=np.int64)
    return TraversalIndex(
        node_rids=nothing, node_ids=[], node_codes=nothing, edge_src=nothing, edge_dst=nothing
    )
