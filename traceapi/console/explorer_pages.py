"""The pages of GraphiQL, Swagger UI and ReDoc, on assets served by the service itself (none
from a CDN, so they work on a plant network without internet access)."""

from __future__ import annotations

from fastapi.responses import HTMLResponse

from traceapi.console.assets import templates


def _page(template: str, **context: str) -> HTMLResponse:
    return HTMLResponse(templates.get_template(f"explorers/{template}").render(**context))


def graphiql_page(*, graphql_url: str) -> HTMLResponse:
    """GraphiQL with its Headers pane and the explorer plugin, querying ``graphql_url``."""
    return _page("graphiql.html", graphql_url=graphql_url)


def swagger_page(*, openapi_url: str, title: str) -> HTMLResponse:
    """Swagger UI on the OpenAPI description at ``openapi_url``."""
    return _page("swagger.html", openapi_url=openapi_url, title=title)


def redoc_page(*, openapi_url: str, title: str) -> HTMLResponse:
    """ReDoc on the OpenAPI description at ``openapi_url``."""
    return _page("redoc.html", openapi_url=openapi_url, title=title)
