"""The deployment files parse and say what docs/neo4j.md promises (no Docker engine runs here)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _yaml(name: str) -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_compose_runs_neo4j_5_with_a_required_password_a_volume_and_loopback_ports() -> None:
    neo4j = _yaml("docker-compose.yml")["services"]["neo4j"]
    assert neo4j["image"] == "neo4j:5"
    assert re.fullmatch(r"neo4j/\$\{NEO4J_PASSWORD:\?.+\}", neo4j["environment"]["NEO4J_AUTH"])
    assert any(volume.endswith(":/data") for volume in neo4j["volumes"])
    assert sorted(neo4j["ports"]) == ["127.0.0.1:7474:7474", "127.0.0.1:7687:7687"]
    test = " ".join(neo4j["healthcheck"]["test"])
    assert "cypher-shell" in test and "RETURN 1" in test
    assert "$${NEO4J_AUTH#neo4j/}" in test, "the password is read inside the container"


def test_the_api_waits_for_a_healthy_neo4j_and_a_finished_demo_load() -> None:
    services = _yaml("docker-compose.yml")["services"]
    api = services["api"]
    assert api["build"] == "."
    assert api["environment"]["TRACEAPI_BACKEND"] == "neo4j"
    assert api["environment"]["NEO4J_URI"] == "bolt://neo4j:7687"
    assert api["environment"]["NEO4J_PASSWORD"].startswith("${NEO4J_PASSWORD:?")
    assert api["depends_on"] == {
        "neo4j": {"condition": "service_healthy"},
        "demo-loader": {"condition": "service_completed_successfully"},
    }
    assert any(port.endswith(":8000") for port in api["ports"])
    assert "/readyz" in " ".join(api["healthcheck"]["test"])
    assert api["command"][:2] == ["traceapi", "serve"] and "0.0.0.0" in api["command"]

    loader = services["demo-loader"]
    assert loader["command"] == ["traceapi", "demo", "--no-serve"]
    assert loader["restart"] == "no"
    assert loader["image"] == api["image"], "the loader runs the api's image"
    assert loader["depends_on"] == {"neo4j": {"condition": "service_healthy"}}
    assert loader["environment"] == api["environment"]


def test_the_image_is_slim_unprivileged_and_serves_on_all_interfaces() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.MULTILINE)
    assert re.search(r"^USER (?!root)\w+", text, re.MULTILINE)
    assert re.search(r"^RUN pip install \.", text, re.MULTILINE)
    assert 'CMD ["traceapi", "serve", "--host", "0.0.0.0"]' in text
    for needed in ("traceapi", "loaders", "cypher", "pyproject.toml", "README.md"):
        assert needed in text, f"the image build copies {needed}"
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".git", ".venv", "data", "tests"} <= set(ignored)


def test_ci_runs_make_test_and_the_neo4j_leg_against_a_service_container() -> None:
    workflow = _yaml(".github/workflows/ci.yml")
    jobs = workflow["jobs"]
    assert any("make test" in step.get("run", "") for step in jobs["test"]["steps"])
    leg = jobs["neo4j-contract"]
    service = leg["services"]["neo4j"]
    assert service["image"] == "neo4j:5"
    user, password = service["env"]["NEO4J_AUTH"].split("/", 1)
    assert "7687:7687" in service["ports"]
    assert "cypher-shell" in service["options"] and "--health-cmd" in service["options"]
    assert leg["env"]["NEO4J_URI"] == "bolt://localhost:7687"
    assert (leg["env"]["NEO4J_USER"], leg["env"]["NEO4J_PASSWORD"]) == (user, password)
    runs = " ".join(step.get("run", "") for step in leg["steps"])
    assert re.search(r"pytest -m neo4j tests/contract\b", runs)
