"""Reads one bundle file into rows of our canonical fields, collecting errors by file, line, field.

Line numbers are 1-based and count the header, so the first data row is line 2.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from loaders.csv_format import ColumnType, FileSpec
from loaders.csv_mapping import ResolvedMapping
from loaders.csv_values import Converter, datetime_converter, number_converter, scale

MAX_ERRORS = 50
"""Validation stops collecting after this many errors (the first ones are the useful ones)."""
_PROGRESS_EVERY = 8192
_NO_EXTRAS: dict[str, str] = {}
"""Shared by rows of files without extra columns (read, never written)."""


@dataclass(frozen=True, slots=True)
class RowError:
    file: str
    line: int
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" + (f" [{self.field}]" if self.field else "")
        return f"{where}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "field": self.field, "message": self.message}


@dataclass(slots=True)
class ErrorLog:
    """Errors found so far; ``full`` once ``MAX_ERRORS`` are there (reading may stop)."""

    errors: list[RowError] = field(default_factory=list)
    dropped: int = 0

    def add(self, file: str, line: int, field: str | None, message: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(RowError(file, line, field, message))
        else:
            self.dropped += 1

    @property
    def full(self) -> bool:
        return len(self.errors) >= MAX_ERRORS

    def __bool__(self) -> bool:
        return bool(self.errors)


@dataclass(slots=True)
class Row:
    line: int
    values: dict[str, Any]
    """Our fields with converted values; empty cells are absent."""
    extras: dict[str, str]
    """Columns the format does not define (kept as text for node files)."""


OnBytes = Callable[[int], None]


Posting = tuple[int, str, str, float | None, str | None, None]
"""(line, source, target, qty, unit, props): one row of consumption, production or shipment
lines, shaped like every edge row the bundle reader takes (these files give no props)."""
_QuickPosting = Callable[[list[str], int], "Posting | None"]


def read_rows(
    path: Path,
    spec: FileSpec,
    mapping: ResolvedMapping,
    *,
    errors: ErrorLog,
    warnings: list[str],
    on_bytes: OnBytes | None = None,
) -> Iterator[Row]:
    """Yields every valid row of ``path``; a row with any bad cell is logged and skipped."""
    records = _records(path, spec, mapping, errors=errors, warnings=warnings, on_bytes=on_bytes)
    plan: _Plan | None = next(records, None)
    if plan is None:
        return
    for line, cells in records:
        row = plan.convert(cells, line, errors)
        if row is not None:
            yield row
        elif errors.full:
            return


def read_postings(
    path: Path,
    spec: FileSpec,
    mapping: ResolvedMapping,
    *,
    source: str,
    target: str,
    errors: ErrorLog,
    warnings: list[str],
    on_bytes: OnBytes | None = None,
) -> Iterator[Posting]:
    """Like ``read_rows`` for files of (source, target, qty, unit) rows, as plain tuples.

    These files hold most of a bundle's rows, so the common case (plain cells, a known unit)
    takes a short path; any row it does not accept goes through the full conversion, which
    logs what is wrong with it.
    """
    records = _records(path, spec, mapping, errors=errors, warnings=warnings, on_bytes=on_bytes)
    plan: _Plan | None = next(records, None)
    if plan is None:
        return
    quick = plan.quick_posting(source, target)
    for line, cells in records:
        found = quick(cells, line) if quick is not None else None
        if found is not None:
            yield found
            continue
        row = plan.convert(cells, line, errors)
        if row is not None:
            values = row.values
            qty, unit = values.get("qty"), values.get("unit")
            yield line, values[source], values[target], qty, unit, None
        elif errors.full:
            return


def _records(
    path: Path,
    spec: FileSpec,
    mapping: ResolvedMapping,
    *,
    errors: ErrorLog,
    warnings: list[str],
    on_bytes: OnBytes | None,
) -> Iterator[Any]:
    """First the file's plan (nothing if the header is unusable), then (line, cells) records."""
    name = path.name
    with path.open("rb") as raw:
        text = io.TextIOWrapper(raw, encoding=mapping.encoding, newline="")
        reader = csv.reader(text, delimiter=mapping.delimiter, strict=True)
        try:
            header = next(reader, None)
            if header is None:
                errors.add(name, 1, None, "the file is empty (a header row is needed)")
                return
            plan = _plan(header, spec, mapping, name, errors, warnings)
            if plan is None:
                return
            yield plan
            reported = 0
            previous_end = reader.line_num
            count = 0
            for cells in reader:
                line = previous_end + 1
                previous_end = reader.line_num
                count += 1
                if on_bytes is not None and count % _PROGRESS_EVERY == 0:
                    position = raw.tell()
                    on_bytes(position - reported)
                    reported = position
                if not cells or (len(cells) == 1 and not cells[0].strip()):
                    continue
                yield line, cells
            if on_bytes is not None:
                on_bytes(raw.tell() - reported)
        except UnicodeDecodeError as err:
            errors.add(
                name,
                reader.line_num + 1,
                None,
                f"cannot decode the file as {mapping.encoding} ({err.reason}); "
                "set `encoding` for this file in the mapping",
            )
        except csv.Error as err:
            errors.add(name, reader.line_num, None, f"malformed CSV: {err}")


