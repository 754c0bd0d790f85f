"""The breadth-first walk over CSR arrays, compiled: the inner loop of every trace.

Why compiled: a numpy walk pays about ten microseconds for each vectorised step of each level,
and plain Python about fifty nanoseconds for each edge, so a trace of a thousand nodes costs a
millisecond either way; a compiled loop touches each edge in a few nanoseconds. numba compiles
this one function at its first call (cached on disk afterwards) and releases the GIL while it
runs, so walks of several request threads proceed in parallel.

The walk is level by level with a visited bitmap. Each level is then sorted by rowid, so answers
do not depend on the order edges were stored in; numpy sorts the levels after the compiled loop,
since its sort is several times faster than the one numba compiles.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from numba import njit

OVERFLOW = -1
"""What ``walk`` returns when the walk would pass ``max_nodes``."""


@njit(cache=True, nogil=True)
def _walk(  # noqa: PLR0913 - the arrays of one index, passed flat for the compiler
    indptr: Any,
    indices: Any,
    delta_keys: Any,
    delta_ptr: Any,
    delta_values: Any,
    seeds: Any,
    visited: Any,
    max_depth: int,
    max_nodes: int,
    order: Any,
    level_ends: Any,
) -> int:
    count = 0
    for seed in seeds:
        visited[seed] = True
        order[count] = seed
        count += 1
    level_ends[0] = count
    delta_size = delta_keys.size
    overflow = False
    depth = 0
    start = 0
    while start < count and (max_depth < 0 or depth < max_depth) and not overflow:
        end = count
        for position in range(start, end):
            node = order[position]
            for edge in range(indptr[node], indptr[node + 1]):
                neighbour = indices[edge]
                if not visited[neighbour]:
                    if count >= max_nodes:
                        overflow = True
                        break
                    visited[neighbour] = True
                    order[count] = neighbour
                    count += 1
            if delta_size and not overflow:
                slot = np.searchsorted(delta_keys, node)
                if slot < delta_size and delta_keys[slot] == node:
                    for edge in range(delta_ptr[slot], delta_ptr[slot + 1]):
                        neighbour = delta_values[edge]
                        if not visited[neighbour]:
                            if count >= max_nodes:
                                overflow = True
                                break
                            visited[neighbour] = True
                            order[count] = neighbour
                            count += 1
            if overflow:
                break
        if overflow or count == end:
            break
        depth += 1
        level_ends[depth] = count
        start = end
    # Leave the bitmap all False for the next walk, whether this one finished or not.
    for position in range(count):
        visited[order[position]] = False
    return OVERFLOW if overflow else depth


def walk(
    indptr: npt.NDArray[np.int64],
    indices: npt.NDArray[np.int32],
    delta: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]],
    seeds: npt.NDArray[np.int64],
    visited: npt.NDArray[np.bool_],
    *,
    max_depth: int | None,
    max_nodes: int,
    order: npt.NDArray[np.int64],
    level_ends: npt.NDArray[np.int64],
) -> int:
    """Walk from ``seeds`` (distinct rowids): fills ``order`` with the reached rowids, seeds
    first in the order given, then each level by rowid, and ``level_ends[d]`` with the end of
    level ``d`` in ``order``. Returns the deepest level reached, or ``OVERFLOW``.

    ``order`` must hold ``min(max_nodes, visited.size)`` entries and ``level_ends`` one more
    than that; ``visited`` comes in all False and goes back all False.
    """
    keys, pointers, values = delta
    deepest = int(
        _walk(
            indptr,
            indices,
            keys,
            pointers,
            values,
            seeds,
            visited,
            -1 if max_depth is None else max_depth,
            max_nodes,
            order,
            level_ends,
        )
    )
    if deepest > 0:
        # numpy's sort is several times faster than the one numba compiles.
        ends = level_ends[: deepest + 1].tolist()
        for start, end in zip(ends, ends[1:], strict=False):
            if end - start > 1:
                order[start:end].sort()
    return deepest


def warm_up() -> None:
    """Compile the kernel (or load it from numba's on-disk cache) now, rather than in the
    middle of the first trace: about 2 s the first time on a machine, 0.2 s afterwards."""
    nothing = np.zeros(0, dtype=np.int64)
    walk(
        np.zeros(2, dtype=np.int64),
        np.zeros(0, dtype=np.int32),
        (nothing, np.zeros(1, dtype=np.int64), nothing),
        np.zeros(1, dtype=np.int64),
        np.zeros(1, dtype=np.bool_),
        max_depth=None,
        max_nodes=1,
        order=np.zeros(1, dtype=np.int64),
        level_ends=np.zeros(2, dtype=np.int64),
    )
