"""What a load tells its user: per file, loaded or rejected (and why, where), with counts."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from traceapi.domain.model import Batch, BatchResult
from traceapi.errors import Conflict, InvalidInput
from traceapi.gc_pause import collector_paused
from traceapi.services.ingest import ingest, loader_context
from traceapi.store.base import GraphStore


class FileOutcome(BaseModel):
    file: str
    status: Literal["loaded", "rejected"]
    result: BatchResult | None = None
    error: str | None = None
    details: object | None = None
    """Where the error is: file, line or event index, field."""
    warnings: list[str] = Field(default_factory=list)


class LoadReport(BaseModel):
    """Counts added / unchanged / rejected over every file of one ``traceapi load`` call."""

    files: list[FileOutcome] = Field(default_factory=list)

    @property
    def totals(self) -> BatchResult:
        total = BatchResult()
        for outcome in self.files:
            if outcome.result is not None:
                total = total + outcome.result
        return total

    @property
    def rejected(self) -> int:
        return sum(1 for f in self.files if f.status == "rejected")


ParseFile = Callable[[Path], tuple[Batch, list[str]]]
"""Reads one file into a batch plus warnings; raises InvalidInput naming file, line/event, field."""


def load_files(
    store: GraphStore,
    paths: Iterable[Path],
    parse: ParseFile,
    *,
    actor: str = "cli",
    on_file_done: Callable[[FileOutcome], None] | None = None,
) -> LoadReport:
    """Parses and applies each file as its own batch: a bad file is rejected whole, others load."""
    report = LoadReport()
    for path in paths:
        # One pause for the whole file, ended once its batch is gone: pauses that end in
        # between (parsing, then mapping) each left the collector a pass over all they built.
        with collector_paused():
            outcome = _load_file(store, path, parse, actor=actor)
        report.files.append(outcome)
        if on_file_done is not None:
            on_file_done(outcome)
    return report


def _load_file(store: GraphStore, path: Path, parse: ParseFile, *, actor: str) -> FileOutcome:
    """One file parsed and applied as one batch, or rejected whole."""
    try:
        batch, warnings = parse(path)
        result = ingest(
            store,
            batch,
            ctx=loader_context(actor),
            entity_kind="File",
            entity_id=path.name,
            new={"nodes": len(batch.nodes), "edges": len(batch.edges)},
        )
        return FileOutcome(file=str(path), status="loaded", result=result, warnings=warnings)
    except (InvalidInput, Conflict) as err:
        return FileOutcome(
            file=str(path), status="rejected", error=err.message, details=err.details
        )
