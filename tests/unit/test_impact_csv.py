"""The consignee CSV: header, one row per customer and lot, sorted by tier, customer, lot."""

from __future__ import annotations

import csv
import io

from traceapi.domain.results import ConsigneeRow, ImpactReport, NodeView
from traceapi.services.impact import CONSIGNEE_COLUMNS, consignee_csv


def _row(customer: str, tier: int, lot: str, **extra: object) -> ConsigneeRow:
    fields: dict[str, object] = {"quantity": 2.5, **extra}
    return ConsigneeRow(customer_id=customer, tier=tier, lot_id=lot, **fields)


def test_csv_sorts_rows_and_quotes_awkward_text() -> None:
    report = ImpactReport(
        seed_lots=[NodeView(id="R", kind="Lot")],
        consignees=[
            _row("Z-HOSP", 2, "F1"),
            _row("A-DIST", 1, "F2", customer_name='Dist, "North"', unit="pcs"),
            _row("A-DIST", 1, "F1", shipment_ids=["S1", "S2"], shipped_dates=["2026-01-01"]),
        ],
    )
    text = consignee_csv(report)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == CONSIGNEE_COLUMNS
    named = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert [(r["customer_id"], r["tier"], r["lot_id"]) for r in named] == [
        ("A-DIST", "1", "F1"),
        ("A-DIST", "1", "F2"),
        ("Z-HOSP", "2", "F1"),
    ]
    assert (named[0]["shipment_ids"], named[0]["shipped_dates"]) == ("S1;S2", "2026-01-01")
    assert named[1]["customer_name"] == 'Dist, "North"'
    assert (named[1]["quantity"], named[1]["unit"]) == ("2.5", "pcs")


def test_csv_of_an_empty_recall_is_just_the_header() -> None:
    report = ImpactReport(seed_lots=[NodeView(id="R", kind="Lot")])
    assert consignee_csv(report) == ",".join(CONSIGNEE_COLUMNS) + "\n"


def test_text_that_starts_like_a_formula_stays_text() -> None:
    report = ImpactReport(
        seed_lots=[NodeView(id="R", kind="Lot")],
        consignees=[
            _row('=HYPERLINK("http://x")', 1, "F1", customer_name="+1 Hospital", unit="@u"),
            _row("C-2", 1, "-F2", customer_name="St. Mary's", quantity=-3.0),
        ],
    )
    rows = list(csv.reader(io.StringIO(consignee_csv(report))))
    named = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    by_lot = {r["lot_id"]: r for r in named}
    assert by_lot["F1"]["customer_id"] == '\'=HYPERLINK("http://x")'
    assert by_lot["F1"]["customer_name"] == "'+1 Hospital" and by_lot["F1"]["unit"] == "'@u"
    assert by_lot["'-F2"]["customer_name"] == "St. Mary's"  # an apostrophe inside is left be
    assert by_lot["'-F2"]["quantity"] == "-3"  # numbers are numbers, negative or not
