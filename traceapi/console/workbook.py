"""The consignee list as an XLSX workbook, cell for cell the consignee CSV (same code, same
columns), with numbers as numbers so a spreadsheet can sum and sort them, and every text as
text: a name that starts with ``=`` (from a loaded file) stays a name, never a formula."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font

NUMERIC_COLUMNS = frozenset({"tier", "quantity"})


def _cell(column: str, text: str) -> str | int | float:
    if column in NUMERIC_COLUMNS and text:
        try:
            number = float(text)
        except ValueError:
            return text
        return int(number) if number.is_integer() else number
    return text


def consignee_workbook(consignee_csv: str, *, sheet_title: str = "Consignees") -> bytes:
    """An .xlsx of ``consignee_csv`` (the header row bold and frozen)."""
    rows = list(csv.reader(io.StringIO(consignee_csv)))
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = sheet_title
    if rows:
        header = rows[0]
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows[1:]:
            sheet.append([_cell(c, v) for c, v in zip(header, row, strict=False)])
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # openpyxl would store "=..." as a formula
        sheet.freeze_panes = "A2"
        for index, column in enumerate(header, start=1):
            width = max([len(column), *(len(r[index - 1]) for r in rows[1:] if len(r) >= index)])
            sheet.column_dimensions[sheet.cell(1, index).column_letter].width = min(width + 2, 60)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
