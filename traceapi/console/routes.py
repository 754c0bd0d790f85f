"""The console's pages at ``/console``: sign-in, search, one lot's file, the genealogy picture
and recall impact, server-rendered, each form protected by a per-session CSRF token."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar
from urllib.parse import parse_qs, quote, urlsplit

import anyio
from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from traceapi.api.auth import KeyCache, check_action, client_address
from traceapi.console.assets import templates
from traceapi.console.sessions import (
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    ConsoleSession,
    SessionStore,
    tokens_match,
)
from traceapi.console.views import (
    columns_of,
    genealogy,
    lot_file,
    lot_ids_of,
    lot_stock,
    node_page,
    node_url,
    properties,
)
from traceapi.console.workbook import consignee_workbook
from traceapi.errors import InvalidInput, LimitExceeded, TraceapiError, Unauthorized
from traceapi.services import users
from traceapi.services.impact import consignee_csv, recall_consignees, recall_impact
from traceapi.services.lookup import resolve_node
from traceapi.services.policy import AuthMethod, Principal, RequestContext
from traceapi.settings import Settings
from traceapi.store.base import GraphStore

T = TypeVar("T")
CONSOLE = "/console"
SIGN_IN = f"{CONSOLE}/sign-in"
MAX_FORM_BYTES = 64 * 1024

router = APIRouter(include_in_schema=False)


class SignInRequired(Exception):
    """Raised by ``signed_in`` for a request without a live session."""


def _store(request: Request) -> GraphStore:
    store: GraphStore = request.app.state.store
    return store


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _sessions(request: Request) -> SessionStore:
    sessions: SessionStore = request.app.state.console_sessions
    return sessions


async def signed_in(request: Request) -> ConsoleSession:
    """The request's session, its credential checked again (a revoked key, a disabled account
    or an expired token signs out) and the policy asked whether it may read (else 403)."""
    sessions = _sessions(request)
    session_id = request.cookies.get(SESSION_COOKIE)
    session = sessions.get(session_id)
    if session is None:
        raise SignInRequired
    principal = await in_thread(lambda: _principal_of(request, session))
    if principal is None:
        sessions.end(session_id)
        raise SignInRequired
    check_action(principal, "lots.read")
    request.state.api_key_id = principal.id
    return session


def _principal_of(request: Request, session: ConsoleSession) -> Principal | None:
    """Who the session stands for now, or None when its credential no longer works."""
    store = _store(request)
    if session.method == "api_key":
        key = store.get_api_key(session.key_hash or "")
        return Principal.of_key(key) if key is not None and key.active else None
    cache: KeyCache = request.app.state.key_cache
    try:
        return cache.principal(store, session.token, address=client_address(request.scope))
    except Unauthorized:
        return None


SignedIn = Annotated[ConsoleSession, Depends(signed_in)]


def render(
    request: Request,
    template: str,
    *,
    session: ConsoleSession | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A page (or, for an htmx request, the named partial alone) with the session's context."""
    html = templates.get_template(template).render(
        request=request,
        session=session,
        csrf_token=session.csrf_token if session else None,
        node_url=node_url,
        properties=properties,
        columns_of=columns_of,
        profile=_settings(request).profile,
        **context,
    )
    return HTMLResponse(html, status_code=status_code)


def error_page(request: Request, session: ConsoleSession | None, exc: TraceapiError) -> Response:
    return render(request, "error.html", session=session, status_code=exc.http_status, error=exc)


async def in_thread(work: Callable[[], T]) -> T:
    """Blocking store work off the event loop, as the REST handlers do."""
    return await anyio.to_thread.run_sync(work)


async def form_of(request: Request) -> dict[str, str]:
    """An url-encoded form body (the console's forms are small; the body limit applies)."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise LimitExceeded("the form is too large", details={"max_bytes": MAX_FORM_BYTES})
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {name: values[-1] for name, values in fields.items()}


def same_origin(request: Request) -> bool:
    """False when the browser says the form came from another origin (``Origin`` header)."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    parts = urlsplit(origin)
    return parts.netloc == request.headers.get("host", "") and parts.scheme in {"http", "https"}