@dataclass(slots=True)
class _Plan:
    """How to turn one record's cells into a Row, decided once from the header."""

    file: str
    width: int
    fields: list[tuple[str, int, Converter | None, dict[str, str] | None]]
    extras: list[tuple[str, int]]
    constants: dict[str, Any]
    required: list[str]
    units: Callable[[str], tuple[str, Decimal] | None]
    quantity_fields: list[str]
    number: Callable[[str], float]

    def quick_posting(self, source: str, target: str) -> _QuickPosting | None:
        """A converter for plain (source, target, qty, unit) rows, or None if the mapping
        rewrites those cells (value maps, constants); it answers None for any row it doubts."""
        where = {
            name: index for name, index, _convert, value_map in self.fields if value_map is None
        }
        if self.constants or source not in where or target not in where:
            return None
        i_source, i_target = where[source], where[target]
        i_qty, i_unit = where.get("qty"), where.get("unit")
        qty_mapped = any(name == "qty" for name, *_rest in self.fields) and i_qty is None
        unit_mapped = any(name == "unit" for name, *_rest in self.fields) and i_unit is None
        if qty_mapped or unit_mapped:
            return None
        width, number, units = self.width, self.number, self.units
        unscaled: dict[str, bool] = {}  # unit text -> factor is 1 (a Decimal compare per row)

        def quick(cells: list[str], line: int) -> Posting | None:
            if len(cells) < width:
                return None
            first = cells[i_source].strip()
            second = cells[i_target].strip()
            qty_text = cells[i_qty].strip() if i_qty is not None else ""
            unit_text = cells[i_unit].strip() if i_unit is not None else ""
            if not first or not second:
                return None
            if not unit_text:
                return None if qty_text else (line, first, second, None, None, None)
            rule = units(unit_text)
            if rule is None:
                return None
            if not qty_text:
                return line, first, second, None, rule[0], None
            try:
                qty = number(qty_text)
            except ValueError:
                return None
            if qty < 0:
                return None
            plain = unscaled.get(unit_text)
            if plain is None:
                plain = unscaled[unit_text] = rule[1] == 1
            return line, first, second, (qty if plain else scale(qty, rule[1])), rule[0], None

        return quick

    def convert(self, cells: list[str], line: int, errors: ErrorLog) -> Row | None:
        if len(cells) < self.width:
            cells = cells + [""] * (self.width - len(cells))
        values: dict[str, Any] = {}
        ok = True
        for name, index, convert, value_map in self.fields:
            text = cells[index].strip()
            if not text:
                continue
            if value_map is not None:
                text = value_map.get(text, text)
            if convert is None:
                values[name] = text
                continue
            try:
                values[name] = convert(text)
            except ValueError as err:
                errors.add(self.file, line, name, str(err))
                ok = False
        if self.constants:
            for name, value in self.constants.items():
                values.setdefault(name, value)
        for name in self.required:
            if name not in values:
                errors.add(self.file, line, name, f"{name} is required but empty")
                ok = False
        if self.quantity_fields:
            ok = self._apply_unit(values, line, errors) and ok
        if not ok:
            return None
        if not self.extras:
            return Row(line, values, _NO_EXTRAS)
        extras = {}
        for header, index in self.extras:
            text = cells[index].strip()
            if text:
                extras[header] = text
        return Row(line, values, extras)

    def _apply_unit(self, values: dict[str, Any], line: int, errors: ErrorLog) -> bool:
        present = [name for name in self.quantity_fields if name in values]
        unit_text = values.get("unit")
        if unit_text is None:
            if present:
                errors.add(self.file, line, "unit", f"{present[0]} is given without a unit")
                return False
            return True
        rule = self.units(unit_text)
        if rule is None:
            errors.add(
                self.file,
                line,
                "unit",
                f"unknown unit {unit_text!r}; map it under `units` in the mapping",
            )
            return False
        unit, factor = rule
        values["unit"] = unit
        for name in present:
            if values[name] < 0:
                errors.add(self.file, line, name, f"negative quantity {values[name]}")
                return False
            values[name] = scale(values[name], factor)
        return True


