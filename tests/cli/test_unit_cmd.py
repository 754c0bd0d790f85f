"""``traceapi unit`` and ``traceapi units`` through the installed console script, on a store
loaded with ``tests/contract/data/whereabouts`` by ``traceapi load epcis`` (the answers are
worked out in ``tests/contract/test_whereabouts.py``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import Cli

DATA = Path(__file__).parents[1] / "contract" / "data" / "whereabouts"
W1 = "(01)04012345333336(10)W1"
D = "customer:(417)0614142000011"
H = "customer:(417)0614143000010"
C = "customer:(417)0614144000019"


def unit(serial: int) -> str:
    return f"(01)04012345333336(21){serial}"


@pytest.fixture
def loaded(cli: Cli) -> Cli:
    done = cli("load", "epcis", *sorted(str(p) for p in DATA.glob("*.json")))
    assert done.returncode == 0, done.stderr
    return cli


def test_unit_json_is_the_whereabouts(loaded: Cli) -> None:
    done = loaded("unit", "https://id.gs1.org/01/04012345333336/21/504", "--json")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["unit"]["id"] == unit(504)
    assert [(s["shipment"], s["containers"]) for s in answer["shipments"]] == [
        ("urn:example:desadv:W-D1", ["(00)040123450000000122", "(00)040123450000000214"]),
        ("urn:example:desadv:W-C1", ["(00)040123450000000122"]),
    ]
    assert answer["now"]["status"] == "in_transit" and answer["now"]["holder"] == C


def test_unit_table_says_where_it_is_now(loaded: Cli) -> None:
    done = loaded("unit", "urn:epc:id:sgtin:4012345.033333.502")
    assert done.returncode == 0, done.stderr
    assert f"now: received by {H} since 2024-09-08T08:00:00.000Z" in done.stdout
    assert "urn:example:desadv:W-H2" in done.stdout
    never = loaded("unit", unit(506))
    assert "now: with us" in never.stdout


def test_unit_refuses_a_lot_and_names_the_field(loaded: Cli) -> None:
    done = loaded("unit", W1)
    assert done.returncode == 2
    assert "unit:" in done.stderr and "not a serialised unit" in done.stderr
    missing = loaded("unit", unit(999))
    assert missing.returncode == 3


def test_units_at_a_consignee(loaded: Cli) -> None:
    done = loaded("units", W1, "--consignee", "urn:epc:id:sgln:0614142.00001.0", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert [u["id"] for u in report["units"]] == [unit(501)]
    assert [u["id"] for u in report["passed_on"]] == [unit(502), unit(504), unit(505)]
    table = loaded("units", W1)
    assert table.returncode == 0, table.stderr
    assert "6 units (3 in transit, 2 received, 1 with us)" in table.stdout
    bad = loaded("units", W1, "--consignee", "nobody")
    assert bad.returncode == 3 and "consignee:" in bad.stderr
