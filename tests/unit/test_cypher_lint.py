"""Every Cypher file passes Neo4j's own parser and semantic analysis, in Cypher 5 and Cypher 25.

No Neo4j server runs here. Neo4j publishes the analysis its editors use as the npm package
``@neo4j-cypher/language-support``; ``tools/cypher-lint/lint.mjs`` runs it over every query and
every migration statement, exactly as the driver receives them, in one Node process. The linter
gets a schema taken from our code (labels, relationship types, property keys) and Neo4j's
built-in functions and procedures only, so an unknown label or a plugin call is a finding. Any
finding, error or warning, fails. Broken queries of known kinds must be flagged and valid ones
must pass, so a linter that quietly checks nothing fails too.

Without ``node`` or ``npm ci`` in ``tools/cypher-lint`` these tests skip; ``.ci/run`` sets
``TRACEAPI_REQUIRE_CYPHER_LINT=1``, and then they fail instead.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from traceapi.domain.audit import AuditEntry
from traceapi.domain.idempotency import IdempotentAnswer
from traceapi.domain.model import _KNOWN_PROPS, Alias, Edge, EdgeType, Node, NodeKind
from traceapi.domain.records import RecordLinkType, Signature, StoredRecord
from traceapi.domain.security import ApiKey, Session, User
from traceapi.store.cypher import cypher_dir, load_query, query_names
from traceapi.store.migrations import load_migrations, migrations_dir
from traceapi.store.neo4j_records import audit_record, record_row
from traceapi.store.neo4j_store import (
    _EDGE_RESERVED,
    _NODE_RESERVED,
    _edge_row,
    _node_row,
)

pytestmark = pytest.mark.slow  # one Node run lints everything: about 10 s, most of it analysis

ROOT = Path(__file__).resolve().parents[2]
LINT_DIR = ROOT / "tools" / "cypher-lint"
PACKAGE = "@neo4j-cypher/language-support"
REQUIRED = os.environ.get("TRACEAPI_REQUIRE_CYPHER_LINT") == "1"
VERSIONS = {"cypher5": "CYPHER 5", "cypher25": "CYPHER 25"}

# Nodes only the Neo4j store keeps, written by Cypher alone (no Python model): their keys.
_BOOKKEEPING = {
    "AuditHead": {"id", "seq", "hash", "writes"},
    "Meta": {"key", "value"},
    "Migration": {"version", "name", "applied_at"},
    "Record": {"id", "kind", "version", "state"},
}


def _schema() -> dict[str, list[str]]:
    """Labels, relationship types and property keys from our code, never from the Cypher files."""
    entry = AuditEntry(
        seq=1,
        at=datetime.now(UTC),
        actor="a",
        action="x.y",
        entity_kind="Lot",
        entity_id="L",
        old={},
        new={},
        reason="r",
        prev_hash="0",
        hash="1",
        actor_name="A",
        auth_method="token",
        request_id="r",
        client_address="127.0.0.1",
        record_version=1,
        changes={},
    )
    record = StoredRecord(
        id="R",
        kind="k",
        state="s",
        version=1,
        data={},
        content_hash="h",
        created_by="u",
        created_at=entry.at,
        updated_by="u",
        updated_at=entry.at,
    )
    stored = {
        "Node": set(_NODE_RESERVED) | {key for props in _KNOWN_PROPS.values() for key in props},
        "Alias": set(Alias.model_fields),
        "ApiKey": set(ApiKey.model_fields),
        "AuditEntry": set(audit_record(entry)),
        "RecordVersion": {*record_row(record), "version_key"},
        "Signature": set(Signature.model_fields),
        "User": set(User.model_fields),
        "Session": set(Session.model_fields),
        "IdempotentAnswer": set(IdempotentAnswer.model_fields),
        **_BOOKKEEPING,
    }
    # The linter reads `row.source` of an UNWIND'd parameter as a property read too: so the keys
    # of the rows the store sends are property keys here.
    rows = {
        *_node_row(Node(id="n", kind=NodeKind.LOT)),
        *_edge_row(Edge(source="a", target="b", type=EdgeType.OF)),
    }
    keys = set().union(*stored.values(), _EDGE_RESERVED, rows)
    return {
        "labels": sorted({*stored, *(kind.value for kind in NodeKind)}),
        "relationshipTypes": sorted(
            {edge_type.value for edge_type in EdgeType} | {link.value for link in RecordLinkType}
        ),
        "propertyKeys": sorted(keys),
    }


def _declared(text: str) -> list[str]:
    """The parameters a file's ``// params:`` header names ("none" names none)."""
    (line,) = [line for line in text.splitlines() if re.match(r"^//\s*params:", line)]
    return re.findall(r"\$(\w+)", line)


