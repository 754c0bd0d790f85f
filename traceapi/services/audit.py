"""Checks the audit trail's hash chain, so tampering with any stored entry is detected and named.

The walk reads entries as stored (``audit_records``) and decodes each itself: an entry whose
JSON or timestamp is damaged is a broken entry named by its seq, not a crash. A deleted entry is
named by the seq that is missing. Deleting the *last* entries leaves a shorter chain that is
intact: only something kept outside the store can tell, so ``audit checkpoint`` writes the
chain's head (seq and hash) to a file, and a later ``verify`` against that file names entries
that went missing or changed since.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import BaseModel

from traceapi.domain.audit import (
    GENESIS_HASH,
    AuditDecodeError,
    AuditDraft,
    AuditEntry,
    AuditRecord,
    chain_entry,
    decode_audit_record,
    entry_hash,
    stored_entry_hash,
)
from traceapi.domain.clock import utc_now
from traceapi.errors import InvalidInput
from traceapi.services.policy import RequestContext
from traceapi.store.base import GraphStore, StoreTx

_DRAFT_FIELDS = tuple(AuditDraft.model_fields)
MAX_SEQ = 2**63 - 1
"""The largest sequence number either backend can hold."""


class AuditCheckpoint(BaseModel):
    """The chain's head at a moment, kept outside the store (a file, a ticket, a printout),
    signed with the store's Ed25519 key so that a forged head is told apart."""

    seq: int
    hash: str
    taken_at: datetime
    algorithm: str | None = None
    """``Ed25519`` when signed (checkpoints written before signing carry none)."""
    public_key: str | None = None
    """The signer's raw public key, hex: compare its fingerprint with the one on record."""
    signature: str | None = None
    """Hex Ed25519 signature over ``signed_payload()``."""

    def signed_payload(self) -> bytes:
        head = {"seq": self.seq, "hash": self.hash, "taken_at": self.taken_at.isoformat()}
        return json.dumps(head, sort_keys=True, separators=(",", ":")).encode("utf-8")


SIGNING_KEY_FILE = "audit-signing-key.pem"
"""The Ed25519 private key that signs checkpoints, in the data directory (mode 0600)."""


def signing_key(data_dir: Path, *, create: bool) -> Ed25519PrivateKey | None:
    """The store's checkpoint signing key; made (0600) when ``create`` and there is none."""
    path = data_dir / SIGNING_KEY_FILE
    if path.is_file():
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (ValueError, TypeError) as exc:
            raise InvalidInput(
                f"{path} is not an Ed25519 private key in PEM", details={"file": str(path)}
            ) from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise InvalidInput(f"{path} is not an Ed25519 key", details={"file": str(path)})
        return key
    if not create:
        return None
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    data_dir.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)
    return key


