"""``traceapi scan`` through the real console script against a real embedded store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import traceapi.cli  # noqa: F401  (registers every command on the app)
from traceapi.cli.groups import app
from traceapi.domain.gs1 import lgtin_urn, lot_aliases, unit_aliases
from traceapi.domain.model import Batch, Edge, EdgeType, Node, NodeKind
from traceapi.settings import Settings
from traceapi.store.embedded import EmbeddedStore

TRACEAPI = Path(sys.executable).parent / "traceapi"
GS = "\x1d"
GTIN = "09506000134352"  # GS1 company prefix 9506000 (7 digits), item reference 13435
LOT = "L-2291/B"  # a "/" that Digital Links and EPC URNs must escape
SERIAL = "SN0042"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding resin -> moulding -> finished lot -> shipment -> hospital."""
    root = tmp_path_factory.mktemp("scan") / "data"
    store = EmbeddedStore(Settings(data_dir=root).sqlite_path)
    try:
        store.apply_batch(
            Batch(
                source="test_scan",
                nodes=[
                    Node(id="SUP-1", kind=NodeKind.SUPPLIER, name="Resin Co"),
                    Node(id="RM-2291", kind=NodeKind.LOT, name="resin", props={"lot_type": "raw"}),
                    Node(id="STEP-1", kind=NodeKind.PROCESS_STEP, name="moulding"),
                    Node(
                        id="FG-0812",
                        kind=NodeKind.LOT,
                        name="catheter",
                        aliases=lot_aliases(GTIN, LOT),
                        props={"lot_type": "finished", "gtin": GTIN, "lot_number": LOT},
                    ),
                    Node(id="U-1", kind=NodeKind.UNIT, aliases=unit_aliases(GTIN, SERIAL)),
                    Node(id="SHP-1", kind=NodeKind.SHIPMENT, name="despatch 1"),
                    Node(id="CUST-1", kind=NodeKind.CUSTOMER, name="City Hospital"),
                ],
                edges=[
                    Edge(source="SUP-1", target="RM-2291", type=EdgeType.SUPPLIED),
                    Edge(source="RM-2291", target="STEP-1", type=EdgeType.CONSUMED_BY),
                    Edge(source="STEP-1", target="FG-0812", type=EdgeType.PRODUCED),
                    Edge(source="FG-0812", target="U-1", type=EdgeType.HAS_UNIT),
                    Edge(source="U-1", target="FG-0812", type=EdgeType.OF),
                    Edge(source="FG-0812", target="SHP-1", type=EdgeType.SHIPPED_IN),
                    Edge(source="SHP-1", target="CUST-1", type=EdgeType.DELIVERED_TO),
                ],
            )
        )
    finally:
        store.close()
    return root


def run_scan(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TRACEAPI_DATA_DIR": str(data_dir), "TRACEAPI_BACKEND": "embedded"}
    return subprocess.run(
        [str(TRACEAPI), "scan", *args], capture_output=True, text=True, env=env, timeout=60
    )


def scan_json(data_dir: Path, code: str, *args: str) -> dict[str, object]:
    done = run_scan(data_dir, code, "--json", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # --json prints exactly one document


ESCAPED_LOT = LOT.replace("/", "%2F")
DATAMATRIX = f"]d201{GTIN}10{LOT}{GS}17281231"
DIGITAL_LINK = f"https://brand.example.com/01/{GTIN}/10/{ESCAPED_LOT}?17=281231"
LGTIN_URN = lgtin_urn(GTIN, LOT, company_prefix_length=7)


def test_datamatrix_scan_with_gs_separators(data_dir: Path) -> None:
    answer = scan_json(data_dir, DATAMATRIX)
    assert answer["lot"] == "FG-0812"
    assert answer["direction"] == "where-used"
    trace = answer["trace"]
    assert isinstance(trace, dict)
    assert [c["id"] for c in trace["customers"]] == ["CUST-1"]
    decoded = answer["decoded"]
    assert isinstance(decoded, dict)
    assert decoded["symbology"] == "]d2"
    elements = {e["ai"]: e for e in decoded["elements"]}
    assert elements["01"]["value"] == GTIN
    assert elements["10"]["value"] == LOT
    assert elements["17"]["date"] == "2028-12-31"
    assert decoded["keys"] == [f"(01){GTIN}(10){LOT}"]


def test_digital_link_where_from_reaches_the_supplier(data_dir: Path) -> None:
    answer = scan_json(data_dir, DIGITAL_LINK, "--direction", "where-from")
    assert answer["lot"] == "FG-0812"
    trace = answer["trace"]
    assert isinstance(trace, dict)
    assert {s["id"] for s in trace["suppliers"]} == {"SUP-1"}
    assert {lot["id"] for lot in trace["lots"]} == {"RM-2291"}


def test_lgtin_urn_with_max_depth(data_dir: Path) -> None:
    answer = scan_json(data_dir, LGTIN_URN, "--max-depth", "1")
    assert answer["lot"] == "FG-0812"
    trace = answer["trace"]
    assert isinstance(trace, dict)
    assert trace.get("customers", []) == []  # the customer is two edges away
    assert [s["id"] for s in trace["shipments"]] == ["SHP-1"]


def test_table_output_names_the_ais_and_the_lot(data_dir: Path) -> None:
    done = run_scan(data_dir, DATAMATRIX)
    assert done.returncode == 0, done.stderr
    assert "BATCH/LOT" in done.stdout
    assert LOT in done.stdout
    assert "FG-0812" in done.stdout
    assert "City Hospital" in done.stdout


def test_unknown_lot_is_not_found(data_dir: Path) -> None:
    done = run_scan(data_dir, f"]d201{GTIN}10NO-SUCH-LOT", "--json")
    assert done.returncode == 3
    assert done.stdout == ""
    assert "no lot is known" in done.stderr
    assert f"(01){GTIN}(10)NO-SUCH-LOT" in done.stderr


def test_bad_check_digit_is_invalid_input(data_dir: Path) -> None:
    done = run_scan(data_dir, "(01)09506000134353(10)X")
    assert done.returncode == 2
    assert "check digit" in done.stderr
    assert "(01)" in done.stderr


# The same command in-process (typer's runner), for the other identifier forms: faster than a
# process each, and the code path past argument parsing is the same.
OTHER_FORMS = {
    "gs1-128 typed <GS>": f"]C101{GTIN}10{LOT}<GS>17281231",
    "bracketed": f"(01){GTIN}(17)281231(10){LOT}",
    "caret notation": f"^01{GTIN}10{LOT}^17281231",
    "serialised unit (sgtin urn)": f"urn:epc:id:sgtin:9506000.013435.{SERIAL}",
    "serialised unit (digital link)": f"https://id.gs1.org/01/{GTIN}/21/{SERIAL}",
    "plain lot id": "FG-0812",
}


@pytest.mark.parametrize("code", list(OTHER_FORMS.values()), ids=list(OTHER_FORMS))
def test_other_forms_find_the_same_lot(data_dir: Path, code: str) -> None:
    runner = CliRunner()
    env = {"TRACEAPI_DATA_DIR": str(data_dir), "TRACEAPI_BACKEND": "embedded"}
    done = runner.invoke(app, ["scan", code, "--json"], env=env)
    assert done.exit_code == 0, done.output
    answer = json.loads(done.stdout)
    assert answer["lot"] == "FG-0812"
    assert [c["id"] for c in answer["trace"]["customers"]] == ["CUST-1"]
