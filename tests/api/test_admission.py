"""Admission under attack: the in-flight bound, rates per address and per key, the throttle on
failed keys (audited), and a bounded overload run over real HTTP."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.api.fixtures import CountingStore, auth, make_client
from tests.api.genealogy import FINISHED_LOT, RESIN_LOT
from tests.api.server import uvicorn_server
from traceapi.api.admission import TokenBuckets
from traceapi.api.app import create_app


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_token_buckets_allow_the_burst_then_the_rate():
    clock = Clock()
    buckets = TokenBuckets(rate=2.0, burst=4.0, clock=clock)
    assert [buckets.take("a") for _ in range(4)] == [None] * 4
    assert buckets.take("a") == pytest.approx(0.5)  # one token comes back in 1/rate s
    assert buckets.take("b") is None  # names are apart
    clock.now = 0.5
    assert buckets.take("a") is None
    assert buckets.take("a") is not None
    clock.now = 100.0
    assert [buckets.take("a") for _ in range(4)] == [None] * 4  # refilled to the burst only
    assert buckets.take("a") is not None


def test_token_buckets_keep_a_bounded_number_of_names():
    buckets = TokenBuckets(rate=1.0, burst=1.0, max_names=100)
    for i in range(10_000):
        buckets.take(f"address-{i}")
    assert len(buckets._buckets) == 100


def test_requests_past_the_address_rate_get_429_with_retry_after(api_settings, api_store, keys):
    settings = api_settings.model_copy(update={"rate_per_address": 5.0})  # bursts of 10
    with make_client(settings, api_store) as client:
        statuses = [
            client.get(f"/api/v1/lots/{FINISHED_LOT}", headers=auth(keys["viewer"]))
            for _ in range(15)
        ]
        assert [r.status_code for r in statuses[:10]] == [200] * 10
        refused = [r for r in statuses if r.status_code == 429]
        assert len(refused) >= 4
        assert int(refused[0].headers["retry-after"]) >= 1
        assert refused[0].json()["error"]["code"] == "RATE_LIMITED"
        assert client.get("/livez").status_code == 200  # health is always admitted


def test_requests_past_the_key_rate_get_429_while_other_keys_go_on(api_settings, api_store, keys):
    settings = api_settings.model_copy(update={"rate_per_key": 3.0})  # bursts of 6
    with make_client(settings, api_store) as client:
        viewer = [client.get("/api/v1/lots", headers=auth(keys["viewer"])) for _ in range(8)]
        assert [r.status_code for r in viewer[:6]] == [200] * 6
        assert viewer[-1].status_code == 429
        assert "this key" in viewer[-1].json()["error"]["message"]
        assert client.get("/api/v1/lots", headers=auth(keys["qa"])).status_code == 200
        graphql = client.post(
            "/graphql",
            json={"query": "{ lots { edges { cursor } } }"},
            headers=auth(keys["viewer"]),
        )
        assert graphql.status_code == 429  # one rate for both interfaces


def test_failed_keys_are_throttled_and_audited(api_settings, api_store, keys):
    settings = api_settings.model_copy(update={"failed_keys_per_minute": 3})
    wrong = [f"tra_bad{i:05d}_{'x' * 32}" for i in range(6)]
    with make_client(settings, api_store) as client:
        before = len(api_store.audit_entries(limit=100_000))
        answers = [client.get("/api/v1/lots", headers=auth(secret)) for secret in wrong[:3]]
        assert [a.status_code for a in answers] == [401] * 3
        for secret in wrong[3:]:
            throttled = client.get("/api/v1/lots", headers=auth(secret))
            assert throttled.status_code == 429
            assert int(throttled.headers["retry-after"]) >= 1
        # GraphQL shares the throttle and says so with a code
        body = client.post(
            "/graphql", json={"query": "{ lots { edges { cursor } } }"}, headers=auth(wrong[0])
        ).json()
        assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        # the address is throttled even for a real key it has not used yet
        assert client.get("/api/v1/lots", headers=auth(keys["viewer"])).status_code == 429
    entries = api_store.audit_entries(limit=100_000)[before:]
    assert [e.action for e in entries] == [
        "security.key_refused",
        "security.key_refused",
        "security.address_throttled",
    ]
    assert [e.entity_id for e in entries] == ["bad00000", "bad00001", "bad00002"]
    assert all(e.new and e.new["address"] == "testclient" for e in entries)
    for entry in entries:  # never the secret
        assert "x" * 32 not in entry.model_dump_json()


class SlowStore(CountingStore):
    """The real store, every call taking 0.3 s (a busy disk)."""

    def __getattr__(self, name: str) -> Any:
        attribute = super().__getattr__(name)
        if not callable(attribute) or name == "get_api_key":
            return attribute

        def slow(*args: Any, **kwargs: Any) -> Any:
            time.sleep(0.3)
            return attribute(*args, **kwargs)

        return slow


def test_past_the_in_flight_bound_requests_get_503_at_once(api_settings, api_store, keys):
    settings = api_settings.model_copy(update={"max_in_flight": 3})
    app = create_app(settings, store=SlowStore(api_store))

    async def run() -> list[tuple[int, float, str | None]]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:

            async def one() -> tuple[int, float, str | None]:
                started = time.perf_counter()
                answer = await http.get(
                    f"/api/v1/lots/{FINISHED_LOT}", headers=auth(keys["viewer"])
                )
                return (
                    answer.status_code,
                    time.perf_counter() - started,
                    answer.headers.get("retry-after"),
                )

            return await asyncio.gather(*(one() for _ in range(12)))

    results = asyncio.run(run())
    statuses = sorted(status for status, _, _ in results)
    assert statuses.count(200) == 3 and statuses.count(503) == 9, statuses
    for status, seconds, retry_after in results:
        if status == 503:
            assert retry_after == "1" and seconds < 0.2


@pytest.mark.slow
def test_a_bounded_overload_run_gets_only_200_429_and_503_each_within_a_second(api_settings, keys):
    """60 clients at once against a real uvicorn that takes 4 requests at a time: every answer
    is a success or a refusal with Retry-After, and none takes a second."""
    paths = [
        f"/api/v1/lots/{FINISHED_LOT}",
        f"/api/v1/lots/{RESIN_LOT}/where-used",
        f"/api/v1/lots/{FINISHED_LOT}/where-from",
    ]
    with uvicorn_server(
        api_settings.data_dir, max_in_flight="4", rate_per_key="150", rate_per_address="400"
    ) as base:
        with httpx.Client(base_url=base, timeout=30.0, headers=auth(keys["viewer"])) as warm:
            for path in paths:  # the first trace builds the index and loads the compiled walk
                assert warm.get(path).status_code == 200

        clients = [
            httpx.Client(base_url=base, timeout=5.0, headers=auth(keys["viewer"]))
            for _ in range(60)
        ]
        start = threading.Barrier(len(clients))

        def client_run(index: int) -> list[tuple[int, float, str | None]]:
            http = clients[index]
            assert http.get("/livez").status_code == 200  # connected before the clock starts
            start.wait()
            seen = []
            for request in range(10):
                started = time.perf_counter()
                answer = http.get(paths[(index + request) % len(paths)])
                seen.append(
                    (
                        answer.status_code,
                        time.perf_counter() - started,
                        answer.headers.get("retry-after"),
                    )
                )
            return seen

        try:
            with ThreadPoolExecutor(max_workers=len(clients)) as pool:
                runs = list(pool.map(client_run, range(len(clients))))
        finally:
            for http in clients:
                http.close()
    answers = [answer for run in runs for answer in run]
    assert len(answers) == 600
    statuses = {status for status, _, _ in answers}
    assert statuses <= {200, 429, 503}, statuses
    assert 200 in statuses
    assert max(seconds for _, seconds, _ in answers) < 1.0
    assert all(retry for status, _, retry in answers if status != 200)


@pytest.mark.slow
def test_a_log_reader_that_stops_reading_does_not_stop_the_server(api_settings, keys):
    """1,500 requests log about 400 KB while nobody reads the server's stderr pipe (64 KiB):
    every request is still answered (the log lines wait in a queue, or are dropped)."""
    with (
        uvicorn_server(
            api_settings.data_dir, unread_stderr=True, rate_per_key="0", rate_per_address="0"
        ) as base,
        httpx.Client(base_url=base, timeout=5.0, headers=auth(keys["viewer"])) as http,
    ):
        for _ in range(1_500):
            assert http.get(f"/api/v1/lots/{FINISHED_LOT}").status_code == 200
