"""A record as CSV and as printable HTML, each with its signatures' manifestation (21 CFR 11.50:
printed name, date and time, meaning) and whether each still holds."""

from __future__ import annotations

import csv
import io
import json
from html import escape

from traceapi.domain.records import StoredRecord
from traceapi.services.records import SignatureCheck

CSV_COLUMNS = (
    "section",
    "name",
    "value",
    "signed_by",
    "user_id",
    "signed_at_utc",
    "meaning",
    "signed_version",
    "status",
)


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def record_csv(record: StoredRecord, signatures: list[SignatureCheck]) -> str:
    """One row per field of the record, then one row per signature."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    head = {
        "id": record.id,
        "kind": record.kind,
        "state": record.state,
        "version": record.version,
        "content_hash": record.content_hash,
        "created_by": record.created_by,
        "created_at_utc": record.created_at.isoformat(),
        "updated_by": record.updated_by,
        "updated_at_utc": record.updated_at.isoformat(),
    }
    for name, value in head.items():
        writer.writerow(["record", name, _text(value), "", "", "", "", "", ""])
    for name in sorted(record.data):
        writer.writerow(["field", name, _text(record.data[name]), "", "", "", "", "", ""])
    for check in signatures:
        signature = check.signature
        writer.writerow(
            [
                "signature",
                signature.signature_id,
                check.problem or "",
                signature.printed_name,
                signature.user_id,
                signature.signed_at.isoformat(),
                signature.meaning.value,
                signature.record_version,
                check.status,
            ]
        )
    return out.getvalue()


def record_html(record: StoredRecord, signatures: list[SignatureCheck]) -> str:
    """A self-contained page (no scripts, no outside resources) fit to print."""
    fields = "".join(
        f"<tr><th>{escape(name)}</th><td>{escape(_text(record.data[name]))}</td></tr>"
        for name in sorted(record.data)
    )
    signed = (
        "".join(
            "<tr>"
            f"<td>{escape(c.signature.printed_name)}</td>"
            f"<td>{escape(c.signature.user_id)}</td>"
            f"<td>{escape(c.signature.signed_at.isoformat())}</td>"
            f"<td>{escape(c.signature.meaning.value)}</td>"
            f"<td>{c.signature.record_version}</td>"
            f"<td>{escape(c.status)}{': ' + escape(c.problem) if c.problem else ''}</td>"
            "</tr>"
            for c in signatures
        )
        or '<tr><td colspan="6">not signed</td></tr>'
    )
    title = f"{record.kind} {record.id}, version {record.version}"
    return (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        f"<title>{escape(title)}</title>"
        f"<h1>{escape(title)}</h1>"
        f"<p>State <b>{escape(record.state)}</b>. Created by {escape(record.created_by)} at "
        f"{escape(record.created_at.isoformat())}; last changed by {escape(record.updated_by)} "
        f"at {escape(record.updated_at.isoformat())} (UTC). Content hash "
        f"<code>{escape(record.content_hash)}</code>.</p>"
        f"<table><tbody>{fields}</tbody></table>"
        "<h2>Electronic signatures</h2>"
        "<table><thead><tr><th>printed name</th><th>user id</th><th>signed at (UTC)</th>"
        "<th>meaning</th><th>version signed</th><th>status</th></tr></thead>"
        f"<tbody>{signed}</tbody></table></html>\n"
    )
