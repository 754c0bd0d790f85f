"""CSV bundles load into the store: two differently shaped exports give one graph, re-loads add
nothing, references may point into the store, and mappings convert units, dates and values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench.genealogy import Genealogy
from bench.load_bench import write_bundle
from loaders.csv_bundle import load_csv_bundle
from loaders.csv_mapping import BundleMapping
from traceapi.domain.model import NodeKind
from traceapi.settings import Settings
from traceapi.store.base import GraphStore
from traceapi.store.factory import open_store

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BUNDLE_A = EXAMPLES / "erp-mes-bundle-a"
BUNDLE_B = EXAMPLES / "sap-like-export-b"


def snapshot(store: GraphStore) -> tuple[dict[str, Any], dict[tuple[str, str, str], Any]]:
    nodes = {n.id: n.model_dump(mode="json") for n in store.iter_nodes()}
    edges = {e.key: e.model_dump(mode="json") for e in store.iter_edges()}
    return nodes, edges


def write(directory: Path, files: dict[str, str], *, encoding: str = "utf-8") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text, encoding=encoding)
    return directory


@pytest.fixture
def second_store(tmp_path: Path) -> GraphStore:
    opened = open_store(Settings(backend="embedded", data_dir=tmp_path / "second"))
    yield opened
    opened.close()


def test_both_examples_load_to_the_same_graph(store: GraphStore, second_store: GraphStore) -> None:
    a = load_csv_bundle(store, BUNDLE_A)
    b = load_csv_bundle(second_store, BUNDLE_B)
    assert [f.status for f in a.files] == ["loaded"]
    assert [f.status for f in b.files] == ["loaded"]
    nodes_a, edges_a = snapshot(store)
    nodes_b, edges_b = snapshot(second_store)
    assert len(nodes_a) == 34 and len(edges_a) == 44
    assert nodes_a == nodes_b
    assert edges_a == edges_b


def test_example_values_are_converted_to_our_units_dates_and_words(store: GraphStore) -> None:
    report = load_csv_bundle(store, BUNDLE_B)
    assert report.rejected == 0
    lots = store.get_nodes(["RM-2291", "SA-0101", "FG-0812"])
    assert lots["RM-2291"].props["quantity"] == 500.0  # 500.000 G -> 500 kg
    assert lots["RM-2291"].props["unit"] == "kg"
    assert lots["SA-0101"].props["produced_at"] == "2026-03-02T09:30:00Z"  # 10:30 Berlin (CET)
    assert lots["FG-0812"].props["expires_at"] == "2029-03-31"
    assert lots["FG-0812"].props["status"] == "released"  # FREI
    assert lots["FG-0812"].props["gtin"] == "04012345123456"  # GTIN-13 padded
    assert "(01)04012345123456(10)0812" in lots["FG-0812"].aliases
    consumed = {
        (e.source, e.target): (e.qty, e.unit) for e in store.edges_of(["ST-MOLD-0102"], side="in")
    }
    assert consumed == {
        ("RM-2291", "ST-MOLD-0102"): (100.0, "kg"),
        ("RM-2292", "ST-MOLD-0102"): (150.0, "kg"),
    }
    customer = store.get_nodes(["CUS-PRAXIS"])["CUS-PRAXIS"]
    assert customer.name == "Praxis Dr. Özdemir"  # latin-1 decoded
    assert customer.props["customer_type"] == "clinic"
    assert store.resolve("2291") == "RM-2291"
    assert store.resolve("(414)4098765000003") == "CUS-MEDSUP"


def test_reloading_changes_nothing(store: GraphStore) -> None:
    first = load_csv_bundle(store, BUNDLE_A)
    before = store.stats()
    again = load_csv_bundle(store, BUNDLE_A)
    assert store.stats() == before
    totals = again.totals
    assert (
        totals.nodes_added,
        totals.nodes_updated,
        totals.edges_added,
        totals.edges_updated,
        totals.aliases_added,
    ) == (0, 0, 0, 0, 0)
    assert totals.nodes_unchanged == first.totals.nodes_added
    assert totals.edges_unchanged == first.totals.edges_added
    # the other export of the same facts is also a no-op on top
    other = load_csv_bundle(store, BUNDLE_B)
    assert other.totals.nodes_added == other.totals.nodes_updated == 0
    assert other.totals.edges_added == other.totals.edges_updated == 0


def test_references_to_nodes_already_in_the_store_are_accepted(
    store: GraphStore, tmp_path: Path
) -> None:
    load_csv_bundle(store, BUNDLE_A)
    bundle = write(
        tmp_path / "rework",
        {
            "process_steps.csv": "id,step_code\nST-REWORK-1,REWORK\n",
            # RM-2291 by id, SA-0102 by id, the resin lot also by its certificate alias
            "consumption.csv": "lot,step,qty,unit\nSA-0102,ST-REWORK-1,100,pcs\n",
            "production.csv": "step,lot,qty,unit\nST-REWORK-1,SA-0103,100,pcs\n",
            "lots.csv": "id,material,lot_type\nSA-0103,MAT-VALVE,intermediate\n",
            "inspections.csv": "id,lot,result\nQC-9,2291,pass\n",
        },
    )
    report = load_csv_bundle(store, bundle)
    assert report.rejected == 0, report.files[0].error
    assert report.totals.nodes_added == 3
    inspected = store.edges_of(["QC-9"], side="out")
    assert [(e.target, e.type.value) for e in inspected] == [("RM-2291", "OF")]
    material = store.edges_of(["SA-0103"], side="out")
    assert [(e.target, e.type.value) for e in material] == [("MAT-VALVE", "OF")]


def test_a_bundle_written_from_batches_loads_to_the_same_graph(
    store: GraphStore, second_store: GraphStore, tmp_path: Path
) -> None:
    for batch in Genealogy(scale=0.001, seed=3).batches():
        store.apply_batch(batch)
    write_bundle(tmp_path / "gen", Genealogy(scale=0.001, seed=3).batches())
    report = load_csv_bundle(second_store, tmp_path / "gen")
    assert report.rejected == 0, report.files[0].error
    assert snapshot(store) == snapshot(second_store)


def test_mapping_file_elsewhere_constants_units_and_tab_delimiter(
    store: GraphStore, tmp_path: Path
) -> None:
    bundle = write(
        tmp_path / "b",
        {
            "Teile.tsv": "Nr\tTyp\nMAT-1\tX\n",
            "Chargen.tsv": "Nr\tMat\tMenge\tME\tDatum\nL-1\tMAT-1\t1.250,5\tGR\t31/12/2025\n",
        },
    )
    mapping = (
        write(
            tmp_path / "m",
            {
                "map.toml": """
