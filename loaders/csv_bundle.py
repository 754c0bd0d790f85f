"""Loads a CSV bundle (one file per kind) into the store: validate everything, then one batch.

The whole bundle is read and checked first: every bad cell, missing column, unknown reference
and conflicting duplicate is reported with file, line and field, and then nothing is written.
A valid bundle becomes a single ``Batch`` applied in one store transaction, so it lands whole or
not at all, and loading it again adds nothing. See ``docs/csv-format.md``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError

from loaders.csv_format import FILE_SPECS, PARAM_PREFIX, Column, FileSpec
from loaders.csv_mapping import BundleMapping, ResolvedMapping, find_mapping_file, read_mapping
from loaders.csv_rows import ErrorLog, Row, read_postings, read_rows
from loaders.csv_values import number_converter
from loaders.report import FileOutcome, LoadReport
from loaders.unchecked import unchecked
from traceapi.domain.gs1 import gln_aliases, lot_aliases, verify_check_digit
from traceapi.domain.model import (
    Alias,
    Batch,
    Edge,
    EdgeType,
    LotStatus,
    LotType,
    Node,
    NodeKind,
)
from traceapi.errors import Conflict, InvalidInput, TraceapiError
from traceapi.gc_pause import collector_paused
from traceapi.services.ingest import ingest, loader_context
from traceapi.store.base import GraphStore

Progress = Callable[[str, int, int], None]
"""``progress(description, completed, total)``; bytes while reading, then whole stages."""

_LOOKUP_CHUNK = 500
_MAX_ID = 512


class CsvLoadReport(LoadReport):
    """A ``LoadReport`` with one outcome for the bundle, plus rows read per file."""

    directory: str = ""
    rows: dict[str, int] = Field(default_factory=dict)
    elapsed_s: float = 0.0


def load_csv_bundle(
    store: GraphStore,
    directory: Path,
    *,
    mapping: Path | BundleMapping | None = None,
    progress: Progress | None = None,
    actor: str = "cli",
) -> CsvLoadReport:
    """Validates the bundle in ``directory`` and applies it as one batch (or rejects it whole).

    ``mapping`` is a mapping file or an already read mapping; by default the bundle's own
    ``mapping.yaml`` / ``.toml`` if present. A rejected bundle comes back with status
    ``rejected`` and its errors in ``details``; bad arguments (no such directory, a broken
    mapping file) raise ``InvalidInput``.
    """
    started = time.perf_counter()
    directory = Path(directory)
    if not directory.is_dir():
        raise InvalidInput(f"{directory} is not a directory", details={"file": str(directory)})
    bundle_mapping = _mapping_for(directory, mapping)
    report = CsvLoadReport(directory=str(directory))
    with collector_paused():
        reader = _BundleReader(directory, bundle_mapping, progress)
        batch = reader.read(store)
        report.rows = reader.rows
        if reader.errors:
            report.files.append(_rejected(directory, reader))
        else:
            if progress is not None:
                progress(f"writing {len(batch.nodes):,} nodes, {len(batch.edges):,} edges", 1, 1)
            try:
                result = ingest(
                    store,
                    batch,
                    ctx=loader_context(actor),
                    entity_kind="CsvBundle",
                    entity_id=directory.name,
                    new={
                        "nodes": len(batch.nodes),
                        "edges": len(batch.edges),
                        "aliases": len(batch.aliases),
                        "rows": reader.rows,
                    },
                )
            except (InvalidInput, Conflict) as err:
                report.files.append(
                    FileOutcome(
                        file=str(directory),
                        status="rejected",
                        error=f"the store refused the bundle: {err.message}{reader.where(err)}",
                        details=err.details,
                        warnings=reader.warnings,
                    )
                )
            else:
                report.files.append(
                    FileOutcome(
                        file=str(directory),
                        status="loaded",
                        result=result,
                        warnings=reader.warnings,
                    )
                )
    report.elapsed_s = round(time.perf_counter() - started, 3)
    return report


def _mapping_for(directory: Path, mapping: Path | BundleMapping | None) -> BundleMapping:
    if isinstance(mapping, BundleMapping):
        return mapping
    if mapping is not None:
        return read_mapping(Path(mapping))
    found = find_mapping_file(directory)
    return read_mapping(found) if found else BundleMapping()


def _rejected(directory: Path, reader: _BundleReader) -> FileOutcome:
    errors = reader.errors.errors
    more = reader.errors.dropped
    summary = str(errors[0]) + (f" (and {len(errors) - 1 + more} more)" if len(errors) > 1 else "")
    return FileOutcome(
        file=str(directory),
        status="rejected",
        error=f"the bundle was not loaded: {summary}",
        details={"errors": [e.as_dict() for e in errors], "more_errors": more},
        warnings=reader.warnings,
    )


@dataclass(slots=True)
class _Pending:
    """A reference not defined in the bundle: resolved against bundle aliases and the store."""

    file: str
    line: int
    column: Column
    patch: Callable[[str], None]


_NODE_FILE_ORDER = (
    "suppliers",
    "materials",
    "customers",
    "equipment",
    "lots",
    "process_steps",
    "inspections",
    "shipments",
)
_EDGE_FILES: dict[str, tuple[EdgeType, str, str]] = {
    # file kind: (edge type, source column, target column)
    "consumption": (EdgeType.CONSUMED_BY, "lot", "step"),
    "production": (EdgeType.PRODUCED, "step", "lot"),
    "equipment_usage": (EdgeType.ON, "step", "equipment"),
    "shipment_lines": (EdgeType.SHIPPED_IN, "lot", "shipment"),
}
_EdgeRow = tuple[int, str, str, float | None, str | None, dict[str, Any] | None]
"""(line, source, target, qty, unit, props) of one row of an edge file."""
_READ_ORDER = (*_NODE_FILE_ORDER, *_EDGE_FILES, "aliases")
"""Files that define nodes come before the files that refer to them."""
_LOT_STATUSES = frozenset(s.value for s in LotStatus)
_LOT_TYPES = frozenset(t.value for t in LotType)
_SPEC_BY_KIND = {spec.kind: spec for spec in FILE_SPECS}


@dataclass(slots=True)
class _BundleReader:
    directory: Path
    mapping: BundleMapping
    progress: Progress | None
    errors: ErrorLog = field(default_factory=ErrorLog)
    warnings: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    nodes: dict[str, Node] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    alias_rows: list[tuple[str, str, int]] = field(default_factory=list)
    pending: dict[str, list[_Pending]] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    """node kind -> the file name its nodes came from (for messages)."""

    def where(self, err: TraceapiError) -> str:
        """`` (lots.csv line 4)`` when a store error names a node this bundle defines."""
        details = err.details if isinstance(err.details, dict) else {}
        node_id = details.get("node")
        node = self.nodes.get(node_id) if isinstance(node_id, str) else None
        if node is None:
            return ""
        return f" ({self.files.get(node.kind.value, '?')} line {self.lines[node.id]})"

    # -- the whole bundle ----------------------------------------------------------------
    def read(self, store: GraphStore) -> Batch:
        present = self._present_files()
        total = sum(path.stat().st_size for path in present.values())
        done = 0

        def on_bytes(count: int, label: str) -> None:
            nonlocal done
            done += count
            if self.progress is not None:
                self.progress(f"reading {label}", done, total)

        for kind in _READ_ORDER:
            if kind not in present or self.errors.full:
                continue
            path = present[kind]
            spec = _SPEC_BY_KIND[kind]
            resolved = self.mapping.resolve(kind)
            progress = partial(on_bytes, label=path.name)
            if kind in _EDGE_FILES:
                self.rows[path.name] = self._edge_rows(
                    kind, spec, self._postings(kind, path, spec, resolved, progress), path.name
                )
                continue
            rows = read_rows(
                path, spec, resolved, errors=self.errors, warnings=self.warnings, on_bytes=progress
            )
            self.rows[path.name] = self._take(
                kind, spec, rows, path.name, decimal_comma=resolved.decimal_comma
            )
        if self.progress is not None:
            self.progress("checking references", total, total)
        if not self.errors.full:
            self._resolve_pending(store)
        # every node and edge is already a checked model instance: no second validation pass
        return Batch.model_construct(
            nodes=list(self.nodes.values()),
            edges=self.edges,
            aliases=[Alias(alias=a, node_id=n) for a, n, _line in self.alias_rows],
            source=f"csv:{self.directory.name}",
        )

    def _present_files(self) -> dict[str, Path]:
        present: dict[str, Path] = {}
        claimed: set[str] = set()
        for kind in _READ_ORDER:
            name = self.mapping.resolve(kind).file
            path = self.directory / name
            claimed.add(name)
            if path.is_file():
                present[kind] = path
            elif kind in self.mapping.files and self.mapping.files[kind].file:
                self.errors.add(
                    name,
                    0,
                    None,
                    f"the mapping names {name} for {kind}, but it is not in {self.directory}",
                )
        strays = sorted(p.name for p in self.directory.glob("*.csv") if p.name not in claimed)
        if strays:
            self.warnings.append(f"ignored file(s) not in the bundle format: {', '.join(strays)}")
        if not present and not self.errors:
            self.errors.add(
                str(self.directory),
                0,
                None,
                "no bundle files found (expected e.g. lots.csv; see docs/csv-format.md"
                " or name the files in a mapping)",
            )
        return present

    def _take(
        self, kind: str, spec: FileSpec, rows: Iterator[Row], file: str, *, decimal_comma: bool
    ) -> int:
        count = 0
        if spec.node_kind is not None:
            self.files[spec.node_kind.value] = file
            number = number_converter(decimal_comma=decimal_comma)
            refs = {c.name: c for c in spec.columns if c.ref_kinds}
            for row in rows:
                count += 1
                self._node_row(spec, row, file, number, refs)
        else:
            for row in rows:
                count += 1
                self._alias_row(spec, row, file)
        return count

    def _postings(
        self,
        kind: str,
        path: Path,
        spec: FileSpec,
        mapping: ResolvedMapping,
        progress: Callable[[int], None],
    ) -> Iterator[_EdgeRow]:
        _type, source, target = _EDGE_FILES[kind]
        if kind != "equipment_usage":
            yield from read_postings(
                path,
                spec,
                mapping,
                source=source,
                target=target,
                errors=self.errors,
                warnings=self.warnings,
                on_bytes=progress,
            )
            return
        for row in read_rows(
            path, spec, mapping, errors=self.errors, warnings=self.warnings, on_bytes=progress
        ):
            values = row.values
            window: dict[str, Any] = {k: values[k] for k in ("from", "to") if k in values}
            yield row.line, values[source], values[target], None, None, window

    # -- rows that define nodes -----------------------------------------------------------
    def _node_row(
        self,
        spec: FileSpec,
        row: Row,
        file: str,
        number: Callable[[str], float],
        refs: dict[str, Column],
    ) -> None:
        """One node (and the edges its reference columns state); ``refs`` are the spec's
        reference columns by name."""
        values = row.values
        kind = spec.node_kind
        assert kind is not None
        node_id = values.pop("id")
        name = values.pop("name", None)
        props: dict[str, Any] = {}
        edges: list[tuple[EdgeType, str, str, Column]] = []
        aliases: list[str] = []
        ok = True
        for key, value in values.items():
            if key in refs:
                continue
            props[key] = value
        if kind is NodeKind.LOT:
            ok = self._lot_fields(props, aliases, file, row.line)
            if "material" in values:
                props["material"] = values["material"]
                edges.append((EdgeType.OF, node_id, values["material"], refs["material"]))
            if "supplier" in values:
                edges.append((EdgeType.SUPPLIED, values["supplier"], node_id, refs["supplier"]))
        elif kind is NodeKind.MATERIAL and "gtin" in props:
            ok = self._gtin(props, file, row.line)
        elif kind in (NodeKind.SUPPLIER, NodeKind.CUSTOMER) and "gln" in props:
            gln = props["gln"]
            if len(gln) != 13 or not verify_check_digit(gln):
                self.errors.add(
                    file, row.line, "gln", f"not a GLN (13 digits, valid check digit): {gln!r}"
                )
                ok = False
            else:
                aliases.extend(gln_aliases(gln))
        elif kind is NodeKind.INSPECTION:
            edges.append((EdgeType.OF, node_id, values["lot"], refs["lot"]))
        elif kind is NodeKind.SHIPMENT:
            edges.append(
                (EdgeType.DELIVERED_TO, node_id, values["destination"], refs["destination"])
            )
            if "origin" in values:
                props["origin"] = values["origin"]
                edges.append((EdgeType.SHIPPED_FROM, node_id, values["origin"], refs["origin"]))
        params: dict[str, Any] = {}
        for header, text in row.extras.items():
            if kind is NodeKind.PROCESS_STEP and header.startswith(PARAM_PREFIX):
                try:
                    params[header[len(PARAM_PREFIX) :]] = number(text)
                except ValueError:
                    params[header[len(PARAM_PREFIX) :]] = text
            else:
                props.setdefault(header, text)
        if params:
            props["params"] = params
        if len(node_id) > _MAX_ID:
            self.errors.add(file, row.line, "id", f"id longer than {_MAX_ID} characters")
            ok = False
        if not ok:
            return
        try:
            if row.extras:  # free-form columns: let the model check them against known props
                node = Node(id=node_id, kind=kind, name=name, props=props, aliases=aliases)
            else:
                node = unchecked(
                    Node,
                    {"id": node_id, "kind": kind, "name": name, "aliases": aliases, "props": props},
                )
        except ValidationError as err:
            first = err.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or None
            self.errors.add(file, row.line, where, first["msg"].removeprefix("Value error, "))
            return
        if not self._add_node(node, file, row.line):
            return
        for edge_type, source, target, column in edges:
            self._edge(edge_type, source, target, column, file, row.line, node)

    def _lot_fields(self, props: dict[str, Any], aliases: list[str], file: str, line: int) -> bool:
        ok = True
        status = props.get("status")
        if status is not None and status not in _LOT_STATUSES:
            self.errors.add(
                file,
                line,
                "status",
                f"unknown lot status {status!r} (expected one of "
                f"{', '.join(sorted(_LOT_STATUSES))}; map it under `values`)",
            )
            ok = False
        lot_type = props.get("lot_type")
        if lot_type is not None and lot_type not in _LOT_TYPES:
            self.errors.add(
                file,
                line,
                "lot_type",
                f"unknown lot type {lot_type!r} (expected one"
                f" of {', '.join(sorted(_LOT_TYPES))}; map it under `values`)",
            )
            ok = False
        if "gtin" in props:
            ok = self._gtin(props, file, line) and ok
            if ok and "lot_number" in props:
                aliases.extend(lot_aliases(props["gtin"], props["lot_number"]))
        return ok

    def _gtin(self, props: dict[str, Any], file: str, line: int) -> bool:
        gtin = props["gtin"]
        if len(gtin) not in (8, 12, 13, 14) or not verify_check_digit(gtin):
            self.errors.add(
                file,
                line,
                "gtin",
                f"not a GTIN (8, 12, 13 or 14 digits, valid check digit): {gtin!r}",
            )
            return False
        props["gtin"] = gtin.zfill(14)
        return True

    def _add_node(self, node: Node, file: str, line: int) -> bool:
        """Registers a node; False when it repeats an earlier row (same data or a conflict)."""
        earlier = self.nodes.get(node.id)
        if earlier is None:
            self.nodes[node.id] = node
            self.lines[node.id] = line
            return True
        where = f"{self.files.get(earlier.kind.value, '?')} line {self.lines[node.id]}"
        if earlier.kind is not node.kind:
            self.errors.add(
                file,
                line,
                "id",
                f"id {node.id!r} is already a {earlier.kind.value} "
                f"({where}); ids are unique across kinds",
            )
        elif earlier != node:
            differing = sorted(
                {
                    k
                    for k in set(earlier.props) | set(node.props)
                    if earlier.props.get(k) != node.props.get(k)
                }
                | ({"name"} if earlier.name != node.name else set())
            )
            self.errors.add(
                file,
                line,
                differing[0] if differing else "id",
                f"duplicate id {node.id!r} with different data than {where} "
                f"(differs in {', '.join(differing) or 'aliases'})",
            )
        return False

    # -- rows that define edges -----------------------------------------------------------
    def _edge_rows(self, kind: str, spec: FileSpec, rows: Iterator[_EdgeRow], file: str) -> int:
        edge_type, source_col, target_col = _EDGE_FILES[kind]
        source_ref = spec.column_index[source_col]
        target_ref = spec.column_index[target_col]
        seen: dict[tuple[str, str], Edge] = {}
        first_line: dict[tuple[str, str], int] = {}
        merged = 0
        count = 0
        nodes = self.nodes
        edges = self.edges
        source_kinds, target_kinds = source_ref.ref_kinds, target_ref.ref_kinds
        for line, source, target, qty, unit, props in rows:
            count += 1
            key = (source, target)
            earlier = seen.get(key)
            if earlier is not None:
                if self._merge(earlier, qty, unit, props, file, line, first_line[key]):
                    merged += 1
                continue
            source_node = nodes.get(source)
            target_node = nodes.get(target)
            if source_node is not None and source_node.kind not in source_kinds:
                self._wrong_kind(source, source_node.kind, source_ref, file, line)
                continue
            if target_node is not None and target_node.kind not in target_kinds:
                self._wrong_kind(target, target_node.kind, target_ref, file, line)
                continue
            edge = unchecked(
                Edge,
                {
                    "source": source,
                    "target": target,
                    "type": edge_type,
                    "qty": qty,
                    "unit": unit,
                    "props": props or {},
                },
            )
            seen[key] = edge
            first_line[key] = line
            edges.append(edge)
            if source_node is None:
                self._defer(source, source_ref, file, line, _setter(edge, "source"))
            if target_node is None:
                self._defer(target, target_ref, file, line, _setter(edge, "target"))
        if merged:
            self.warnings.append(
                f"{file}: {merged} row(s) repeat an earlier "
                f"({source_col}, {target_col}) pair; their quantities were added"
            )
        return count

    def _merge(
        self,
        edge: Edge,
        qty: float | None,
        unit: str | None,
        window: dict[str, Any] | None,
        file: str,
        line: int,
        first_line: int,
    ) -> bool:
        """Adds a repeated posting to the first one; False (and an error) when they disagree."""
        if edge.type is EdgeType.ON:
            if window != edge.props:
                self.errors.add(
                    file,
                    line,
                    "from",
                    f"the same step and equipment appear on line"
                    f" {first_line} with a different time window",
                )
            return False
        if (qty is None) != (edge.qty is None):
            self.errors.add(
                file,
                line,
                "qty",
                f"the same pair is on line {first_line}, one with a quantity and one without",
            )
            return False
        if qty is None:
            return True
        if unit != edge.unit:
            self.errors.add(
                file,
                line,
                "unit",
                f"the same pair is on line {first_line} in {edge.unit!r}, here in {unit!r}",
            )
            return False
        assert edge.qty is not None
        edge.qty = edge.qty + qty
        return True

    def _edge(
        self,
        edge_type: EdgeType,
        source: str,
        target: str,
        column: Column,
        file: str,
        line: int,
        own: Node,
    ) -> None:
        """An edge from a node row; ``column`` describes the end that is not ``own``."""
        edge = unchecked(
            Edge,
            {
                "source": source,
                "target": target,
                "type": edge_type,
                "qty": None,
                "unit": None,
                "props": {},
            },
        )
        end = "target" if source == own.id else "source"
        ref = target if end == "target" else source
        node = self.nodes.get(ref)
        if node is not None:
            if node.kind not in column.ref_kinds:
                self._wrong_kind(ref, node.kind, column, file, line)
                return
        else:
            set_end = _setter(edge, end)

            def patch(real: str) -> None:
                set_end(real)
                if own.props.get(column.name) == ref:
                    own.props[column.name] = real

            self._defer(ref, column, file, line, patch)
        self.edges.append(edge)

    def _alias_row(self, spec: FileSpec, row: Row, file: str) -> None:
        alias, node_ref = row.values["alias"], row.values["node"]
        index = len(self.alias_rows)
        self.alias_rows.append((alias, node_ref, row.line))
        if node_ref not in self.nodes:

            def patch(real: str, index: int = index) -> None:
                alias_, _ref, line_ = self.alias_rows[index]
                self.alias_rows[index] = (alias_, real, line_)

            self._defer(node_ref, spec.column_index["node"], file, row.line, patch)

    # -- references -----------------------------------------------------------------------
    def _defer(
        self, ref: str, column: Column, file: str, line: int, patch: Callable[[str], None]
    ) -> None:
        self.pending.setdefault(ref, []).append(_Pending(file, line, column, patch))

    def _wrong_kind(
        self,
        ref: str,
        kind: NodeKind,
        column: Column,
        file: str,
        line: int,
        where: str | None = None,
    ) -> None:
        expected = " or ".join(k.value for k in column.ref_kinds)
        if where is None:
            where = f"{self.files.get(kind.value, '?')} line {self.lines.get(ref, '?')}"
        self.errors.add(
            file,
            line,
            column.name,
            f"{column.name} {ref!r} is a {kind.value} ({where}), expected {expected}",
        )

    def _bundle_alias_index(self) -> dict[str, str]:
        """alias -> node id for every alias the bundle defines, checking they are unambiguous."""
        index: dict[str, str] = {}
        origin: dict[str, str] = {}
        for node in self.nodes.values():
            for alias in node.aliases:
                index[alias] = node.id
                origin[alias] = f"{self.files.get(node.kind.value, '?')} line {self.lines[node.id]}"
        aliases_file = self.mapping.resolve("aliases").file
        for alias, node_ref, line in self.alias_rows:
            if alias in self.nodes and self.nodes[alias].id != node_ref:
                self.errors.add(
                    aliases_file,
                    line,
                    "alias",
                    f"alias {alias!r} is the id of another node "
                    f"({self.files.get(self.nodes[alias].kind.value, '?')} line "
                    f"{self.lines[alias]})",
                )
                continue
            other = index.get(alias)
            if other is not None and other != node_ref:
                self.errors.add(
                    aliases_file,
                    line,
                    "alias",
                    f"alias {alias!r} already names {other!r} ({origin[alias]})",
                )
                continue
            index[alias] = node_ref
            origin[alias] = f"{aliases_file} line {line}"
        return index

    def _resolve_pending(self, store: GraphStore) -> None:
        """Resolves references the bundle does not define: bundle aliases, then the store."""
        alias_index = self._bundle_alias_index()
        target_of = {ref: alias_index.get(ref, ref) for ref in self.pending}
        stored = self._store_kinds(store, [t for t in target_of.values() if t not in self.nodes])
        for ref, target in target_of.items():
            if target not in self.nodes and target not in stored:
                node_id = store.resolve(ref)
                if node_id is not None:
                    target_of[ref] = node_id
        stored.update(
            self._store_kinds(
                store, [t for t in target_of.values() if t not in self.nodes and t not in stored]
            )
        )
        for ref, uses in self.pending.items():
            target = target_of[ref]
            via = "" if target == ref else f"alias of {target!r}, "
            if target in self.nodes:
                kind = self.nodes[target].kind
                where = f"{via}{self.files.get(kind.value, '?')} line {self.lines[target]}"
            elif target in stored:
                kind, where = stored[target], f"{via}in the store"
            else:
                for use in uses:
                    self.errors.add(
                        use.file,
                        use.line,
                        use.column.name,
                        f"unknown {use.column.name} {ref!r}: neither in the bundle "
                        "nor in the store",
                    )
                continue
            for use in uses:
                if kind in use.column.ref_kinds:
                    use.patch(target)
                else:
                    self._wrong_kind(ref, kind, use.column, use.file, use.line, where=where)

    def _store_kinds(self, store: GraphStore, ids: list[str]) -> dict[str, NodeKind]:
        kinds: dict[str, NodeKind] = {}
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), _LOOKUP_CHUNK):
            for node_id, node in store.get_nodes(unique[start : start + _LOOKUP_CHUNK]).items():
                kinds[node_id] = node.kind
        return kinds


def _setter(edge: Edge, end: str) -> Callable[[str], None]:
    def patch(real: str) -> None:
        setattr(edge, end, real)

    return patch
