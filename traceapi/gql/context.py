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

from traceapi.api.auth import KeyCache, check_role, client_address, credentials_of
from traceapi.api.metrics import ApiMetrics
from traceapi.domain.security import ApiKey, Role
from traceapi.gql.loaders import Loaders
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
        self._key: ApiKey | None = None

    async def authorize(self, role: Role = Role.VIEWER) -> ApiKey:
        """The caller's key if its role ranks at least ``role``; Unauthorized or Forbidden."""
        key = self._key or self.key_cache.cached(self.credentials)
        if key is None:
            secret, address = self.credentials, self.address
            key = await anyio.to_thread.run_sync(
                lambda: self.key_cache.authenticate(self.store, secret, address=address)
            )
        self._key = key
        check_role(key, role)
        return key


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
