"""The console through the real ASGI app: sign-in with an API key into a session cookie that
never holds the key, CSRF on every form, a revoked key ending its session, search by any
identifier, the lot's file, the genealogy data, impact and its CSV, and the security headers."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.api.genealogy import FG_DIGITAL_LINK, FG_ELEMENT_STRING, FINISHED_LOT, RESIN_LOT
from tests.records_helpers import OPERATOR, PASSWORD, cheap_hasher
from traceapi.console.sessions import SESSION_COOKIE
from traceapi.domain.security import Role
from traceapi.services import users
from traceapi.services.keys import list_keys, revoke_key

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def sign_in(client, secret=None, **person):
    form = client.get("/console/sign-in")
    token = TOKEN.search(form.text).group(1)
    fields = {"api_key": secret} if secret is not None else person
    return client.post(
        "/console/sign-in",
        data={"csrf_token": token, "next": "/console", **fields},
        follow_redirects=False,
    )


@pytest.fixture
def alice(api_store, monkeypatch):
    """A coordinator who signs in with her password."""
    cheap_hasher(monkeypatch)
    users.create_user(
        api_store,
        OPERATOR,
        username="alice",
        printed_name="Alice Coordinator",
        roles=[Role.COORDINATOR],
        password=PASSWORD,
    )
    return "alice"


@pytest.fixture
def signed_in(client, keys):
    answer = sign_in(client, keys["viewer"])
    assert answer.status_code == 303, answer.text
    return client


def csrf_of(client):
    return TOKEN.search(client.get("/console").text).group(1)


def test_the_root_and_the_console_lead_to_sign_in(client):
    assert client.get("/", follow_redirects=False).headers["location"] == "/console"
    answer = client.get("/console", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/console/sign-in")


def test_sign_in_sets_a_strict_http_only_cookie_that_is_not_the_key(client, keys):
    answer = sign_in(client, keys["viewer"])
    assert answer.status_code == 303 and answer.headers["location"] == "/console"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie  # plain HTTP here; over TLS the cookie is Secure
    value = cookie.split(";")[0].split("=", 1)[1]
    assert keys["viewer"] not in cookie and len(value) >= 40
    assert "viewer key" in client.get("/console").text


def test_over_tls_the_session_cookie_is_secure(api_settings, api_store, keys):
    from fastapi.testclient import TestClient

    from traceapi.api.app import create_app

    with TestClient(
        create_app(api_settings, store=api_store), base_url="https://testserver"
    ) as tls:
        answer = sign_in(tls, keys["viewer"])
        cookies = answer.headers.get_list("set-cookie")
        assert any(c.startswith(SESSION_COOKIE) and "Secure" in c for c in cookies)


def test_a_person_signs_in_with_username_and_password(client, alice, api_store):
    answer = sign_in(client, username=alice, password=PASSWORD)
    assert answer.status_code == 303, answer.text
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE))
    assert PASSWORD not in cookie and "trs_" not in cookie and "HttpOnly" in cookie
    header = client.get("/console").text
    assert "Alice Coordinator" in header and "coordinator" in header
    assert any(e.action == "user.login" for e in api_store.audit_entries(limit=10_000))


def test_a_wrong_password_is_refused_audited_and_opens_nothing(client, alice, api_store):
    answer = sign_in(client, username=alice, password="not her password")
    assert answer.status_code == 401 and "wrong username or password" in answer.text
    assert SESSION_COOKIE not in "".join(answer.headers.get_list("set-cookie"))
    assert client.get("/console", follow_redirects=False).status_code == 303
    failed = [
        e for e in api_store.audit_entries(limit=10_000) if e.action == "security.login_failed"
    ]
    assert failed


def test_a_disabled_account_ends_its_console_session(client, alice, api_store):
    assert sign_in(client, username=alice, password=PASSWORD).status_code == 303
    assert client.get("/console", follow_redirects=False).status_code == 200
    users.disable_user(api_store, OPERATOR, username=alice)
    client.app.state.key_cache.clear()  # the 5-second cache of valid tokens, as for keys
    answer = client.get("/console", follow_redirects=False)
    assert answer.status_code == 303 and "/console/sign-in" in answer.headers["location"]


def test_a_wrong_key_is_refused_with_the_reason(client, keys):
    answer = sign_in(client, keys["unknown"])
    assert answer.status_code == 401 and "unknown" in answer.text.lower()
    assert SESSION_COOKIE not in "".join(answer.headers.get_list("set-cookie"))


def test_sign_in_without_its_form_token_is_refused(client, keys):
    client.get("/console/sign-in")
    answer = client.post(
        "/console/sign-in", data={"csrf_token": "forged", "api_key": keys["viewer"]}
    )
    assert answer.status_code == 403
    assert SESSION_COOKIE not in client.cookies


def test_a_form_from_another_origin_is_refused(signed_in):
    token = csrf_of(signed_in)
    answer = signed_in.post(
        "/console/impact",
        data={"csrf_token": token, "lots": RESIN_LOT},
        headers={"Origin": "http://evil.example"},
    )
    assert answer.status_code == 403


def test_every_form_needs_the_sessions_csrf_token(signed_in):
    forms = ("/console/impact", "/console/impact/consignees.csv", "/console/impact/consignees.xlsx")
    for path in (*forms, "/console/sign-out"):
        answer = signed_in.post(path, data={"lots": RESIN_LOT, "csrf_token": "nope"})
        assert answer.status_code == 403, path
    assert signed_in.get("/console", follow_redirects=False).status_code == 200  # still in


def test_a_revoked_key_ends_its_session_at_once(signed_in, api_store):
    viewer = next(k for k in list_keys(api_store) if k.name == "viewer key")
    revoke_key(api_store, key_id=viewer.key_id, actor="tests")
    answer = signed_in.get("/console", follow_redirects=False)
    assert answer.status_code == 303 and "/console/sign-in" in answer.headers["location"]


def test_sign_out_ends_the_session(signed_in):
    answer = signed_in.post(
        "/console/sign-out", data={"csrf_token": csrf_of(signed_in)}, follow_redirects=False
    )
    assert answer.status_code == 303
    assert signed_in.get("/console", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("typed", [FINISHED_LOT, FG_ELEMENT_STRING, FG_DIGITAL_LINK])
def test_search_by_any_identifier_opens_the_lots_file(signed_in, typed):
    answer = signed_in.get("/console/search", params={"q": typed}, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/console/lots/{FINISHED_LOT}"


def test_search_for_other_nodes_and_for_nothing(signed_in):
    answer = signed_in.get("/console/search", params={"q": "CUS-DIST"}, follow_redirects=False)
    assert answer.headers["location"] == "/console/nodes/CUS-DIST"
    assert "MedDist" in signed_in.get("/console/nodes/CUS-DIST").text
    missing = signed_in.get("/console/search", params={"q": "NO-SUCH-LOT"})
    assert missing.status_code == 404 and "NO-SUCH-LOT" in missing.text


def test_the_lots_file_holds_its_whole_neighbourhood(signed_in):
    page = signed_in.get(f"/console/lots/{FINISHED_LOT}").text
    for expected in ("MAT-SET", "PS-ASM-1", "EQ-ASM-1", "TUB-1", "RM-CLAMP-77", "INS-1", "SHP-1"):
        assert expected in page, expected
    assert "CUS-DIST" in page and "CUS-HOSP" in page  # whom its shipments reached
    upstream = signed_in.get("/console/lots/TUB-1").text
    assert "RM-RESIN-2291" in upstream  # the input of the step that made it
    assert "melt_c = 190" in upstream  # process parameters of the step that made it


def test_the_lots_file_loads_its_stock_by_holder(signed_in):
    page = signed_in.get(f"/console/lots/{FINISHED_LOT}").text
    assert f'hx-get="/console/lots/{FINISHED_LOT}/stock"' in page
    part = signed_in.get(f"/console/lots/{FINISHED_LOT}/stock", headers={"HX-Request": "true"})
    assert part.status_code == 200 and "<html" not in part.text
    rows = re.findall(r"<tr><td>(.*?)</td>\s*<td[^>]*>([^<]*)</td>", part.text, re.S)
    holders = {re.sub(r"<[^>]+>", "", who).split()[0]: held.split()[0] for who, held in rows}
    assert float(holders["us"]) == 20  # the lot's recorded on_hand
    assert holders["CUS-DIST"] == "40.0" and holders["CUS-HOSP"] == "20.0"  # 60 in, 20 on
    whole = signed_in.get(f"/console/lots/{FINISHED_LOT}/stock")
    assert "<html" in whole.text and "Stock of" in whole.text


def test_a_held_lot_is_marked(signed_in):
    assert "must not move on" in signed_in.get("/console/lots/FG-2").text
    assert "must not move on" not in signed_in.get(f"/console/lots/{FINISHED_LOT}").text


def test_the_genealogy_data_draws_nodes_edges_and_onward_shipments(signed_in):
    data = signed_in.get(f"/console/lots/{RESIN_LOT}/genealogy.json").json()
    nodes = {e["data"]["id"]: e["data"] for e in data["elements"] if e["group"] == "nodes"}
    edges = [e["data"] for e in data["elements"] if e["group"] == "edges"]
    assert {RESIN_LOT, "TUB-1", FINISHED_LOT, "SHP-2", "CUS-HOSP"} <= nodes.keys()
    assert nodes[RESIN_LOT]["seed"] and nodes["CUS-HOSP"]["url"] == "/console/nodes/CUS-HOSP"
    assert any(e["style"] == "onward" and e["source"] == "CUS-DIST" for e in edges)
    upstream = signed_in.get(
        f"/console/lots/{FINISHED_LOT}/genealogy.json", params={"direction": "where-from"}
    ).json()
    assert any(e["data"]["id"] == "SUP-RESIN" for e in upstream["elements"])
    held = signed_in.get("/console/lots/RM-RESIN-2292/genealogy.json").json()
    assert any(e["data"].get("held") for e in held["elements"] if e["group"] == "nodes")


def test_impact_shows_consignees_by_tier_and_downloads_the_csv(signed_in):
    token = csrf_of(signed_in)
    page = signed_in.post("/console/impact", data={"csrf_token": token, "lots": RESIN_LOT})
    assert page.status_code == 200
    assert "Consignees by tier" in page.text and "CUS-HOSP" in page.text
    download = signed_in.post(
        "/console/impact/consignees.csv", data={"csrf_token": token, "lots": RESIN_LOT}
    )
    assert download.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert {(r["customer_id"], r["tier"], r["route"]) for r in rows} >= {
        ("CUS-DIST", "1", "direct"),
        ("CUS-HOSP", "2", "onward"),
    }


def test_the_xlsx_download_is_the_csv_cell_for_cell(signed_in):
    from openpyxl import load_workbook

    token = csrf_of(signed_in)
    form = {"csrf_token": token, "lots": RESIN_LOT}
    text = signed_in.post("/console/impact/consignees.csv", data=form).text
    book = signed_in.post("/console/impact/consignees.xlsx", data=form)
    assert book.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert 'filename="consignees.xlsx"' in book.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(book.content)).active
    cells = [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]
    rows = list(csv.reader(io.StringIO(text)))
    assert cells[0] == rows[0]
    tier, quantity = rows[0].index("tier"), rows[0].index("quantity")
    for got, want in zip(cells[1:], rows[1:], strict=True):
        assert got[tier] == int(want[tier]) and got[quantity] == float(want[quantity])
        assert [str(v) for i, v in enumerate(got) if i not in (tier, quantity)] == [
            v for i, v in enumerate(want) if i not in (tier, quantity)
        ]
    assert signed_in.post("/console/impact/consignees.pdf", data=form).status_code == 422


def test_impact_of_nothing_or_of_an_unknown_lot_says_so(signed_in):
    token = csrf_of(signed_in)
    empty = signed_in.post("/console/impact", data={"csrf_token": token, "lots": "  "})
    assert empty.status_code == 422 and "at least one lot" in empty.text
    unknown = signed_in.post("/console/impact", data={"csrf_token": token, "lots": "NOPE-1"})
    assert unknown.status_code == 404 and "NOPE-1" in unknown.text


def test_console_pages_carry_the_security_headers(signed_in):
    for path in ("/console", f"/console/lots/{FINISHED_LOT}", "/console/sign-in"):
        headers = signed_in.get(path).headers
        policy = headers["content-security-policy"]
        assert "default-src 'self'" in policy and "script-src 'self';" in policy, path
        assert "'unsafe-inline'" not in policy and "frame-ancestors 'none'" in policy
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"


def test_after_sign_in_only_console_paths_are_followed(client, keys):
    form = client.get("/console/sign-in")
    token = TOKEN.search(form.text).group(1)
    answer = client.post(
        "/console/sign-in",
        data={"csrf_token": token, "api_key": keys["viewer"], "next": "https://evil.example/"},
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/console"
