"""The column-mapping file: how one ERP/MES/WMS/LIMS export's headers, dates and units map to ours.

A bundle directory may hold ``mapping.yaml`` (or ``.yml`` / ``.toml``); ``--mapping FILE`` names
one elsewhere. ``defaults`` apply to every file and each entry under ``files`` overrides them for
one file kind. Without a mapping the canonical format of ``csv_format`` is expected.
"""

from __future__ import annotations

import codecs
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from loaders.csv_format import SPECS_BY_KIND
from traceapi.domain.units import CANONICAL_UNITS, UNIT_SYNONYMS
from traceapi.errors import InvalidInput

MAPPING_FILE_NAMES = ("mapping.yaml", "mapping.yml", "mapping.toml")
ISO = "iso"
"""The date format name for ISO 8601 (``2026-03-02``, ``2026-03-02T08:00:00+01:00``, ``...Z``)."""


class UnitRule(BaseModel):
    """``G: {to: kg, factor: 0.001}``: source quantities are multiplied by ``factor``."""

    model_config = ConfigDict(extra="forbid")

    to: str
    factor: Decimal = Decimal(1)

    @field_validator("factor")
    @classmethod
    def _positive(cls, value: Decimal) -> Decimal:
        if not value.is_finite() or value <= 0:
            raise ValueError("factor must be a finite number > 0")
        return value


class FormatOptions(BaseModel):
    """Settings shared by ``defaults`` and each file entry (a file's own values win)."""

    model_config = ConfigDict(extra="forbid")

    delimiter: str | None = None
    encoding: str | None = None
    decimal_comma: bool | None = None
    date_formats: list[str] | None = None
    """strptime patterns tried in order; ``iso`` means ISO 8601."""
    timezone: str | None = None
    """Zone of times written without an offset (IANA name); default UTC."""
    units: dict[str, str | UnitRule] = Field(default_factory=dict)
    values: dict[str, dict[str, str]] = Field(default_factory=dict)
    """Per field, source value -> our value (``status: {FREI: released}``)."""
    extra_columns: Literal["keep", "drop"] | None = None
    """Unknown columns of node files become properties (keep) or are ignored (drop)."""

    @field_validator("delimiter")
    @classmethod
    def _one_character(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}.get(
            value, value
        )
        if len(value) != 1:
            raise ValueError("delimiter must be one character (or tab, comma, semicolon, pipe)")
        return value

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                codecs.lookup(value)
            except LookupError as err:
                raise ValueError(f"unknown encoding {value!r}") from err
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError) as err:
                raise ValueError(f"unknown time zone {value!r}") from err
        return value


class FileMapping(FormatOptions):
    file: str | None = None
    """The source file name in the bundle directory (default ``<kind>.csv``)."""
    columns: dict[str, str] = Field(default_factory=dict)
    """Their header -> our field."""
    field_date_formats: dict[str, list[str]] = Field(default_factory=dict)
    """Per field date formats, overriding ``date_formats`` for that field."""
    constants: dict[str, str] = Field(default_factory=dict)
    """Our field -> a value used for every row where the field is missing or empty."""
    ignore: list[str] = Field(default_factory=list)
    """Their headers to skip."""


class BundleMapping(BaseModel):
    model_config = ConfigDict(extra="forbid")

    defaults: FormatOptions = Field(default_factory=FormatOptions)
    files: dict[str, FileMapping] = Field(default_factory=dict)
    extra_units: list[str] = Field(default_factory=list)
    """Units accepted in addition to the canonical ones."""

    @field_validator("files")
    @classmethod
    def _known_kinds(cls, value: dict[str, FileMapping]) -> dict[str, FileMapping]:
        unknown = sorted(set(value) - set(SPECS_BY_KIND))
        if unknown:
            raise ValueError(
                f"unknown file kind(s) {', '.join(unknown)}; known: {', '.join(SPECS_BY_KIND)}"
            )
        return value

    def resolve(self, kind: str) -> ResolvedMapping:
        """Everything the reader needs for one file kind, defaults filled in."""
        own = self.files.get(kind) or FileMapping()
        base = self.defaults

        def pick(name: str, fallback: Any) -> Any:
            mine = getattr(own, name)
            if mine is not None:
                return mine
            theirs = getattr(base, name)
            return fallback if theirs is None else theirs

        units: dict[str, tuple[str, Decimal]] = {}
        for source, rule in {**base.units, **own.units}.items():
            target, factor = (rule, Decimal(1)) if isinstance(rule, str) else (rule.to, rule.factor)
            units[source] = (target, factor)
        values = {field: dict(mapping) for field, mapping in base.values.items()}
        for field, mapping in own.values.items():
            values.setdefault(field, {}).update(mapping)
        return ResolvedMapping(
            kind=kind,
            file=own.file or SPECS_BY_KIND[kind].file_name,
            delimiter=pick("delimiter", ","),
            encoding=pick("encoding", "utf-8-sig"),
            decimal_comma=pick("decimal_comma", False),
            date_formats=tuple(pick("date_formats", [ISO])),
            field_date_formats={k: tuple(v) for k, v in own.field_date_formats.items()},
            timezone=ZoneInfo(pick("timezone", "UTC")),
            units=units,
            known_units=CANONICAL_UNITS | frozenset(self.extra_units),
            values=values,
            extra_columns=pick("extra_columns", "keep"),
            columns=dict(own.columns),
            constants=dict(own.constants),
            ignore=frozenset(own.ignore),
        )


