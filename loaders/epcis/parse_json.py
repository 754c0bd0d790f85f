"""EPCIS 2.0 JSON / JSON-LD documents (and bare events) into the syntax-neutral event dicts.

Checks what the JSON schema checks that matters here: the ``@context``, known field names (user
fields must be namespaced: a CURIE or a URI), value types, and quantity elements without
unknown members. CURIE prefixes come from the ``@context`` of the document and of each event.
"""

from __future__ import annotations

import json
from typing import Any

from loaders.epcis.document import (
    EPC_LIST_FIELDS,
    EVENT_TYPES,
    QUANTITY_LIST_FIELDS,
    EpcisDocument,
    Event,
    EventProblem,
    Pairs,
    document_error,
    expand_name,
    local_name,
    split_uri_name,
)
from loaders.epcis.validate import validate_event

DEFAULT_PREFIXES = {
    "cbvmda": "urn:epcglobal:cbv:mda:",
    "gs1": "https://gs1.org/voc/",
    "cbv": "https://ref.gs1.org/cbv/",
    "epcis": "https://ref.gs1.org/epcis/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
_COMMON = frozenset(
    {
        "@context",
        "type",
        "eventTime",
        "recordTime",
        "eventTimeZoneOffset",
        "eventID",
        "certificationInfo",
        "errorDeclaration",
    }
)
_FIELDS: dict[str, frozenset[str]] = {
    "ObjectEvent": frozenset(
        {
            "action",
            "epcList",
            "quantityList",
            "bizStep",
            "disposition",
            "persistentDisposition",
            "readPoint",
            "bizLocation",
            "bizTransactionList",
            "sourceList",
            "destinationList",
            "sensorElementList",
            "ilmd",
        }
    ),
    "AggregationEvent": frozenset(
        {
            "parentID",
            "childEPCs",
            "childQuantityList",
            "action",
            "bizStep",
            "disposition",
            "persistentDisposition",
            "readPoint",
            "bizLocation",
            "bizTransactionList",
            "sourceList",
            "destinationList",
            "sensorElementList",
        }
    ),
    "TransactionEvent": frozenset(
        {
            "bizTransactionList",
            "parentID",
            "epcList",
            "quantityList",
            "action",
            "bizStep",
            "disposition",
            "persistentDisposition",
            "readPoint",
            "bizLocation",
            "sourceList",
            "destinationList",
            "sensorElementList",
        }
    ),
    "TransformationEvent": frozenset(
        {
            "inputEPCList",
            "inputQuantityList",
            "outputEPCList",
            "outputQuantityList",
            "transformationID",
            "bizStep",
            "disposition",
            "persistentDisposition",
            "readPoint",
            "bizLocation",
            "bizTransactionList",
            "sourceList",
            "destinationList",
            "sensorElementList",
            "ilmd",
        }
    ),
    "AssociationEvent": frozenset(
        {
            "parentID",
            "childEPCs",
            "childQuantityList",
            "action",
            "bizStep",
            "disposition",
            "persistentDisposition",
            "readPoint",
            "bizLocation",
            "bizTransactionList",
            "sourceList",
            "destinationList",
            "sensorElementList",
        }
    ),
}
_DOC_FIELDS = {
    "@context",
    "id",
    "type",
    "schemaVersion",
    "creationDate",
    "instanceIdentifier",
    "sender",
    "receiver",
    "epcisHeader",
    "epcisBody",
}


def parse_json_document(data: bytes, *, name: str) -> EpcisDocument:
    """Reads and validates one JSON document, event by event in document order; raises
    InvalidInput naming file, event and field of the first problem."""
    try:
        root = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        line = getattr(err, "lineno", None)
        raise document_error(name, f"not valid JSON: {err}", line=line) from None
    if not isinstance(root, dict):
        raise document_error(name, "an EPCIS JSON document must be an object")
    if "@context" not in root:
        raise document_error(
            name,
            "@context is missing: an EPCIS JSON-LD document must declare its context",
            field_name="@context",
        )
    prefixes = _prefixes(root.get("@context"), dict(DEFAULT_PREFIXES))
    kind = root.get("type")
    doc = EpcisDocument(
        name=name, syntax="json", schema_version=str(root.get("schemaVersion", "2.0"))
    )
    if kind in EVENT_TYPES:
        raw_events: list[Any] = [root]
    elif kind in ("EPCISDocument", "EPCISQueryDocument"):
        for key in root:
            if key not in _DOC_FIELDS and ":" not in key:
                raise document_error(name, f"unknown document field {key!r}", field_name=key)
        raw_events = _event_list(root, name=name)
        doc.master_data = _master_data(root.get("epcisHeader"))
    else:
        raise document_error(
            name, f"type {kind!r} is neither an EPCIS document nor an event", field_name="type"
        )
    for index, raw in enumerate(raw_events):
        event_id = raw.get("eventID") if isinstance(raw, dict) else None
        try:
            event = _event(raw, prefixes)
            validate_event(event, require_zone=True)
            doc.events.append(event)
        except EventProblem as problem:
            raise document_error(
                name,
                problem.message,
                event_index=index,
                event_id=event_id if isinstance(event_id, str) else None,
                field_name=problem.field_name,
            ) from None
    return doc


def _event_list(root: dict[str, Any], *, name: str) -> list[Any]:
    body = root.get("epcisBody")
    if not isinstance(body, dict):
        raise document_error(name, "epcisBody is missing", field_name="epcisBody")
    if root.get("type") == "EPCISQueryDocument":
        results = body.get("queryResults", {})
        body = results.get("resultsBody", {}) if isinstance(results, dict) else {}
    events = body.get("eventList")
    if not isinstance(events, list):
        raise document_error(name, "eventList is missing or not a list", field_name="eventList")
    return events


def _prefixes(context: Any, prefixes: dict[str, str]) -> dict[str, str]:
    items = context if isinstance(context, list) else [context]
    for item in items:
        if isinstance(item, dict):
            for key, value in item.items():
                if isinstance(value, str) and not key.startswith("@"):
                    prefixes[key] = value
                elif isinstance(value, dict) and isinstance(value.get("@id"), str):
                    prefixes[key] = value["@id"]
    return prefixes


def _expand(
    key: str, prefixes: dict[str, str], field_name: str, parent_namespace: str | None = None
) -> str:
    """The expanded name of a user field; EventProblem when it has no namespace.

    Members nested inside a namespaced user field may go unprefixed: they take the parent's."""
    if key.startswith(("http://", "https://", "urn:")):
        return expand_name(*split_uri_name(key))
    prefix, sep, local = key.partition(":")
    if not sep and parent_namespace:
        return expand_name(parent_namespace, key)
    if not sep or not prefix or not local:
        raise EventProblem(
            field_name,
            f"field {key!r} has no namespace: user fields must be a CURIE (prefix:name) or a URI",
        )
    namespace = prefixes.get(prefix)
    if namespace is None:
        raise EventProblem(field_name, f"prefix {prefix!r} of {key!r} is not declared in @context")
    return expand_name(namespace, local)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def _pairs(
    obj: dict[str, Any],
    prefixes: dict[str, str],
    field_name: str,
    parent_namespace: str | None = None,
) -> Pairs:
    out: Pairs = []
    for key, value in obj.items():
        if key.startswith("@"):
            continue
        name = _expand(
            key, prefixes, f"{field_name}.{key}" if field_name else key, parent_namespace
        )
        namespace = name.rsplit("#", 1)[0]
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                out.append((name, _pairs(item, prefixes, f"{field_name}.{key}", namespace)))
            else:
                out.append((name, _scalar(item)))
    return out


def _strings(raw: dict[str, Any], key: str) -> list[str] | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise EventProblem(key, f"{key} must be a list of identifiers")
    return list(value)


def _event(raw: Any, prefixes: dict[str, str]) -> Event:
    if not isinstance(raw, dict):
        raise EventProblem("type", "an event must be an object")
    kind = raw.get("type")
    if kind not in EVENT_TYPES:
        raise EventProblem("type", f"unknown event type {kind!r}")
    if "@context" in raw:
        prefixes = _prefixes(raw["@context"], dict(prefixes))
    event: Event = {"type": kind, "ext": []}
    others = () if raw.keys() <= _KNOWN[kind] else raw.items()
    for key, value in others:  # user extensions, or a field of another event type
        if key in _COMMON or key in _FIELDS[kind]:
            continue
        if key in _ALL_FIELDS:
            raise EventProblem(key, f"field {key!r} does not belong in a {kind}")
        name = _expand(key, prefixes, key)
        namespace = name.rsplit("#", 1)[0]
        for item in value if isinstance(value, list) else [value]:
            event["ext"].append(
                (
                    name,
                    _pairs(item, prefixes, key, namespace)
                    if isinstance(item, dict)
                    else _scalar(item),
                )
            )
    present = raw.keys()
    for key in present & _STRING_FIELDS:
        value = raw[key]
        if not isinstance(value, str):
            raise EventProblem(key, f"{key} must be a string, got {value!r}")
        event[key] = value
    for key in present & _EPC_FIELDS:
        event[key] = _strings(raw, key)
    for key in present & _QUANTITY_FIELDS:
        event[key] = _quantities(raw[key], key)
    for key in ("readPoint", "bizLocation"):
        if key in raw:
            location = raw[key]
            if not isinstance(location, dict) or not isinstance(location.get("id"), str):
                raise EventProblem(key, f"{key} must be an object with an id")
            event[key] = location["id"]
    if "bizTransactionList" in raw:
        event["bizTransactionList"] = _typed(
            raw["bizTransactionList"], "bizTransactionList", "bizTransaction", type_required=False
        )
    for key, member in (("sourceList", "source"), ("destinationList", "destination")):
        if key in raw:
            event[key] = _typed(raw[key], key, member, type_required=True)
    if "persistentDisposition" in raw:
        event["persistentDisposition"] = _persistent(raw["persistentDisposition"])
    if "ilmd" in raw:
        if not isinstance(raw["ilmd"], dict):
            raise EventProblem("ilmd", "ilmd must be an object")
        event["ilmd"] = _pairs(raw["ilmd"], prefixes, "ilmd")
    if "sensorElementList" in raw:
        event["sensorElementList"] = _sensors(raw["sensorElementList"], prefixes)
    if "errorDeclaration" in raw:
        event["errorDeclaration"] = _error_declaration(raw["errorDeclaration"], prefixes)
    if "certificationInfo" in raw:
        info = raw["certificationInfo"]
        event["certificationInfo"] = info if isinstance(info, list) else [info]
    return event


_ALL_FIELDS = frozenset().union(*_FIELDS.values())
_KNOWN = {kind: fields | _COMMON for kind, fields in _FIELDS.items()}
"""Every standard field of each event type: most events have nothing else, and one subset
test says so without looking at each field in Python."""
_STRING_FIELDS = frozenset(
    {
        "eventTime",
        "recordTime",
        "eventTimeZoneOffset",
        "eventID",
        "action",
        "parentID",
        "transformationID",
        "bizStep",
        "disposition",
    }
)
_EPC_FIELDS = frozenset(EPC_LIST_FIELDS)
_QUANTITY_FIELDS = frozenset(QUANTITY_LIST_FIELDS)


_QUANTITY_MEMBERS = frozenset({"epcClass", "quantity", "uom"})


def _quantities(value: Any, key: str) -> list[dict[str, str | None]]:
    if not isinstance(value, list):
        raise EventProblem(key, f"{key} must be a list")
    out: list[dict[str, str | None]] = []
    for element in value:
        if not isinstance(element, dict):
            raise EventProblem(key, f"{key} entries must be objects")
        if not element.keys() <= _QUANTITY_MEMBERS:
            unknown = set(element) - _QUANTITY_MEMBERS
            raise EventProblem(
                f"{key}.{sorted(unknown)[0]}",
                f"unknown field {sorted(unknown)[0]!r} in a quantity element "
                "(allowed: epcClass, quantity, uom)",
            )
        quantity = element.get("quantity")
        if quantity is not None and (
            isinstance(quantity, bool) or not isinstance(quantity, int | float)
        ):
            raise EventProblem(f"{key}.quantity", f"quantity must be a number, got {quantity!r}")
        epc_class = element.get("epcClass")
        uom = element.get("uom")
        if not isinstance(epc_class, str) or (uom is not None and not isinstance(uom, str)):
            raise EventProblem(f"{key}.epcClass", "epcClass and uom must be strings")
        out.append(
            {
                "epcClass": epc_class,
                "quantity": None if quantity is None else repr(quantity),
                "uom": uom,
            }
        )
    return out


def _typed(
    value: Any, key: str, member: str, *, type_required: bool
) -> list[tuple[str | None, str]]:
    if not isinstance(value, list):
        raise EventProblem(key, f"{key} must be a list")
    out: list[tuple[str | None, str]] = []
    for entry in value:
        if not isinstance(entry, dict) or not isinstance(entry.get(member), str):
            raise EventProblem(key, f"each {key} entry needs a {member!r} string")
        if len(entry) > 2 or (len(entry) == 2 and "type" not in entry):
            unknown = set(entry) - {"type", member}
            raise EventProblem(key, f"unknown field {sorted(unknown)[0]!r} in {key}")
        type_ = entry.get("type")
        if type_required and not isinstance(type_, str):
            raise EventProblem(key, f"each {key} entry needs a type")
        out.append((type_ if isinstance(type_, str) else None, entry[member]))
    return out


def _persistent(value: Any) -> dict[str, list[str]]:
    if not isinstance(value, dict) or set(value) - {"set", "unset"}:
        raise EventProblem("persistentDisposition", "persistentDisposition has only set/unset")
    out: dict[str, list[str]] = {}
    for part in ("set", "unset"):
        items = value.get(part, [])
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise EventProblem(f"persistentDisposition.{part}", f"{part} must be a list")
        out[part] = list(items)
    return out


_SENSOR_METADATA = frozenset(
    {
        "time",
        "startTime",
        "endTime",
        "deviceID",
        "deviceMetadata",
        "rawData",
        "dataProcessingMethod",
        "bizRules",
    }
)
_SENSOR_REPORT = frozenset(
    {
        "type",
        "exception",
        "deviceID",
        "deviceMetadata",
        "rawData",
        "dataProcessingMethod",
        "time",
        "microorganism",
        "chemicalSubstance",
        "value",
        "component",
        "stringValue",
        "booleanValue",
        "hexBinaryValue",
        "uriValue",
        "minValue",
        "maxValue",
        "meanValue",
        "sDev",
        "percRank",
        "percValue",
        "uom",
        "coordinateReferenceSystem",
    }
)


def _attributes(
    obj: Any, known: frozenset[str], prefixes: dict[str, str], field_name: str
) -> list[tuple[str, str]]:
    if not isinstance(obj, dict):
        raise EventProblem(field_name, f"{field_name} must be an object")
    out: list[tuple[str, str]] = []
    for key, value in obj.items():
        name = (
            key if key in known or ":" not in key else _expand(key, prefixes, f"{field_name}.{key}")
        )
        out.append((name, _scalar(value)))
    return out


def _sensors(value: Any, prefixes: dict[str, str]) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise EventProblem("sensorElementList", "sensorElementList must be a list")
    out: list[dict[str, Any]] = []
    for element in value:
        if not isinstance(element, dict):
            raise EventProblem("sensorElementList", "sensor elements must be objects")
        sensor: dict[str, Any] = {"sensorMetadata": [], "sensorReport": [], "ext": []}
        for key, item in element.items():
            if key == "sensorMetadata":
                sensor["sensorMetadata"] = _attributes(
                    item, _SENSOR_METADATA, prefixes, "sensorMetadata"
                )
            elif key == "sensorReport":
                reports = item if isinstance(item, list) else [item]
                sensor["sensorReport"] = [
                    _attributes(r, _SENSOR_REPORT, prefixes, "sensorReport") for r in reports
                ]
            else:
                name = _expand(key, prefixes, f"sensorElementList.{key}")
                for sub in item if isinstance(item, list) else [item]:
                    sensor["ext"].append(
                        (
                            name,
                            _pairs(sub, prefixes, key, name.rsplit("#", 1)[0])
                            if isinstance(sub, dict)
                            else _scalar(sub),
                        )
                    )
        out.append(sensor)
    return out


def _error_declaration(value: Any, prefixes: dict[str, str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise EventProblem("errorDeclaration", "errorDeclaration must be an object")
    out: dict[str, Any] = {"ext": []}
    for key, item in value.items():
        if key in ("declarationTime", "reason"):
            if not isinstance(item, str):
                raise EventProblem(f"errorDeclaration.{key}", f"{key} must be a string")
            out[key] = item
        elif key == "correctiveEventIDs":
            if not isinstance(item, list) or not all(isinstance(i, str) for i in item):
                raise EventProblem(
                    "errorDeclaration.correctiveEventIDs",
                    "correctiveEventIDs must be a list of event ids",
                )
            out[key] = list(item)
        else:
            name = _expand(key, prefixes, f"errorDeclaration.{key}")
            out["ext"].append(
                (
                    name,
                    _pairs(item, prefixes, key, name.rsplit("#", 1)[0])
                    if isinstance(item, dict)
                    else _scalar(item),
                )
            )
    return out


def _master_data(header: Any) -> dict[str, dict[str, str]]:
    """Attributes per vocabulary element id from ``epcisHeader.epcisMasterData``."""
    out: dict[str, dict[str, str]] = {}
    if not isinstance(header, dict):
        return out
    master = header.get("epcisMasterData", {})
    vocabularies = master.get("vocabularyList", []) if isinstance(master, dict) else []
    for vocabulary in vocabularies if isinstance(vocabularies, list) else []:
        elements = (
            vocabulary.get("vocabularyElementList", []) if isinstance(vocabulary, dict) else []
        )
        for element in elements if isinstance(elements, list) else []:
            if not isinstance(element, dict) or not isinstance(element.get("id"), str):
                continue
            attrs = out.setdefault(element["id"], {})
            for attribute in element.get("attributes", []) or []:
                if isinstance(attribute, dict) and isinstance(attribute.get("id"), str):
                    value = attribute.get("attribute")
                    if isinstance(value, str | int | float):
                        attrs[local_name(attribute["id"])] = str(value)
    return out
