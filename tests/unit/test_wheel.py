"""The built wheel, installed into a fresh virtual environment outside the repository, answers
``traceapi --version`` and loads the demo, with the Cypher library inside the package."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a wheel build, a venv and a small demo load: about 15 s

REPO = Path(__file__).resolve().parents[2]


def _run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=180, check=False
    )
    assert done.returncode == 0, f"{args}\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding the wheel; its dependencies come from this venv (offline)."""
    if importlib.util.find_spec("hatchling") is None:
        pytest.skip("building the wheel offline needs hatchling (pip install -e '.[dev]')")
    root = tmp_path_factory.mktemp("wheel")
    wheels = root / "dist"
    _run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
        "-w", str(wheels), str(REPO), cwd=root,
    )  # fmt: skip
    (wheel,) = wheels.glob("traceapi-*.whl")
    venv = root / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", str(venv), cwd=root)
    _run(
        sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
        "--quiet", "--no-deps", "--no-index", str(wheel), cwd=root,
    )  # fmt: skip
    # The dependencies (not traceapi: the fresh site-packages comes first) from this venv.
    site = Path(
        _run(
            str(venv / "bin" / "python"), "-c",
            "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=root,
        ).strip()
    )  # fmt: skip
    (site / "dependencies-of-the-dev-venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


def _env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACEAPI_", "NEO4J_"))}
    env.pop("PYTHONPATH", None)
    return {**env, "TRACEAPI_DATA_DIR": str(tmp / "data")}


def test_the_installed_command_answers_version(installed: Path, tmp_path: Path) -> None:
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    out = _run(str(installed / "bin" / "traceapi"), "--version", cwd=tmp_path, env=_env(tmp_path))
    assert out.strip() == f"traceapi {version}"


def test_the_installed_package_holds_its_cypher_library(installed: Path, tmp_path: Path) -> None:
    probe = (
        "import json, traceapi, loaders; from traceapi.store import cypher; "
        "print(json.dumps({'traceapi': traceapi.__file__, 'loaders': loaders.__file__, "
        "'dir': str(cypher.cypher_dir()), "
        "'queries': [n for n in cypher.query_names() if cypher.load_query(n)]}))"
    )
    found = json.loads(
        _run(str(installed / "bin" / "python"), "-c", probe, cwd=tmp_path, env=_env(tmp_path))
    )
    for where in (found["traceapi"], found["loaders"], found["dir"]):
        assert Path(where).is_relative_to(installed), where
    assert found["queries"] == sorted(p.stem for p in (REPO / "cypher").glob("*.cypher"))
    migrations = Path(found["dir"]) / "migrations"
    assert sorted(p.name for p in migrations.glob("*.cypher")) == sorted(
        p.name for p in (REPO / "cypher" / "migrations").glob("*.cypher")
    )


def test_the_installed_command_loads_a_small_demo(installed: Path, tmp_path: Path) -> None:
    traceapi = str(installed / "bin" / "traceapi")
    out = _run(
        traceapi, "demo", "--no-serve", "--lots", "50", "--json", cwd=tmp_path, env=_env(tmp_path)
    )
    report = json.loads(out)
    assert report["loaded_now"] is True and len(report["keys"]) == 5
    stats = json.loads(_run(traceapi, "db", "stats", "--json", cwd=tmp_path, env=_env(tmp_path)))
    assert stats["nodes"]["Lot"] == report["stories"]["lot_count"]


def test_the_installed_package_serves_the_console_and_explorers_offline(
    installed: Path, tmp_path: Path
) -> None:
    """The vendored assets and templates travel in the wheel, checksums as in the manifest."""
    probe = (
        "import hashlib, json; from traceapi.console.assets import STATIC_DIR, TEMPLATE_DIR; "
        "m = json.loads((STATIC_DIR / 'vendor' / 'manifest.json').read_text()); "
        "bad = [f'{p[\"name\"]}/{n}' for p in m['packages'] for n, f in p['files'].items() "
        "if hashlib.sha256((STATIC_DIR / 'vendor' / p['name'] / n).read_bytes()).hexdigest() "
        "!= f['sha256']]; "
        "print(json.dumps({'dir': str(STATIC_DIR), 'bad': bad, 'packages': len(m['packages']), "
        "'templates': sorted(p.name for p in TEMPLATE_DIR.rglob('*.html')), "
        "'console': sorted(p.name for p in (STATIC_DIR / 'console').iterdir())}))"
    )
    found = json.loads(
        _run(str(installed / "bin" / "python"), "-c", probe, cwd=tmp_path, env=_env(tmp_path))
    )
    assert Path(found["dir"]).is_relative_to(installed)
    assert found["bad"] == [] and found["packages"] >= 8
    assert {"graphiql.html", "swagger.html", "redoc.html", "lot.html"} <= set(found["templates"])
    assert "genealogy.js" in found["console"]
