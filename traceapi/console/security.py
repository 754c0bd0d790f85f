"""Security headers on every answer: a Content-Security-Policy that allows our own origin only,
no framing, no sniffing, and no referrer leaving the service.

The console's pages get the strictest policy (scripts and styles from files of ours only, no
inline code). The explorers (GraphiQL, Swagger UI, ReDoc) inject style elements at run time, and
ReDoc starts a worker from a blob, so their pages also allow inline styles and blob workers;
still nothing from another origin. JSON answers get ``default-src 'none'``.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_COMMON = "base-uri 'none'; object-src 'none'; frame-ancestors 'none'; form-action 'self'"
CONSOLE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    f"connect-src 'self'; {_COMMON}"
)
EXPLORER_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; "
    f"connect-src 'self'; {_COMMON}"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'"
EXPLORER_PATHS = ("/graphql", "/docs", "/redoc")


def csp_for(path: str) -> str:
    """The policy for an answer at ``path``."""
    if path.startswith(EXPLORER_PATHS):
        return EXPLORER_CSP
    if path == "/" or path.startswith(("/console", "/static")):
        return CONSOLE_CSP
    return API_CSP


class SecurityHeadersMiddleware:
    """Adds the headers to every HTTP answer that does not set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        added = [
            (b"content-security-policy", csp_for(scope.get("path", "")).encode()),
            (b"x-frame-options", b"DENY"),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
        ]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend((name, value) for name, value in added if name not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
