"""`Equipment.processSteps(from, to)`: the analyst's "which lots ran on STER-02 between t1 and
t2" is one query, answered on the demo whose story 2 plants that window."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from tests.api.fixtures import TestClient, auth, gql, make_client
from traceapi.demo.generator import DemoGenerator
from traceapi.demo.stories import SterilizerWindow
from traceapi.domain.security import Role
from traceapi.services.keys import create_key
from traceapi.settings import Settings
from traceapi.store.embedded import EmbeddedStore

QUERY = """
query ($id: ID!, $from: String, $to: String) {
  node(id: $id) {
    ... on Equipment { processSteps(from: $from, to: $to) { id startedAt endedAt outputs { id } } }
  }
}"""


@pytest.fixture(scope="module")
def demo(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[TestClient, dict[str, str], SterilizerWindow]]:
    data_dir = tmp_path_factory.mktemp("gql-demo")
    settings = Settings(backend="embedded", data_dir=data_dir)
    store = EmbeddedStore(settings.sqlite_path)
    generator = DemoGenerator(lots=600, seed=7)
    generator.load(store)
    _, secret = create_key(store, role=Role.VIEWER, name="analyst")
    try:
        with make_client(settings, store) as client:
            yield client, auth(secret), generator.stories.sterilizer_window
    finally:
        store.close()


def _steps(client: TestClient, headers: dict[str, str], **window: str | None) -> list[dict]:
    body = gql(client, QUERY, headers, id="STER-02", **window)
    assert "errors" not in body, body
    return body["data"]["node"]["processSteps"]


def test_a_window_gives_exactly_the_story_steps_and_their_lots(demo) -> None:
    client, headers, story = demo
    steps = _steps(client, headers, **{"from": story.window_from, "to": story.window_to})
    assert sorted(s["id"] for s in steps) == sorted(story.process_steps)
    made = sorted(lot["id"] for s in steps for lot in s["outputs"])
    assert made == sorted(story.finished_lots)


def test_no_window_gives_every_step_and_open_ends_work(demo) -> None:
    client, headers, story = demo
    every = _steps(client, headers)
    assert len(every) > len(story.process_steps)
    after = _steps(client, headers, **{"from": story.window_from})
    before = _steps(client, headers, to=story.window_to)
    assert {s["id"] for s in after} | {s["id"] for s in before} == {s["id"] for s in every}
    assert {s["id"] for s in after} & {s["id"] for s in before} == set(story.process_steps)


def test_a_step_running_across_a_bound_is_in_the_window(demo) -> None:
    client, headers, story = demo
    first = min(
        (s for s in _steps(client, headers) if s["id"] in story.process_steps),
        key=lambda s: s["startedAt"],
    )
    started = datetime.fromisoformat(first["startedAt"].replace("Z", "+00:00"))
    inside = (started + timedelta(hours=1)).isoformat()  # the load was running then
    steps = _steps(client, headers, **{"from": inside, "to": inside})
    assert first["id"] in {s["id"] for s in steps}


@pytest.mark.parametrize(
    ("window", "field"),
    [({"from": "yesterday"}, "from"), ({"to": "2024-13-01T00:00Z"}, "to"),
     ({"from": "2024-06-02T00:00:00Z", "to": "2024-06-01T00:00:00Z"}, "to")],
)  # fmt: skip
def test_bad_bounds_are_invalid_input_naming_the_argument(
    demo, window: dict[str, str], field: str
) -> None:
    client, headers, _ = demo
    body = gql(client, QUERY, headers, id="STER-02", **window)
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "INVALID_INPUT"
    assert field in error["message"]
