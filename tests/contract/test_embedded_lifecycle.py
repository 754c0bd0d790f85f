"""The embedded backend's file: persistence, a second writer, unusable files, closed stores."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from tests.contract.graphs import flow_batch, lot
from traceapi.domain.audit import AuditDraft
from traceapi.domain.model import Alias, Batch
from traceapi.errors import StoreUnavailable
from traceapi.store.base import Direction, GraphStore
from traceapi.store.embedded import EmbeddedStore
from traceapi.store.sqlite_schema import SCHEMA_VERSION


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "nested" / "dir" / "traceapi.sqlite3"


def test_it_is_a_graph_store_and_creates_its_directory(path: Path) -> None:
    with EmbeddedStore(path) as store:
        assert isinstance(store, GraphStore) and store.backend == "embedded"
    assert path.is_file()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_everything_survives_a_reopen(path: Path) -> None:
    with EmbeddedStore(path) as store:
        store.apply_batch(
            flow_batch([("A", "B"), ("B", "C")]), audit=AuditDraft(actor="t", action="load.batch")
        )
        store.apply_batch(Batch(aliases=[Alias(alias="alpha", node_id="A")]))
        store.set_meta("k", "v")
        assert len(store.reach(["A"], direction=Direction.FORWARD)) == 3
    with EmbeddedStore(path) as store:
        assert store.resolve("alpha") == "A"
        assert store.get_meta("k") == "v"
        assert store.stats().edge_total == 2
        assert store.reach(["C"], direction=Direction.BACKWARD).ids == ["C", "B", "A"]
        assert len(store.audit_entries()) == 1
        assert store.apply_batch(flow_batch([("A", "B"), ("B", "C")])).edges_unchanged == 2


def test_a_second_writer_is_seen_by_the_first(path: Path) -> None:
    """Like `traceapi load` writing while `traceapi serve` runs on the same file."""
    server = EmbeddedStore(path)
    loader = EmbeddedStore(path)
    try:
        server.apply_batch(flow_batch([("A", "B")]))
        assert server.reach(["A"], direction=Direction.FORWARD).ids == ["A", "B"]
        loader.apply_batch(flow_batch([("B", "C"), ("C", "D")]))
        assert server.reach(["A"], direction=Direction.FORWARD).ids == ["A", "B", "C", "D"]
        assert server.resolve("D") == "D"
        loader.clear()
        loader.apply_batch(flow_batch([("X", "A")]))
        assert server.reach(["X"], direction=Direction.FORWARD).ids == ["X", "A"]
        assert server.stats().node_total == 2
    finally:
        loader.close()
        server.close()


def test_threads_share_one_store(path: Path) -> None:
    with EmbeddedStore(path) as store:
        store.apply_batch(flow_batch([(f"R{i}", f"R{i + 1}") for i in range(50)]))
        errors: list[BaseException] = []

        def walk() -> None:
            try:
                for _ in range(30):
                    assert len(store.reach(["R0"], direction=Direction.FORWARD)) >= 51
                    assert store.resolve("R7") == "R7"
            except BaseException as exc:  # reported below
                errors.append(exc)

        def write() -> None:
            try:
                for i in range(30):
                    store.apply_batch(Batch(nodes=[lot(f"W{i}")]))
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=walk) for _ in range(4)] + [
            threading.Thread(target=write)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert store.stats().node_total == 81


def test_a_file_that_is_not_a_database_is_unavailable(tmp_path: Path) -> None:
    bad = tmp_path / "garbage.sqlite3"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreUnavailable):
        EmbeddedStore(bad)


def test_a_newer_schema_is_refused(path: Path) -> None:
    EmbeddedStore(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreUnavailable) as caught:
        EmbeddedStore(path)
    assert "schema version" in caught.value.message


def test_ping_fails_when_the_file_is_gone_or_the_store_closed(path: Path) -> None:
    store = EmbeddedStore(path)
    store.ping()
    path.unlink()
    with pytest.raises(StoreUnavailable):
        store.ping()
    store.close()
    with pytest.raises(StoreUnavailable):
        store.ping()
    with pytest.raises(StoreUnavailable):
        store.resolve("x")
    store.close()  # twice is fine


def test_a_busy_writer_times_out_as_unavailable(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with EmbeddedStore(path) as store:
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            store._writer.execute("PRAGMA busy_timeout = 50")
            with pytest.raises(StoreUnavailable) as caught:
                store.apply_batch(Batch(nodes=[lot("X")]))
            assert "busy" in caught.value.message
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        store.apply_batch(Batch(nodes=[lot("X")]))
        assert store.resolve("X") == "X"
