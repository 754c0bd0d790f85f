"""The CBV 2.0 event hash (``ni:///sha-256;<hex>?ver=CBV2.0``): one id per event in any syntax.

Our reading of the algorithm in the CBV 2.0 standard (section "EPCIS Event Hash ID") and the
GS1 reference implementation's description: the pre-hash string is ``eventType=<type>`` followed
by the event's fields in a fixed order as ``name=value``; values of a list are sorted; user
extensions and ILMD follow, sorted, under their expanded names; timestamps are UTC with
millisecond precision, numbers lose trailing zeros, CBV values become their web URI and EPCs
their canonical GS1 Digital Link. ``eventID``, ``recordTime``, ``certificationInfo`` and the
``errorDeclaration`` are left out, so an error declaration (a copy of the declared event plus
the declaration) hashes like the event it declares erroneous. ``eventTimeZoneOffset`` is left
out too: GS1's own example set (``WithEventHashID``) declares an event re-stated in another time
zone, same instant, "exactly identical", which only holds when the offset is not hashed (the
reference implementation's table lists it; the examples and our dedupe follow GS1's examples).
"""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal
from functools import lru_cache
from typing import Any

from loaders.epcis import cbv
from loaders.epcis.document import Event, Pairs
from loaders.epcis.identifiers import digital_link_of
from loaders.epcis.timestamps import canonical_time

_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_QUANTITY_LISTS_AFTER = (
    ("epcList", "epcs"),
    ("parentID", "single_id"),
    ("inputEPCList", "epcs"),
    ("childEPCs", "epcs"),
    ("quantityList", "quantities"),
    ("childQuantityList", "quantities"),
    ("inputQuantityList", "quantities"),
    ("outputEPCList", "epcs"),
    ("outputQuantityList", "quantities"),
)
_SENSOR_METADATA_ORDER = (
    "time",
    "startTime",
    "endTime",
    "deviceID",
    "deviceMetadata",
    "rawData",
    "dataProcessingMethod",
    "bizRules",
)
_SENSOR_REPORT_ORDER = (
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
)
_CBV_URN = re.compile(r"^urn:epcglobal:cbv:(bizstep|disp|btt|sdt|er):(.+)$")
_CBV_WEB = {"bizstep": "BizStep", "disp": "Disp", "btt": "BTT", "sdt": "SDT", "er": "ER"}


def event_hash(event: Event) -> str:
    """The event's hash id; ``event`` must have passed validation (CBV values normalised)."""
    digest = hashlib.sha256(pre_hash(event).encode("utf-8")).hexdigest()
    return f"ni:///sha-256;{digest}?ver=CBV2.0"


def pre_hash(event: Event) -> str:
    """The canonical string the hash is taken of (exposed for tests and debugging)."""
    parts = [f"eventType={event['type']}"]
    present = event.keys()
    if "eventTime" in present:
        parts.append(f"eventTime={canonical_time(event['eventTime'])}")
    for name, shape in _QUANTITY_LISTS_AFTER:
        if name not in present:
            continue
        value = event[name]
        if not value:
            continue
        if shape == "single_id":
            parts.append(f"{name}={_id(value)}")
        elif shape == "epcs":
            parts.append(name + "".join(sorted(["epc=" + _id(v) for v in value])))
        else:
            parts.append(name + "".join(sorted([_quantity(q) for q in value])))
    if "action" in present:
        parts.append(f"action={event['action']}")
    if "transformationID" in present:
        parts.append(f"transformationID={_id(event['transformationID'])}")
    if "bizStep" in present:
        parts.append(f"bizStep={cbv.web_uri(event['bizStep'], cbv.BIZ_STEP)}")
    if "disposition" in present:
        parts.append(f"disposition={cbv.web_uri(event['disposition'], cbv.DISPOSITION)}")
    persistent = event.get("persistentDisposition")
    if persistent and (persistent.get("set") or persistent.get("unset")):
        text = "".join(
            sorted(f"set={cbv.web_uri(v, cbv.DISPOSITION)}" for v in persistent.get("set", []))
        )
        text += "".join(
            sorted(f"unset={cbv.web_uri(v, cbv.DISPOSITION)}" for v in persistent.get("unset", []))
        )
        parts.append("persistentDisposition" + text)
    for name in ("readPoint", "bizLocation"):
        if name in present:
            parts.append(f"{name}id={_id(event[name])}")
    for name, member, vocabulary in _TYPED_LISTS:
        entries = event.get(name) if name in present else None
        if entries:
            rendered = []
            for type_, value in entries:
                text = f"type={cbv.web_uri(type_, vocabulary)}" if type_ else ""
                rendered.append(f"{text}{member}={_value(value)}")
            parts.append(name + "".join(sorted(rendered)))
    sensors = event.get("sensorElementList")
    if sensors:
        parts.append("sensorElementList" + "".join(sorted(_sensor(s) for s in sensors)))
    if event.get("ilmd"):
        parts.append("ilmd" + _generic(event["ilmd"]))
    if event.get("ext"):
        parts.append(_generic(event["ext"]))
    return "".join(parts)