@dataclass(frozen=True, slots=True)
class ResolvedMapping:
    """One file kind's mapping with every default applied."""

    kind: str
    file: str
    delimiter: str
    encoding: str
    decimal_comma: bool
    date_formats: tuple[str, ...]
    field_date_formats: dict[str, tuple[str, ...]]
    timezone: ZoneInfo
    units: dict[str, tuple[str, Decimal]]
    known_units: frozenset[str]
    values: dict[str, dict[str, str]]
    extra_columns: str
    columns: dict[str, str]
    constants: dict[str, str]
    ignore: frozenset[str]

    def unit_of(self, text: str) -> tuple[str, Decimal] | None:
        """(our unit, factor) for a source unit, or None when the unit is unknown."""
        rule = self.units.get(text)
        if rule is not None:
            return rule if rule[0] in self.known_units else None
        if text in self.known_units:
            return text, Decimal(1)
        lower = text.lower()
        if lower in self.known_units:
            return lower, Decimal(1)
        synonym = UNIT_SYNONYMS.get(text.upper())
        return (synonym, Decimal(1)) if synonym else None


def find_mapping_file(directory: Path) -> Path | None:
    """The mapping file inside a bundle directory, if there is one."""
    for name in MAPPING_FILE_NAMES:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


def read_mapping(path: Path) -> BundleMapping:
    """Parses and checks a mapping file; InvalidInput names the file and the key at fault."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as err:
        raise InvalidInput(
            f"cannot read mapping file {path}: {err.strerror}", details={"file": str(path)}
        ) from err
    try:
        raw = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as err:
        raise InvalidInput(
            f"mapping file {path.name} is not valid {path.suffix[1:].upper()}: {err}",
            details={"file": str(path)},
        ) from err
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InvalidInput(
            f"mapping file {path.name} must hold a mapping at the top", details={"file": str(path)}
        )
    _check_unit_factors_are_exact(raw)
    try:
        mapping = BundleMapping.model_validate(raw)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InvalidInput(
            f"mapping file {path.name}: {where}: {first['msg']}",
            details={
                "file": str(path),
                "field": where,
                "errors": [
                    {"field": ".".join(map(str, e["loc"])), "message": e["msg"]}
                    for e in err.errors()
                ],
            },
        ) from err
    _check_fields_exist(mapping, path)
    return mapping


def _check_unit_factors_are_exact(raw: dict[str, Any]) -> None:
    """Turns YAML floats such as 0.001 into exact decimals before validation (no binary drift)."""
    sections = [raw.get("defaults")] + list((raw.get("files") or {}).values())
    for section in sections:
        if not isinstance(section, dict) or not isinstance(section.get("units"), dict):
            continue
        for rule in section["units"].values():
            if isinstance(rule, dict) and isinstance(rule.get("factor"), float):
                rule["factor"] = Decimal(repr(rule["factor"]))


def _check_fields_exist(mapping: BundleMapping, path: Path) -> None:
    for kind, own in mapping.files.items():
        spec = SPECS_BY_KIND[kind]
        named = (
            list(own.columns.values())
            + list(own.constants)
            + list(own.field_date_formats)
            + list(own.values)
        )
        for field in named:
            if field in spec.column_index or (spec.keeps_extra_columns and field):
                continue
            raise InvalidInput(
                f"mapping file {path.name}: files.{kind} names field {field!r}, which "
                f"{spec.file_name} does not have (fields: {', '.join(spec.column_index)})",
                details={"file": str(path), "field": f"files.{kind}"},
            )