def check_csrf(request: Request, form: dict[str, str], session: ConsoleSession) -> None:
    """Refuses a POST whose token is not the session's, or that another origin sent."""
    if not same_origin(request) or not tokens_match(form.get("csrf_token"), session.csrf_token):
        raise _Refused


class _Refused(Exception):
    """A form without the right CSRF token: 403, nothing done."""


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _next_path(value: str | None) -> str:
    """Where to go after signing in: a console path of ours only (no open redirect)."""
    if value and value.startswith(CONSOLE) and not value.startswith("//") and "\\" not in value:
        return value
    return CONSOLE


@router.get("/")
def root() -> RedirectResponse:
    return RedirectResponse(CONSOLE, status_code=307)


def _sign_in_page(
    request: Request, *, next_path: str, error: str | None = None, status_code: int = 200
) -> Response:
    """The sign-in form with a fresh CSRF token, double-submitted in a cookie of its own."""
    token = secrets.token_urlsafe(32)
    response = render(
        request,
        "sign_in.html",
        session=None,
        status_code=status_code,
        sign_in_token=token,
        next=next_path,
        error=error,
    )
    response.set_cookie(
        SIGN_IN_COOKIE,
        token,
        max_age=3600,
        path=SIGN_IN,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )
    return response


@router.get(SIGN_IN)
def sign_in_form(request: Request, next: str | None = None) -> Response:
    return _sign_in_page(request, next_path=_next_path(next))


@router.post(SIGN_IN)
async def sign_in(request: Request) -> Response:
    """A person's username and password, or an API key, checked as the API checks them
    (failures throttled and audited); then a session starts, and no secret reaches the
    browser."""
    form = await form_of(request)
    expected = request.cookies.get(SIGN_IN_COOKIE)
    next_path = _next_path(form.get("next"))
    token_ok = bool(expected) and tokens_match(form.get("csrf_token"), expected or "")
    if not same_origin(request) or not token_ok:
        return _sign_in_page(
            request,
            next_path=next_path,
            status_code=403,
            error="The form had expired and was reloaded: sign in again.",
        )
    try:
        session_id = await _open_session(request, form)
    except TraceapiError as exc:
        return _sign_in_page(
            request, next_path=next_path, status_code=exc.http_status, error=exc.message
        )
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        path=CONSOLE,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )
    response.delete_cookie(SIGN_IN_COOKIE, path=SIGN_IN)
    return response


async def _open_session(request: Request, form: dict[str, str]) -> str:
    """A person's username and password (the write side's login, its failures counted and
    audited), else an API key (checked as every API call checks it); the old session, if
    any, ends. Returns the new session's id."""
    store = _store(request)
    address = client_address(request.scope)
    sessions = _sessions(request)
    username = form.get("username", "").strip()
    if username:
        ctx = RequestContext(
            Principal(
                id="anonymous",
                name="anonymous",
                roles=frozenset(),
                auth_method=AuthMethod.PASSWORD,
            ),
            request_id=getattr(request.state, "request_id", None),
            client_address=address,
        )
        password = form.get("password", "")
        token, login = await in_thread(
            lambda: users.login(store, ctx, username=username, password=password)
        )
        cache: KeyCache = request.app.state.key_cache
        person = await in_thread(lambda: cache.principal(store, token, address=address))
        seconds = (login.expires_at - datetime.now(UTC)).total_seconds()
        roles = tuple(sorted(role.value for role in person.roles))
        sessions.end(request.cookies.get(SESSION_COOKIE))
        return sessions.start_for_person(
            who=person.name, roles=roles, token=token, seconds=seconds
        )[0]
    keys: KeyCache = request.app.state.key_cache
    secret = form.get("api_key", "").strip()
    key = await in_thread(lambda: keys.authenticate(store, secret, address=address))
    sessions.end(request.cookies.get(SESSION_COOKIE))
    return sessions.start_for_key(key)[0]


