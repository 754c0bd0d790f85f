"""FastAPI dependencies: the store, the settings and the caller (an API key's system or a
signed-in person), asked of the policy for each action."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

import anyio
from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from traceapi.api.auth import KeyCache, check_action, client_address
from traceapi.services.policy import Principal, RequestContext
from traceapi.settings import Settings
from traceapi.store.base import GraphStore

# auto_error=False: we answer a missing key ourselves, with our error body and 401.
bearer_scheme = HTTPBearer(
    auto_error=False, description="An API key, or a token from POST /api/v1/auth/login"
)
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


async def current_principal(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Principal:
    """Who calls: a system (API key) or a person (login token); 401 when missing, unknown,
    expired or revoked. The store is asked on the thread pool, and only on a cache miss."""
    secret = bearer.credentials if bearer is not None else api_key
    cache: KeyCache = request.app.state.key_cache
    principal = cache.cached_principal(secret)
    if principal is None:
        store = request.app.state.store
        address = client_address(request.scope)
        principal = await anyio.to_thread.run_sync(
            lambda: cache.principal(store, secret, address=address)
        )
    request.state.api_key_id = principal.id
    request.state.principal = principal
    return principal


current_key = current_principal
"""The older name (explorers and the console ask for "a valid key")."""


def require_action(action: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets through callers the policy allows ``action`` (else 403)."""

    async def dependency(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        check_action(principal, action)
        return principal

    dependency.__name__ = f"require_{action.replace('.', '_')}"
    return dependency


def request_context(request: Request, principal: Principal) -> RequestContext:
    """The principal with this request's id and client address, for the audit trail."""
    return RequestContext(
        principal,
        request_id=getattr(request.state, "request_id", None),
        client_address=client_address(request.scope),
    )


ViewerKey = Annotated[Principal, Depends(require_action("lots.read"))]
QaKey = Annotated[Principal, Depends(require_action("audit.read"))]
CallerDep = Annotated[Principal, Depends(current_principal)]