[defaults]
delimiter = "tab"
decimal_comma = true
date_formats = ["%d/%m/%Y"]
[defaults.units]
GR = { to = "kg", factor = 0.001 }
[files.materials]
file = "Teile.tsv"
columns = { Nr = "id", Typ = "material_type" }
[files.lots]
file = "Chargen.tsv"
columns = { Nr = "id", Mat = "material", Menge = "quantity", ME = "unit", Datum = "produced_at" }
constants = { status = "quarantined", lot_type = "raw" }
"""
            },
        )
        / "map.toml"
    )
    report = load_csv_bundle(store, bundle, mapping=mapping)
    assert report.rejected == 0, report.files[0].error
    lot = store.get_nodes(["L-1"])["L-1"]
    assert lot.props == {
        "material": "MAT-1",
        "quantity": 1.2505,
        "unit": "kg",
        "produced_at": "2025-12-31",
        "status": "quarantined",
        "lot_type": "raw",
    }
    assert lot.kind is NodeKind.LOT


def test_repeated_postings_of_one_pair_add_up_and_exact_duplicate_nodes_are_fine(
    store: GraphStore, tmp_path: Path
) -> None:
    bundle = write(
        tmp_path / "b",
        {
            "lots.csv": "id,status\nL-1,released\nL-1,released\nL-2,released\n",
            "process_steps.csv": "id\nS-1\n",
            "consumption.csv": "lot,step,qty,unit\nL-1,S-1,2,kg\nL-1,S-1,3.5,KGM\n",
            "production.csv": "step,lot,qty,unit\nS-1,L-2,5.5,kg\n",
        },
    )
    report = load_csv_bundle(store, bundle)
    assert report.rejected == 0, report.files[0].error
    (edge,) = store.edges_of(["L-1"], side="out")
    assert (edge.qty, edge.unit) == (5.5, "kg")
    assert any("quantities were added" in w for w in report.files[0].warnings)


def test_default_mapping_object_is_accepted(store: GraphStore, tmp_path: Path) -> None:
    bundle = write(tmp_path / "b", {"suppliers.csv": "id;name\nS-1;One\n"})
    mapping = BundleMapping.model_validate({"defaults": {"delimiter": ";"}})
    report = load_csv_bundle(store, bundle, mapping=mapping)
    assert report.rejected == 0
    assert store.get_nodes(["S-1"])["S-1"].name == "One"


def test_progress_reports_bytes_read_and_then_the_write(store: GraphStore) -> None:
    calls: list[tuple[str, int, int]] = []
    load_csv_bundle(
        store, BUNDLE_A, progress=lambda what, done, total: calls.append((what, done, total))
    )
    total = sum(p.stat().st_size for p in BUNDLE_A.glob("*.csv"))
    reads = [c for c in calls if c[0].startswith("reading")]
    assert reads and reads[-1][1] == reads[-1][2] == total
    assert [done for _w, done, _t in reads] == sorted(done for _w, done, _t in reads)
    assert calls[-1][0].startswith("writing 34 nodes, 44 edges")
