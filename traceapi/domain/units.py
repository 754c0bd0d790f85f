"""Units of measure: one vocabulary in the store, whatever spelling a source used.

Both loaders store quantities in ``CANONICAL_UNITS``; UN/ECE Recommendation 20 codes (``KGM``,
``MTR``, ``EA``, ``H87``, ``C62``, ...) and common spellings (``PCS``, ``each``) are read as
their canonical unit by ``canonical_unit``, case-insensitively. A code outside the table is kept
as written (trimmed): it is still a unit, only not one we can reconcile with another.
"""

from __future__ import annotations

CANONICAL_UNITS: frozenset[str] = frozenset(
    {
        "kg", "g", "mg", "t", "lb",
        "l", "ml",
        "m", "cm", "mm", "m2", "m3",
        "pcs", "box", "case", "pallet", "roll", "set", "pack",
    }
)  # fmt: skip
"""The units quantities are stored in."""

UNIT_SYNONYMS: dict[str, str] = {
    # UN/CEFACT Recommendation 20 codes seen in EDI and EPCIS documents
    "KGM": "kg", "GRM": "g", "MGM": "mg", "TNE": "t", "LBR": "lb",
    "LTR": "l", "MLT": "ml",
    "MTR": "m", "CMT": "cm", "MMT": "mm", "MTK": "m2", "MTQ": "m3",
    "EA": "pcs", "H87": "pcs", "C62": "pcs", "PCE": "pcs", "PC": "pcs", "EACH": "pcs",
    "PIECE": "pcs", "PIECES": "pcs", "ST": "pcs", "STK": "pcs",
    "BX": "box", "CS": "case", "PX": "pallet", "PL": "pallet", "RO": "roll", "PK": "pack",
}  # fmt: skip
"""Spellings read as a canonical unit (keys upper case; matched case-insensitively)."""

COUNTED_UNITS = frozenset({"pcs", "box", "case", "pallet", "roll", "set", "pack"})
"""Units of counted items."""

_CANONICAL_UPPER = {unit.upper(): unit for unit in CANONICAL_UNITS}


def canonical_unit(text: str) -> str:
    """The stored spelling of a unit: ``KGM`` and ``Kg`` are ``kg``, ``EA`` and ``H87`` are
    ``pcs``; a code we do not know comes back trimmed, as written."""
    value = text.strip()
    upper = value.upper()
    return _CANONICAL_UPPER.get(upper) or UNIT_SYNONYMS.get(upper) or value


def same_unit(a: str | None, b: str | None) -> bool:
    """Whether two recorded units are one unit (both unknown counts as the same)."""
    if a is None or b is None:
        return a is b
    return a == b or canonical_unit(a) == canonical_unit(b)
