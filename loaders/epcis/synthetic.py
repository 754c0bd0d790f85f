"""A synthetic EPCIS 2.0 JSON document of any size, for load benchmarks (not test fixtures)."""

from __future__ import annotations

import json
from typing import Any

CONTEXT = [
    "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
    {"cbvmda": "urn:epcglobal:cbv:mda:"},
]


def synthetic_document(events: int, *, units_per_lot: int = 2) -> bytes:
    """``events`` events in a repeating pattern of three: commissioning ``units_per_lot`` SGTINs
    of a new lot (ILMD lot number), a TransformationEvent consuming a raw lot into a finished
    lot at a work centre, and the shipping of that finished lot to one of 50 customers with a
    despatch advice. Every identifier is unique, so nothing deduplicates."""
    out: list[dict[str, Any]] = []
    for i in range(events):
        step = i % 3
        if step == 0:
            out.append(
                {
                    "type": "ObjectEvent",
                    "action": "ADD",
                    "bizStep": "commissioning",
                    "eventTime": "2024-01-01T10:00:00.000+01:00",
                    "eventTimeZoneOffset": "+01:00",
                    "epcList": [
                        f"urn:epc:id:sgtin:4012345.011111.{i}-{j}" for j in range(units_per_lot)
                    ],
                    "readPoint": {"id": "urn:epc:id:sgln:4012345.00001.0"},
                    "ilmd": {"cbvmda:lotNumber": f"L{i:07d}"},
                }
            )
        elif step == 1:
            out.append(
                {
                    "type": "TransformationEvent",
                    "bizStep": "commissioning",
                    "eventTime": "2024-01-01T11:00:00.000+01:00",
                    "eventTimeZoneOffset": "+01:00",
                    "inputQuantityList": [
                        {
                            "epcClass": f"urn:epc:class:lgtin:4012345.022222.R{i:07d}",
                            "quantity": 10,
                            "uom": "KGM",
                        }
                    ],
                    "outputQuantityList": [
                        {
                            "epcClass": f"urn:epc:class:lgtin:4012345.033333.F{i:07d}",
                            "quantity": 100,
                        }
                    ],
                    "readPoint": {"id": "urn:epc:id:sgln:4012345.00001.7"},
                }
            )
        else:
            out.append(
                {
                    "type": "ObjectEvent",
                    "action": "OBSERVE",
                    "bizStep": "shipping",
                    "eventTime": "2024-01-02T11:00:00.000+01:00",
                    "eventTimeZoneOffset": "+01:00",
                    "quantityList": [
                        {
                            "epcClass": f"urn:epc:class:lgtin:4012345.033333.F{i - 1:07d}",
                            "quantity": 100,
                        }
                    ],
                    "bizTransactionList": [
                        {"type": "desadv", "bizTransaction": f"urn:example:desadv:{i}"}
                    ],
                    "sourceList": [
                        {"type": "owning_party", "source": "urn:epc:id:pgln:4012345.00000"}
                    ],
                    "destinationList": [
                        {
                            "type": "owning_party",
                            "destination": f"urn:epc:id:pgln:0614141.{i % 50:05d}",
                        }
                    ],
                }
            )
    return json.dumps(
        {
            "@context": CONTEXT,
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": "2024-01-01T00:00:00Z",
            "epcisBody": {"eventList": out},
        }
    ).encode()
