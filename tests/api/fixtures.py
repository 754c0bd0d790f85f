"""Fixtures shared by the REST and GraphQL tests: a real embedded store, keys, the app."""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from tests.api.genealogy import load_genealogy
from traceapi.api.app import create_app
from traceapi.domain.security import Role
from traceapi.services.keys import create_key, revoke_key
from traceapi.settings import Settings
from traceapi.store.embedded import EmbeddedStore

ROLES = [role.value for role in Role]


@pytest.fixture(scope="session")
def _template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The genealogy and one key per role, built once; each test gets a copy of the file."""
    data_dir = tmp_path_factory.mktemp("api-template")
    store = EmbeddedStore(Settings(data_dir=data_dir).sqlite_path)
    try:
        load_genealogy(store)
        secrets = {
            role: create_key(store, role=Role(role), name=f"{role} key")[1] for role in ROLES
        }
        revoked_key, revoked_secret = create_key(store, role=Role.ADMIN, name="revoked key")
        revoke_key(store, key_id=revoked_key.key_id, actor="tests")
    finally:
        store.close()
    secrets["revoked"] = revoked_secret
    secrets["unknown"] = "tra_00000000_" + "x" * 32
    return data_dir, secrets


@pytest.fixture
def api_settings(tmp_path: Path, _template: tuple[Path, dict[str, str]]) -> Settings:
    """Settings on a fresh data dir holding a copy of the template store."""
    data_dir = tmp_path / "data"
    shutil.copytree(_template[0], data_dir)
    return Settings(backend="embedded", data_dir=data_dir)


@pytest.fixture
def api_store(api_settings: Settings) -> Iterator[EmbeddedStore]:
    """A real SQLite-backed store holding the test genealogy and the keys."""
    store = EmbeddedStore(api_settings.sqlite_path)
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def keys(api_store: EmbeddedStore, _template: tuple[Path, dict[str, str]]) -> dict[str, str]:
    """One secret per role, plus ``revoked`` (an admin key, revoked) and ``unknown``."""
    return dict(_template[1])


def auth(secret: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"} if secret else {}


def make_client(settings: Settings, store: Any) -> TestClient:
    return TestClient(create_app(settings, store=store))


@pytest.fixture
def client(api_settings: Settings, api_store: EmbeddedStore) -> Iterator[TestClient]:
    with make_client(api_settings, api_store) as test_client:
        yield test_client


@pytest.fixture
def viewer(keys: dict[str, str]) -> dict[str, str]:
    """Headers of a viewer key."""
    return auth(keys["viewer"])


def gql(
    client: TestClient, query: str, headers: dict[str, str], **variables: Any
) -> dict[str, Any]:
    """POSTs a GraphQL query and returns the decoded answer (asserting HTTP 200)."""
    response = client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


class CountingStore:
    """Wraps the real store and counts calls by method name (it changes nothing)."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self.calls: dict[str, int] = {}

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._real, name)
        if not callable(attribute):
            return attribute

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] = self.calls.get(name, 0) + 1
            return attribute(*args, **kwargs)

        return counted

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    @property
    def beyond_key_checks(self) -> dict[str, int]:
        """Calls other than the API key lookup (which runs first, before any other work)."""
        return {name: n for name, n in self.calls.items() if name != "get_api_key"}

    def reset(self) -> None:
        self.calls.clear()
