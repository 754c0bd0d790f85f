"""GraphiQL, Swagger UI and ReDoc are served on the service's own assets: no page names another
host, every asset it names is served, the vendored files match their manifest, and the access
modes of the descriptions (open, key, off) still hold."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.api.fixtures import auth, make_client
from traceapi.console.assets import STATIC_DIR

REPO = Path(__file__).resolve().parents[2]
CDN = re.compile(r"unpkg\.com|cdn\.jsdelivr|cdnjs\.|fonts\.googleapis|cdn\.redoc\.ly")
PAGES = ("/graphql", "/docs", "/redoc")


def assets_of(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


@pytest.mark.parametrize("path", PAGES)
def test_an_explorer_page_loads_only_assets_of_ours(client, path):
    page = client.get(path, headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert not CDN.search(page.text)
    assets = [a for a in assets_of(page.text) if not a.startswith("data:")]
    assert assets and all(a.startswith("/static/") for a in assets), assets
    for asset in assets:
        served = client.get(asset)
        assert served.status_code == 200, asset
        assert not CDN.search(served.text), asset
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self';" in policy
    assert page.headers["x-frame-options"] == "DENY"


def test_graphiql_has_the_headers_pane_and_the_explorer_plugin(client):
    page = client.get("/graphql", headers={"Accept": "text/html"}).text
    assert "graphiql-plugin-explorer/index.umd.js" in page
    script = client.get("/static/explorers/graphiql-init.js").text
    assert "isHeadersEditorEnabled: true" in script and "explorerPlugin()" in script
    assert "shouldPersistHeaders: false" in script  # a pasted key is not left in localStorage


def test_no_file_of_the_package_names_a_cdn_host():
    named = [
        str(path.relative_to(REPO))
        for path in (REPO / "traceapi").rglob("*")
        if path.is_file()
        and path.suffix != ".pyc"
        and CDN.search(path.read_bytes().decode("latin-1"))
    ]
    assert named == []


def test_the_vendored_files_match_their_manifest():
    done = subprocess.run(
        [sys.executable, str(REPO / "tools" / "vendor_assets.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for name in ("react", "graphiql", "swagger-ui", "redoc", "htmx", "cytoscape"):
        assert (STATIC_DIR / "vendor" / name / "LICENSE").is_file(), name


def test_docs_behind_a_key_are_our_pages_too(api_settings, api_store, keys):
    keyed = api_settings.model_copy(update={"docs_access": "key"})
    with make_client(keyed, api_store) as client:
        for path in ("/docs", "/redoc"):
            assert client.get(path).status_code == 401, path
            page = client.get(path, headers=auth(keys["viewer"]))
            assert page.status_code == 200 and "/static/vendor/" in page.text, path
            assert not CDN.search(page.text)


def test_json_answers_carry_the_security_headers_too(client, viewer):
    answer = client.get("/api/v1/lots", headers=viewer)
    assert answer.headers["content-security-policy"].startswith("default-src 'none'")
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "same-origin"
