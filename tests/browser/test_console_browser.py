"""The console and the explorers in a real browser (Debian's chromium) against a real uvicorn
on a small demo: a coordinator signs in with her password, searches the contaminated resin by
its supplier lot number, opens its file, draws its genealogy and clicks through, runs its
impact and downloads the consignee CSV and XLSX; every page loads with no request to another
host and no console error.

Screenshots go to ``TRACEAPI_SCREENSHOTS`` when set (``docs/img`` for the docs), else to a
temporary folder.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from openpyxl import load_workbook

from tests.browser.conftest import PERSON, PERSON_NAME, PERSON_PASSWORD, Demo, Recorder, sign_in

pytestmark = pytest.mark.slow


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("TRACEAPI_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def drawn_nodes(page: Any) -> int:
    # The page's script marks the container once drawn (wait_for_function would need eval,
    # which the console's Content-Security-Policy refuses, as it should).
    page.wait_for_selector("#genealogy[data-nodes]", state="attached", timeout=15000)
    return int(page.evaluate("window.traceapiGenealogy.nodes().length"))


def click_node(page: Any, node_id: str) -> None:
    """Clicks where the node is drawn on the canvas, as a person would."""
    box = page.locator("#genealogy").bounding_box()
    spot = page.evaluate(
        "(id) => { const n = window.traceapiGenealogy.$id(id); "
        "return n.nonempty() ? n.renderedPosition() : null; }",
        node_id,
    )
    assert spot is not None, f"{node_id} is not drawn"
    page.mouse.click(box["x"] + spot["x"], box["y"] + spot["y"])


def test_a_coordinator_walks_a_recall_through_the_console(
    server: str, demo: Demo, recorded: tuple[Any, Recorder], shots: Path
) -> None:
    page, recorder = recorded
    resin = demo.stories["contaminated_resin"]
    lot_id, supplier_lot = resin["lot_id"], resin["supplier_lot"]
    page.goto(f"{server}/console")
    page.wait_for_url("**/console/sign-in**")
    page.screenshot(path=str(shots / "console-sign-in.png"))
    page.fill("#username", PERSON)  # a person, with the write side's password login
    page.fill("#password", PERSON_PASSWORD)
    page.click("#person-sign-in button[type=submit]")
    page.wait_for_url(f"{server}/console")
    assert PERSON_NAME in page.inner_text("header") and "coordinator" in page.inner_text("header")

    page.fill("#q", supplier_lot)  # the number on the supplier's certificate
    page.click(".search button[type=submit]")
    page.wait_for_url(f"**/console/lots/{lot_id}")
    assert lot_id in page.inner_text("h1")
    assert resin["supplier_id"] in page.inner_text("main")

    page.click("text=Genealogy: where-used")
    nodes = drawn_nodes(page)
    served = page.evaluate(
        f"fetch('/console/lots/{lot_id}/genealogy.json').then(r => r.json())"
        ".then(d => d.elements.filter(e => e.group === 'nodes').length)"
    )
    assert nodes == served and nodes > len(resin["finished_lots"])
    drawn = page.evaluate("window.traceapiGenealogy.nodes().map(n => n.id())")
    assert set(resin["finished_lots"]) <= set(drawn)
    onward = page.evaluate("window.traceapiGenealogy.edges('[style = \"onward\"]').length")
    assert onward > 0  # distributors ship on: drawn as onward shipments
    print(f"genealogy of {lot_id}: {nodes} nodes drawn in "
          f"{page.get_attribute('#genealogy', 'data-drawn-ms')} ms")  # fmt: skip
    page.screenshot(path=str(shots / "console-genealogy.png"))
    finished = resin["finished_lots"][0]
    click_node(page, finished)
    page.wait_for_url(f"**/console/lots/{finished}")
    assert "Inspections" in page.inner_text("main") and "Shipments" in page.inner_text("main")
    page.wait_for_selector("#lot-stock table")  # htmx loads the stock by holder after the page
    assert page.locator("#lot-stock tbody tr").count() >= 1  # a shipped lot: some holder has it
    page.screenshot(path=str(shots / "console-lot.png"), full_page=True)

    page.goto(f"{server}/console/impact?lots={quote(supplier_lot)}")
    page.click("#impact-form button[type=submit]")
    page.wait_for_selector("#impact-consignees table")
    assert "Consignees by tier" in page.inner_text("#impact-result")
    page.screenshot(path=str(shots / "console-impact.png"))
    with page.expect_download() as download_info:
        page.click("#download-csv")
    download = download_info.value
    assert download.suggested_filename == "consignees.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert {r["customer_id"] for r in rows} == set(resin["customers"])
    assert {r["tier"] for r in rows} >= {"1", "2"}
    with page.expect_download() as download_info:
        page.click("#download-xlsx")
    sheet = load_workbook(io.BytesIO(Path(download_info.value.path()).read_bytes())).active
    assert sheet is not None
    header, *cells = list(sheet.iter_rows(values_only=True))
    customer = header.index("customer_id")
    assert {row[customer] for row in cells} == set(resin["customers"]) and len(cells) == len(rows)
    assert not [u for u in recorder.requests if "tra_" in u]  # the key never travels in a URL


def test_every_console_page_loads_clean(
    server: str, demo: Demo, recorded: tuple[Any, Recorder]
) -> None:
    page, recorder = recorded
    resin = demo.stories["contaminated_resin"]
    sign_in(page, server, demo.keys["viewer"])
    lot, finished = resin["lot_id"], resin["finished_lots"][0]
    paths = [
        "/console",
        f"/console/search?q={quote(resin['supplier_lot'])}",
        f"/console/lots/{finished}",
        f"/console/lots/{finished}/genealogy?direction=where-from",
        f"/console/lots/{lot}/genealogy?direction=where-used",
        f"/console/nodes/{resin['supplier_id']}",
        f"/console/nodes/{resin['customers'][0]}",
        f"/console/nodes/{resin['shipments'][0]}",
        "/console/nodes/STER-02",
        f"/console/impact?lots={lot}",
        "/console/search?q=NO-SUCH-LOT",
    ]
    for path in paths:
        response = page.goto(server + path)
        assert response is not None
        expected = 404 if "NO-SUCH" in path else 200
        assert response.status == expected, path
        headers = response.all_headers()
        assert "default-src 'self'" in headers["content-security-policy"], path
        assert headers["x-frame-options"] == "DENY"
        if "genealogy" in path:
            assert drawn_nodes(page) > 0, path
        if expected == 404:  # chromium reports the document's own 404; that one is expected
            assert recorder.errors and "status of 404" in recorder.errors[-1]
            recorder.errors.pop()
    page.goto(f"{server}/console/impact?lots={lot}")
    page.click("#impact-form button[type=submit]")
    page.wait_for_selector("#impact-summary")
    recorder.check()
    assert len(recorder.requests) > len(paths)


@pytest.mark.parametrize(
    ("path", "rendered", "shot"),
    [
        ("/graphql", ".graphiql-container .graphiql-query-editor", "graphiql.png"),
        ("/docs", ".swagger-ui .opblock", "swagger-ui.png"),
        ("/redoc", ".api-content h1", "redoc.png"),
    ],
)
def test_the_explorers_render_with_nothing_from_outside(
    server: str, recorded: tuple[Any, Recorder], shots: Path, path: str, rendered: str, shot: str
) -> None:
    page, recorder = recorded
    page.goto(server + path)
    page.wait_for_selector(rendered, timeout=20000)
    if path == "/docs":
        assert page.locator(".opblock").count() >= 5  # the operations are listed
    if path == "/graphql":
        assert page.locator("text=Headers").count() >= 1
        page.wait_for_timeout(500)  # the introspection query goes out once the editor is up
        assert any(u.endswith("/graphql") for u in recorder.requests)
    page.screenshot(path=str(shots / shot))
    recorder.check()


def test_an_analyst_queries_in_graphiql_with_a_key_in_the_headers_pane(
    server: str, demo: Demo, recorded: tuple[Any, Recorder]
) -> None:
    page, _recorder = recorded
    lot_id = demo.stories["contaminated_resin"]["lot_id"]
    query = f'{{ lot(id: "{lot_id}") {{ id }} }}'
    page.goto(f"{server}/graphql?q={quote(query)}")
    page.wait_for_selector(".graphiql-query-editor .CodeMirror", timeout=20000)
    page.click("text=Headers")
    headers = page.locator(".graphiql-editor-tool .CodeMirror").last
    headers.click()
    page.keyboard.insert_text(f'{{"Authorization": "Bearer {demo.keys["viewer"]}"}}')
    page.click(".graphiql-execute-button")
    page.wait_for_selector(f".graphiql-response :text('{lot_id}')", timeout=15000)
    answer = page.inner_text(".graphiql-response")
    assert '"data"' in answer and "UNAUTHENTICATED" not in answer