def _targets() -> dict[str, tuple[str, str]]:
    """What the driver runs: each query file as loaded, each migration statement on its own."""
    targets = {name: (name, load_query(name)) for name in query_names()}
    for migration in load_migrations():
        for number, statement in enumerate(migration.statements, start=1):
            targets[f"{migration.path.stem}#{number}"] = (migration.path.stem, statement)
    return targets


TARGETS = _targets()
"""Target id: (the file's stem, the text the driver gets)."""
HEADERS = {
    path.stem: _declared(path.read_text(encoding="utf-8"))
    for path in sorted(cypher_dir().rglob("*.cypher"))
}
"""File stem: the parameters its header names."""

# Broken queries, the parameters their header would declare, and what the linter must say.
BROKEN: dict[str, tuple[str, list[str], str]] = {
    "missing_parenthesis": (
        "MATCH (n:Node {id: $id}\nRETURN n.id AS id",
        ["id"],
        r"Invalid input 'RETURN'",
    ),
    "no_return": ("MATCH (n:Node)", [], r"Query cannot conclude with MATCH"),
    "neo4j4_constraint": (
        "CREATE CONSTRAINT node_id ON (n:Node) ASSERT n.id IS UNIQUE",
        [],
        r"ON and ASSERT should not be used|Invalid input 'ON': expected 'IF NOT EXISTS' or 'FOR'",
    ),
    "exists_property": (
        "MATCH (n:Node) WHERE exists(n.name) RETURN n.id AS id",
        [],
        r"property existence syntax .* is no longer supported",
    ),
    "id_function": ("MATCH (n:Node) RETURN id(n) AS internal_id", [], r"Function id is deprecated"),
    "apoc_procedure": (
        "MATCH (n:Node {id: $id})\nCALL apoc.path.subgraphNodes(n, {maxLevel: 3}) YIELD node\n"
        "RETURN node.id AS id",
        ["id"],
        r"Procedure apoc\.path\.subgraphNodes is not present",
    ),
    "apoc_function": (
        "RETURN apoc.text.join(['a', 'b'], ',') AS joined",
        [],
        r"Function apoc\.text\.join is not present",
    ),
    "undeclared_parameter": (
        "MATCH (n:Node {id: $lot_id}) RETURN n.id AS id",
        [],
        r"Parameter \$lot_id is not defined",
    ),
    "unbound_variable": ("MATCH (n:Node) RETURN m.id AS id", [], r"Variable `m` not defined"),
    "unknown_label": ("MATCH (n:Lots) RETURN n.id AS id", [], r"Label Lots is not present"),
    "unknown_relationship_type": (
        "MATCH (:Node)-[:SHIPPED]->(m:Node) RETURN m.id AS id",
        [],
        r"Relationship type SHIPPED is not present",
    ),
    "unknown_property": (
        "MATCH (n:Node) RETURN n.lot_status AS status",
        [],
        r"lot_status is not present",
    ),
}

# Valid queries in our style, each with its parameters (which the parser must find exactly).
VALID: dict[str, tuple[str, list[str]]] = {
    "lookup": (
        "// lookup: a header line, as the driver gets it\nMATCH (n:Node {id: $id})\n"
        "RETURN n.id AS id, coalesce(n.name, n.id) AS name, elementId(n) AS element_id",
        ["id"],
    ),
    "dollar_in_string_and_comment": (
        "MATCH (n:Node) // not $this one\nWHERE n.name = '$nor_this' AND n.kind IS NOT NULL\n"
        "RETURN count(n) AS total",
        [],
    ),
    "flow_walk": (
        "UNWIND $frontier AS frontier_id\n"
        "MATCH (:Lot {id: frontier_id})-[:CONSUMED_BY]->(:ProcessStep)-[r:PRODUCED]->(m:Lot)\n"
        "RETURN DISTINCT m.id AS id, type(r) AS rel_type, r.qty AS qty",
        ["frontier"],
    ),
    "merge": (
        "UNWIND $rows AS row\nMERGE (a:Alias {alias: row.alias})\n"
        "  ON CREATE SET a.node_id = row.node_id\nRETURN count(a) AS written",
        ["rows"],
    ),
    "constraint": (
        "CREATE CONSTRAINT node_id IF NOT EXISTS\nFOR (n:Node) REQUIRE n.id IS UNIQUE",
        [],
    ),
    "built_in_procedure": (
        "CALL db.labels() YIELD label\nRETURN collect(label) AS labels",
        [],
    ),
}


