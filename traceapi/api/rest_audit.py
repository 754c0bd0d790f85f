"""REST: read the audit trail (QA and admin keys only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from traceapi.api.answers import page_answer
from traceapi.api.deps import QaKey, SettingsDep, StoreDep
from traceapi.api.paging import check_page_size
from traceapi.api.schemas import AuditPage, error_responses
from traceapi.errors import InvalidInput
from traceapi.services.audit import (
    AuditCheckpoint,
    AuditVerification,
    checkpoint_signature_problem,
    read_entries,
    signing_key,
    verify_chain,
)

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


@router.post(
    "/audit/verify",
    summary="Recompute the audit chain against a signed checkpoint (from audit checkpoint)",
    description="The body is the file `traceapi audit checkpoint` wrote. An unsigned, edited or "
    "foreign checkpoint is 422 naming `checkpoint`; otherwise the answer of GET, which also "
    "names entries deleted from the end or rewritten since the checkpoint.",
    response_model=AuditVerification,
    responses=error_responses(401, 403, 422, s403="Needs a qa or admin key"),
)
def audit_verify_against(
    checkpoint: AuditCheckpoint, store: StoreDep, settings: SettingsDep, _key: QaKey
) -> AuditVerification:
    problem = checkpoint_signature_problem(checkpoint, signing_key(settings.data_dir, create=False))
    if problem is not None:
        raise InvalidInput(
            f"{problem}; it cannot vouch for the chain", details={"field": "checkpoint"}
        )
    return verify_chain(store, checkpoint=checkpoint)
