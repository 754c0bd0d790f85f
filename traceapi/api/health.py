"""Liveness, readiness and metrics: cheap, and quick to answer even when the store hangs;
liveness and readiness need no key, metrics as the settings say."""

from __future__ import annotations

import anyio
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from traceapi.api.explorers import guard, metrics_access
from traceapi.api.problems import error_body
from traceapi.errors import CorruptData, StoreUnavailable
from traceapi.settings import Settings

READINESS_TIMEOUT_S = 2.0
"""How long /readyz waits for the store before it answers 503."""

router = APIRouter(tags=["health"])


@router.get("/livez", summary="The process is alive")
async def livez() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="The store can serve: it answers, its index is built, its data decodes",
    responses={503: {"description": "The store cannot serve yet, or not at all"}},
)
async def readyz(request: Request) -> Response:
    store = request.app.state.store
    message = "store did not answer"
    try:
        with anyio.fail_after(READINESS_TIMEOUT_S):
            await anyio.to_thread.run_sync(store.check_ready, abandon_on_cancel=True)
        return JSONResponse({"status": "ok", "backend": store.backend})
    except TimeoutError:
        message = (
            f"store not ready within {READINESS_TIMEOUT_S:g} s (a first index build of a large "
            "store takes a few seconds; ask again)"
        )
    except (StoreUnavailable, CorruptData) as exc:
        message = exc.message
    except Exception as exc:  # a closed or broken store must read as "not ready", not crash
        message = f"store check failed: {type(exc).__name__}"
    request.app.state.metrics.count_error(code=StoreUnavailable.code, interface="health")
    return JSONResponse(error_body(StoreUnavailable.code, message), status_code=503)


def metrics_router(settings: Settings) -> APIRouter:
    """``/metrics``: open, behind a key, or absent, as ``metrics_access`` says."""
    access = metrics_access(settings)
    metrics = APIRouter(tags=["health"], dependencies=guard(access))
    if access == "off":
        return metrics

    @metrics.get("/metrics", summary="Prometheus metrics", response_class=Response)
    def render(request: Request) -> Response:
        app_metrics = request.app.state.metrics
        return Response(app_metrics.render(), media_type=app_metrics.content_type)

    return metrics
