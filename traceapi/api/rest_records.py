"""REST: records (anomalies first), their versions, transitions, signatures and history.

Versions travel as ``ETag`` / ``If-Match`` (the record's version number, quoted); a change
without ``If-Match`` is 422 naming it, one whose version is no longer current 412 naming the
current one. Bodies refuse unknown fields (422 naming them): a client never supplies the
actor or a time. Who may do what is the policy's; a signature needs the password in the body.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import BaseModel, ConfigDict

from traceapi.api.auth import check_action
from traceapi.api.deps import CallerDep, StoreDep, request_context
from traceapi.api.schemas import error_responses
from traceapi.domain.records import RECORD_TYPES, RecordLink, Signature, StoredRecord
from traceapi.errors import Conflict, InvalidInput, PreconditionFailed
from traceapi.render.record import record_csv, record_html
from traceapi.services import idempotency, records
from traceapi.services.policy import Principal
from traceapi.services.records import SignatureCheck, SignatureRequest
from traceapi.store.base import GraphStore

router = APIRouter(prefix="/api/v1", tags=["records"])
T = TypeVar("T")


class RecordReport(BaseModel):
    """One version of a record with its links, its signatures (each judged) and what may
    happen to it next."""

    id: str
    kind: str
    state: str
    version: int
    data: dict[str, Any]
    content_hash: str
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime
    links: list[RecordLink]
    signatures: list[SignatureCheck]
    allowed_actions: list[str]


class HistoryReport(BaseModel):
    record_id: str
    as_of: datetime | None
    state_then: StoredRecord
    versions: list[StoredRecord]
    """Every version up to ``as_of`` (all of them without it), oldest first."""
    rebuilt_from_audit: records.AuditRebuild | None
    """The same state replayed from the audit entries alone."""
    audit_agrees: bool
    """Whether the replay gives the stored version's version, state and fields."""


class AnomalyFields(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = None
    description: str | None = None
    lots: list[str] | None = None
    disposition: str | None = None


class AnomalyCreateRequest(AnomalyFields):
    title: str


class AnomalyUpdateRequest(AnomalyFields):
    reason: str | None = None


class StrictSignature(SignatureRequest):
    model_config = ConfigDict(extra="forbid")


class TransitionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: str
    reason: str | None = None
    signature: StrictSignature | None = None


class SignRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    signature: StrictSignature
    reason: str | None = None


IfMatch = Annotated[str | None, Header(alias="If-Match")]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Sent again with the same request, answers the first answer again",
    ),
]


def _once(
    request: Request,
    store: GraphStore,
    caller: Principal,
    key: str | None,
    body: BaseModel,
    run: Callable[[], Response],
) -> Response:
    """``run()``, at most once per ``Idempotency-Key`` of this caller (replayed after)."""
    content = body.model_dump(mode="json")
    if isinstance(content.get("signature"), dict):
        content["signature"].pop("password", None)  # never part of anything stored
    fingerprint = " ".join(
        (request.method, request.url.path, request.headers.get("if-match", ""), str(content))
    )

    def answered() -> idempotency.Answer:
        response = run()
        return idempotency.Answer(
            response.status_code, bytes(response.body).decode("utf-8"), response.headers.get("etag")
        )

    answer = idempotency.once(
        store, caller_id=caller.id, key=key, request=fingerprint, run=answered
    )
    headers = {"ETag": answer.etag} if answer.etag else {}
    return Response(
        answer.body, status_code=answer.status, media_type="application/json", headers=headers
    )


def _expected(if_match: str | None) -> int:
    text = (if_match or "").strip().removeprefix("W/").strip('"')
    if not text:
        raise InvalidInput(
            "send the version you read as If-Match (the ETag of GET)",
            details={"field": "If-Match"},
        )
    if not text.isdigit():
        raise InvalidInput(
            f'If-Match must be a record version such as "3", not {if_match!r}',
            details={"field": "If-Match"},
        )
    return int(text)


def _conditional(change: Callable[[], T]) -> T:
    """A stale ``If-Match`` is 412 (the service says 409 with the current version)."""
    try:
        return change()
    except Conflict as exc:
        details = exc.details if isinstance(exc.details, dict) else {}
        if "current_version" in details:
            raise PreconditionFailed(exc.message, details=details) from exc
        raise


def _report(store: GraphStore, record: StoredRecord) -> RecordReport:
    spec = RECORD_TYPES[record.kind]
    return RecordReport(
        **record.model_dump(),
        links=store.record_links(record.id),
        signatures=records.check_signatures(store, record.id),
        allowed_actions=spec.allowed_actions(record.state),
    )


def _answer(store: GraphStore, record: StoredRecord, *, status: int = 200) -> Response:
    body = _report(store, record).model_dump_json()
    return Response(
        body,
        status_code=status,
        media_type="application/json",
        headers={"ETag": f'"{record.version}"'},
    )


_CHANGE_ERRORS = error_responses(
    401, 403, 404, 409, 412, 422, s404="No record (or linked node) has this id"
)


