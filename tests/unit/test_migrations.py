"""Migration files without a server: named and numbered right, split into idempotent statements,
and covering every key the Cypher library MERGEs on with a uniqueness constraint."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from traceapi.store.cypher import load_query, query_names
from traceapi.store.migrations import load_migrations, migrations_dir

SCHEMA_STATEMENT = re.compile(
    r"^CREATE (CONSTRAINT|INDEX) (?P<name>[a-z_]+) IF NOT EXISTS\s+"
    r"FOR \((?P<var>\w+):(?P<label>\w+)\) "
    r"(REQUIRE (?P=var)\.(?P<unique>\w+) IS UNIQUE|ON \((?P=var)\.(?P<indexed>\w+)\))$"
)


def test_the_packaged_migrations_load_in_version_order() -> None:
    migrations = load_migrations()
    assert migrations, "at least V0001"
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))
    assert migrations[0].name == "constraints"
    assert all(m.path.parent == migrations_dir() for m in migrations)


def test_every_statement_is_idempotent_schema_ddl_with_a_unique_name() -> None:
    names: list[str] = []
    for migration in load_migrations():
        for statement in migration.statements:
            match = SCHEMA_STATEMENT.match(statement)
            assert match, f"V{migration.version:04d}: not idempotent DDL:\n{statement}"
            names.append(match.group("name"))
    assert len(names) == len(set(names)), "constraint and index names are unique"


def test_every_merge_key_of_the_library_has_a_uniqueness_constraint() -> None:
    """MERGE is only safe to retry and to run concurrently on a constrained key."""
    unique = set()
    for migration in load_migrations():
        for statement in migration.statements:
            match = SCHEMA_STATEMENT.match(statement)
            if match and match.group("unique"):
                unique.add((match.group("label"), match.group("unique")))
    merged = set()
    for name in query_names():
        merged |= set(re.findall(r"MERGE \(\w+:(\w+) \{(\w+):", load_query(name)))
    assert merged, "the library MERGEs nodes"
    assert merged <= unique, f"MERGE keys without a uniqueness constraint: {merged - unique}"


def _write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


def test_bad_file_names_duplicate_versions_and_empty_files_are_refused(tmp_path: Path) -> None:
    _write(tmp_path, "V0001__ok.cypher", "CREATE INDEX a IF NOT EXISTS FOR (n:A) ON (n.x);\n")
    assert [m.statements for m in load_migrations(tmp_path)] == [
        ["CREATE INDEX a IF NOT EXISTS FOR (n:A) ON (n.x)"]
    ]
    _write(tmp_path, "V0001__again.cypher", "CREATE INDEX b IF NOT EXISTS FOR (n:B) ON (n.x);\n")
    with pytest.raises(ValueError, match="version 1"):
        load_migrations(tmp_path)
    (tmp_path / "V0001__again.cypher").unlink()
    _write(tmp_path, "0002-bad.cypher", "RETURN 1;\n")
    with pytest.raises(ValueError, match="named V0001__"):
        load_migrations(tmp_path)
    (tmp_path / "0002-bad.cypher").unlink()
    _write(tmp_path, "V0002__empty.cypher", "// nothing here\n")
    with pytest.raises(ValueError, match="no statement"):
        load_migrations(tmp_path)


def test_statements_keep_their_order_and_multi_line_shape(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "V0003__two.cypher",
        "// comment; not a statement end;\nCREATE CONSTRAINT c IF NOT EXISTS\n"
        "FOR (n:C) REQUIRE n.k IS UNIQUE;\nCREATE INDEX d IF NOT EXISTS\nFOR (n:D) ON (n.v);\n",
    )
    (migration,) = load_migrations(tmp_path)
    assert migration.version == 3 and migration.name == "two"
    assert migration.statements == [
        "CREATE CONSTRAINT c IF NOT EXISTS\nFOR (n:C) REQUIRE n.k IS UNIQUE",
        "CREATE INDEX d IF NOT EXISTS\nFOR (n:D) ON (n.v)",
    ]
