"""GS1 EPCIS documents (2.0 JSON-LD/XML, 1.2 XML) to validated batches of the traceability graph.

Entry points: ``parse_epcis_file(path)`` (a ParseFile for ``loaders.report.load_files``),
``parse_epcis_document(data, name=...)`` for bytes already in memory, and ``read_document``
when only the validated events are wanted.
"""

from __future__ import annotations

from pathlib import Path

from loaders.epcis.document import EpcisDocument, document_error
from loaders.epcis.mapping import map_document
from loaders.epcis.parse_json import parse_json_document
from loaders.epcis.parse_xml import parse_xml_document
from traceapi.domain.model import Batch
from traceapi.gc_pause import collector_paused
from traceapi.store.base import GraphStore

__all__ = ["parse_epcis_document", "parse_epcis_file", "read_document"]


def read_document(data: bytes, *, name: str) -> EpcisDocument:
    """Parses and validates a whole document: InvalidInput names file, event and field."""
    head = data.lstrip()[:1]
    if head.startswith(b"\xef") or head == b"":
        head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head not in (b"<", b"{", b"["):
        raise document_error(name, "neither XML nor JSON: an EPCIS document starts with '<' or '{'")
    with collector_paused():
        if head == b"<":
            return parse_xml_document(data, name=name)
        return parse_json_document(data, name=name)


def parse_epcis_document(
    data: bytes, *, name: str, store: GraphStore | None = None
) -> tuple[Batch, list[str]]:
    """One document's bytes to (batch, warnings); ``store`` (read only) sharpens the mapping:
    known customers, units whose lot an earlier file named, edges of error-declared events."""
    doc = read_document(data, name=name)
    return map_document(doc, store=store)


def parse_epcis_file(path: Path, *, store: GraphStore | None = None) -> tuple[Batch, list[str]]:
    """Reads and maps one EPCIS file; the whole file is validated before anything is mapped."""
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise document_error(str(path), f"cannot read the file: {err.strerror}") from None
    return parse_epcis_document(data, name=str(path), store=store)
