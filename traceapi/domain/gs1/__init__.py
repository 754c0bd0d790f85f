"""GS1 identifiers: element strings, Digital Link URIs and EPC URNs to canonical aliases.

``lookup_keys`` is what the rest of traceapi needs; the parsers underneath check every AI value
against our copy of the GS1 syntax dictionary (lengths, character sets, check digits, dates).
"""

from traceapi.domain.gs1.catalogue import AIDefinition, ai_definition
from traceapi.domain.gs1.checks import gtin_check_digit, verify_check_digit, with_check_digit
from traceapi.domain.gs1.dates import decode_date, full_year
from traceapi.domain.gs1.digital_link import (
    DigitalLink,
    build_digital_link,
    parse_digital_link,
)
from traceapi.domain.gs1.element_string import (
    Element,
    ElementString,
    check_combination,
    parse_bracketed,
    parse_caret,
    parse_unbracketed,
)
from traceapi.domain.gs1.epc import (
    EpcIdentifier,
    lgtin_urn,
    parse_epc_urn,
    pgln_urn,
    sgln_urn,
    sgtin_urn,
    sscc_urn,
)
from traceapi.domain.gs1.errors import GS1Error
from traceapi.domain.gs1.keys import (
    ParsedIdentifier,
    gln_aliases,
    lookup_keys,
    lot_aliases,
    normalise_gtin,
    parse_identifier,
    party_aliases,
    sscc_aliases,
    unit_aliases,
)
from traceapi.domain.gs1.scan_data import process_scan_data


def parse_element_string(text: str) -> ElementString:
    """An element string in any notation (bracketed, "^", GS-separated, after ``]d2`` etc.)."""
    parsed = parse_identifier(text)
    if parsed.message is None or parsed.form == "digital link" or parsed.epc is not None:
        raise GS1Error(f"{text!r} is not a GS1 element string")
    return parsed.message


__all__ = [
    "AIDefinition",
    "DigitalLink",
    "Element",
    "ElementString",
    "EpcIdentifier",
    "GS1Error",
    "ParsedIdentifier",
    "ai_definition",
    "build_digital_link",
    "check_combination",
    "decode_date",
    "full_year",
    "gln_aliases",
    "gtin_check_digit",
    "lgtin_urn",
    "lookup_keys",
    "lot_aliases",
    "normalise_gtin",
    "parse_bracketed",
    "parse_caret",
    "parse_digital_link",
    "parse_element_string",
    "parse_epc_urn",
    "parse_identifier",
    "parse_unbracketed",
    "party_aliases",
    "pgln_urn",
    "process_scan_data",
    "sgln_urn",
    "sgtin_urn",
    "sscc_aliases",
    "sscc_urn",
    "unit_aliases",
    "verify_check_digit",
    "with_check_digit",
]