_TYPED_LISTS = (
    ("bizTransactionList", "bizTransaction", cbv.BIZ_TRANSACTION_TYPE),
    ("sourceList", "source", cbv.SOURCE_DEST_TYPE),
    ("destinationList", "destination", cbv.SOURCE_DEST_TYPE),
)


_id = digital_link_of
"""An EPC in its canonical Digital Link form (cached per text)."""


@lru_cache(maxsize=16_384)
def _number(text: str) -> str:
    """A number without trailing zeros (cached: documents repeat the same few quantities)."""
    value = Decimal(text)
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


@lru_cache(maxsize=8_192)
def _value(text: str, *, name: str = "") -> str:
    """A value in its canonical form: numbers, times, CBV URNs and EPCs each in one spelling
    (cached: parties, locations and ILMD values repeat from event to event)."""
    text = text.strip()
    if not text:
        return ""
    if _NUMBER.match(text):
        return _number(text)
    lowered = name.lower()
    if "time" in lowered and "offset" not in lowered:
        return canonical_time(text)
    match = _CBV_URN.match(text)
    if match:
        return f"https://ref.gs1.org/cbv/{_CBV_WEB[match.group(1)]}-{match.group(2)}"
    if text.startswith(("urn:epc:", "http://", "https://")):
        return _id(text)
    return text


def _quantity(element: dict[str, str | None]) -> str:
    text = f"quantityElementepcClass={_id(element['epcClass'] or '')}"
    if element.get("quantity") is not None:
        text += f"quantity={_number(element['quantity'] or '0')}"
    if element.get("uom"):
        text += f"uom={element['uom']}"
    return text


def _measurement_type(text: str) -> str:
    """Sensor report types: JSON-LD writes ``Temperature`` where XML writes ``gs1:Temperature``;
    both name ``https://gs1.org/voc/Temperature``."""
    text = text.strip()
    if text.startswith("gs1:"):
        return "https://gs1.org/voc/" + text[4:]
    if ":" not in text:
        return "https://gs1.org/voc/" + text
    return text


def _ordered(attributes: list[tuple[str, str]], order: tuple[str, ...]) -> str:
    values = dict(attributes)
    if values.get("type") and order is _SENSOR_REPORT_ORDER:
        values["type"] = _measurement_type(values["type"])
    text = "".join(
        f"{name}={_value(values[name], name=name)}"
        for name in order
        if values.get(name, "").strip()
    )
    extra = [(k, v) for k, v in attributes if k not in order]
    return text + _generic(extra)


def _sensor(sensor: dict[str, Any]) -> str:
    text = "sensorElement"
    if sensor.get("sensorMetadata"):
        text += "sensorMetadata" + _ordered(sensor["sensorMetadata"], _SENSOR_METADATA_ORDER)
    reports = sensor.get("sensorReport") or []
    text += "".join(sorted("sensorReport" + _ordered(r, _SENSOR_REPORT_ORDER) for r in reports))
    return text + _generic(sensor.get("ext") or [])


def _generic(pairs: Pairs) -> str:
    rendered = []
    for name, value in pairs:
        if isinstance(value, list):
            rendered.append(name + _generic(value))
        else:
            canonical = _value(value, name=name.rsplit("#", 1)[-1])
            rendered.append(f"{name}={canonical}" if canonical else name)
    return "".join(sorted(rendered))
