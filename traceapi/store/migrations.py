"""Neo4j schema migrations: numbered Cypher files, each applied once and recorded in the graph.

Files are ``cypher/migrations/V<4 digits>__<name>.cypher``. A file may hold several statements;
each ends with ``;`` at the end of a line (see ``cypher.split_statements``), because the driver
runs one statement at a time. Every statement must be idempotent (``IF NOT EXISTS``), so a
migration interrupted half way simply runs again; a ``(:Migration {version})`` node records
each migration that completed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import LiteralString

import neo4j

from traceapi.store.cypher import cypher_dir, load_query, split_statements

_FILE_NAME = re.compile(r"^V(\d{4})__([a-z0-9_]+)\.cypher$")


@dataclass(frozen=True, slots=True)
class Migration:
    """One migration file, already split into statements."""

    version: int
    name: str
    path: Path
    statements: list[LiteralString]


def migrations_dir() -> Path:
    return cypher_dir() / "migrations"


def load_migrations(directory: Path | None = None) -> list[Migration]:
    """Every migration file in ``directory`` (default: the packaged ones), by version."""
    folder = directory or migrations_dir()
    found: dict[int, Migration] = {}
    for path in sorted(folder.glob("*.cypher")):
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise ValueError(f"{path}: migration files are named V0001__some_name.cypher")
        version = int(match.group(1))
        if version in found:
            raise ValueError(f"{path}: version {version} is also {found[version].path.name}")
        statements = split_statements(path.read_text(encoding="utf-8"))
        if not statements:
            raise ValueError(f"{path}: no statement (each one ends with ';' at a line end)")
        found[version] = Migration(version, match.group(2), path, statements)
    return [found[version] for version in sorted(found)]


def applied_versions(driver: neo4j.Driver, *, database: str) -> set[int]:
    """The versions recorded as applied in ``database`` (read from the leader, not a replica)."""
    records = driver.execute_query(load_query("list_migrations"), database_=database).records
    return {int(record["version"]) for record in records}


def apply_migrations(
    driver: neo4j.Driver,
    *,
    database: str,
    migrations: list[Migration] | None = None,
) -> list[Migration]:
    """Run the migrations not yet recorded, in order; returns the ones run now.

    Driver errors propagate; the store translates them into ``StoreUnavailable``.
    """
    wanted = load_migrations() if migrations is None else migrations
    done = applied_versions(driver, database=database)
    ran: list[Migration] = []
    for migration in wanted:
        if migration.version in done:
            continue
        for statement in migration.statements:
            driver.execute_query(statement, database_=database)
        driver.execute_query(
            load_query("record_migration"),
            {
                "version": migration.version,
                "migration_name": migration.name,
                "applied_at": datetime.now(UTC).isoformat(),
            },
            database_=database,
        )
        ran.append(migration)
    return ran
