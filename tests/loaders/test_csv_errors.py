"""Malformed bundles are rejected whole, each error naming file, line (header = 1) and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from loaders.csv_bundle import load_csv_bundle
from traceapi.errors import InvalidInput
from traceapi.store.base import GraphStore

GOOD = {
    "suppliers.csv": "id,name\nSUP-1,Acme\n",
    "materials.csv": "id,name\nMAT-1,Resin\n",
    "lots.csv": "id,material,supplier,status,quantity,unit\n"
    "RAW-1,MAT-1,SUP-1,released,100,kg\n"
    "OUT-1,MAT-1,,released,90,kg\n",
    "process_steps.csv": "id,step_code,started_at\nSTEP-1,MIX,2026-01-02T08:00:00Z\n",
    "consumption.csv": "lot,step,qty,unit\nRAW-1,STEP-1,95,kg\n",
    "production.csv": "step,lot,qty,unit\nSTEP-1,OUT-1,90,kg\n",
    "customers.csv": "id,name\nCUS-1,Hospital\n",
    "shipments.csv": "id,shipped_at,destination\nSHP-1,2026-01-05,CUS-1\n",
    "shipment_lines.csv": "shipment,lot,qty,unit\nSHP-1,OUT-1,10,kg\n",
}


def bundle(tmp_path: Path, **changes: str) -> Path:
    directory = tmp_path / "bundle"
    directory.mkdir()
    files = {**GOOD, **{f"{name}.csv": text for name, text in changes.items()}}
    for name, text in files.items():
        if text:
            (directory / name).write_text(text, encoding="utf-8")
    return directory


def errors_of(store: GraphStore, directory: Path) -> list[tuple[str, int, str | None]]:
    report = load_csv_bundle(store, directory)
    assert report.rejected == 1
    assert store.stats().node_total == 0, "a rejected bundle must write nothing"
    assert store.stats().edge_total == 0
    outcome = report.files[0]
    assert outcome.status == "rejected"
    details = outcome.details
    assert isinstance(details, dict)
    return [(e["file"], e["line"], e["field"]) for e in details["errors"]]


def test_the_good_bundle_loads(store: GraphStore, tmp_path: Path) -> None:
    report = load_csv_bundle(store, bundle(tmp_path))
    assert report.rejected == 0, report.files[0].error
    assert store.stats().node_total == 7


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param(
            {"consumption": "lot,qty,unit\nRAW-1,95,kg\n"},
            ("consumption.csv", 1, "step"),
            id="missing-required-column",
        ),
        pytest.param(
            {"process_steps": "id,started_at\nSTEP-1,2026-01-02 08:00\nSTEP-2,yesterday\n"},
            ("process_steps.csv", 3, "started_at"),
            id="unparseable-date",
        ),
        pytest.param(
            {"consumption": "lot,step,qty,unit\nRAW-1,STEP-1,9x5,kg\n"},
            ("consumption.csv", 2, "qty"),
            id="unparseable-number",
        ),
        pytest.param(
            {"production": "step,lot,qty,unit\nSTEP-1,OUT-1,-90,kg\n"},
            ("production.csv", 2, "qty"),
            id="negative-quantity",
        ),
        pytest.param(
            {"shipment_lines": "shipment,lot,qty,unit\nSHP-1,OUT-1,10,furlong\n"},
            ("shipment_lines.csv", 2, "unit"),
            id="unknown-unit",
        ),
        pytest.param(
            {"consumption": "lot,step,qty,unit\nRAW-1,STEP-1,95,kg\nRAW-9,STEP-1,1,kg\n"},
            ("consumption.csv", 3, "lot"),
            id="unknown-lot",
        ),
        pytest.param(
            {"production": "step,lot,qty,unit\nSTEP-9,OUT-1,90,kg\n"},
            ("production.csv", 2, "step"),
            id="unknown-step",
        ),
        pytest.param(
            {"shipments": "id,destination\nSHP-1,CUS-7\n"},
            ("shipments.csv", 2, "destination"),
            id="unknown-customer",
        ),
        pytest.param(
            {"lots": GOOD["lots.csv"] + "RAW-1,MAT-1,SUP-1,quarantined,100,kg\n"},
            ("lots.csv", 4, "status"),
            id="duplicate-id-conflicting",
        ),
        pytest.param(
            {"customers": "id,name\nCUS-1,Hospital\nRAW-1,Oops\n"},
            ("lots.csv", 2, "id"),
            id="same-id-two-kinds",
        ),
        pytest.param(
            {"consumption": "lot,step,qty,unit\nSTEP-1,STEP-1,1,kg\n"},
            ("consumption.csv", 2, "lot"),
            id="reference-of-wrong-kind",
        ),
        pytest.param(
            {"lots": "id,status\nRAW-1,FREI\nOUT-1,released\n"},
            ("lots.csv", 2, "status"),
            id="unknown-status",
        ),
        pytest.param(
            {"materials": "id,gtin\nMAT-1,04012345123452\n"},
            ("materials.csv", 2, "gtin"),
            id="bad-gtin-check-digit",
        ),
        pytest.param(
            {"consumption": "lot,step,qty\nRAW-1,STEP-1,95\n"},
            ("consumption.csv", 2, "unit"),
            id="quantity-without-unit",
        ),
        pytest.param(
            {"consumption": "lot,step,qty,unit,qty\nRAW-1,STEP-1,95,kg,1\n"},
            ("consumption.csv", 1, "qty"),
            id="column-twice",
        ),
        pytest.param(
            {"consumption": "lot,step,qty,unit\nRAW-1,STEP-1,95,kg\nRAW-1,STEP-1,1,pcs\n"},
            ("consumption.csv", 3, "unit"),
            id="repeated-pair-other-unit",
        ),
        pytest.param(
            {"consumption": "lot,step,qty,unit\nRAW-1,STEP-1,inf,kg\n"},
            ("consumption.csv", 2, "qty"),
            id="infinite-number",
        ),
        pytest.param(
            {"consumption": 'lot,step,qty,unit\nRAW-1,"STEP-1,95,kg\n'},
            ("consumption.csv", 2, None),
            id="unterminated-quote",
        ),
    ],
)
def test_each_kind_of_bad_input_is_named(
    store: GraphStore,
    tmp_path: Path,
    changes: dict[str, str],
    expected: tuple[str, int, str | None],
) -> None:
    found = errors_of(store, bundle(tmp_path, **changes))
    assert expected in found, found


def test_all_errors_are_reported_together(store: GraphStore, tmp_path: Path) -> None:
    found = errors_of(
        store,
        bundle(
            tmp_path,
            consumption="lot,step,qty,unit\nRAW-1,STEP-1,-1,kg\nRAW-1,STEP-1,x,kg\n",
            shipments="id,shipped_at,destination\nSHP-1,31.12.2025,CUS-1\n",
        ),
    )
    assert ("consumption.csv", 2, "qty") in found
    assert ("consumption.csv", 3, "qty") in found
    assert ("shipments.csv", 2, "shipped_at") in found


def test_undecodable_bytes_name_the_file(store: GraphStore, tmp_path: Path) -> None:
    directory = bundle(tmp_path)
    (directory / "customers.csv").write_bytes("id,name\nCUS-1,Kr\u00e4nke\n".encode("latin-1"))
    found = errors_of(store, directory)
    assert found[0][0] == "customers.csv"  # (then shipments.csv: its customer is unknown)


def test_the_message_carries_file_line_and_field(store: GraphStore, tmp_path: Path) -> None:
    report = load_csv_bundle(
        store, bundle(tmp_path, production="step,lot,qty,unit\nSTEP-1,OUT-1,-90,kg\n")
    )
    assert report.files[0].error is not None
    assert "production.csv:2 [qty]" in report.files[0].error
    assert "negative" in report.files[0].error


def test_a_broken_mapping_file_is_named(store: GraphStore, tmp_path: Path) -> None:
    directory = bundle(tmp_path)
    (directory / "mapping.yaml").write_text("files:\n  lotz:\n    file: x.csv\n")
    with pytest.raises(InvalidInput) as caught:
        load_csv_bundle(store, directory)
    assert "mapping.yaml" in caught.value.message and "lotz" in caught.value.message
    (directory / "mapping.yaml").write_text("defaults:\n  delimiter: ';;'\n")
    with pytest.raises(InvalidInput, match="delimiter"):
        load_csv_bundle(store, directory)
    (directory / "mapping.yaml").write_text("files:\n  lots:\n    columns: {A: colour}\n")
    report = load_csv_bundle(store, directory)  # lots keep extra columns: colour is a prop
    assert report.rejected == 0
    (directory / "mapping.yaml").write_text("files:\n  consumption:\n    columns: {A: colour}\n")
    with pytest.raises(InvalidInput, match="colour"):
        load_csv_bundle(store, directory)


def test_an_empty_or_missing_directory_is_refused(store: GraphStore, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        load_csv_bundle(store, tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    report = load_csv_bundle(store, tmp_path / "empty")
    assert report.rejected == 1
    assert "no bundle files" in (report.files[0].error or "")
