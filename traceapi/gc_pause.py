"""Keeps Python's cyclic garbage collector out of the way while bulk work runs.

A recall impact at size M, a large EPCIS document or a CSV bundle makes about a million short-
and long-lived objects (store rows, nodes, edges, answer models) and no reference cycles. Each
burst of allocations triggers the collector, and its full collections rescan everything still
alive, again and again: measured on the size-M store, about ten full collections per recall,
1.6 to 2.3 s of a 5 s answer, and over 40% of EPCIS parse and map time. Reference counting
still frees everything as usual; only the (here fruitless) cycle search waits until no such
work is running. One shared counter, so concurrent requests and loads cannot leave the
collector off.

Under steady load some block is always running, so the collector would never run again and
the cycles that do arise (exceptions with their tracebacks, asyncio's bookkeeping) would pile
up. So the pause is bounded: a block that ends when the collector has been off for more than
``MAX_PAUSE_S`` runs one collection of the young generations itself (what was made during the
pause is all there, since nothing is promoted while the collector is off), a full one every
``FULL_EVERY`` times, and starts the clock again.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

MAX_PAUSE_S = 2.0
"""Longest the collector stays off while blocks keep overlapping."""
FULL_EVERY = 10
"""Every this many bounded collections is a full one (old cycles too)."""

_lock = threading.Lock()
_builders = 0
"""Blocks running right now, in any thread."""
_reenable = False
"""Whether the collector was enabled when the first of them started."""
_paused_since = 0.0
"""When the collector last ran (or was turned off), while blocks are running."""
_bounded = 0
"""Collections run by the bound so far."""


@contextmanager
def collector_paused() -> Iterator[None]:
    """Disables the cyclic collector for the block; the last block to end (in any thread)
    restores the state the first one found, so concurrent requests cannot leave it off."""
    global _builders, _reenable, _paused_since, _bounded
    with _lock:
        if _builders == 0:
            _reenable = gc.isenabled()
            _paused_since = time.monotonic()
            gc.disable()
        _builders += 1
    try:
        yield
    finally:
        generation = None
        with _lock:
            _builders -= 1
            if _builders == 0 and _reenable:
                gc.enable()
            elif _reenable and time.monotonic() - _paused_since > MAX_PAUSE_S:
                _paused_since = time.monotonic()
                _bounded += 1
                generation = 2 if _bounded % FULL_EVERY == 0 else 1
        if generation is not None:
            gc.collect(generation)
