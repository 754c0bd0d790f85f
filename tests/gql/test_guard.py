"""The query guard against the attacks that froze the server: fragment chains, nested lists,
long-running queries, and what the production profile gives away."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest
from graphql import parse, specified_rules
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.fixtures import CountingStore, auth, make_client
from tests.api.genealogy import FINISHED_LOT
from tests.api.server import uvicorn_server
from traceapi.gql.guard import DocumentChecks, estimate_cost, iter_list_fields, shape_errors
from traceapi.gql.schema import build_schema
from traceapi.settings import Settings

TOKEN_CAP = Settings().gql_max_tokens


def doubling_chain(length: int, body: str = "...f{next} ...f{next}") -> str:
    """``length`` fragments, each spreading the next one twice (work doubles per fragment for
    a walker that does not remember fragments), ending in ``{ id }``."""
    fragments = [f"fragment f{i} on Lot {{ {body.format(next=i + 1)} }}" for i in range(length)]
    fragments.append(f"fragment f{length} on Lot {{ id }}")
    return f'{{ lot(id: "{FINISHED_LOT}") {{ ...f0 }} }} ' + " ".join(fragments)


def _count_tokens(query: str) -> int:
    from graphql.language import Lexer, Source, TokenKind

    lexer = Lexer(Source(query))
    count = 0
    while lexer.advance().kind is not TokenKind.EOF:
        count += 1
    return count


def longest_chain_under_the_token_cap(body: str) -> int:
    length = 1
    while _count_tokens(doubling_chain(length + 1, body)) <= TOKEN_CAP:
        length += 1
    return length


CHAINS = {
    "plain": "...f{next} ...f{next}",
    "aliased": "a: id b: id ...f{next} ...f{next}",
    "nested": "inputs {{ ...f{next} }} outputs {{ ...f{next} }}",
}


def fastest_of_three(call: Any) -> tuple[float, Any]:
    """The fastest of three runs (robust to a busy machine) and the last result."""
    best, result = float("inf"), None
    for _ in range(3):
        started = time.perf_counter()
        result = call()
        best = min(best, time.perf_counter() - started)
    return best, result


@pytest.mark.parametrize("shape", sorted(CHAINS))
def test_checking_a_fragment_chain_is_linear_up_to_the_token_cap(shape):
    """Our measures (on the event loop) stay under 20 ms and the whole check, graphql-core's
    standard rules included (on a worker thread), under 250 ms at every chain length (the
    walkers replaced took 2 s at 19 fragments, doubling with each; the bounds leave room for a
    busy machine: about 2 and 30 ms on a quiet one)."""
    schema = build_schema(Settings())._schema
    checks = DocumentChecks(max_depth=12, max_aliases=30, cache_size=0)
    longest = longest_chain_under_the_token_cap(CHAINS[shape])
    assert longest > 60  # the old walkers took 2^n steps: 2^60 never ends
    for length in range(1, longest + 1):
        document = parse(doubling_chain(length, CHAINS[shape]))
        ours, _ = fastest_of_three(
            lambda document=document: (
                shape_errors(document, max_depth=12, max_aliases=30),
                estimate_cost(schema, document, operation_name=None, variables=None),
            )
        )
        whole, errors = fastest_of_three(
            lambda document=document: checks.errors(
                schema, document, query=None, rules=tuple(specified_rules)
            )
        )
        assert ours < 0.02 and whole < 0.25, (shape, length, ours, whole)
        if shape == "aliased" and length >= 5:  # 2 * (2^5 - 1) = 62 aliases
            assert "aliases found" in errors[0].message
        if shape == "nested" and length > 12:
            assert "exceeds maximum operation depth" in errors[0].message


@pytest.mark.slow
def test_a_fragment_chain_without_a_key_does_not_freeze_the_server(api_settings):
    """The attack of the issue over real HTTP: chains at the token cap, sent without a key,
    while another client polls /livez; every answer comes fast."""
    chains = [doubling_chain(longest_chain_under_the_token_cap(b), b) for b in CHAINS.values()]
    with uvicorn_server(api_settings.data_dir) as base:
        stop = threading.Event()
        livez: list[float] = []

        def poll() -> None:
            with httpx.Client(base_url=base, timeout=5.0) as http:
                while not stop.is_set():
                    started = time.perf_counter()
                    assert http.get("/livez").status_code == 200
                    livez.append(time.perf_counter() - started)

        poller = threading.Thread(target=poll)
        poller.start()
        try:
            with httpx.Client(base_url=base, timeout=10.0) as http:
                for _ in range(5):
                    for query in chains:
                        started = time.perf_counter()
                        answer = http.post("/graphql", json={"query": query})
                        assert answer.status_code == 200
                        assert time.perf_counter() - started < 1.0
        finally:
            stop.set()
            poller.join(timeout=10)
    assert livez and max(livez) < 1.0, max(livez)


NESTED_LISTS = (
    "{ lots { edges { node { outputs { inputs { outputs { inputs { outputs { id } } } } } } } } }"  # noqa: E501
)


def test_nested_lists_are_refused_with_their_estimate(api_settings, api_store, keys):
    counting = CountingStore(api_store)
    with make_client(api_settings, counting) as client:
        counting.reset()
        body = client.post(
            "/graphql", json={"query": NESTED_LISTS}, headers=auth(keys["viewer"])
        ).json()
    [error] = body["errors"]
    assert body.get("data") is None
    assert error["extensions"]["code"] == "LIMIT_EXCEEDED"
    # lots(first: 50 by default) counts 50 connections, each with one edges list and one node
    # (3 objects), under which five nested lists of 10 multiply: 10, 100, ... 100,000.
    expected = 50 * (3 + 10 + 100 + 1_000 + 10_000 + 100_000)
    assert error["extensions"]["details"] == {"estimated_cost": expected, "max_cost": 20_000}
    assert f"{expected:,}" in error["message"]
    assert counting.beyond_key_checks == {}, counting.calls


def test_first_counts_in_the_estimate_literal_or_variable():
    schema = build_schema(Settings())._schema
    query = "query ($n: Int) { lots(first: $n) { edges { node { id outputs { id } } } } }"
    document = parse(query)

    def cost(variables: dict[str, Any] | None) -> int:
        return estimate_cost(schema, document, operation_name=None, variables=variables)

    assert cost({"n": 2}) == 2 * (1 + 1 + 1 + 10)
    assert cost({"n": 0}) == 0
    assert cost(None) == 50 * 13  # the argument's default when the variable is not given
    literal = parse("{ lots(first: 3) { edges { node { id } } } }")
    assert estimate_cost(schema, literal, operation_name=None, variables=None) == 3 * 3


def test_every_list_field_has_an_estimate_and_the_readme_quotes_the_long_ones():
    schema = build_schema(Settings())._schema
    estimates = dict(iter_list_fields(schema))
    assert "Lot.outputs" in estimates and estimates["Lot.outputs"] == 10
    assert estimates["Equipment.processSteps"] == 100
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert "GQL_MAX_COST" in readme and "GQL_DEADLINE_SECONDS" in readme


class SlowStore(CountingStore):
    """The real store, each node read taking a while (a slow disk, a huge answer)."""

    def __getattr__(self, name: str) -> Any:
        attribute = super().__getattr__(name)
        if name != "get_nodes":
            return attribute

        def slow(*args: Any, **kwargs: Any) -> Any:
            time.sleep(0.3)
            return attribute(*args, **kwargs)

        return slow


def test_a_query_past_its_deadline_is_stopped(api_settings, api_store, keys):
    settings = api_settings.model_copy(update={"gql_deadline_seconds": 0.5})
    slow = SlowStore(api_store)
    query = f'{{ lot(id: "{FINISHED_LOT}") {{ inputs {{ inputs {{ inputs {{ id }} }} }} }} }}'
    with make_client(settings, slow) as client:
        started = time.perf_counter()
        body = client.post("/graphql", json={"query": query}, headers=auth(keys["viewer"])).json()
        elapsed = time.perf_counter() - started
    [error] = body["errors"]
    assert error["extensions"]["code"] == "LIMIT_EXCEEDED"
    assert "deadline" in error["message"]
    assert body["data"] is None
    assert elapsed < 0.5 + 0.3 + 0.5  # the deadline, one store call finishing, slack
    # and the same query within its deadline answers
    with make_client(api_settings, slow) as client:
        answer = client.post("/graphql", json={"query": query}, headers=auth(keys["viewer"]))
    assert "errors" not in answer.json()


def test_production_hides_field_suggestions(api_settings, api_store, keys):
    query = f'{{ lot(id: "{FINISHED_LOT}") {{ statu }} }}'
    with make_client(api_settings, api_store) as dev:
        hinted = dev.post("/graphql", json={"query": query}, headers=auth(keys["viewer"]))
    assert "Did you mean 'status'?" in hinted.json()["errors"][0]["message"]
    production = api_settings.model_copy(update={"profile": "production"})
    with make_client(production, api_store) as client:
        body = client.post("/graphql", json={"query": query}, headers=auth(keys["viewer"]))
    [error] = body.json()["errors"]
    assert error["message"] == "Cannot query field 'statu' on type 'Lot'."
    assert "status" not in body.text


def test_production_wants_a_key_before_it_reads_the_document(api_settings, api_store):
    production = api_settings.model_copy(update={"profile": "production"})
    with make_client(production, api_store) as client:
        body = client.post("/graphql", json={"query": "{ nosuchfield }"}).json()
    [error] = body["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert "nosuchfield" not in error["message"]


@st.composite
def attack_documents(draw: st.DrawFn) -> str:
    """Fragment chains of any shape and length, and nested lists with any ``first``."""
    if draw(st.booleans()):
        length = draw(st.integers(min_value=1, max_value=60))
        spreads = draw(st.integers(min_value=1, max_value=3))
        aliases = " ".join(f"a{k}: id" for k in range(draw(st.integers(0, 2))))
        wrap = draw(st.sampled_from(["", "inputs", "outputs"]))

        def body(i: int) -> str:
            spread = f"...f{i + 1}"
            inner = f"{wrap} {{ {spread} }}" if wrap else spread
            return f"{aliases} " + " ".join([inner] * spreads)

        fragments = [f"fragment f{i} on Lot {{ {body(i)} }}" for i in range(length)]
        fragments.append(f"fragment f{length} on Lot {{ id }}")
        return f'{{ lot(id: "{FINISHED_LOT}") {{ ...f0 }} }} ' + " ".join(fragments)
    levels = draw(
        st.lists(st.sampled_from(["inputs", "outputs", "producedBy", "consumedBy"]), max_size=8)
    )
    first = draw(st.integers(min_value=0, max_value=500))
    inner = "id"
    for field_name in reversed(levels):
        inner = f"id {field_name} {{ {inner} }}"
    return f"{{ lots(first: {first}) {{ edges {{ node {{ {inner} }} }} }} }}"


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(document=attack_documents())
def test_generated_attacks_are_answered_fast_and_never_internally(document, _guard_client):
    client, headers = _guard_client
    started = time.perf_counter()
    response = client.post("/graphql", json={"query": document}, headers=headers)
    assert time.perf_counter() - started < 2.0, document
    assert response.status_code == 200
    codes = [e.get("extensions", {}).get("code") for e in response.json().get("errors") or []]
    assert "INTERNAL" not in codes, (document, response.json())


@pytest.fixture(scope="module")
def _guard_client(tmp_path_factory, _template):
    """One client for every generated document (hypothesis runs the test body many times)."""
    import shutil

    from traceapi.store.embedded import EmbeddedStore

    data_dir = tmp_path_factory.mktemp("guard") / "data"
    shutil.copytree(_template[0], data_dir)
    settings_ = Settings(data_dir=data_dir, rate_per_key=0, rate_per_address=0)
    store = EmbeddedStore(settings_.sqlite_path)
    try:
        with make_client(settings_, store) as client:
            yield client, auth(_template[1]["viewer"])
    finally:
        store.close()
