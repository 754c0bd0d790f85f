"""EPCIS 2.0 and 1.2 XML documents (and bare events) into the syntax-neutral event dicts.

Parsed with defusedxml (no entity expansion, no external references). In 2.0 the children of
an event follow the XSD sequence, and a child in no namespace that the standard does not define
is an error; user extensions live in their own namespace. In 1.2 the ``extension`` and
``baseExtension`` wrappers are unwrapped, and TransformationEvent/AssociationEvent sit inside
``EventList/extension``.
"""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from loaders.epcis.document import (
    EPC_LIST_FIELDS,
    EVENT_TYPES,
    QUANTITY_LIST_FIELDS,
    EpcisDocument,
    Event,
    EventProblem,
    document_error,
    expand_name,
    local_name,
)
from loaders.epcis.validate import validate_event

_HEAD = (
    "eventTime",
    "recordTime",
    "eventTimeZoneOffset",
    "baseExtension",
    "eventID",
    "errorDeclaration",
    "certificationInfo",
)
_TAIL = ("sensorElementList", "persistentDisposition", "ilmd", "extension")
ORDER: dict[str, tuple[str, ...]] = {
    "ObjectEvent": (
        *_HEAD,
        "epcList",
        "action",
        "bizStep",
        "disposition",
        "readPoint",
        "bizLocation",
        "bizTransactionList",
        "quantityList",
        "sourceList",
        "destinationList",
        *_TAIL,
    ),
    "AggregationEvent": (
        *_HEAD,
        "parentID",
        "childEPCs",
        "action",
        "bizStep",
        "disposition",
        "readPoint",
        "bizLocation",
        "bizTransactionList",
        "childQuantityList",
        "sourceList",
        "destinationList",
        *_TAIL,
    ),
    "TransactionEvent": (
        *_HEAD,
        "bizTransactionList",
        "parentID",
        "epcList",
        "action",
        "bizStep",
        "disposition",
        "readPoint",
        "bizLocation",
        "quantityList",
        "sourceList",
        "destinationList",
        *_TAIL,
    ),
    "TransformationEvent": (
        *_HEAD,
        "inputEPCList",
        "inputQuantityList",
        "outputEPCList",
        "outputQuantityList",
        "transformationID",
        "bizStep",
        "disposition",
        "readPoint",
        "bizLocation",
        "bizTransactionList",
        "sourceList",
        "destinationList",
        *_TAIL,
    ),
    "AssociationEvent": (
        *_HEAD,
        "parentID",
        "childEPCs",
        "childQuantityList",
        "action",
        "bizStep",
        "disposition",
        "readPoint",
        "bizLocation",
        "bizTransactionList",
        "sourceList",
        "destinationList",
        *_TAIL,
    ),
}
_WRAPPERS = ("extension", "baseExtension")
_XSI = "{http://www.w3.org/2001/XMLSchema-instance}"
_XSI_NIL = _XSI + "nil"
_EPCIS_NAMESPACES = frozenset(
    {
        "urn:epcglobal:epcis:xsd:1",
        "urn:epcglobal:epcis:xsd:2",
        "urn:epcglobal:epcis-query:xsd:1",
        "urn:epcglobal:epcis-query:xsd:2",
        "urn:epcglobal:epcis-masterdata:xsd:1",
        "urn:epcglobal:epcis-masterdata:xsd:2",
    }
)


def _unqualify(root: Element) -> None:
    """Elements written in an EPCIS namespace (``epcis:eventTime``) get their plain name, which
    is how the schema's unqualified event fields are read everywhere else."""
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.startswith("{"):
            namespace, _, local = element.tag[1:].partition("}")
            if namespace in _EPCIS_NAMESPACES:
                element.tag = local


def _split(tag: str) -> tuple[str, str]:
    """(namespace, local name) of an ElementTree tag; namespace '' when unqualified."""
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return "", tag


