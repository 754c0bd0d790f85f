"""16 people writing at once through a real uvicorn on 127.0.0.1, 100 audited changes each:
every change lands once, the trail's seq has no gap and its chain verifies."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest

from tests.api.server import uvicorn_server
from tests.records_helpers import OPERATOR, PASSWORD, cheap_hasher
from traceapi.domain.security import Role
from traceapi.services import users
from traceapi.services.audit import verify_chain
from traceapi.store.embedded import EmbeddedStore

pytestmark = pytest.mark.slow
WRITERS = 16
CHANGES = 100


def test_sixteen_writers_leave_a_gap_free_verifying_trail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cheap_hasher(monkeypatch)  # the hashes carry their cost: the server checks them as cheaply
    data_dir = tmp_path / "data"
    with EmbeddedStore(data_dir / "traceapi.sqlite3") as store:
        for number in range(WRITERS):
            users.create_user(
                store,
                OPERATOR,
                username=f"writer{number}",
                printed_name=f"Writer {number}",
                roles=[Role.COORDINATOR],
                password=PASSWORD,
            )
    failures: list[str] = []
    made: list[str] = []
    with uvicorn_server(data_dir, rate_per_address="0", rate_per_key="0") as base:

        def writer(number: int) -> None:
            with httpx.Client(base_url=base, timeout=30) as client:
                login = client.post(
                    "/api/v1/auth/login",
                    json={"username": f"writer{number}", "password": PASSWORD},
                )
                headers = {"Authorization": f"Bearer {login.json()['token']}"}
                created = client.post(
                    "/api/v1/anomalies", json={"title": f"w{number} 0"}, headers=headers
                )
                if created.status_code != 201:
                    failures.append(created.text)
                    return
                record_id = created.json()["id"]
                made.append(record_id)
                for step in range(1, CHANGES):
                    answer = client.patch(
                        f"/api/v1/anomalies/{record_id}",
                        json={"title": f"w{number} {step}"},
                        headers={**headers, "If-Match": f'"{step}"'},
                    )
                    if answer.status_code != 200:
                        failures.append(f"{answer.status_code} {answer.text}")
                        return

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failures == []
    with EmbeddedStore(data_dir / "traceapi.sqlite3") as store:
        entries = store.audit_entries(limit=100_000)
        assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
        changes = [e for e in entries if e.action.startswith("anomaly.")]
        assert len(changes) == WRITERS * CHANGES
        assert all(e.request_id and e.client_address == "127.0.0.1" for e in changes)
        for record_id in made:
            stored = store.get_record(record_id)
            assert stored is not None and stored.version == CHANGES
        result = verify_chain(store)
        assert result.ok and result.checked == len(entries)
