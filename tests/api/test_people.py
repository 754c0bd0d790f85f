"""People through the real ASGI app: login to a token used like a key, lockout after five
failures (each audited), records with ETag / If-Match, and signatures that need the password."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.fixtures import auth
from tests.records_helpers import OPERATOR, PASSWORD, cheap_hasher
from traceapi.domain.security import Role
from traceapi.services import users
from traceapi.store.embedded import EmbeddedStore


@pytest.fixture(autouse=True)
def _cheap(monkeypatch: pytest.MonkeyPatch) -> None:
    cheap_hasher(monkeypatch)


@pytest.fixture
def people(api_store: EmbeddedStore) -> None:
    for username, roles in (("alice", [Role.COORDINATOR]), ("quinn", [Role.QA, Role.VIEWER])):
        users.create_user(
            api_store,
            OPERATOR,
            username=username,
            printed_name=f"{username.title()} Person",
            roles=roles,
            password=PASSWORD,
        )


def _login(client: Any, username: str, password: str = PASSWORD) -> Any:
    return client.post("/api/v1/auth/login", json={"username": username, "password": password})


def _token(client: Any, username: str) -> dict[str, str]:
    answer = _login(client, username)
    assert answer.status_code == 200, answer.text
    return auth(answer.json()["token"])


def test_a_login_token_is_accepted_wherever_a_key_is(client, people, api_store) -> None:
    answer = _login(client, "quinn")
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"token", "expires_at"} and body["token"].startswith("trs_")
    headers = auth(body["token"])
    assert client.get("/api/v1/lots", headers=headers).status_code == 200
    assert client.get("/api/v1/audit/verify", headers=headers).status_code == 200  # qa
    gql = client.post(
        "/graphql", json={"query": "{ lots(first: 1) { edges { node { id } } } }"}, headers=headers
    )
    assert gql.status_code == 200 and "errors" not in gql.json()
    assert client.get("/api/v1/lots", headers=auth("trs_made-up")).status_code == 401
    [entry] = [e for e in api_store.audit_entries(limit=1000) if e.action == "user.login"]
    assert entry.actor_name == "Quinn Person" and entry.auth_method == "password"
    assert entry.client_address == "testclient" and entry.request_id


def test_five_failed_logins_lock_the_account_and_each_is_audited(client, people, api_store) -> None:
    for _ in range(5):
        assert _login(client, "alice", "not the password").status_code == 401
    locked = _login(client, "alice")  # the right password, too late
    assert locked.status_code == 401 and "locked" in locked.json()["error"]["message"]
    actions = [e.action for e in api_store.audit_entries(limit=1000)]
    assert actions.count("security.login_failed") == 6
    assert actions.count("security.account_locked") == 1
    stored = api_store.get_user("alice")
    assert stored is not None and stored.locked_at is not None and stored.failed_logins == 5
    users.reset_password(api_store, OPERATOR, username="alice", password=PASSWORD + "!")
    assert _login(client, "alice", PASSWORD + "!").status_code == 200


def test_a_login_body_with_unknown_fields_is_refused(client, people) -> None:
    answer = client.post(
        "/api/v1/auth/login", json={"username": "quinn", "password": PASSWORD, "role": "admin"}
    )
    assert answer.status_code == 422 and "role" in answer.text


def test_records_carry_etags_and_stale_if_match_is_412(client, people, keys) -> None:
    alice = _token(client, "alice")
    made = client.post("/api/v1/anomalies", json={"title": "Leak", "lots": ["RM-1"]}, headers=alice)
    assert made.status_code in (201, 404), made.text
    if made.status_code == 404:  # the test genealogy names its lots otherwise: link none
        assert made.json()["error"]["details"]["ids"] == ["RM-1"]
        made = client.post("/api/v1/anomalies", json={"title": "Leak"}, headers=alice)
    assert made.status_code == 201 and made.headers["etag"] == '"1"'
    record_id = made.json()["id"]
    changed = client.patch(
        f"/api/v1/anomalies/{record_id}",
        json={"description": "drips"},
        headers={**alice, "If-Match": '"1"'},
    )
    assert changed.status_code == 200 and changed.headers["etag"] == '"2"'
    stale = client.patch(
        f"/api/v1/anomalies/{record_id}",
        json={"description": "again"},
        headers={**alice, "If-Match": '"1"'},
    )
    assert stale.status_code == 412
    assert stale.json()["error"]["details"]["current_version"] == 2
    missing = client.patch(f"/api/v1/anomalies/{record_id}", json={"title": "x"}, headers=alice)
    assert missing.status_code == 422 and missing.json()["error"]["details"]["field"] == "If-Match"
    forged = client.patch(
        f"/api/v1/anomalies/{record_id}",
        json={"title": "x", "updated_by": "mallory"},
        headers={**alice, "If-Match": '"2"'},
    )
    assert forged.status_code == 422 and "updated_by" in forged.text
    wrong_state = client.post(
        f"/api/v1/anomalies/{record_id}/transitions",
        json={"action": "close", "reason": "done"},
        headers={**alice, "If-Match": '"2"'},
    )
    assert wrong_state.status_code in (403, 409)
    assert client.get("/api/v1/anomalies/ANO-NOPE", headers=alice).status_code == 404
    viewer = client.get(f"/api/v1/records/{record_id}", headers=auth(keys["viewer"]))
    assert viewer.status_code == 200 and viewer.json()["version"] == 2
    history = client.get(
        f"/api/v1/records/{record_id}/history",
        params={"as_of": made.json()["updated_at"]},
        headers=alice,
    )
    assert history.status_code == 200
    assert history.json()["state_then"]["version"] == 1
    assert "description" not in history.json()["state_then"]["data"]
    assert history.json()["audit_agrees"] is True
    now = client.get(f"/api/v1/records/{record_id}/history", headers=alice).json()
    assert (
        now["audit_agrees"] is True and now["rebuilt_from_audit"]["data"]["description"] == "drips"
    )


def test_signing_needs_the_password_and_never_an_api_key(client, people, keys, api_store) -> None:
    alice, quinn = _token(client, "alice"), _token(client, "quinn")
    record_id = client.post("/api/v1/anomalies", json={"title": "Leak"}, headers=alice).json()["id"]
    path = f"/api/v1/records/{record_id}/signatures"
    review = {"meaning": "review", "password": PASSWORD}
    for secret in (keys["admin"], keys["qa"], keys["system"]):
        refused = client.post(
            path, json={"signature": review}, headers={**auth(secret), "If-Match": '"1"'}
        )
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["details"]["rule"] in {
            "api-keys-never-sign",
            "role-required",
        }
    no_password = client.post(
        path, json={"signature": {"meaning": "review"}}, headers={**quinn, "If-Match": '"1"'}
    )
    assert no_password.status_code == 401
    wrong = client.post(
        path,
        json={"signature": {"meaning": "review", "password": "nope nope nope"}},
        headers={**quinn, "If-Match": '"1"'},
    )
    assert wrong.status_code == 401
    signed = client.post(path, json={"signature": review}, headers={**quinn, "If-Match": '"1"'})
    assert signed.status_code == 201, signed.text
    assert signed.json()["printed_name"] == "Quinn Person"
    shown = client.get(f"/api/v1/anomalies/{record_id}", headers=alice).json()
    [check] = shown["signatures"]
    assert check["status"] == "valid" and check["signature"]["meaning"] == "review"
    client.patch(
        f"/api/v1/anomalies/{record_id}",
        json={"description": "edited after signing"},
        headers={**alice, "If-Match": '"1"'},
    )
    [after] = client.get(f"/api/v1/anomalies/{record_id}", headers=alice).json()["signatures"]
    assert after["status"] == "superseded"
    signs = [e for e in api_store.audit_entries(limit=1000) if e.action == "anomaly.sign"]
    assert len(signs) == 1 and signs[0].auth_method == "token"


def test_an_idempotency_key_gives_one_effect_and_the_first_answer_again(
    client, people, api_store
) -> None:
    alice = _token(client, "alice")
    once = {**alice, "Idempotency-Key": "raise-leak-1"}
    first = client.post("/api/v1/anomalies", json={"title": "Leak"}, headers=once)
    again = client.post("/api/v1/anomalies", json={"title": "Leak"}, headers=once)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["etag"] == '"1"'
    assert len(api_store.list_records(kind="anomaly")) == 1
    other = client.post("/api/v1/anomalies", json={"title": "Other"}, headers=once)
    assert other.status_code == 422
    assert other.json()["error"]["details"]["field"] == "Idempotency-Key"
    record_id = first.json()["id"]
    path = f"/api/v1/anomalies/{record_id}/transitions"
    move = {**alice, "If-Match": '"1"', "Idempotency-Key": "investigate-1"}
    moved = client.post(path, json={"action": "investigate"}, headers=move)
    replayed = client.post(path, json={"action": "investigate"}, headers=move)
    assert moved.status_code == replayed.status_code == 200
    assert replayed.json()["version"] == 2
    refused = {**alice, "If-Match": '"9"', "Idempotency-Key": "stale-1"}
    stale = client.post(path, json={"action": "void", "reason": "x"}, headers=refused)
    assert stale.status_code in (403, 412)
    assert client.post(path, json={"action": "void", "reason": "x"}, headers=refused).json() == (
        stale.json()
    )
    entries = [e.action for e in api_store.audit_entries(limit=1000)]
    assert entries.count("anomaly.create") == 1 and entries.count("anomaly.investigate") == 1
    quinn = _token(client, "quinn")  # keys are per caller: quinn's own key runs anew
    theirs = client.post(
        "/api/v1/anomalies",
        json={"title": "Leak"},
        headers={**quinn, "Idempotency-Key": "raise-leak-1"},
    )
    assert theirs.status_code == 201 and theirs.json()["id"] != record_id


def test_signatures_appear_in_every_rendering_of_the_record(client, people) -> None:
    alice, quinn = _token(client, "alice"), _token(client, "quinn")
    record_id = client.post(
        "/api/v1/anomalies", json={"title": "Leak <b>", "description": "x,y"}, headers=alice
    ).json()["id"]
    signed = client.post(
        f"/api/v1/records/{record_id}/signatures",
        json={"signature": {"meaning": "review", "password": PASSWORD}},
        headers={**quinn, "If-Match": '"1"'},
    ).json()
    as_json = client.get(f"/api/v1/records/{record_id}", headers=alice).json()
    [check] = as_json["signatures"]
    assert check["signature"]["printed_name"] == "Quinn Person" and check["status"] == "valid"
    as_csv = client.get(f"/api/v1/records/{record_id}", headers={**alice, "Accept": "text/csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    [row] = [r for r in rows if r["section"] == "signature"]
    assert (row["signed_by"], row["meaning"], row["status"]) == ("Quinn Person", "review", "valid")
    assert row["signed_at_utc"] == signed["signed_at"].replace("Z", "+00:00")
    assert {r["name"]: r["value"] for r in rows if r["section"] == "field"}["description"] == "x,y"
    as_html = client.get(f"/api/v1/records/{record_id}", headers={**alice, "Accept": "text/html"})
    assert as_html.headers["content-type"].startswith("text/html")
    assert "Quinn Person" in as_html.text and "review" in as_html.text
    assert "Leak &lt;b&gt;" in as_html.text and "<script" not in as_html.text


def test_audit_verify_against_a_signed_checkpoint(client, keys, api_store, api_settings) -> None:
    from traceapi.services.audit import sign_checkpoint, signing_key, take_checkpoint

    qa = auth(keys["qa"])
    key = signing_key(api_settings.data_dir, create=True)
    assert key is not None
    checkpoint = sign_checkpoint(take_checkpoint(api_store), key)
    body = checkpoint.model_dump(mode="json")
    ok = client.post("/api/v1/audit/verify", json=body, headers=qa)
    assert ok.status_code == 200 and ok.json()["ok"] is True
    assert ok.json()["checkpoint_seq"] == checkpoint.seq
    forged = client.post("/api/v1/audit/verify", json={**body, "seq": 1}, headers=qa)
    assert forged.status_code == 422
    assert forged.json()["error"]["details"]["field"] == "checkpoint"
    ahead = sign_checkpoint(checkpoint.model_copy(update={"seq": checkpoint.seq + 5}), key)
    missing = client.post("/api/v1/audit/verify", json=ahead.model_dump(mode="json"), headers=qa)
    assert missing.status_code == 200 and missing.json()["ok"] is False
    viewer = client.post("/api/v1/audit/verify", json=body, headers=auth(keys["viewer"]))
    assert viewer.status_code == 403
