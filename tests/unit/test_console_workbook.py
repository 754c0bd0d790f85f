"""The consignee workbook: the CSV's cells, numbers as numbers, and text never a formula."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from traceapi.console.workbook import consignee_workbook

CSV = (
    "customer_id,customer_name,tier,quantity,unit\n"
    'CUS-1,"=HYPERLINK(""http://evil.example"",""click"")",1,60,pcs\n'
    "CUS-2,+SUM(1),2,12.5,kg\n"
)


def test_text_that_looks_like_a_formula_stays_text():
    sheet = load_workbook(io.BytesIO(consignee_workbook(CSV))).active
    assert sheet is not None
    rows = list(sheet.iter_rows(min_row=2))
    assert rows[0][1].value == '=HYPERLINK("http://evil.example","click")'
    assert all(cell.data_type != "f" for row in rows for cell in row)
    assert [(r[2].value, r[3].value) for r in rows] == [(1, 60), (2, 12.5)]
    assert [c.value for c in sheet[1]] == [
        "customer_id",
        "customer_name",
        "tier",
        "quantity",
        "unit",
    ]
