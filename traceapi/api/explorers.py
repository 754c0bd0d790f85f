"""The API's own descriptions (``/openapi.json``, ``/docs``, ``/redoc``) and ``/metrics``:
open, behind a key, or off, as the settings say (by default open in dev, behind a key in
production, where they would otherwise show every route and field to anyone on the network)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import JSONResponse

from traceapi.api.deps import current_key
from traceapi.settings import Access, Settings

OPENAPI_PATH = "/openapi.json"


def docs_access(settings: Settings) -> Access:
    return settings.docs_access or ("key" if settings.profile == "production" else "open")


def metrics_access(settings: Settings) -> Access:
    return settings.metrics_access or ("key" if settings.profile == "production" else "open")


def guard(access: Access) -> list[Any]:
    """The dependencies a route of that access needs: a key (any role) or none."""
    return [Depends(current_key)] if access == "key" else []


def open_docs_url(settings: Settings, path: str) -> str | None:
    """``path`` for FastAPI's own (unauthenticated) route, only when the descriptions are open."""
    return path if docs_access(settings) == "open" else None


def include_protected_docs(app: FastAPI, settings: Settings) -> None:
    """The descriptions behind a key (any role) when ``docs_access`` is ``key``."""
    if docs_access(settings) != "key":
        return
    router = APIRouter(dependencies=guard("key"), include_in_schema=False)

    @router.get(OPENAPI_PATH)
    def openapi(request: Request) -> JSONResponse:
        return JSONResponse(request.app.openapi())

    @router.get("/docs")
    def docs() -> Response:
        return get_swagger_ui_html(openapi_url=OPENAPI_PATH, title="traceapi")

    @router.get("/redoc")
    def redoc() -> Response:
        return get_redoc_html(openapi_url=OPENAPI_PATH, title="traceapi")

    app.include_router(router)