def _plan(
    header: list[str],
    spec: FileSpec,
    mapping: ResolvedMapping,
    file: str,
    errors: ErrorLog,
    warnings: list[str],
) -> _Plan | None:
    if header and header[0].startswith("\ufeff"):
        header[0] = header[0][1:]
    header = [cell.strip() for cell in header]
    number = number_converter(decimal_comma=mapping.decimal_comma)
    unit_cache: dict[str, tuple[str, Decimal] | None] = {}

    def unit_of(text: str) -> tuple[str, Decimal] | None:
        if text not in unit_cache:
            unit_cache[text] = mapping.unit_of(text)
        return unit_cache[text]

    def converter(name: str) -> Converter | None:
        column = spec.column_index.get(name)
        kind = column.type if column else ColumnType.TEXT
        if kind in (ColumnType.NUMBER, ColumnType.QUANTITY):
            return number
        if kind in (ColumnType.DATETIME, ColumnType.DATE):
            patterns = mapping.field_date_formats.get(name, mapping.date_formats)
            return datetime_converter(
                patterns, zone=mapping.timezone, date_only=kind is ColumnType.DATE
            )
        return None

    seen: dict[str, int] = {}
    fields: list[tuple[str, int, Converter | None, dict[str, str] | None]] = []
    extras: list[tuple[str, int]] = []
    ignored: list[str] = []
    ok = True
    for index, source in enumerate(header):
        if not source or source in mapping.ignore:
            continue
        name = mapping.columns.get(source, source)
        if name in seen:
            errors.add(
                file,
                1,
                name,
                f"column {name!r} appears twice in the header "
                f"(columns {seen[name] + 1} and {index + 1})",
            )
            ok = False
            continue
        seen[name] = index
        if name in spec.column_index:
            fields.append((name, index, converter(name), mapping.values.get(name)))
        elif spec.keeps_extra_columns and mapping.extra_columns == "keep":
            extras.append((name, index))
        elif not spec.keeps_extra_columns:
            ignored.append(source)
    for column in spec.columns:
        if column.required and column.name not in seen and column.name not in mapping.constants:
            renamed = [src for src, dst in mapping.columns.items() if dst == column.name]
            hint = f" (mapped from {renamed[0]!r})" if renamed else ""
            errors.add(file, 1, column.name, f"missing required column {column.name!r}{hint}")
            ok = False
    if ignored:
        warnings.append(f"{file}: ignored unknown column(s) {', '.join(ignored)}")
    if not ok:
        return None
    constants: dict[str, Any] = {}
    for name, text in mapping.constants.items():
        convert = converter(name)
        try:
            constants[name] = convert(text) if convert else text
        except ValueError as err:
            errors.add(file, 1, name, f"mapping constant: {err}")
            return None
    quantity_fields = [c.name for c in spec.columns if c.type is ColumnType.QUANTITY]
    return _Plan(
        file=file,
        width=len(header),
        fields=fields,
        extras=extras,
        constants=constants,
        required=[c.name for c in spec.columns if c.required],
        units=unit_of,
        quantity_fields=quantity_fields,
        number=number,
    )
