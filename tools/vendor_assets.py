"""Refreshes the browser assets the explorers and the console serve (npm packages, vendored).

    python tools/vendor_assets.py            # fetch the pinned versions with `npm pack`, rewrite
    python tools/vendor_assets.py --check    # offline: files on disk match the manifest

Each package is fetched with `npm pack` (the npm registry, npm's own integrity check), only the
files listed below are copied to ``traceapi/console/static/vendor/<name>/`` with the package's
licence, and ``manifest.json`` there records package, version, licence, the tarball's integrity,
each file's SHA-256 and what was changed. The one change: a trailing ``sourceMappingURL``
comment is removed (the ``.map`` files are not shipped, so browsers' developer tools would ask
for them). A file naming a public CDN host fails the refresh: no page of ours loads from one.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "traceapi" / "console" / "static" / "vendor"
MANIFEST = VENDOR / "manifest.json"

# name in vendor/ -> (npm package, version, files in the tarball's package/ folder, licence file;
# "other:LICENSE" copies the licence already vendored for ``other``)
PACKAGES: dict[str, tuple[str, str, list[str], str]] = {
    "react": ("react", "18.3.1", ["umd/react.production.min.js"], "LICENSE"),
    "react-dom": ("react-dom", "18.3.1", ["umd/react-dom.production.min.js"], "LICENSE"),
    "graphiql": ("graphiql", "3.8.3", ["graphiql.min.js", "graphiql.min.css"], "LICENSE"),
    "graphiql-plugin-explorer": (
        "@graphiql/plugin-explorer",
        "1.0.2",
        ["dist/index.umd.js", "dist/style.css"],
        "graphiql:LICENSE",  # the tarball ships none; same monorepo and MIT licence as graphiql
    ),
    "swagger-ui": (
        "swagger-ui-dist",
        "5.35.0",
        ["swagger-ui-bundle.js", "swagger-ui.css"],
        "LICENSE",
    ),
    "redoc": ("redoc", "2.5.4", ["bundles/redoc.standalone.js"], "LICENSE"),
    "htmx": ("htmx.org", "2.0.11", ["dist/htmx.min.js"], "LICENSE"),
    "cytoscape": ("cytoscape", "3.35.0", ["dist/cytoscape.min.js"], "LICENSE"),
}

# Text replaced in a shipped file, with the reason (recorded in the manifest): whatever a bundle
# would fetch from another host at run time.
REPLACEMENTS: dict[str, list[tuple[bytes, bytes, str]]] = {
    "redoc.standalone.js": [
        (
            b'"https://cdn.redoc.ly/redoc/logo-mini.svg"',
            b'"data:image/svg+xml,%3Csvg%20xmlns=%22http://www.w3.org/2000/svg%22/%3E"',
            "the 'API docs by Redocly' logo, fetched from Redocly's CDN, is an empty inline SVG",
        )
    ]
}

# The hosts a before-stop check refuses anywhere under traceapi/ (and no page may load from).
FORBIDDEN = re.compile(rb"unpkg\.com|cdn\.jsdelivr|cdnjs\.|fonts\.googleapis")
TRAILING_SOURCE_MAP = re.compile(
    rb"\n?(//# sourceMappingURL=\S+\.map|/\*# sourceMappingURL=\S+\.map ?\*/)\s*$"
)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def npm_pack(spec: str, into: Path) -> dict[str, str]:
    """Fetches ``spec``'s tarball into ``into``; returns npm's description of it."""
    out = subprocess.run(
        ["npm", "pack", spec, "--json", "--silent", "--pack-destination", str(into)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    described: dict[str, str] = json.loads(out)[0]
    return described


def clean(name: str, data: bytes) -> tuple[bytes, list[str]]:
    """The file as shipped and the changes made to it."""
    changes = []
    for old, new, why in REPLACEMENTS.get(name, []):
        if old not in data:
            sys.exit(f"{name}: {old!r} is gone; review REPLACEMENTS for this version")
        data = data.replace(old, new)
        changes.append(why)
    stripped = TRAILING_SOURCE_MAP.sub(b"\n", data)
    if stripped != data:
        changes.append("trailing sourceMappingURL comment removed (the .map is not shipped)")
    return stripped, changes


def refresh() -> None:
    entries = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, (package, version, files, licence) in PACKAGES.items():
            described = npm_pack(f"{package}@{version}", Path(tmp))
            with tarfile.open(Path(tmp) / described["filename"]) as tar:
                member = {m.name.removeprefix("package/"): m for m in tar.getmembers()}
                meta = json.loads(tar.extractfile(member["package.json"]).read())  # type: ignore[union-attr]
                target = VENDOR / name
                target.mkdir(parents=True, exist_ok=True)
                shipped = {}
                for path in [*files, licence]:
                    if ":" in path:
                        raw = (VENDOR / path.replace(":", "/")).read_bytes()
                    else:
                        raw = tar.extractfile(member[path]).read()  # type: ignore[union-attr]
                    data, changes = clean(Path(path).name, raw)
                    if FORBIDDEN.search(data):
                        sys.exit(f"{package}@{version} {path} names a public CDN host; not shipped")
                    out_name = "LICENSE" if path == licence else Path(path).name
                    (target / out_name).write_bytes(data)
                    shipped[out_name] = {"from": path, "sha256": sha256(data), "changes": changes}
            entries.append(
                {
                    "name": name,
                    "package": package,
                    "version": version,
                    "license": meta.get("license"),
                    "tarball_integrity": described["integrity"],
                    "files": shipped,
                }
            )
            print(f"{package}@{version}: {', '.join(shipped)}")
    MANIFEST.write_text(json.dumps({"packages": entries}, indent=2) + "\n")


def check() -> int:
    """0 when every file of the manifest is on disk with its checksum (and no CDN host)."""
    problems = []
    for entry in json.loads(MANIFEST.read_text())["packages"]:
        for out_name, shipped in entry["files"].items():
            path = VENDOR / entry["name"] / out_name
            if not path.is_file():
                problems.append(f"missing: {path}")
            elif sha256(path.read_bytes()) != shipped["sha256"]:
                problems.append(f"checksum differs: {path}")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify the files, fetch nothing")
    args = parser.parse_args()
    if args.check:
        return check()
    refresh()
    return check()


if __name__ == "__main__":
    sys.exit(main())