@router.post(f"{CONSOLE}/sign-out")
async def sign_out(request: Request, session: SignedIn) -> Response:
    check_csrf(request, await form_of(request), session)
    _sessions(request).end(request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse(SIGN_IN, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=CONSOLE)
    return response


@router.get(CONSOLE)
def home(request: Request, session: SignedIn) -> Response:
    return render(request, "home.html", session=session)


@router.get(f"{CONSOLE}/search")
async def search(
    request: Request, session: SignedIn, q: Annotated[str, Query(max_length=2000)] = ""
) -> Response:
    """Any identifier, a scanned GS1 barcode or a Digital Link: straight to what it names."""
    if not q.strip():
        return RedirectResponse(CONSOLE, status_code=303)
    store = _store(request)
    try:
        node = await in_thread(lambda: resolve_node(store, q))
    except TraceapiError as exc:
        if request.headers.get("hx-request"):  # htmx swaps 200 answers only
            return render(request, "search_result.html", session=session, error=exc)
        return render(
            request, "home.html", session=session, status_code=exc.http_status, query=q, error=exc
        )
    target = node_url(node.id, node.kind.value)
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


@router.get(CONSOLE + "/lots/{identifier:path}/genealogy.json")
async def genealogy_data(
    request: Request,
    session: SignedIn,
    identifier: str,
    direction: str = "where-used",
    max_depth: Annotated[int | None, Query(ge=0, le=10_000)] = None,
) -> Response:
    if direction not in {"where-used", "where-from"}:
        direction = "where-used"
    store, settings = _store(request), _settings(request)
    try:
        data = await in_thread(
            lambda: genealogy(
                store,
                identifier,
                direction=direction,
                max_depth=max_depth,
                max_nodes=settings.max_trace_nodes,
            )
        )
    except TraceapiError as exc:
        return JSONResponse({"error": exc.to_dict()}, status_code=exc.http_status)
    return JSONResponse(data)


@router.get(CONSOLE + "/lots/{identifier:path}/genealogy")
async def genealogy_page(
    request: Request,
    session: SignedIn,
    identifier: str,
    direction: str = "where-used",
    max_depth: Annotated[int | None, Query(ge=0, le=10_000)] = None,
) -> Response:
    store = _store(request)
    try:
        lot = await in_thread(lambda: resolve_node(store, identifier))
    except TraceapiError as exc:
        return error_page(request, session, exc)
    if direction not in {"where-used", "where-from"}:
        direction = "where-used"
    query = f"?direction={direction}" + (f"&max_depth={max_depth}" if max_depth is not None else "")
    data_url = f"{CONSOLE}/lots/{quote(lot.id, safe='')}/genealogy.json{query}"
    return render(
        request,
        "genealogy.html",
        session=session,
        lot=lot,
        direction=direction,
        max_depth=max_depth,
        data_url=data_url,
    )


@router.get(CONSOLE + "/lots/{identifier:path}/stock")
async def lot_stock_part(request: Request, session: SignedIn, identifier: str) -> Response:
    """The lot file's stock by holder, loaded after the page (it runs the lot's impact)."""
    store, settings = _store(request), _settings(request)
    try:
        stock = await in_thread(
            lambda: lot_stock(store, identifier, max_nodes=settings.max_trace_nodes)
        )
    except TraceapiError as exc:
        return render(request, "search_result.html", session=session, error=exc)
    partial = bool(request.headers.get("hx-request"))
    template = "lot_stock.html" if partial else "lot_stock_page.html"
    return render(request, template, session=session, stock=stock)


@router.get(CONSOLE + "/lots/{identifier:path}")
async def lot_page(request: Request, session: SignedIn, identifier: str) -> Response:
    store = _store(request)
    try:
        file = await in_thread(lambda: lot_file(store, identifier))
    except TraceapiError as exc:
        return error_page(request, session, exc)
    return render(request, "lot.html", session=session, file=file, lot=file.detail.lot)


@router.get(CONSOLE + "/nodes/{identifier:path}")
async def any_node_page(request: Request, session: SignedIn, identifier: str) -> Response:
    store = _store(request)
    try:
        page = await in_thread(lambda: node_page(store, identifier))
    except TraceapiError as exc:
        return error_page(request, session, exc)
    if page.node.kind in {"Lot", "Unit", "Container"}:
        return RedirectResponse(node_url(page.node.id, page.node.kind), status_code=303)
    return render(request, "node.html", session=session, page=page, node=page.node)


@router.get(f"{CONSOLE}/impact")
def impact_form(request: Request, session: SignedIn, lots: str = "") -> Response:
    return render(request, "impact.html", session=session, lots_text=lots, report=None)


def _impact_lots(form: dict[str, str], settings: Settings) -> tuple[list[str], int | None]:
    lots = lot_ids_of(form.get("lots", ""))
    if not lots:
        raise InvalidInput("name at least one lot", details={"field": "lots"})
    if len(lots) > settings.max_impact_seeds:
        raise LimitExceeded(
            f"{len(lots)} seed lots is above the cap of {settings.max_impact_seeds}",
            details={"field": "lots", "max_impact_seeds": settings.max_impact_seeds},
        )
    depth = form.get("max_depth", "").strip()
    if depth and not depth.isdigit():
        raise InvalidInput("max depth is a whole number", details={"field": "max_depth"})
    return lots, int(depth) if depth else None


@router.post(f"{CONSOLE}/impact")
async def impact(request: Request, session: SignedIn) -> Response:
    form = await form_of(request)
    check_csrf(request, form, session)
    store, settings = _store(request), _settings(request)
    partial = bool(request.headers.get("hx-request"))
    template = "impact_result.html" if partial else "impact.html"
    try:
        lots, max_depth = _impact_lots(form, settings)
        report = await in_thread(
            lambda: recall_impact(
                store, lot_ids=lots, max_depth=max_depth, max_nodes=settings.max_trace_nodes
            )
        )
    except TraceapiError as exc:
        return render(
            request,
            template,
            session=session,
            status_code=200 if partial else exc.http_status,
            lots_text=form.get("lots", ""),
            max_depth=form.get("max_depth", ""),
            report=None,
            error=exc,
        )
    return render(
        request,
        template,
        session=session,
        lots_text=form.get("lots", ""),
        max_depth=form.get("max_depth", ""),
        report=report,
        error=None,
    )


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.post(CONSOLE + "/impact/consignees.{extension}")
async def impact_download(request: Request, session: SignedIn, extension: str) -> Response:
    """The consignee list of the impact as CSV (the same code as the REST route's CSV) or as
    an XLSX workbook of that CSV."""
    if extension not in {"csv", "xlsx"}:
        return error_page(request, session, InvalidInput(f"no download as .{extension}"))
    form = await form_of(request)
    check_csrf(request, form, session)
    store, settings = _store(request), _settings(request)
    try:
        lots, max_depth = _impact_lots(form, settings)
        rows = await in_thread(
            lambda: recall_consignees(
                store, lot_ids=lots, max_depth=max_depth, max_nodes=settings.max_trace_nodes
            )
        )
    except TraceapiError as exc:
        return error_page(request, session, exc)
    text = consignee_csv(rows)
    disposition = {"Content-Disposition": f'attachment; filename="consignees.{extension}"'}
    if extension == "xlsx":
        book = await in_thread(lambda: consignee_workbook(text))
        return Response(book, media_type=XLSX_TYPE, headers=disposition)
    return Response(text, media_type="text/csv; charset=utf-8", headers=disposition)


def include_console(app: FastAPI) -> None:
    """The console's routes, its session store, and how a missing session or a bad CSRF
    token is answered (back to sign-in; 403)."""
    app.state.console_sessions = SessionStore()

    async def to_sign_in(request: Request, exc: Exception) -> Response:
        target = f"{SIGN_IN}?next={quote(request.url.path, safe='/')}"
        if request.headers.get("hx-request"):
            return Response(status_code=204, headers={"HX-Redirect": target})
        if request.url.path.endswith(".json"):
            return JSONResponse({"error": {"code": "UNAUTHENTICATED"}}, status_code=401)
        return RedirectResponse(target, status_code=303)

    async def refused(request: Request, exc: Exception) -> Response:
        return HTMLResponse(
            "<!doctype html><title>Refused</title><p>This form was not sent from a page of "
            "this console's session (its CSRF token is missing or wrong). Reload the page "
            "and try again.</p>",
            status_code=403,
        )

    app.add_exception_handler(SignInRequired, to_sign_in)
    app.add_exception_handler(_Refused, refused)
    app.include_router(router)