def _public_hex(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return raw.hex()


def sign_checkpoint(checkpoint: AuditCheckpoint, key: Ed25519PrivateKey) -> AuditCheckpoint:
    signed = checkpoint.model_copy(update={"algorithm": "Ed25519", "public_key": _public_hex(key)})
    return signed.model_copy(update={"signature": key.sign(signed.signed_payload()).hex()})


def checkpoint_signature_problem(
    checkpoint: AuditCheckpoint, key: Ed25519PrivateKey | None
) -> str | None:
    """Why a checkpoint's signature cannot be trusted, or None when it is the store key's."""
    if checkpoint.signature is None:
        return "the checkpoint is not signed"
    if key is None:
        return "the data directory holds no signing key to check the checkpoint against"
    if checkpoint.public_key != _public_hex(key):
        return "the checkpoint was signed with another key than this store's"
    try:
        key.public_key().verify(bytes.fromhex(checkpoint.signature), checkpoint.signed_payload())
    except (InvalidSignature, ValueError):
        return "the checkpoint's signature does not match its content (it was edited)"
    return None


class AuditVerification(BaseModel):
    """The outcome of walking the chain: ok, how many entries were checked, where it broke."""

    ok: bool
    checked: int
    first_broken_seq: int | None = None
    reason: str | None = None
    last_seq: int | None = None
    last_hash: str | None = None
    checkpoint_seq: int | None = None
    """The seq of the checkpoint verified against, when one was given."""


def draft_for(
    ctx: RequestContext,
    *,
    action: str,
    entity_kind: str | None = None,
    entity_id: str | None = None,
    record_version: int | None = None,
    changes: dict[str, list[Any]] | None = None,
    reason: str | None = None,
    new: dict[str, Any] | None = None,
) -> AuditDraft:
    """The entry a change by ``ctx``'s principal writes: who (id and name as they are now),
    how they signed in, from where, and what changed."""
    principal = ctx.principal
    return AuditDraft(
        actor=principal.id,
        actor_name=principal.name,
        auth_method=principal.auth_method.value,
        request_id=ctx.request_id,
        client_address=ctx.client_address,
        action=action,
        entity_kind=entity_kind,
        entity_id=entity_id,
        record_version=record_version,
        changes=changes,
        reason=reason,
        new=new,
    )


def append_in(tx: StoreTx, draft: AuditDraft) -> AuditEntry:
    """Chains ``draft`` to the trail inside a unit of work (the server's clock, the one rule)."""
    seq, prev_hash = tx.audit_head()
    entry = chain_entry(draft, prev_seq=seq, prev_hash=prev_hash, at=utc_now())
    tx.put_audit(entry)
    return entry


def check_after_seq(after_seq: int, *, field: str = "after_seq") -> int:
    """A sequence number a client sent: 0 to ``MAX_SEQ``, else InvalidInput naming the field."""
    if not 0 <= after_seq <= MAX_SEQ:
        raise InvalidInput(
            f"{field} must be between 0 and {MAX_SEQ}", details={"field": field, "value": after_seq}
        )
    return after_seq


def read_entries(
    store: GraphStore, *, after_seq: int = 0, limit: int = 100, field: str = "after_seq"
) -> list[AuditEntry]:
    """A page of entries for a reader (API, CLI): the cursor (named ``field`` to the client)
    is checked first, and a damaged entry answers ``CorruptData`` naming its seq."""
    return store.audit_entries(after_seq=check_after_seq(after_seq, field=field), limit=limit)


def _problem(record: AuditRecord, *, expected_seq: int, prev_hash: str) -> str | None:
    seq = record.get("seq")
    if seq != expected_seq:
        return f"entry {expected_seq} is missing (the next stored entry is {seq})"
    if record.get("prev_hash") == prev_hash and stored_entry_hash(record) == record.get("hash"):
        return None  # well formed and intact: no need to build the models
    try:
        entry = decode_audit_record(record)
    except AuditDecodeError as exc:
        return f"the entry does not decode: {exc.reason}"
    if entry.prev_hash != prev_hash:
        return "prev_hash does not match the hash of the entry before it"
    draft = AuditDraft(**{name: getattr(entry, name) for name in _DRAFT_FIELDS})
    if entry_hash(entry.prev_hash, entry.seq, entry.at, draft) != entry.hash:
        return "content does not match its hash (the entry was changed after it was written)"
    return None


def verify_chain(
    store: GraphStore, *, page_size: int = 1000, checkpoint: AuditCheckpoint | None = None
) -> AuditVerification:
    """Walks the stored records in pages, decoding each, recomputing its hash and checking its
    link; with ``checkpoint``, also that the chain still reaches it, unchanged."""
    checked = 0
    prev_hash = GENESIS_HASH
    expected_seq = 1
    after = 0
    head: tuple[int, str] | None = None
    at_checkpoint: str | None = None

    def broken(seq: int, reason: str) -> AuditVerification:
        return AuditVerification(
            ok=False,
            checked=checked,
            first_broken_seq=seq,
            reason=reason,
            last_seq=head[0] if head else None,
            last_hash=head[1] if head else None,
            checkpoint_seq=checkpoint.seq if checkpoint else None,
        )

    while page := store.audit_records(after_seq=after, limit=page_size):
        for record in page:
            problem = _problem(record, expected_seq=expected_seq, prev_hash=prev_hash)
            if problem is not None:
                return broken(expected_seq, problem)
            checked += 1
            prev_hash = str(record["hash"])
            head = (expected_seq, prev_hash)
            if checkpoint is not None and expected_seq == checkpoint.seq:
                at_checkpoint = prev_hash
            expected_seq += 1
        after = int(page[-1]["seq"])
    if checkpoint is not None:
        taken = checkpoint.taken_at.isoformat()
        if head is None or head[0] < checkpoint.seq:
            first_missing = head[0] + 1 if head else 1
            return broken(
                first_missing,
                f"entries {first_missing} to {checkpoint.seq} are missing: the checkpoint of "
                f"{taken} saw the chain reach seq {checkpoint.seq}",
            )
        if at_checkpoint != checkpoint.hash:
            return broken(
                checkpoint.seq,
                f"entry {checkpoint.seq} is not the one the checkpoint of {taken} saw (its "
                "hash differs)",
            )
    return AuditVerification(
        ok=True,
        checked=checked,
        last_seq=head[0] if head else None,
        last_hash=head[1] if head else None,
        checkpoint_seq=checkpoint.seq if checkpoint else None,
    )


def take_checkpoint(store: GraphStore) -> AuditCheckpoint:
    """The head of an intact chain; InvalidInput when the chain is broken (a checkpoint of a
    broken chain would vouch for it)."""
    result = verify_chain(store)
    if not result.ok:
        raise InvalidInput(
            f"the audit chain is broken at entry {result.first_broken_seq}: {result.reason}",
            details={"first_broken_seq": result.first_broken_seq},
        )
    return AuditCheckpoint(
        seq=result.last_seq or 0,
        hash=result.last_hash or GENESIS_HASH,
        taken_at=datetime.now(UTC),
    )
