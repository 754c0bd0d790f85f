"""REST: people sign in (``POST /api/v1/auth/login``) for a short-lived bearer token."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict

from traceapi.api.auth import client_address
from traceapi.api.deps import StoreDep
from traceapi.api.schemas import error_responses
from traceapi.services import users
from traceapi.services.policy import AuthMethod, Principal, RequestContext

router = APIRouter(prefix="/api/v1", tags=["auth"])


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str
    password: str


class LoginReport(BaseModel):
    token: str
    """Send as ``Authorization: Bearer <token>``; only its hash is stored."""
    expires_at: datetime


@router.post(
    "/auth/login",
    summary="Sign a person in: a short-lived bearer token",
    description=(
        f"Answers a token valid {int(users.TOKEN_TTL.total_seconds() // 60)} minutes, used "
        "wherever an API key is. A wrong username or password is 401; "
        f"{users.MAX_FAILED_LOGINS} failures in a row lock the account until an admin resets "
        "its password. Every failure and lockout is an audit entry. A token never signs: a "
        "signature needs the password again."
    ),
    response_model=LoginReport,
    responses=error_responses(401, 422, s401="Wrong username or password, or a locked account"),
)
def login(body: LoginRequest, request: Request, store: StoreDep) -> LoginReport:
    anonymous = Principal(
        id="anonymous", name="anonymous", roles=frozenset(), auth_method=AuthMethod.PASSWORD
    )
    ctx = RequestContext(
        anonymous,
        request_id=getattr(request.state, "request_id", None),
        client_address=client_address(request.scope),
    )
    token, session = users.login(store, ctx, username=body.username, password=body.password)
    return LoginReport(token=token, expires_at=session.expires_at)
