"""A small synthetic plant with one planted cause of failures among noise, for the root-cause
trials.

Each finished lot (material ``MAT-SET``, one every 6 hours) is assembled on one of two lines by
one of six operators from its own moulded part and an additive lot; the part is moulded on one
of three machines from a resin lot. Resin lots (from two suppliers) and additive lots are used
up in production order, each by a random run of consecutive lots. Every finished lot fails its
leak test with a small chance (the noise); the planted cause makes the lots it touches fail
with a high chance:

- ``supplier_lot``: one resin lot (the answer is its id);
- ``machine_window``: one moulding machine during a run of consecutive mouldings (the answer is
  the machine and the steps in the window);
- ``operator``: one operator (the answer is ``operator:<name>``);
- ``none``: nothing; noise only.

The generator knows which lots failed because it drew it, so the tests' answers never come
from the service they check.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from traceapi.domain.model import Batch, Edge, EdgeType, Node, NodeKind

START = datetime(2025, 3, 1, tzinfo=UTC)
MACHINES = ("MOLD-1", "MOLD-2", "MOLD-3")
LINES = ("LINE-1", "LINE-2")
OPERATORS = tuple(f"OP-{i}" for i in range(1, 7))


@dataclass
class PlantedPlant:
    batch: Batch
    failed: list[str]
    passed: list[str]
    cause: str
    """What was planted: a factor id (resin lot, ``operator:...``), a machine, or ''."""
    window_steps: list[str] = field(default_factory=list)
    """For a machine window: the moulding steps in it."""


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def planted_plant(
    seed: int, cause: str, *, lots: int = 160, noise: float = 0.03, strength: float = 0.9
) -> PlantedPlant:
    rng = random.Random(seed)
    nodes = [
        Node(id="SUP-R1", kind=NodeKind.SUPPLIER, name="Resin one"),
        Node(id="SUP-R2", kind=NodeKind.SUPPLIER, name="Resin two"),
        Node(id="SUP-ADD", kind=NodeKind.SUPPLIER, name="Additives"),
        Node(id="MAT-RESIN", kind=NodeKind.MATERIAL),
        Node(id="MAT-ADD", kind=NodeKind.MATERIAL),
        Node(id="MAT-PART", kind=NodeKind.MATERIAL),
        Node(id="MAT-SET", kind=NodeKind.MATERIAL),
    ]
    nodes += [Node(id=m, kind=NodeKind.EQUIPMENT) for m in MACHINES + LINES]
    edges: list[Edge] = []

    def lot(lot_id: str, material: str, at: datetime, lot_type: str) -> None:
        nodes.append(
            Node(
                id=lot_id,
                kind=NodeKind.LOT,
                props={"lot_type": lot_type, "material": material, "produced_at": _iso(at)},
            )
        )
        edges.append(Edge(source=lot_id, target=material, type=EdgeType.OF))

    def runs(prefix: str, material: str, low: int, high: int) -> list[str]:
        """One raw lot id per finished lot, each raw lot used by a run of ``low..high``."""
        used: list[str] = []
        number = 0
        while len(used) < lots:
            raw_id = f"{prefix}-{number:03d}"
            supplier = "SUP-ADD" if prefix == "ADD" else ("SUP-R1", "SUP-R2")[rng.random() < 0.5]
            at = START + timedelta(hours=6 * len(used) - 72)
            lot(raw_id, material, at, "raw")
            edges.append(Edge(source=supplier, target=raw_id, type=EdgeType.SUPPLIED))
            used += [raw_id] * rng.randint(low, high)
            number += 1
        return used[:lots]

    resin = runs("RES", "MAT-RESIN", 5, 12)
    additive = runs("ADD", "MAT-ADD", 10, 25)
    machine = [rng.choice(MACHINES) for _ in range(lots)]
    line = [rng.choice(LINES) for _ in range(lots)]
    operator = [rng.choice(OPERATORS) for _ in range(lots)]

    touched: set[int] = set()
    planted = ""
    window_steps: list[str] = []
    if cause == "supplier_lot":
        middle = sorted(set(resin[lots // 5 : 4 * lots // 5]))
        planted = rng.choice(middle)
        touched = {i for i in range(lots) if resin[i] == planted}
    elif cause == "machine_window":
        planted = rng.choice(MACHINES)
        runs_on = [i for i in range(lots) if machine[i] == planted]
        length = rng.randint(6, 10)
        first = rng.randrange(len(runs_on) // 5, len(runs_on) - length - len(runs_on) // 5)
        touched = set(runs_on[first : first + length])
        window_steps = [f"PS-MLD-{i:04d}" for i in sorted(touched)]
    elif cause == "operator":
        planted_operator = rng.choice(OPERATORS)
        planted = f"operator:{planted_operator}"
        touched = {i for i in range(lots) if operator[i] == planted_operator}
    elif cause != "none":
        raise ValueError(cause)

    failed: list[str] = []
    passed: list[str] = []
    for i in range(lots):
        at = START + timedelta(hours=6 * i)
        part, finished = f"PRT-{i:04d}", f"SET-{i:04d}"
        mould, assemble = f"PS-MLD-{i:04d}", f"PS-ASM-{i:04d}"
        moulded = at - timedelta(hours=20)
        lot(part, "MAT-PART", moulded + timedelta(hours=4), "intermediate")
        lot(finished, "MAT-SET", at, "finished")
        for step_id, started, props in (
            (mould, moulded, {}),
            (assemble, at - timedelta(hours=2), {"operator": operator[i]}),
        ):
            nodes.append(
                Node(
                    id=step_id,
                    kind=NodeKind.PROCESS_STEP,
                    props={
                        "started_at": _iso(started),
                        "ended_at": _iso(started + timedelta(hours=2)),
                        **props,
                    },
                )
            )
        edges += [
            Edge(source=resin[i], target=mould, type=EdgeType.CONSUMED_BY),
            Edge(source=mould, target=part, type=EdgeType.PRODUCED),
            Edge(source=mould, target=machine[i], type=EdgeType.ON),
            Edge(source=part, target=assemble, type=EdgeType.CONSUMED_BY),
            Edge(source=additive[i], target=assemble, type=EdgeType.CONSUMED_BY),
            Edge(source=assemble, target=finished, type=EdgeType.PRODUCED),
            Edge(source=assemble, target=line[i], type=EdgeType.ON),
        ]
        chance = strength if i in touched else noise
        fails = rng.random() < chance
        (failed if fails else passed).append(finished)
        inspection = f"QC-{i:04d}"
        nodes.append(
            Node(
                id=inspection,
                kind=NodeKind.INSPECTION,
                props={
                    "characteristic": "leak_test",
                    "result": "fail" if fails else "pass",
                    "inspected_at": _iso(at + timedelta(hours=1)),
                },
            )
        )
        edges.append(Edge(source=inspection, target=finished, type=EdgeType.OF))
    if not failed:  # a question needs an anomaly: the noise picks one
        failed.append(passed.pop(rng.randrange(len(passed))))
    return PlantedPlant(Batch(nodes=nodes, edges=edges), failed, passed, planted, window_steps)
