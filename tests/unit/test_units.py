"""One unit vocabulary: UN/ECE Rec 20 codes and common spellings read as the stored unit."""

from __future__ import annotations

import pytest

from traceapi.domain.units import CANONICAL_UNITS, canonical_unit, same_unit


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("KGM", "kg"),
        ("kgm", "kg"),
        ("Kg", "kg"),
        ("MTR", "m"),
        ("EA", "pcs"),
        ("H87", "pcs"),
        ("C62", "pcs"),
        ("PCS", "pcs"),
        (" each ", "pcs"),
        ("MTK", "m2"),
        ("KWH", "KWH"),  # a Rec 20 code outside the table: kept as written
    ],
)
def test_canonical_unit(written: str, stored: str) -> None:
    assert canonical_unit(written) == stored


def test_every_canonical_unit_is_its_own_spelling() -> None:
    assert {canonical_unit(u) for u in CANONICAL_UNITS} == CANONICAL_UNITS


def test_same_unit() -> None:
    assert same_unit("KGM", "kg") and same_unit("EA", "H87") and same_unit(None, None)
    assert not same_unit("kg", "m") and not same_unit("kg", None)