def _canary_id(kind: str, name: str) -> str:
    return f"{kind}:{name}"


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    """One run of the linter over every target and every canary, in both dialects."""
    node = shutil.which("node")
    if node is None:
        reason = "needs `node` on PATH (.ci/run installs Debian's nodejs and npm)"
    elif not (LINT_DIR / "node_modules" / PACKAGE).is_dir():
        reason = f"needs `npm ci` in {LINT_DIR.relative_to(ROOT)} (make test runs it when it can)"
    else:
        reason = None
    if reason is not None:
        if REQUIRED:
            pytest.fail(f"TRACEAPI_REQUIRE_CYPHER_LINT is set, but the linter {reason}")
        pytest.skip(f"Cypher lint {reason}")
    queries = [
        {"id": target, "text": text, "parameters": HEADERS[stem]}
        for target, (stem, text) in TARGETS.items()
    ]
    queries += [
        {"id": _canary_id("broken", name), "text": text, "parameters": params}
        for name, (text, params, _) in BROKEN.items()
    ]
    queries += [
        {"id": _canary_id("valid", name), "text": text, "parameters": params}
        for name, (text, params) in VALID.items()
    ]
    request = {"versions": list(VERSIONS.values()), "schema": _schema(), "queries": queries}
    done = subprocess.run(
        [node, str(LINT_DIR / "lint.mjs")],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    answer: dict[str, Any] = json.loads(done.stdout)
    answer["by_key"] = {(r["id"], r["version"]): r for r in answer["results"]}
    assert len(answer["by_key"]) == len(queries) * len(VERSIONS)
    return answer


def _findings(report: dict[str, Any], target: str, version: str) -> list[str]:
    result = report["by_key"][(target, version)]
    return [
        f"{f['line']}:{f['column']} {f['severity']}: {f['message']}" for f in result["findings"]
    ]


def test_the_linter_is_the_pinned_package(report: dict[str, Any]) -> None:
    manifest = json.loads((LINT_DIR / "package.json").read_text(encoding="utf-8"))
    pinned = manifest["dependencies"][PACKAGE]
    assert re.fullmatch(r"\d+\.\d+\.\d+(-[\w.]+)?", pinned), f"pin one exact version: {pinned}"
    lock = json.loads((LINT_DIR / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["packages"][f"node_modules/{PACKAGE}"]["version"] == pinned
    assert report["package"]["version"] == pinned, "stale node_modules: run npm ci there"


def test_every_cypher_file_is_a_query_or_a_migration() -> None:
    """A file anywhere else under cypher/ would be linted by nobody and loaded by nothing."""
    files = set(cypher_dir().rglob("*.cypher"))
    queries = {cypher_dir() / f"{name}.cypher" for name in query_names()}
    migrations = {migration.path for migration in load_migrations()}
    assert files == queries | migrations
    assert all(path.parent == migrations_dir() for path in migrations)
    assert len(TARGETS) > len(files), "each migration statement is a target of its own"


@pytest.mark.parametrize("version", VERSIONS.values(), ids=VERSIONS.keys())
@pytest.mark.parametrize("target", TARGETS)
def test_each_query_and_migration_statement_passes_the_linter(
    report: dict[str, Any], target: str, version: str
) -> None:
    assert _findings(report, target, version) == []


@pytest.mark.parametrize("stem", HEADERS)
def test_the_header_names_exactly_the_parameters_the_parser_finds(
    report: dict[str, Any], stem: str
) -> None:
    declared = set(HEADERS[stem])
    for version in VERSIONS.values():
        used = {
            name
            for target, (of, _) in TARGETS.items()
            if of == stem
            for name in report["by_key"][(target, version)]["parameters"]
        }
        assert used == declared, f"{version}: header {sorted(declared)}, query {sorted(used)}"


@pytest.mark.parametrize("version", VERSIONS.values(), ids=VERSIONS.keys())
@pytest.mark.parametrize("name", BROKEN)
def test_the_linter_flags_each_broken_query(
    report: dict[str, Any], name: str, version: str
) -> None:
    expected = BROKEN[name][2]
    findings = _findings(report, _canary_id("broken", name), version)
    assert any(re.search(expected, finding) for finding in findings), findings


@pytest.mark.parametrize("version", VERSIONS.values(), ids=VERSIONS.keys())
@pytest.mark.parametrize("name", VALID)
def test_the_linter_passes_each_valid_query(
    report: dict[str, Any], name: str, version: str
) -> None:
    result = report["by_key"][(_canary_id("valid", name), version)]
    assert _findings(report, _canary_id("valid", name), version) == []
    assert sorted(result["parameters"]) == sorted(VALID[name][1])