def parse_xml_document(data: bytes, *, name: str) -> EpcisDocument:
    """Reads and validates one XML document, event by event in document order; raises
    InvalidInput naming file, line, event and field of the first problem."""
    try:
        root = SafeET.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except ParseError as err:
        line = err.position[0] if getattr(err, "position", None) else None
        raise document_error(name, f"not well-formed XML: {err}", line=line) from None
    except DefusedXmlException as err:
        raise document_error(name, f"refused unsafe XML ({type(err).__name__})") from None
    namespace, root_name = _split(root.tag)
    version = root.get("schemaVersion") or ("1.2" if namespace.endswith(":1") else "2.0")
    _unqualify(root)
    doc = EpcisDocument(name=name, syntax="xml", schema_version=version)
    if root_name in EVENT_TYPES:
        elements = [root]
    elif root_name == "EPCISMasterDataDocument":
        elements = []
        doc.master_data = _master_data(root)
    elif root_name in ("EPCISDocument", "EPCISQueryDocument"):
        event_list = next((el for el in root.iter() if _split(el.tag)[1] == "EventList"), None)
        if event_list is None:
            raise document_error(name, "EPCISBody/EventList is missing", field_name="EventList")
        elements = list(_event_elements(event_list))
        doc.master_data = _master_data(root)
    else:
        raise document_error(name, f"root element <{root_name}> is not an EPCIS document")
    strict = not version.startswith("1.")
    for index, element in enumerate(elements):
        event_id = _event_id(element)
        if _split(element.tag)[1] not in EVENT_TYPES:
            raise document_error(
                name,
                f"unknown event type <{_split(element.tag)[1]}>",
                event_index=index,
                event_id=event_id,
                field_name="type",
            )
        try:
            event = _event(element, strict=strict)
            validate_event(event, require_zone=False)
            doc.events.append(event)
        except EventProblem as problem:
            raise document_error(
                name,
                problem.message,
                event_index=index,
                event_id=event_id,
                field_name=problem.field_name,
            ) from None
    return doc


def _event_elements(parent: Element) -> Any:
    """The event elements of an EventList, 1.2 ``extension`` wrappers opened, anything else
    passed on (and refused by the caller as an unknown event type)."""
    for child in parent:
        if not isinstance(child.tag, str):
            continue
        if _split(child.tag)[1] == "extension":
            yield from _event_elements(child)
        else:
            yield child


def _event_id(element: Element) -> str | None:
    for child in element.iter():
        if child.tag == "eventID" and child.text:
            return child.text.strip()
    return None


def _flatten(element: Element) -> list[Element]:
    """Event children with 1.2-style extension wrappers unwrapped (recursively)."""
    out: list[Element] = []
    for child in element:
        if not isinstance(child.tag, str):
            continue
        if child.tag in _WRAPPERS:
            out.extend(_flatten(child))
        else:
            out.append(child)
    return out


def _text(element: Element) -> str:
    return (element.text or "").strip()


def _check_order(kind: str, element: Element) -> None:
    order = ORDER[kind]
    position = {name: i for i, name in enumerate(order)}
    last = -1
    last_name = ""
    for child in element:
        if not isinstance(child.tag, str):
            continue
        namespace, local = _split(child.tag)
        if namespace:
            continue
        if local not in position:
            raise EventProblem(
                local,
                f"unknown element <{local}> in a {kind} (user extensions "
                "must be in their own namespace)",
            )
        if position[local] < last:
            raise EventProblem(
                local,
                f"element <{local}> is out of order: EPCIS 2.0 XML "
                f"requires it before <{last_name}>",
            )
        last, last_name = position[local], local


def _event(element: Element, *, strict: bool) -> Event:
    kind = _split(element.tag)[1]
    if strict:
        _check_order(kind, element)
    known = set(ORDER[kind])
    event: Event = {"type": kind, "ext": []}
    for child in _flatten(element):
        namespace, local = _split(child.tag)
        if namespace:
            event["ext"].append(_pair(child))
            continue
        if local not in known:
            raise EventProblem(local, f"unknown element <{local}> in a {kind}")
        if local in event and local != "certificationInfo":
            raise EventProblem(local, f"element <{local}> appears twice")
        _read_field(event, local, child)
    return event


