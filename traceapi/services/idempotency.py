"""Retried POSTs have one effect: the first answer to an ``Idempotency-Key`` is kept and given
again to the same caller for the same request.

A key is reserved (``pending``) in its own unit of work before the request runs, so two
copies racing each other cannot both run: the second is ``Conflict`` (retry later). The answer
is stored when the request ends: a success or a refusal (4xx) is replayed as it was; a failure
of ours (5xx) leaves the key free to run again. Keys are per caller, and a key sent again with
another request (method, path or body) is refused naming ``Idempotency-Key``. A process that
dies between the effect and storing its answer leaves the key pending: its retries get 409,
never a second effect.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from traceapi.domain.clock import utc_now
from traceapi.domain.idempotency import IdempotentAnswer
from traceapi.errors import Conflict, InvalidInput, TraceapiError
from traceapi.store.base import GraphStore, StoreTx

MAX_KEY_LENGTH = 200
FIELD = "Idempotency-Key"


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    etag: str | None = None


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()


def check_key(key: str) -> str:
    if not 0 < len(key) <= MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidInput(
            f"an Idempotency-Key is 1 to {MAX_KEY_LENGTH} printable characters",
            details={"field": FIELD},
        )
    return key


def once(
    store: GraphStore,
    *,
    caller_id: str,
    key: str | None,
    request: str,
    run: Callable[[], Answer],
) -> Answer:
    """``run()``'s answer, or the first one given to ``key`` for this very ``request``."""
    if key is None:
        return run()
    key_hash = _digest(caller_id, check_key(key))
    fingerprint = _digest(request)

    def reserve(tx: StoreTx) -> IdempotentAnswer | None:
        found = tx.get_idempotent(key_hash)
        if found is not None and found.state != "failed":
            return found
        tx.put_idempotent(
            IdempotentAnswer(
                key_hash=key_hash, fingerprint=fingerprint, state="pending", created_at=utc_now()
            )
        )
        return None

    found = store.run_in_tx(reserve, doing="reserving an Idempotency-Key")
    if found is not None:
        if found.fingerprint != fingerprint:
            raise InvalidInput(
                "this Idempotency-Key was used for another request; use a new key",
                details={"field": FIELD},
            )
        if found.state == "pending" or found.status is None:
            raise Conflict(
                "a request with this Idempotency-Key is still running or did not finish",
                details={"field": FIELD},
            )
        return Answer(status=found.status, body=found.body or "", etag=found.etag)

    def keep(answer: Answer | None, state: str) -> None:
        stored = IdempotentAnswer(
            key_hash=key_hash,
            fingerprint=fingerprint,
            state=state,  # type: ignore[arg-type]
            status=None if answer is None else answer.status,
            body=None if answer is None else answer.body,
            etag=None if answer is None else answer.etag,
            created_at=utc_now(),
        )
        store.run_in_tx(lambda tx: tx.put_idempotent(stored), doing="keeping an answer")

    try:
        answer = run()
    except TraceapiError as exc:
        if exc.http_status < 500:
            keep(Answer(exc.http_status, json.dumps({"error": exc.to_dict()})), "done")
        else:
            keep(None, "failed")
        raise
    except BaseException:
        keep(None, "failed")
        raise
    keep(answer, "done")
    return answer
