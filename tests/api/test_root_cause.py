"""POST /api/v1/root-cause and /api/v1/root-cause/equipment-window through the real ASGI app:
on the hand-written genealogy (tests/api/genealogy.py), where the answer is derived by hand,
and on the demo for story 2's sterilizer window."""

from __future__ import annotations

import io
from collections.abc import Iterator

import networkx as nx
import pytest

from tests.api.fixtures import TestClient, auth, make_client
from traceapi.demo.generator import DemoGenerator
from traceapi.demo.stories import SterilizerWindow
from traceapi.domain.security import Role
from traceapi.services.keys import create_key
from traceapi.settings import Settings
from traceapi.store.embedded import EmbeddedStore


def test_one_bad_lot_against_one_good_lot_by_hand(client, viewer):
    """FG-1 against FG-2: what only FG-1 has (resin lot 2291, extrusion PS-EXT-1, assembly
    PS-ASM-1 on EQ-ASM-1) makes the table [[1, 0], [0, 1]], one-sided Fisher p = 1/2; what
    both have (resin lot 2292, the clamps, EQ-EXT-1, the suppliers, ...) p = 1. Nothing is
    significant with two lots."""
    response = client.post(
        "/api/v1/root-cause", json={"lots": ["FG-1"], "baseline": ["FG-2"]}, headers=viewer
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["baseline"]["rule"] == "given" and answer["baseline"]["lots"] == ["FG-2"]
    by_id = {c["id"]: c for c in answer["candidates"]}
    first = {c["id"] for c in answer["candidates"] if c["rank"] == 1}
    assert first == {"RM-RESIN-2291", "PS-EXT-1", "PS-ASM-1", "EQ-ASM-1"}
    for factor in first:
        assert by_id[factor]["p_value"] == pytest.approx(0.5)
        assert by_id[factor]["baseline_lots"] == [] and "lift" not in by_id[factor]
    for factor in ("RM-RESIN-2292", "RM-CLAMP-77", "EQ-EXT-1", "SUP-RESIN"):
        assert by_id[factor]["p_value"] == pytest.approx(1.0)
        assert by_id[factor]["baseline_lots"] == ["FG-2"]
        assert by_id[factor]["lift"] == pytest.approx(1.0)
    assert answer["significant"] == 0
    assert not any(c["significant"] for c in answer["candidates"])


def test_the_subgraph_is_fg1s_upstream_and_graphml_opens_in_networkx(client, viewer):
    body = {"lots": ["FG-1"], "baseline": ["FG-2"], "subgraph": True}
    answer = client.post("/api/v1/root-cause", json=body, headers=viewer).json()
    nodes = {n["id"] for n in answer["subgraph"]["nodes"]}
    assert {"FG-1", "PS-ASM-1", "TUB-1", "PS-EXT-1", "RM-RESIN-2291", "EQ-ASM-1"} <= nodes
    assert "FG-2" not in nodes and "PS-ASM-2" not in nodes
    edges = {(e["source"], e["type"], e["target"]) for e in answer["subgraph"]["edges"]}
    assert ("PS-ASM-1", "PRODUCED", "FG-1") in edges
    assert ("PS-ASM-1", "ON", "EQ-ASM-1") in edges
    response = client.post(
        "/api/v1/root-cause", json=body, headers={**viewer, "Accept": "application/graphml+xml"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/graphml+xml")
    graph = nx.read_graphml(io.BytesIO(response.content))
    assert set(graph.nodes) == nodes
    assert graph.nodes["RM-RESIN-2291"]["rank"] == 1


def test_every_unknown_lot_is_named(client, viewer):
    """Unknown ids in lots and baseline are named in one answer, each under its field."""
    body = {"lots": ["FG-1", "NOPE-1"], "baseline": ["FG-2", "NOPE-2", "NOPE-3"]}
    response = client.post("/api/v1/root-cause", json=body, headers=viewer)
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["details"] == {
        "fields": ["lots", "baseline"],
        "unknown": {"lots": ["NOPE-1"], "baseline": ["NOPE-2", "NOPE-3"]},
    }
    assert all(i in error["message"] for i in ("NOPE-1", "NOPE-2", "NOPE-3"))
    body["lots"] = ["FG-1"]
    error = client.post("/api/v1/root-cause", json=body, headers=viewer).json()["error"]
    assert error["details"] == {"field": "baseline", "unknown": ["NOPE-2", "NOPE-3"]}
    body = {"lots": ["FG-1", "NOPE-1"], "baseline": ["FG-2"]}
    error = client.post("/api/v1/root-cause", json=body, headers=viewer).json()["error"]
    assert error["details"] == {"field": "lots", "unknown": ["NOPE-1"]}


def test_the_neighbourhood_as_svg(client, viewer):
    """FG-1 against FG-2: the four factors only FG-1 has share rank 1 (p = 1/2), none is
    significant, so each is drawn with its rank and the not-significant mark."""
    from defusedxml import ElementTree

    body = {"lots": ["FG-1"], "baseline": ["FG-2"]}
    response = client.post(
        "/api/v1/root-cause", json=body, headers={**viewer, "Accept": "image/svg+xml"}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("image/svg+xml")
    root = ElementTree.fromstring(response.content)
    drawn = {
        g.get("data-id"): g.attrib
        for g in root.iter("{http://www.w3.org/2000/svg}g")
        if g.get("class") == "node"
    }
    assert drawn["FG-1"]["data-depth"] == "0" and "FG-2" not in drawn
    for factor in ("RM-RESIN-2291", "PS-EXT-1", "PS-ASM-1", "EQ-ASM-1"):
        assert drawn[factor]["data-rank"] == "1"
        assert drawn[factor]["data-significant"] == "false"
    assert "0 significant at 0.05" in response.text


@pytest.mark.parametrize(
    ("body", "field"),
    [({"lots": []}, "lots"), ({"lots": ["FG-1"], "level": 1.5}, "level"),
     ({"lots": ["FG-1"], "limit": 0}, "limit"), ({"lots": ["FG-1"], "colour": "red"}, "colour"),
     ({"lots": ["FG-1"], "baseline": ["FG-2"], "passed_inspection": "leak"},
      "passed_inspection")],
)  # fmt: skip
def test_bad_bodies_are_422_naming_the_field(client, viewer, body, field):
    response = client.post("/api/v1/root-cause", json=body, headers=viewer)
    assert response.status_code == 422, response.text
    assert field in response.text


def test_without_a_key_it_is_401(client):
    response = client.post("/api/v1/root-cause", json={"lots": ["FG-1"], "baseline": ["FG-2"]})
    assert response.status_code == 401


@pytest.fixture(scope="module")
def demo(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[TestClient, dict[str, str], SterilizerWindow]]:
    data_dir = tmp_path_factory.mktemp("rest-rootcause")
    settings = Settings(backend="embedded", data_dir=data_dir)
    store = EmbeddedStore(settings.sqlite_path)
    generator = DemoGenerator(lots=600, seed=7)
    generator.load(store)
    _, secret = create_key(store, role=Role.VIEWER, name="analyst")
    try:
        with make_client(settings, store) as client:
            yield client, auth(secret), generator.stories.sterilizer_window
    finally:
        store.close()


def test_the_sterilizer_window_seeds_the_story_lots_and_their_impact(demo):
    client, headers, story = demo
    body = {
        "equipment": story.equipment_id,
        "from": story.window_from,
        "to": story.window_to,
        "impact": True,
    }
    response = client.post("/api/v1/root-cause/equipment-window", json=body, headers=headers)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert sorted(lot["id"] for lot in answer["lots"]) == sorted(story.finished_lots)
    assert sorted(s["id"] for s in answer["process_steps"]) == sorted(story.process_steps)
    seeds = sorted(lot["id"] for lot in answer["impact"]["seed_lots"])
    assert seeds == sorted(story.finished_lots)


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [({"equipment": "NOPE"}, 404, "NOPE"), ({"equipment": "FG-000001"}, 422, "equipment"),
     ({"from": "yesterday"}, 422, "from"), ({"to": "2000-01-01T00:00Z"}, 422, "to")],
)  # fmt: skip
def test_bad_windows_name_the_field(demo, change, status, field):
    client, headers, story = demo
    body = {"equipment": story.equipment_id, "from": story.window_from, "to": story.window_to}
    response = client.post(
        "/api/v1/root-cause/equipment-window", json={**body, **change}, headers=headers
    )
    assert response.status_code == status, response.text
    assert field in response.text


def test_the_sterilizer_window_by_an_eto_concentration_out_of_range(demo):
    """Every EtO load records about 600 mg/l, so outside [0, 1] on STER-02 in the window is
    each of the window's steps: the story's steps and lots, and their impact."""
    client, headers, story = demo
    body = {
        "parameter": "eto_concentration_mg_l",
        "low": 0,
        "high": 1,
        "equipment": story.equipment_id,
        "from": story.window_from,
        "to": story.window_to,
        "impact": True,
    }
    response = client.post("/api/v1/root-cause/parameter-window", json=body, headers=headers)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert sorted(r["step"] for r in answer["readings"]) == sorted(story.process_steps)
    assert sorted(lot["id"] for lot in answer["lots"]) == sorted(story.finished_lots)
    assert all(r["equipment"] == [story.equipment_id] for r in answer["readings"])
    seeds = sorted(lot["id"] for lot in answer["impact"]["seed_lots"])
    assert seeds == sorted(story.finished_lots)


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [({"low": None, "high": None}, 422, "low"), ({"high": -1}, 422, "high"),
     ({"equipment": None}, 422, "step_code"), ({"parameter": "eto"}, 422, "parameter"),
     ({"equipment": "NOPE"}, 404, "NOPE"), ({"from": "soon"}, 422, "from"),
     ({"step_code": "baking"}, 422, "step_code"), ({"colour": "red"}, 422, "colour")],
)  # fmt: skip
def test_bad_parameter_windows_name_the_field(demo, change, status, field):
    client, headers, story = demo
    body = {"parameter": "eto_concentration_mg_l", "low": 0, "high": 1,
            "equipment": story.equipment_id}  # fmt: skip
    response = client.post(
        "/api/v1/root-cause/parameter-window", json={**body, **change}, headers=headers
    )
    assert response.status_code == status, response.text
    assert field in response.text
