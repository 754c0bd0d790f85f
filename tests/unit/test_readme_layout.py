"""The README's project layout names every Python package of the repository, and only folders
that exist."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _layout_folders() -> set[str]:
    """Folder paths of the layout block, nesting read from the two-space indents."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Project layout", 1)[1].split("```", 2)[1]
    folders: set[str] = set()
    parents: list[str] = []
    for line in block.strip("\n").splitlines():
        indent = (len(line) - len(line.lstrip(" "))) // 2
        names = re.split(r"\s{2,}", line.strip(), maxsplit=1)[0]
        parents = parents[:indent]
        dirs = [name.strip() for name in names.split(",") if name.strip().endswith("/")]
        for name in dirs:
            folders.add("/".join([*parents, name.rstrip("/")]))
        if dirs:
            parents.append(dirs[-1].rstrip("/"))
    return folders


def test_every_package_is_named_in_the_layout() -> None:
    packages = {
        str(init.parent.relative_to(REPO))
        for top in ("traceapi", "loaders")
        for init in (REPO / top).rglob("__init__.py")
    }
    assert packages - _layout_folders() == set()


def test_every_folder_the_layout_names_exists() -> None:
    missing = {folder for folder in _layout_folders() if not (REPO / folder).is_dir()}
    assert missing == set()
