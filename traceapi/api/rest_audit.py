"""REST: read the audit trail (QA and admin keys only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from traceapi.api.answers import page_answer
from traceapi.api.deps import QaKey, SettingsDep, StoreDep
from traceapi.api.paging import check_page_size
from traceapi.api.schemas import AuditPage, error_responses
from traceapi.services.audit import AuditVerification, read_entries, verify_chain

router = APIRouter(prefix="/api/v1", tags=["audit"])


@router.get(
    "/audit-entries",
    summary="Audit trail entries in sequence order",
    response_model=AuditPage,
    responses=error_responses(401, 403, 413, 422, s403="Needs a qa or admin key"),
)
def audit_entries(
    store: StoreDep,
    settings: SettingsDep,
    _key: QaKey,
    after_seq: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1)] = 100,
) -> Response:
    check_page_size(limit, cap=settings.max_page_size, field="limit")
    entries = read_entries(store, after_seq=after_seq, limit=limit + 1)
    page = entries[:limit]
    next_after = page[-1].seq if len(entries) > limit and page else None
    return page_answer(page, next_after_seq=next_after)


@router.get(
    "/audit/verify",
    summary="Recompute the audit chain and name the first broken entry",
    response_model=AuditVerification,
    responses=error_responses(401, 403, s403="Needs a qa or admin key"),
)
def audit_verify(store: StoreDep, _key: QaKey) -> AuditVerification:
    return verify_chain(store)
