"""The checks every event passes before anything is mapped, the same for XML and JSON input.

Mandatory fields, the action and CBV vocabularies, time formats, quantities and EPC syntax.
Standard CBV values are rewritten to their bare word here, so later code compares one form.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from loaders.epcis import cbv
from loaders.epcis.document import (
    EPC_LIST_FIELDS,
    PARTY_LIST_FIELDS,
    QUANTITY_LIST_FIELDS,
    Event,
    EventProblem,
)
from loaders.epcis.identifiers import gs1_key_problem
from loaders.epcis.timestamps import check_offset, parse_time

ACTIONS = frozenset({"ADD", "OBSERVE", "DELETE"})
_EPC_FIELDS = ("parentID", *EPC_LIST_FIELDS)
_UOM = re.compile(r"^[A-Z0-9]{2,3}$")
_PLAIN_NUMBER = re.compile(r"^\d{1,15}(\.\d{1,15})?$")
"""Non-negative decimals that need no further check (the common case)."""


def validate_event(event: Event, *, require_zone: bool) -> None:
    """Raises EventProblem naming the first field at fault; normalises CBV values in place."""
    kind = event["type"]
    _check_time(event, "eventTime", required=True, require_zone=require_zone)
    offset = event.get("eventTimeZoneOffset")
    if offset is None:
        raise EventProblem("eventTimeZoneOffset", "eventTimeZoneOffset is required")
    try:
        check_offset(offset)
    except ValueError as err:
        raise EventProblem("eventTimeZoneOffset", str(err)) from None
    _check_time(event, "recordTime", required=False, require_zone=require_zone)
    _check_error_declaration(event, require_zone=require_zone)

    action = event.get("action")
    if kind != "TransformationEvent":
        if action is None:
            raise EventProblem("action", f"action is required in a {kind}")
        if action not in ACTIONS:
            raise EventProblem(
                "action", f"invalid action {action!r}: must be ADD, OBSERVE or DELETE"
            )
    elif action is not None:
        raise EventProblem("action", "a TransformationEvent has no action")
    if (
        kind == "ObjectEvent"
        and event.get("epcList") is None
        and event.get("quantityList") is None
        and not (event.get("sensorElementList") and event.get("readPoint"))
    ):
        # GS1's JSON Schema (ObjectEvent anyOf): an epcList, a quantityList, or sensor data
        # observed at a read point.
        raise EventProblem(
            "epcList",
            "an ObjectEvent needs an epcList or a quantityList (or a sensorElementList with "
            "a readPoint)",
        )

    get = event.get
    for name in _EPC_FIELDS:
        values = get(name)
        if values is None:  # absent, or JSON null: nothing to check
            continue
        for value in [values] if isinstance(values, str) else values:
            _check_epc(name, value)
    for name in QUANTITY_LIST_FIELDS:
        for element in get(name) or ():
            _check_quantity(name, element)

    _normalise_vocab(event, "bizStep", cbv.BIZ_STEP)
    _normalise_vocab(event, "disposition", cbv.DISPOSITION)
    persistent = event.get("persistentDisposition")
    if persistent:
        for part in ("set", "unset"):
            try:
                persistent[part] = [
                    cbv.normalise(v, cbv.DISPOSITION) for v in persistent.get(part, [])
                ]
            except cbv.VocabularyError as err:
                raise EventProblem(f"persistentDisposition.{part}", str(err)) from None
    if "bizTransactionList" in event:
        event["bizTransactionList"] = _normalise_typed(
            event["bizTransactionList"], "bizTransactionList", cbv.BIZ_TRANSACTION_TYPE
        )
    for name in PARTY_LIST_FIELDS:
        if name in event:
            event[name] = _normalise_typed(
                event[name], name, cbv.SOURCE_DEST_TYPE, type_required=True
            )
            for _, party in event[name] or ():
                _check_key(name, party)
    for name in ("readPoint", "bizLocation"):
        place = get(name)
        if place is not None:
            _check_key(name, place)
    for value in event.get("certificationInfo") or ():
        if not isinstance(value, str):
            raise EventProblem(
                "certificationInfo", f"certificationInfo must be URIs (strings), got {value!r}"
            )


def _check_time(event: Event, name: str, *, required: bool, require_zone: bool) -> None:
    value = event.get(name)
    if value is None:
        if required:
            raise EventProblem(name, f"{name} is required")
        return
    try:
        parse_time(value, require_zone=require_zone)
    except ValueError as err:
        raise EventProblem(name, f"invalid {name}: {err}") from None


def _check_error_declaration(event: Event, *, require_zone: bool) -> None:
    declaration = event.get("errorDeclaration")
    if declaration is None:
        return
    value = declaration.get("declarationTime")
    if value is None:
        raise EventProblem("errorDeclaration.declarationTime", "declarationTime is required")
    try:
        parse_time(value, require_zone=require_zone)
    except ValueError as err:
        raise EventProblem("errorDeclaration.declarationTime", str(err)) from None
    if declaration.get("reason"):
        try:
            declaration["reason"] = cbv.normalise(declaration["reason"], cbv.ERROR_REASON)
        except cbv.VocabularyError as err:
            raise EventProblem("errorDeclaration.reason", str(err)) from None


def _check_epc(field_name: str, value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise EventProblem(field_name, f"{field_name} must hold identifiers, got {value!r}")
    if ":" not in value:
        raise EventProblem(field_name, f"{value!r} is not a URI")
    _check_key(field_name, value)


def _check_key(field_name: str, value: str) -> None:
    """A malformed EPC URN, or a GTIN, SSCC or GLN that breaks the GS1 rules, is refused."""
    try:
        problem = gs1_key_problem(value)
    except ValueError as err:
        raise EventProblem(field_name, str(err)) from None
    if problem is not None:
        raise EventProblem(field_name, problem)


def _check_quantity(field_name: str, element: dict[str, str | None]) -> None:
    epc_class = element.get("epcClass")
    if not epc_class:
        raise EventProblem(f"{field_name}.epcClass", "a quantity element needs an epcClass")
    _check_epc(f"{field_name}.epcClass", epc_class)
    quantity = element.get("quantity")
    if quantity is not None and not _PLAIN_NUMBER.match(quantity):
        try:
            number = Decimal(quantity)
        except InvalidOperation:
            raise EventProblem(
                f"{field_name}.quantity", f"quantity must be a number, got {quantity!r}"
            ) from None
        if not number.is_finite() or number < 0:
            raise EventProblem(
                f"{field_name}.quantity", f"quantity must be a finite number >= 0, got {quantity!r}"
            )
    uom = element.get("uom")
    if uom is not None:
        if quantity is None:
            raise EventProblem(f"{field_name}.uom", "uom is given without a quantity")
        if not _UOM.match(uom):
            raise EventProblem(f"{field_name}.uom", f"uom {uom!r} is not a UN/CEFACT code")


def _normalise_vocab(event: Event, name: str, vocabulary: cbv.Vocabulary) -> None:
    value = event.get(name)
    if value is None:
        return
    try:
        event[name] = cbv.normalise(value, vocabulary)
    except cbv.VocabularyError as err:
        raise EventProblem(name, str(err)) from None


def _normalise_typed(
    entries: list[tuple[str | None, str]] | None,
    name: str,
    vocabulary: cbv.Vocabulary,
    *,
    type_required: bool = False,
) -> list[tuple[str | None, str]] | None:
    """Entries with CBV types normalised and values trimmed; every value must be a URI (and,
    when ``type_required``, every entry typed: checked after all values, as it always was)."""
    if entries is None:
        return None
    out: list[tuple[str | None, str]] = []
    untyped = False
    for type_, value in entries:
        if not value or ":" not in value:
            raise EventProblem(name, f"{name} entry {value!r} is not a URI")
        if type_ is not None:
            try:
                type_ = cbv.normalise(type_, vocabulary)
            except cbv.VocabularyError as err:
                raise EventProblem(f"{name}.type", str(err)) from None
        else:
            untyped = True
        out.append((type_, value.strip()))
    if untyped and type_required:
        raise EventProblem(name, f"every entry of {name} needs a type")
    return out
