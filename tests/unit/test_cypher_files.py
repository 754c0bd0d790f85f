"""The Cypher library without a server: every file used, headers true, parameters only, no paths.

No Neo4j runs here; these checks read the files and the Python that calls them, so a renamed
parameter, an unused file or an unbounded variable-length pattern fails before any server sees it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from traceapi.domain.model import FLOW_EDGE_TYPES, Edge, EdgeType, Node, NodeKind
from traceapi.store.cypher import cypher_dir, load_query, query_names, split_statements

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "traceapi"
CYPHER = ROOT / "cypher"

# A variable-length relationship without an upper bound: [*], [:T*], [*2..], [r:T* ..].
UNBOUNDED_HOPS = re.compile(r"\[[^\]]*\*\s*(?:\d*\s*\.\.\s*)?\]")
# Quantified path patterns (Cypher 5.9+) without an upper bound: ((a)-->(b))+, {1,}, *.
UNBOUNDED_QPP = re.compile(r"(\)|->|-)\s*(\+|\*|\{\s*\d*\s*,\s*\})\s*(\(|-|<|$)", re.MULTILINE)


def _files() -> list[Path]:
    return sorted(CYPHER.glob("*.cypher"))


def _body(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))


def _header(text: str, field: str) -> list[str]:
    for line in text.splitlines():
        match = re.match(rf"^//\s*{field}:\s*(.*)$", line)
        if match:
            value = match.group(1).strip()
            if value == "none":
                return []
            if field == "params":
                # "$rows (list of maps: id, kind)" names one parameter, $rows
                return re.findall(r"\$(\w+)", value)
            return [part.strip() for part in value.split(",")]
    raise AssertionError(f"no '// {field}:' line")


def _python_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _load_query_calls() -> list[tuple[Path, ast.Call, ast.Call | None]]:
    """(file, load_query call, the call it is an argument of) for every use in traceapi/."""
    found: list[tuple[Path, ast.Call, ast.Call | None]] = []
    for path in _python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        parents: dict[ast.AST, ast.AST] = {}
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                parents[child] = node
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _called_name(node) == "load_query":
                outer = parents.get(node)
                found.append((path, node, outer if isinstance(outer, ast.Call) else None))
    return found


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _query_name(call: ast.Call) -> str:
    assert len(call.args) == 1 and not call.keywords, ast.unparse(call)
    arg = call.args[0]
    assert isinstance(arg, ast.Constant) and isinstance(arg.value, str), (
        f"load_query takes a literal name, got {ast.unparse(call)}"
    )
    return arg.value


def test_the_library_is_found_and_not_empty() -> None:
    assert cypher_dir() == CYPHER
    assert len(_files()) >= 20


@pytest.mark.parametrize("path", _files(), ids=lambda p: p.stem)
def test_each_file_has_a_header_naming_itself_its_params_and_columns(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert re.match(r"^[a-z]+_[a-z0-9_]+$", path.stem), "files are named <verb>_<noun>"
    first = text.splitlines()[0]
    assert first.startswith(f"// {path.stem}: "), f"first line must be '// {path.stem}: ...'"
    declared = set(_header(text, "params"))
    used = set(re.findall(r"\$(\w+)", _body(text)))
    assert declared == used, f"header params {sorted(declared)} but body uses {sorted(used)}"
    returns = _header(text, "returns")
    body = _body(text)
    final_return = body[body.rindex("RETURN") :]
    aliases = re.findall(r"\bAS\s+(\w+)", final_return)
    assert aliases == returns, f"header returns {returns} but RETURN gives {aliases}"


@pytest.mark.parametrize(
    "path", sorted((CYPHER / "migrations").glob("*.cypher")), ids=lambda p: p.stem
)
def test_each_migration_header_names_itself_and_the_params_its_statements_use(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0].startswith(f"// {path.stem}: ")
    declared = set(_header(text, "params"))
    used = {name for part in split_statements(text) for name in re.findall(r"\$(\w+)", part)}
    assert declared == used, f"header params {sorted(declared)} but statements use {sorted(used)}"


@pytest.mark.parametrize("path", _files(), ids=lambda p: p.stem)
def test_no_file_has_an_unbounded_variable_length_pattern(path: Path) -> None:
    body = _body(path.read_text(encoding="utf-8"))
    assert not UNBOUNDED_HOPS.search(body), "unbounded [*..] pattern: walk level by level"
    assert not UNBOUNDED_QPP.search(body), "unbounded quantified path pattern"
    assert "shortestPath" not in body


@pytest.mark.parametrize(
    ("pattern", "unbounded"),
    [
        ("(a)-[*]->(b)", True),
        ("(a)-[:PRODUCED*]->(b)", True),
        ("(a)-[r:PRODUCED|SHIPPED_IN*1..]->(b)", True),
        ("(a)-[* ..]->(b)", True),
        ("(a)-[*2]->(b)", False),
        ("(a)-[*1..3]->(b)", False),
        ("(a)-[r:PRODUCED]->(b)", False),
        ("(a)-[:SUPPLIED|CONSUMED_BY]->(b)", False),
    ],
)
def test_the_unbounded_pattern_check_catches_what_it_should(pattern: str, unbounded: bool) -> None:
    assert bool(UNBOUNDED_HOPS.search(pattern)) is unbounded


def test_the_quantified_path_check_catches_what_it_should() -> None:
    for qpp in ("((a)-->(b))+", "((a)-->(b)){1,} (c)", "(a)-[:R]->+(b)", "(a)-[:R]->{2,}(b)"):
        assert UNBOUNDED_QPP.search(qpp), qpp
    for fine in ("((a)-->(b)){1,4}", "coalesce(h.writes, 0) + 1", "count(x) * 2"):
        assert not UNBOUNDED_QPP.search(fine), fine


def test_every_file_is_used_and_every_used_name_exists() -> None:
    used = {_query_name(call) for _, call, _ in _load_query_calls()}
    names = set(query_names())
    assert used - names == set(), "load_query names without a file"
    assert names - used == set(), "Cypher files no code loads"


def test_every_call_passes_exactly_the_parameters_the_header_declares() -> None:
    checked = 0
    for path, call, outer in _load_query_calls():
        name = _query_name(call)
        assert outer is not None, f"{path.name}: load_query({name!r}) must be passed to a runner"
        position = next(i for i, arg in enumerate(outer.args) if arg is call)
        passed = {kw.arg for kw in outer.keywords if kw.arg and not kw.arg.endswith("_")}
        assert all(kw.arg is not None for kw in outer.keywords), f"{path.name}: no **params"
        if len(outer.args) > position + 1:
            params = outer.args[position + 1]
            assert isinstance(params, ast.Dict), f"{path.name}: parameters as a literal dict"
            passed |= {k.value for k in params.keys if isinstance(k, ast.Constant)}
        declared = set(_header((CYPHER / f"{name}.cypher").read_text(encoding="utf-8"), "params"))
        assert passed == declared, f"{path.name}: {name} gets {sorted(passed)}, not {declared}"
        checked += 1
    assert checked >= len(query_names())


def test_driver_calls_take_queries_from_the_library_only() -> None:
    """No Cypher built in Python: runners get load_query(...) or a variable holding one."""
    for path in _python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and _called_name(node) in {"execute_query", "run"}):
                continue
            if not node.args or not _imports_neo4j(path):
                continue
            query = node.args[0]
            if isinstance(query, ast.Call):
                assert _called_name(query) == "load_query", f"{path.name}: {ast.unparse(node)}"
            else:
                assert isinstance(query, ast.Name), f"{path.name}: {ast.unparse(node)}"


def test_no_python_string_looks_like_cypher() -> None:
    cypher_like = re.compile(r"\b(MATCH|MERGE|UNWIND|DETACH DELETE)\b\s*[\(\$]|\bRETURN\b.*\bAS\b")
    for path in _python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if id(node) in docstrings:
                    continue
                assert not cypher_like.search(node.value), f"{path.name}: Cypher in Python"
            if isinstance(node, ast.JoinedStr):
                text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
                assert not cypher_like.search(text), f"{path.name}: Cypher built in an f-string"


def test_only_the_store_package_talks_to_the_driver() -> None:
    allowed = {PACKAGE / "store" / "neo4j_store.py", PACKAGE / "store" / "migrations.py"}
    users = {path for path in _python_files() if _imports_neo4j(path)}
    assert users <= allowed, f"the driver is imported outside the store: {users - allowed}"


def _imports_neo4j(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            modules = [node.module or ""]
        else:
            continue
        if any(module.split(".")[0] == "neo4j" for module in modules):
            return True
    return False


def test_traversal_walks_exactly_the_flow_edge_types() -> None:
    flow = {t.value for t in FLOW_EDGE_TYPES}
    for name in ("expand_forward", "expand_backward"):
        body = _body(load_query(name))
        (types,) = re.findall(r"\[:([A-Z_|]+)\]", body)
        assert set(types.split("|")) == flow, name


def test_merges_cover_every_kind_and_edge_type() -> None:
    nodes = _body(load_query("merge_nodes"))
    for kind in NodeKind:
        assert f"row.kind = '{kind.value}' THEN [1] ELSE [] END | SET n:{kind.value})" in nodes
    edges = _body(load_query("merge_edges"))
    for edge_type in EdgeType:
        assert f"row.type = '{edge_type.value}' THEN" in edges
        rel = f"rel_{edge_type.value.lower()}"
        assert f"MERGE (a)-[{rel}:{edge_type.value}]->(b) SET {rel} = row.props)" in edges


def test_load_query_refuses_unknown_and_odd_names() -> None:
    with pytest.raises(LookupError, match="no_such_query"):
        load_query("no_such_query")
    with pytest.raises(ValueError):
        load_query("../pyproject")
    assert load_query("get_nodes") is load_query("get_nodes")  # cached


def test_statements_split_on_semicolons_at_line_ends_only() -> None:
    text = (
        "// header\nCREATE INDEX a IF NOT EXISTS\nFOR (n:A) ON (n.x);\n\n"
        "RETURN 'a;b' AS s;  \n// trailing comment\n"
    )
    assert split_statements(text) == [
        "CREATE INDEX a IF NOT EXISTS\nFOR (n:A) ON (n.x)",
        "RETURN 'a;b' AS s",
    ]
    assert split_statements("// only comments\n") == []


def test_the_wheel_ships_the_library() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"cypher" = "traceapi/_cypher"' in pyproject


# -- what the store sends as parameters (pure functions; no server) -------------------------
def _storable(value: object) -> bool:
    """A value Neo4j can hold as a property: a scalar, or a homogeneous list of scalars."""
    if isinstance(value, bool | str | float):
        return True
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    if isinstance(value, list):
        return len({type(v) for v in value}) <= 1 and all(_storable(v) for v in value)
    return False


def test_node_rows_hold_only_storable_values_and_read_back_exactly() -> None:
    from traceapi.store.neo4j_store import _node_from_row, _node_row

    node = Node(
        id="STEP-1",
        kind=NodeKind.PROCESS_STEP,
        name="Mixing",
        aliases=["b", "STEP-1", "a"],
        props={
            "params": {"temp_c": 180, "zones": [1, "x"]},
            "big": 2**70,
            "ok": True,
            "ratio": 1e-05,
            "name": "clashes with the reserved key",
            "tags": ["x", 1],
        },
    )
    row = _node_row(node)
    stored = row["props"]
    assert (row["id"], row["kind"]) == ("STEP-1", "ProcessStep")
    assert all(_storable(value) for value in stored.values()), stored
    assert stored["name"] == "Mixing" and stored["aliases"] == ["a", "b"]
    assert stored["params"] == '{"temp_c":180,"zones":[1,"x"]}'
    assert stored["big"] == str(2**70) and stored["ok"] is True and stored["ratio"] == 1e-05
    back = _node_from_row({**stored, "name": stored["name"]})
    assert back == node.model_copy(update={"aliases": ["a", "b"]})


def test_edge_rows_hold_only_storable_values_and_read_back_exactly() -> None:
    from traceapi.store.neo4j_store import _edge_from_row, _edge_row

    edge = Edge(
        source="RM-1",
        target="STEP-1",
        type=EdgeType.CONSUMED_BY,
        qty=12.5,
        unit="kg",
        props={"line": "L2", "qty": "clashes", "window": {"from": "08:00"}},
    )
    row = _edge_row(edge)
    assert (row["source"], row["type"], row["target"]) == ("RM-1", "CONSUMED_BY", "STEP-1")
    assert all(_storable(value) for value in row["props"].values()), row
    assert row["props"]["qty"] == 12.5, "the reserved qty is the edge's, not the prop's"
    back = _edge_from_row(
        {"source_id": "RM-1", "rel_type": "CONSUMED_BY", "target_id": "STEP-1", **row["props"]}
    )
    assert back == edge


def test_merge_rules_match_the_contract() -> None:
    from traceapi.store.neo4j_store import _merge_edge, _merge_node

    old = Node(
        id="L",
        kind=NodeKind.LOT,
        name="Lot L",
        aliases=["a1"],
        props={"status": "released", "note": "x", "quantity": 5},
    )
    new = Node(
        id="L", kind=NodeKind.LOT, aliases=["a2", "L"], props={"status": "on_hold", "note": None}
    )
    merged = _merge_node(old, new)
    assert merged.name == "Lot L" and merged.aliases == ["a1", "a2"]
    assert merged.props == {"status": "on_hold", "quantity": 5}
    before = Edge(
        source="a",
        target="b",
        type=EdgeType.PACKED_IN,
        qty=1.0,
        unit="ea",
        props={"line": "L1", "shift": 2},
    )
    after = _merge_edge(
        before, Edge(source="a", target="b", type=EdgeType.PACKED_IN, props={"shift": None})
    )
    assert (after.qty, after.unit, after.props) == (1.0, "ea", {"line": "L1"})


def test_the_neo4j_store_implements_every_contract_method_itself() -> None:
    """Inherited Protocol stubs would silently return None: each method must be defined here."""
    import inspect

    from traceapi.store.base import GraphStore
    from traceapi.store.neo4j_store import Neo4jStore

    contract = {
        name: member
        for name, member in vars(GraphStore).items()
        if callable(member) and not name.startswith("_")
    }
    assert len(contract) >= 18
    for name, stub in contract.items():
        assert name in vars(Neo4jStore), f"Neo4jStore does not implement {name}"
        assert inspect.signature(vars(Neo4jStore)[name]) == inspect.signature(stub), name
    assert Neo4jStore.backend == "neo4j"
