"""Memory stays bounded under long load: read connections of ended threads are closed, and the
collector pause, held by overlapping blocks, still lets the collector run now and then."""

from __future__ import annotations

import gc
import threading
import time
from pathlib import Path

import pytest

from traceapi import gc_pause
from traceapi.domain.model import Batch, Node, NodeKind
from traceapi.store.embedded import EmbeddedStore


def test_read_connections_of_ended_threads_are_closed(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store.sqlite3")
    try:
        store.apply_batch(Batch(nodes=[Node(id="L-1", kind=NodeKind.LOT)], source="t"))
        for _ in range(30):  # 30 worker threads that come and go, as anyio's do
            worker = threading.Thread(target=lambda: store.get_nodes(["L-1"]))
            worker.start()
            worker.join()
        assert store.reader_count() <= 2
        assert store.get_nodes(["L-1"])  # this thread's connection, made now
        assert store.reader_count() == 1  # the 30 are closed; only this thread's is open
    finally:
        store.close()


def test_overlapping_pauses_still_let_the_collector_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gc_pause, "MAX_PAUSE_S", 0.05)
    monkeypatch.setattr(gc_pause, "FULL_EVERY", 2)
    collections: list[int] = []

    def seen(phase: str, info: dict[str, int]) -> None:
        if phase == "stop":
            collections.append(info["generation"])

    was_enabled = gc.isenabled()
    gc.enable()
    gc.callbacks.append(seen)
    release = threading.Event()

    def long_block() -> None:
        with gc_pause.collector_paused():
            release.wait(120)

    holder = threading.Thread(target=long_block)
    holder.start()
    try:
        time.sleep(0.01)
        assert not gc.isenabled()  # the long block holds the pause
        for _ in range(50):  # short blocks keep ending while the long one runs
            with gc_pause.collector_paused():
                time.sleep(0.02)
            if 2 in collections:
                break
        assert not gc.isenabled()
        assert 1 in collections and 2 in collections  # yet young and full collections ran
    finally:
        release.set()
        holder.join()
        gc.callbacks.remove(seen)
        restored = gc.isenabled()  # the last block to end turns it back on
        if not was_enabled:
            gc.disable()
    assert restored
