"""Keeps Python's cyclic garbage collector out of the way while bulk work runs.

A recall impact at size M, a large EPCIS document or a CSV bundle makes about a million short-
and long-lived objects (store rows, nodes, edges, answer models) and no reference cycles. Each
burst of allocations triggers the collector, and its full collections rescan everything still
alive, again and again: measured on the size-M store, about ten full collections per recall,
1.6 to 2.3 s of a 5 s answer, and over 40% of EPCIS parse and map time. Reference counting
still frees everything as usual; only the (here fruitless) cycle search waits until no such
work is running. One shared counter, so concurrent requests and loads cannot leave the
collector off.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_builders = 0
"""Blocks running right now, in any thread."""
_reenable = False
"""Whether the collector was enabled when the first of them started."""


@contextmanager
def collector_paused() -> Iterator[None]:
    """Disables the cyclic collector for the block; the last block to end (in any thread)
    restores the state the first one found, so concurrent requests cannot leave it off."""
    global _builders, _reenable
    with _lock:
        if _builders == 0:
            _reenable = gc.isenabled()
            gc.disable()
        _builders += 1
    try:
        yield
    finally:
        with _lock:
            _builders -= 1
            if _builders == 0 and _reenable:
                gc.enable()
