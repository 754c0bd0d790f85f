"""`traceapi db stats` and `traceapi db export` (JSON and GraphML) on the demo dataset."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import networkx as nx

from tests.cli.conftest import LoadedDemo


def _stats(demo: LoadedDemo) -> dict[str, Any]:
    done = demo.run("db", "stats", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_stats_count_nodes_and_edges_by_kind(loaded_demo: LoadedDemo) -> None:
    stats = _stats(loaded_demo)
    assert stats["backend"] == "embedded"
    assert stats["nodes"]["Lot"] == loaded_demo.stories.lot_count
    assert stats["node_total"] == sum(stats["nodes"].values())
    assert stats["edge_total"] == sum(stats["edges"].values())
    for kind in (
        "Supplier",
        "Lot",
        "ProcessStep",
        "Equipment",
        "Inspection",
        "Shipment",
        "Customer",
    ):
        assert stats["nodes"][kind] > 0
    for edge_type in (
        "SUPPLIED",
        "CONSUMED_BY",
        "PRODUCED",
        "SHIPPED_IN",
        "DELIVERED_TO",
        "SHIPPED_FROM",
        "ON",
        "OF",
    ):
        assert stats["edges"][edge_type] > 0
    table = loaded_demo.run("db", "stats")
    assert table.returncode == 0 and "ProcessStep" in table.stdout


def test_json_export_holds_the_whole_graph(loaded_demo: LoadedDemo, tmp_path: Path) -> None:
    stats = _stats(loaded_demo)
    out = tmp_path / "graph.json"
    done = loaded_demo.run("db", "export", "--format", "json", "--out", str(out))
    assert done.returncode == 0, done.stderr
    graph = json.loads(out.read_text(encoding="utf-8"))
    assert len(graph["nodes"]) == stats["node_total"]
    assert len(graph["edges"]) == stats["edge_total"]
    by_id = {node["id"]: node for node in graph["nodes"]}
    resin = loaded_demo.stories.contaminated_resin
    assert by_id[resin.lot_id]["kind"] == "Lot"
    assert resin.supplier_lot in by_id[resin.lot_id]["aliases"]
    assert all({"source", "target", "type"} <= set(edge) for edge in graph["edges"])
    assert all(edge["source"] in by_id and edge["target"] in by_id for edge in graph["edges"])

    to_stdout = loaded_demo.run("db", "export")
    assert to_stdout.returncode == 0
    assert json.loads(to_stdout.stdout) == graph


def test_graphml_export_opens_in_networkx(loaded_demo: LoadedDemo, tmp_path: Path) -> None:
    stats = _stats(loaded_demo)
    out = tmp_path / "graph.graphml"
    done = loaded_demo.run("db", "export", "--format", "graphml", "--out", str(out))
    assert done.returncode == 0, done.stderr
    graph = nx.read_graphml(out)
    assert graph.is_directed()
    assert graph.number_of_nodes() == stats["node_total"]
    assert graph.number_of_edges() == stats["edge_total"]
    kinds: dict[str, int] = {}
    for _, data in graph.nodes(data=True):
        kinds[data["kind"]] = kinds.get(data["kind"], 0) + 1
    assert kinds == stats["nodes"]

    resin = loaded_demo.stories.contaminated_resin
    lot = graph.nodes[resin.lot_id]
    assert lot["lot_type"] == "raw" and lot["lot_number"] == resin.supplier_lot
    assert resin.supplier_lot in json.loads(lot["aliases"])
    assert isinstance(lot["quantity"], float | int)
    supplied = graph.edges[resin.supplier_id, resin.lot_id]
    assert supplied["type"] == "SUPPLIED" and supplied["qty"] == lot["quantity"]
    step_id = loaded_demo.stories.sterilizer_window.process_steps[0]
    params = json.loads(graph.nodes[step_id]["params"])
    assert params["exposure_time_min"] == 360
