"""FastAPI dependencies: the store, the settings and the caller's API key and role."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

import anyio
from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from traceapi.api.auth import KeyCache, check_role, client_address
from traceapi.domain.security import ApiKey, Role
from traceapi.settings import Settings
from traceapi.store.base import GraphStore

# auto_error=False: we answer a missing key ourselves, with our error body and 401.
bearer_scheme = HTTPBearer(auto_error=False, description="An API key as a bearer token")
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key")


# Dependencies that never block are ``async def``: FastAPI runs sync dependencies on the thread
# pool, and a hop per dependency per request is a measurable cost.


async def get_store(request: Request) -> GraphStore:
    store: GraphStore = request.app.state.store
    return store


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


StoreDep = Annotated[GraphStore, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


async def current_key(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> ApiKey:
    """The caller's active key (401 when missing, unknown or revoked); the store is asked on
    the thread pool, and only when the key is not in the short-lived cache."""
    secret = bearer.credentials if bearer is not None else api_key
    cache: KeyCache = request.app.state.key_cache
    key = cache.cached(secret)
    if key is None:
        store = request.app.state.store
        address = client_address(request.scope)
        key = await anyio.to_thread.run_sync(
            lambda: cache.authenticate(store, secret, address=address)
        )
    request.state.api_key_id = key.key_id
    return key


def require_role(role: Role) -> Callable[[ApiKey], Awaitable[ApiKey]]:
    """A dependency that lets through keys whose role ranks at least ``role`` (else 403)."""

    async def dependency(key: Annotated[ApiKey, Depends(current_key)]) -> ApiKey:
        check_role(key, role)
        return key

    dependency.__name__ = f"require_{role.value}"
    return dependency


ViewerKey = Annotated[ApiKey, Depends(require_role(Role.VIEWER))]
QaKey = Annotated[ApiKey, Depends(require_role(Role.QA))]
