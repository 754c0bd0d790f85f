"""The Cypher library: queries live in ``cypher/<verb>_<noun>.cypher`` and are loaded by name.

This module holds the one ``LiteralString`` cast of the code base: the text of a query file is
trusted because it ships with the package. Values always travel as parameters; labels and
relationship types are spelled out in the files, never formatted into a query.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import LiteralString, cast

_PACKAGE_DIR = Path(__file__).resolve().parents[1]
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_STATEMENT_END = re.compile(r";[ \t]*$", re.MULTILINE)


def cypher_dir() -> Path:
    """Where the ``.cypher`` files are: ``traceapi/_cypher`` in a wheel, else the checkout's."""
    packaged = _PACKAGE_DIR / "_cypher"
    if packaged.is_dir():
        return packaged
    return _PACKAGE_DIR.parent / "cypher"


def query_names() -> list[str]:
    """Every query of the library (file stems of ``cypher/*.cypher``), sorted."""
    return sorted(path.stem for path in cypher_dir().glob("*.cypher"))


@cache
def load_query(name: str) -> LiteralString:
    """The query stored in ``cypher/<name>.cypher`` (cached), ready for the driver."""
    if not _NAME.match(name):
        raise ValueError(f"not a query name: {name!r}")
    path = cypher_dir() / f"{name}.cypher"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LookupError(f"no Cypher query named {name!r} (looked for {path})") from None
    return _trusted(text.strip())


def split_statements(text: str) -> list[LiteralString]:
    """Split a multi-statement file (a migration) into single statements for the driver.

    The rule: a statement ends with ``;`` at the end of a line; ``//`` comment lines are
    dropped. Semicolons inside a line (in a string, say) do not split.
    """
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("//")]
    body = "\n".join(lines)
    parts = _STATEMENT_END.split(body)
    return [_trusted(part.strip()) for part in parts if part.strip()]


def _trusted(text: str) -> LiteralString:
    # The files ship with the package and are reviewed like code: the one cast lives here.
    return cast(LiteralString, text)  # type: ignore[redundant-cast]