@router.post(
    "/anomalies",
    summary="Raise an anomaly (nonconformance)",
    status_code=201,
    response_model=RecordReport,
    responses=error_responses(401, 403, 404, 422, s404="A lot named in lots does not exist"),
)
def create_anomaly(
    body: AnomalyCreateRequest,
    request: Request,
    store: StoreDep,
    caller: CallerDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    def run() -> Response:
        made = records.create_record(
            store,
            request_context(request, caller),
            kind="anomaly",
            data=body.model_dump(exclude_none=True),
        )
        return _answer(store, made, status=201)

    return _once(request, store, caller, idempotency_key, body, run)


_RENDERINGS: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "text/html": {"schema": {"type": "string"}},
        }
    }
}


@router.get(
    "/records/{record_id}",
    summary="A record's current version, links and signatures (ETag: its version)",
    description="JSON by default; `Accept: text/csv` or `text/html` for a printable rendering "
    "with the signatures' printed name, time, meaning and status.",
    response_model=RecordReport,
    responses={**_RENDERINGS, **error_responses(401, 403, 404, s404="No record has this id")},
)
@router.get(
    "/anomalies/{record_id}",
    summary="An anomaly's current version, links and signatures (ETag: its version)",
    response_model=RecordReport,
    responses={**_RENDERINGS, **error_responses(401, 403, 404, s404="No record has this id")},
)
def get_record(record_id: str, request: Request, store: StoreDep, caller: CallerDep) -> Response:
    record = records.get_record(store, record_id)
    check_action(caller, f"{record.kind}.read")
    accept = {
        part.split(";")[0].strip().lower() for part in request.headers.get("accept", "").split(",")
    }
    etag = {"ETag": f'"{record.version}"'}
    if "text/csv" in accept:
        text = record_csv(record, records.check_signatures(store, record_id))
        return Response(text, media_type="text/csv; charset=utf-8", headers=etag)
    if "text/html" in accept:
        text = record_html(record, records.check_signatures(store, record_id))
        return Response(text, media_type="text/html; charset=utf-8", headers=etag)
    return _answer(store, record)


@router.patch(
    "/anomalies/{record_id}",
    summary="Change an anomaly's fields: a new version (If-Match: the version read)",
    response_model=RecordReport,
    responses=_CHANGE_ERRORS,
)
def update_anomaly(
    record_id: str,
    body: AnomalyUpdateRequest,
    request: Request,
    store: StoreDep,
    caller: CallerDep,
    if_match: IfMatch = None,
) -> Response:
    expected = _expected(if_match)
    changes = body.model_dump(exclude_none=True, exclude={"reason"})
    updated = _conditional(
        lambda: records.update_record(
            store,
            request_context(request, caller),
            record_id=record_id,
            expected_version=expected,
            changes=changes,
            reason=body.reason,
        )
    )
    return _answer(store, updated)


@router.post(
    "/anomalies/{record_id}/transitions",
    summary="Move an anomaly on (investigate, disposition, close with a signature, void)",
    response_model=RecordReport,
    responses=_CHANGE_ERRORS,
)
def transition_anomaly(
    record_id: str,
    body: TransitionRequest,
    request: Request,
    store: StoreDep,
    caller: CallerDep,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    expected = _expected(if_match)

    def run() -> Response:
        moved = _conditional(
            lambda: records.transition_record(
                store,
                request_context(request, caller),
                record_id=record_id,
                expected_version=expected,
                action=body.action,
                reason=body.reason,
                signature=body.signature,
            )
        )
        return _answer(store, moved)

    return _once(request, store, caller, idempotency_key, body, run)


@router.post(
    "/records/{record_id}/signatures",
    summary="Sign a record's current version (password again; never with an API key)",
    status_code=201,
    response_model=Signature,
    responses=_CHANGE_ERRORS,
)
def sign(
    record_id: str,
    body: SignRequest,
    request: Request,
    store: StoreDep,
    caller: CallerDep,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    expected = _expected(if_match)

    def run() -> Response:
        signed = _conditional(
            lambda: records.sign_record(
                store,
                request_context(request, caller),
                record_id=record_id,
                expected_version=expected,
                signature=body.signature,
                reason=body.reason,
            )
        )
        return Response(signed.model_dump_json(), status_code=201, media_type="application/json")

    return _once(request, store, caller, idempotency_key, body, run)


@router.get(
    "/records/{record_id}/history",
    summary="A record's versions, and its state at a past moment (as_of)",
    response_model=HistoryReport,
    responses=error_responses(401, 403, 404, 422, s404="No record, or none yet at as_of"),
)
def history(
    record_id: str,
    store: StoreDep,
    caller: CallerDep,
    as_of: Annotated[datetime | None, Query(description="ISO 8601 time with offset")] = None,
) -> HistoryReport:
    current = records.get_record(store, record_id)
    check_action(caller, f"{current.kind}.read")
    if as_of is not None and as_of.tzinfo is None:
        raise InvalidInput("as_of needs a UTC offset (e.g. Z)", details={"field": "as_of"})
    then = records.record_as_of(store, record_id, as_of=as_of)
    versions = [v for v in store.record_versions(record_id) if v.version <= then.version]
    rebuilt = records.rebuild_from_audit(store, record_id, up_to_version=then.version)
    agrees = rebuilt is not None and (rebuilt.version, rebuilt.state, rebuilt.data) == (
        then.version,
        then.state,
        then.data,
    )
    return HistoryReport(
        record_id=record_id,
        as_of=as_of,
        state_then=then,
        versions=versions,
        rebuilt_from_audit=rebuilt,
        audit_agrees=agrees,
    )