def _read_field(event: Event, local: str, child: Element) -> None:
    if local in EPC_LIST_FIELDS:
        event[local] = [_text(epc) for epc in child if _split(epc.tag)[1] == "epc"]
    elif local in QUANTITY_LIST_FIELDS:
        event[local] = [_quantity(q, local) for q in child if isinstance(q.tag, str)]
    elif local in ("readPoint", "bizLocation"):
        ids = [_text(c) for c in child if c.tag == "id"]
        if not ids:
            raise EventProblem(local, f"<{local}> needs an <id>")
        event[local] = ids[0]
    elif local == "bizTransactionList":
        event[local] = [(c.get("type"), _text(c)) for c in child if c.tag == "bizTransaction"]
    elif local in ("sourceList", "destinationList"):
        member = local.removesuffix("List")
        event[local] = [(c.get("type"), _text(c)) for c in child if c.tag == member]
    elif local == "persistentDisposition":
        event[local] = {
            "set": [_text(c) for c in child if c.tag == "set"],
            "unset": [_text(c) for c in child if c.tag == "unset"],
        }
    elif local == "ilmd":
        event[local] = [_pair(c) for c in _flatten(child)]
    elif local == "sensorElementList":
        event[local] = [_sensor(c) for c in child if isinstance(c.tag, str)]
    elif local == "errorDeclaration":
        event[local] = _error_declaration(child)
    elif local == "certificationInfo":
        event.setdefault(local, []).append(_text(child))
    else:
        event[local] = _text(child)


def _quantity(element: Element, field_name: str) -> dict[str, str | None]:
    values: dict[str, str | None] = {"epcClass": None, "quantity": None, "uom": None}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        if child.tag not in values:
            raise EventProblem(
                f"{field_name}.{child.tag}", f"unknown element <{child.tag}> in a quantity element"
            )
        if child.get(_XSI_NIL) not in ("true", "1"):
            values[child.tag] = _text(child)
    return values


def _attr_name(key: str) -> str:
    namespace, local = _split(key)
    return expand_name(namespace, local) if namespace else local


def _pair(element: Element, parent_namespace: str = "") -> tuple[str, Any]:
    """A user element as (expanded name, text or child pairs); xsi:type is syntax, not data.

    An unqualified child of a user element takes its parent's namespace (as in JSON-LD)."""
    namespace, local = _split(element.tag)
    namespace = namespace or parent_namespace
    name = expand_name(namespace, local) if namespace else local
    children = [c for c in element if isinstance(c.tag, str)]
    text = _text(element)
    attributes = (
        []
        if text
        else [
            (expand_name(*_split(key)) if key.startswith("{") else expand_name(namespace, key), v)
            for key, v in element.attrib.items()
            if not key.startswith(_XSI)
        ]
    )
    if children or attributes:
        return name, attributes + [_pair(c, namespace) for c in children]
    return name, text


def _sensor(element: Element) -> dict[str, Any]:
    sensor: dict[str, Any] = {"sensorMetadata": [], "sensorReport": [], "ext": []}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        if child.tag == "sensorMetadata":
            sensor["sensorMetadata"] = [(_attr_name(k), v) for k, v in child.attrib.items()]
        elif child.tag == "sensorReport":
            sensor["sensorReport"].append([(_attr_name(k), v) for k, v in child.attrib.items()])
        else:
            sensor["ext"].append(_pair(child))
    return sensor


def _error_declaration(element: Element) -> dict[str, Any]:
    out: dict[str, Any] = {"ext": []}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        if child.tag in ("declarationTime", "reason"):
            out[child.tag] = _text(child)
        elif child.tag == "correctiveEventIDs":
            out["correctiveEventIDs"] = [_text(c) for c in child if isinstance(c.tag, str)]
        elif child.tag in _WRAPPERS:
            out["ext"].extend(_pair(c) for c in child if isinstance(c.tag, str))
        else:
            out["ext"].append(_pair(child))
    return out


def _master_data(root: Element) -> dict[str, dict[str, str]]:
    """Attributes per VocabularyElement id found anywhere in the document header."""
    out: dict[str, dict[str, str]] = {}
    for element in root.iter():
        if not isinstance(element.tag, str) or _split(element.tag)[1] != "VocabularyElement":
            continue
        element_id = element.get("id")
        if not element_id:
            continue
        attrs = out.setdefault(element_id, {})
        for attribute in element:
            if isinstance(attribute.tag, str) and _split(attribute.tag)[1] == "attribute":
                attribute_id = attribute.get("id")
                if attribute_id and _text(attribute):
                    attrs[local_name(attribute_id)] = _text(attribute)
    return out
