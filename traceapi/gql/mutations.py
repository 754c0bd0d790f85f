# mypy: disable-error-code="untyped-decorator"
"""GraphQL records: the ``record`` query and the mutations on records, each a verb that takes
``expectedVersion`` where it changes an existing record. The services decide everything (the
policy, versions, signatures); resolvers only carry the caller and the arguments there."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import anyio
import strawberry
from strawberry.scalars import JSON

from traceapi.domain.records import SignatureMeaning, StoredRecord
from traceapi.gql.types import Info
from traceapi.services import records
from traceapi.services.policy import RequestContext
from traceapi.services.records import SignatureCheck, SignatureRequest

T = TypeVar("T")


async def _run(call: Callable[[], T]) -> T:
    return await anyio.to_thread.run_sync(call)


async def _caller(info: Info) -> RequestContext:
    context = info.context
    principal = await context.authenticated()
    return RequestContext(principal, request_id=context.request_id, client_address=context.address)


@strawberry.type(description="An electronic signature: who, when (UTC), meaning, what version.")
class RecordSignature:
    signature_id: str
    printed_name: str
    user_id: str
    signed_at: datetime
    meaning: str
    record_version: int
    content_hash: str
    status: str = strawberry.field(description="valid, superseded (edited since) or invalid")
    problem: str | None

    @classmethod
    def of(cls, check: SignatureCheck) -> RecordSignature:
        s = check.signature
        return cls(
            signature_id=s.signature_id,
            printed_name=s.printed_name,
            user_id=s.user_id,
            signed_at=s.signed_at,
            meaning=s.meaning.value,
            record_version=s.record_version,
            content_hash=s.content_hash,
            status=check.status,
            problem=check.problem,
        )


@strawberry.type(description="One version of a record (anomaly, ...), never overwritten.")
class Record:
    id: strawberry.ID
    kind: str
    state: str
    version: int
    data: JSON
    content_hash: str
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime
    allowed_actions: list[str]
    signatures: list[RecordSignature]

    @classmethod
    def of(cls, record: StoredRecord, checks: list[SignatureCheck]) -> Record:
        from traceapi.domain.records import RECORD_TYPES

        return cls(
            id=strawberry.ID(record.id),
            kind=record.kind,
            state=record.state,
            version=record.version,
            data=JSON(dict(record.data)),
            content_hash=record.content_hash,
            created_by=record.created_by,
            created_at=record.created_at,
            updated_by=record.updated_by,
            updated_at=record.updated_at,
            allowed_actions=RECORD_TYPES[record.kind].allowed_actions(record.state),
            signatures=[RecordSignature.of(check) for check in checks],
        )


@strawberry.input(description="The password again and what the signature means.")
class SignatureInput:
    password: str
    meaning: str = strawberry.field(description="review, approval, responsibility, authorship")

    def request(self) -> SignatureRequest:
        from traceapi.errors import InvalidInput

        try:
            meaning = SignatureMeaning(self.meaning)
        except ValueError:
            raise InvalidInput(
                "meaning is one of review, approval, responsibility, authorship",
                details={"field": "signature.meaning"},
            ) from None
        return SignatureRequest(password=self.password, meaning=meaning)


def _answer(store: Any, record: StoredRecord) -> Record:
    return Record.of(record, records.check_signatures(store, record.id))


async def record_field(info: Info, id: strawberry.ID) -> Record:
    """The resolver of ``Query.record``."""
    context = info.context
    principal = await context.authenticated()

    def read() -> Record:
        from traceapi.services.policy import require

        found = records.get_record(context.store, str(id))
        require(principal, f"{found.kind}.read")
        return _answer(context.store, found)

    return await _run(read)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Raise an anomaly; lots are linked (CONCERNS).")
    async def raise_anomaly(
        self,
        info: Info,
        title: str,
        description: str | None = None,
        lots: list[strawberry.ID] | None = None,
    ) -> Record:
        ctx, store = await _caller(info), info.context.store
        data: dict[str, Any] = {"title": title}
        if description is not None:
            data["description"] = description
        if lots is not None:
            data["lots"] = [str(lot) for lot in lots]
        made = await _run(lambda: records.create_record(store, ctx, kind="anomaly", data=data))
        return await _run(lambda: _answer(store, made))

    @strawberry.mutation(description="Change an anomaly's fields: a new version.")
    async def update_anomaly(
        self,
        info: Info,
        id: strawberry.ID,
        expected_version: int,
        title: str | None = None,
        description: str | None = None,
        lots: list[strawberry.ID] | None = None,
        disposition: str | None = None,
        reason: str | None = None,
    ) -> Record:
        ctx, store = await _caller(info), info.context.store
        given = {"title": title, "description": description, "disposition": disposition}
        changes: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
        if lots is not None:
            changes["lots"] = [str(lot) for lot in lots]
        updated = await _run(
            lambda: records.update_record(
                store,
                ctx,
                record_id=str(id),
                expected_version=expected_version,
                changes=changes,
                reason=reason,
            )
        )
        return await _run(lambda: _answer(store, updated))

    @strawberry.mutation(
        description="investigate, disposition (reason), close (reason and an approval "
        "signature), void (reason)."
    )
    async def transition_anomaly(
        self,
        info: Info,
        id: strawberry.ID,
        expected_version: int,
        action: str,
        reason: str | None = None,
        signature: SignatureInput | None = None,
    ) -> Record:
        ctx, store = await _caller(info), info.context.store
        signed = None if signature is None else signature.request()
        moved = await _run(
            lambda: records.transition_record(
                store,
                ctx,
                record_id=str(id),
                expected_version=expected_version,
                action=action,
                reason=reason,
                signature=signed,
            )
        )
        return await _run(lambda: _answer(store, moved))

    @strawberry.mutation(description="Sign a record's current version (password again).")
    async def sign(
        self,
        info: Info,
        id: strawberry.ID,
        expected_version: int,
        signature: SignatureInput,
        reason: str | None = None,
    ) -> RecordSignature:
        ctx, store = await _caller(info), info.context.store
        request = signature.request()
        await _run(
            lambda: records.sign_record(
                store,
                ctx,
                record_id=str(id),
                expected_version=expected_version,
                signature=request,
                reason=reason,
            )
        )
        checks = await _run(lambda: records.check_signatures(store, str(id)))
        return RecordSignature.of(checks[-1])
