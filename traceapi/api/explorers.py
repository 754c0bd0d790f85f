"""The API's own descriptions (``/openapi.json``, ``/docs``, ``/redoc``) and ``/metrics``:
open, behind a key, or off, as the settings say (by default open in dev, behind a key in
production, where they would otherwise show every route and field to anyone on the network).
The Swagger UI and ReDoc pages are ours, on assets the service serves itself (no CDN)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse

from traceapi.api.deps import current_key
from traceapi.console.explorer_pages import redoc_page, swagger_page
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


def include_docs(app: FastAPI, settings: Settings) -> None:
    """``/docs`` and ``/redoc`` (open or behind a key), and ``/openapi.json`` behind a key when
    ``docs_access`` is ``key`` (when open, FastAPI's own route serves it)."""
    access = docs_access(settings)
    if access == "off":
        return
    router = APIRouter(dependencies=guard(access), include_in_schema=False)
    if access == "key":

        @router.get(OPENAPI_PATH)
        def openapi(request: Request) -> JSONResponse:
            return JSONResponse(request.app.openapi())

    @router.get("/docs")
    def docs() -> Response:
        return swagger_page(openapi_url=OPENAPI_PATH, title="traceapi")

    @router.get("/redoc")
    def redoc() -> Response:
        return redoc_page(openapi_url=OPENAPI_PATH, title="traceapi")

    app.include_router(router)
