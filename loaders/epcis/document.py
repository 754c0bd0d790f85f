"""The syntax-neutral shape both parsers produce: events as plain dicts, master data, and errors.

An event dict uses the EPCIS 2.0 JSON field names. Lists of EPCs are lists of strings;
``readPoint``/``bizLocation`` are the location id; quantity elements are dicts with ``epcClass``,
``quantity`` (text, as written) and ``uom``; ``bizTransactionList``/``sourceList``/
``destinationList`` are lists of ``(type, value)``; ``ilmd`` and ``ext`` (user extensions) are
lists of ``(expanded name, value)`` pairs where a value is text or again such a list. Expanded
names join the namespace and the local name with ``#`` so XML and JSON-LD spell them alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from traceapi.errors import InvalidInput

EVENT_TYPES = (
    "ObjectEvent",
    "AggregationEvent",
    "TransactionEvent",
    "TransformationEvent",
    "AssociationEvent",
)
EPC_LIST_FIELDS = ("epcList", "childEPCs", "inputEPCList", "outputEPCList")
QUANTITY_LIST_FIELDS = (
    "quantityList",
    "childQuantityList",
    "inputQuantityList",
    "outputQuantityList",
)
PARTY_LIST_FIELDS = ("sourceList", "destinationList")

Event = dict[str, Any]
Pairs = list[tuple[str, Any]]


@dataclass(slots=True)
class EpcisDocument:
    """Events in document order plus master-data attributes keyed by vocabulary element id."""

    name: str
    syntax: str
    """``json`` or ``xml``."""
    schema_version: str
    events: list[Event] = field(default_factory=list)
    master_data: dict[str, dict[str, str]] = field(default_factory=dict)


def expand_name(namespace: str, local: str) -> str:
    """One spelling for a qualified name: the namespace without its trailing separator, ``#``,
    the local name (``http://ex.com/ns/`` + ``a`` and ``http://ex.com/ns`` + ``a`` agree)."""
    return namespace.rstrip("/#:") + "#" + local


def split_uri_name(uri: str) -> tuple[str, str]:
    """A full-URI property name split into namespace and local name (at the last #, / or :)."""
    for sep in ("#", "/", ":"):
        head, found, tail = uri.rpartition(sep)
        if found and head and tail:
            return head, tail
    return "", uri


def local_name(name: str) -> str:
    """The part of an attribute or field name after its namespace (``cbvmda:name`` -> ``name``)."""
    for sep in ("#", "/", ":"):
        if sep in name:
            name = name.rsplit(sep, 1)[1]
    return name


def document_error(
    name: str,
    message: str,
    *,
    event_index: int | None = None,
    event_id: str | None = None,
    field_name: str | None = None,
    line: int | None = None,
) -> InvalidInput:
    """An InvalidInput naming the file, the event (index and eventID) and the field at fault."""
    where = [name]
    details: dict[str, Any] = {"file": name}
    if line is not None:
        where.append(f"line {line}")
        details["line"] = line
    if event_index is not None:
        label = f"event #{event_index}"
        if event_id:
            label += f" ({event_id})"
        where.append(label)
        details["event_index"] = event_index
        if event_id:
            details["event_id"] = event_id
    if field_name:
        where.append(f"field {field_name}")
        details["field"] = field_name
    return InvalidInput(f"{', '.join(where)}: {message}", details=details)


class EventProblem(ValueError):
    """A problem inside one event; the parser adds the file and event index."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field_name = field_name
        self.message = message
