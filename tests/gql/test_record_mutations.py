"""Record mutations through the real ASGI app: expectedVersion, refusals with their codes, and
signing that needs the password (never an API key)."""

from __future__ import annotations

import pytest

from tests.api.fixtures import auth, gql
from tests.records_helpers import OPERATOR, PASSWORD, cheap_hasher
from traceapi.domain.security import Role
from traceapi.services import users

RAISE = "mutation($t: String!) { raiseAnomaly(title: $t) { id version state allowedActions } }"
MOVE = """mutation($id: ID!, $v: Int!, $a: String!, $r: String, $s: SignatureInput) {
  transitionAnomaly(id: $id, expectedVersion: $v, action: $a, reason: $r, signature: $s) {
    version state signatures { printedName meaning status recordVersion } } }"""


@pytest.fixture(autouse=True)
def _cheap(monkeypatch: pytest.MonkeyPatch) -> None:
    cheap_hasher(monkeypatch)


def _person(client, api_store, username: str, *roles: Role) -> dict[str, str]:
    users.create_user(
        api_store,
        OPERATOR,
        username=username,
        printed_name=username.title(),
        roles=list(roles),
        password=PASSWORD,
    )
    answer = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    return auth(answer.json()["token"])


def test_raise_move_and_close_an_anomaly_in_graphql(client, api_store, keys) -> None:
    alice = _person(client, api_store, "alice", Role.COORDINATOR)
    quinn = _person(client, api_store, "quinn", Role.QA)
    made = gql(client, RAISE, alice, t="Leak")["data"]["raiseAnomaly"]
    assert (made["version"], made["state"]) == (1, "open")
    assert made["allowedActions"] == ["investigate", "void"]
    record_id = made["id"]
    stale = gql(client, MOVE, alice, id=record_id, v=5, a="investigate")
    assert stale["errors"][0]["extensions"]["code"] == "CONFLICT"
    assert stale["errors"][0]["extensions"]["details"]["current_version"] == 1
    step = gql(client, MOVE, alice, id=record_id, v=1, a="investigate")["data"]
    assert step["transitionAnomaly"]["version"] == 2
    gql(client, MOVE, alice, id=record_id, v=2, a="disposition", r="scrap")
    sig = {"password": PASSWORD, "meaning": "approval"}
    by_key = gql(client, MOVE, auth(keys["qa"]), id=record_id, v=3, a="close", r="ok", s=sig)
    assert by_key["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert by_key["errors"][0]["extensions"]["details"]["rule"] == "api-keys-never-sign"
    no_reason = gql(client, MOVE, quinn, id=record_id, v=3, a="close", s=sig)
    assert no_reason["errors"][0]["extensions"]["details"] == {"field": "reason"}
    closed = gql(client, MOVE, quinn, id=record_id, v=3, a="close", r="ok", s=sig)["data"]
    record = closed["transitionAnomaly"]
    assert record["state"] == "closed" and record["signatures"] == [
        {"printedName": "Quinn", "meaning": "approval", "status": "valid", "recordVersion": 4}
    ]
    read = gql(
        client,
        "query($id: ID!) { record(id: $id) { version state } }",
        auth(keys["viewer"]),
        id=record_id,
    )
    assert read["data"]["record"] == {"version": 4, "state": "closed"}
    none = gql(client, '{ record(id: "ANO-NOPE") { id } }', auth(keys["viewer"]))
    assert none["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    actions = [e.action for e in api_store.audit_entries(limit=1000) if e.entity_id == record_id]
    assert actions == [
        "anomaly.create",
        "anomaly.investigate",
        "anomaly.disposition",
        "anomaly.close",
    ]
