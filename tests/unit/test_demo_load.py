"""load_demo into a real embedded store: every batch applies, and a second load changes nothing."""

from __future__ import annotations

from pathlib import Path

from traceapi.demo.generator import DemoGenerator, load_demo
from traceapi.services.audit import verify_chain
from traceapi.store.base import Direction
from traceapi.store.embedded import EmbeddedStore


def test_load_twice_adds_nothing_the_second_time(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "data" / "traceapi.sqlite3")
    try:
        seen: list[tuple[int, int]] = []
        first = load_demo(
            store, lots=150, seed=9, progress=lambda done, total: seen.append((done, total))
        )
        assert first.nodes_added > 0 and first.edges_added > 0 and first.aliases_added > 0
        assert seen and seen[-1][0] == seen[-1][1]
        stats = store.stats()

        generator = DemoGenerator(lots=150, seed=9)
        second = generator.load(store)
        assert second.nodes_added == second.edges_added == second.aliases_added == 0
        assert second.nodes_updated == second.edges_updated == 0
        assert store.stats() == stats
        assert stats.nodes["Lot"] == generator.stories.lot_count

        resin = generator.stories.contaminated_resin
        assert store.resolve(resin.supplier_lot) == resin.lot_id
        reach = store.reach([resin.lot_id], direction=Direction.FORWARD)
        assert set(resin.finished_lots) <= set(reach.ids)
        assert set(resin.customers) <= set(reach.ids)
        audit = verify_chain(store)
        assert audit.ok and audit.checked >= 2  # one entry per applied batch
    finally:
        store.close()
