"""The per-request GraphQL context: store, settings, loaders and the caller's key, checked lazily.

Auth choice: GraphQL answers HTTP 200 and reports a missing, unknown or revoked key as an error
with ``extensions.code = "UNAUTHENTICATED"`` and a role too low as ``"FORBIDDEN"``, on the
fields that need them. So the GraphiQL page and schema introspection load without a key (in the
dev profile), while every query field asks for one.
"""

from __future__ import annotations

import anyio
from fastapi import Request
from strawberry.fastapi import BaseContext

from traceapi.api.auth import KeyCache, check_action, client_address, credentials_of
from traceapi.api.metrics import ApiMetrics
from traceapi.gql.loaders import Loaders
from traceapi.services.policy import Principal
from traceapi.settings import Settings
from traceapi.store.base import GraphStore


class GqlContext(BaseContext):
    """What resolvers reach through ``info.context``."""

    def __init__(
        self,
        *,
        store: GraphStore,
        settings: Settings,
        metrics: ApiMetrics,
        key_cache: KeyCache,
        request_id: str,
        credentials: str | None,
        address: str = "unknown",
    ) -> None:
        super().__init__()
        self.store = store
        self.settings = settings
        self.metrics = metrics
        self.key_cache = key_cache
        self.request_id = request_id
        self.credentials = credentials
        self.address = address
        self.loaders = Loaders(store)
        self._principal: Principal | None = None

    async def authenticated(self) -> Principal:
        """The caller, whatever they may do (the services ask the policy); Unauthorized."""
        principal = self._principal or self.key_cache.cached_principal(self.credentials)
        if principal is None:
            secret, address = self.credentials, self.address
            principal = await anyio.to_thread.run_sync(
                lambda: self.key_cache.principal(self.store, secret, address=address)
            )
        self._principal = principal
        return principal

    async def authorize(self, action: str = "lots.read") -> Principal:
        """The caller (an API key's system or a signed-in person) if the policy lets them do
        ``action``; Unauthorized or Forbidden."""
        principal = self._principal or self.key_cache.cached_principal(self.credentials)
        if principal is None:
            secret, address = self.credentials, self.address
            principal = await anyio.to_thread.run_sync(
                lambda: self.key_cache.principal(self.store, secret, address=address)
            )
        self._principal = principal
        check_action(principal, action)
        return principal


async def get_context(request: Request) -> GqlContext:
    """FastAPI dependency that builds the context for one GraphQL request."""
    state = request.app.state
    return GqlContext(
        store=state.store,
        settings=state.settings,
        metrics=state.metrics,
        key_cache=state.key_cache,
        request_id=getattr(request.state, "request_id", ""),
        credentials=credentials_of(request.headers),
        address=client_address(request.scope),
    )
