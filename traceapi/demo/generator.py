"""Builds the demo dataset: a simulated infusion-set plant, streamed as bounded batches.

The plant receives raw lots from suppliers, extrudes tubing, moulds drip chambers, assembles,
packs and EtO-sterilises infusion sets, then ships them to distributors and hospitals; the
distributors ship onward in their region. Everything comes from one seeded ``random.Random``,
so a (lots, seed) pair always yields the same ids. Batches are emitted in dependency order
(an edge only after both its ends), so each batch can be applied alone.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from traceapi.demo import catalog
from traceapi.demo.stories import DemoStories, ReworkLoop
from traceapi.domain.gs1 import gln_aliases, gtin_check_digit, lot_aliases
from traceapi.domain.model import Alias, Batch, BatchResult, Edge, EdgeType, Node, NodeKind
from traceapi.services.ingest import ingest, loader_context
from traceapi.store.base import GraphStore

BATCH_ITEMS = 20_000
"""Nodes + edges + aliases per batch, give or take one production order."""

MIN_FINISHED = 12
LOTS_PER_FINISHED = 4.75
"""Lots of every kind the plant makes per finished lot (measured), to turn --lots into orders."""

MAX_REWORK_STORIES = 20

Lines = list[tuple[str, float]]
"""What a step drew from stock: (lot id, quantity) pairs."""


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _gtin(item_ref: str) -> str:
    payload = "0" + catalog.COMPANY_PREFIX + item_ref
    return payload + str(gtin_check_digit(payload))


def _gln(location_ref: int) -> str:
    payload = catalog.COMPANY_PREFIX[:6] + f"{location_ref:06d}"
    return payload + str(gtin_check_digit(payload))


class _Writer:
    """Collects nodes, edges and aliases until a batch is worth handing out."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.nodes: list[Node] = []
        self.edges: list[Edge] = []
        self.aliases: list[Alias] = []
        self.lots = 0

    def node(self, node_id: str, kind: NodeKind, name: str | None = None, **props: Any) -> str:
        self.nodes.append(
            Node(
                id=node_id,
                kind=kind,
                name=name,
                props={k: v for k, v in props.items() if v is not None},
            )
        )
        if kind is NodeKind.LOT:
            self.lots += 1
        return node_id

    def edge(
        self,
        source: str,
        target: str,
        edge_type: EdgeType,
        *,
        qty: float | None = None,
        unit: str | None = None,
        props: dict[str, Any] | None = None,
    ) -> None:
        self.edges.append(
            Edge(
                source=source, target=target, type=edge_type, qty=qty, unit=unit, props=props or {}
            )
        )

    def alias(self, alias: str, node_id: str) -> None:
        self.aliases.append(Alias(alias=alias, node_id=node_id))

    @property
    def size(self) -> int:
        return len(self.nodes) + len(self.edges) + len(self.aliases)

    def take(self) -> Batch:
        # Each node, edge and alias was validated when made; the batch need not do it again.
        batch = Batch.model_construct(
            nodes=self.nodes, edges=self.edges, aliases=self.aliases, source=self.source
        )
        self.nodes, self.edges, self.aliases = [], [], []
        return batch


@dataclass(frozen=True, slots=True)
class DemoPlan:
    """How big the simulated plant is for a requested number of lots, and where stories sit."""

    finished: int
    per_day: int
    load_size: int
    distributors: int
    hospitals: int
    resin_lot_index: int
    bad_mould_first: int
    bad_mould_count: int
    ster_first: int
    ster_count: int

    @classmethod
    def for_lots(cls, lots: int) -> DemoPlan:
        finished = max(MIN_FINISHED, round(lots / LOTS_PER_FINISHED))
        per_day = min(200, max(2, finished // 150))
        load_size = max(3, math.ceil(per_day / 2))
        # Lower bounds on how many PVC lots, MLD-02 drip lots and STER-02 loads there will be,
        # so each story lands on something that exists, about where it says in the timeline.
        pvc_lots = max(1, int(finished * 0.06))
        mld02_lots = max(1, (finished // 3) // 3)
        ster02_loads = max(1, (finished // load_size) // 2)
        bad_count = 1 if mld02_lots < 4 else 2
        ster_count = min(ster02_loads, max(2, min(6, ster02_loads // 10)))
        return cls(
            finished=finished,
            per_day=per_day,
            load_size=load_size,
            distributors=min(300, max(3, finished // 80)),
            hospitals=min(30_000, max(9, finished // 8)),
            resin_lot_index=int(0.3 * pvc_lots),
            bad_mould_first=min(int(0.45 * mld02_lots), mld02_lots - bad_count),
            bad_mould_count=bad_count,
            ster_first=min(int(0.7 * ster02_loads), ster02_loads - ster_count),
            ster_count=ster_count,
        )


@dataclass(slots=True)
class _OpenLot:
    id: str
    remaining: float


@dataclass(slots=True)
class _Packed:
    lot_id: str
    qty: int
    product: catalog.Product
    ready_at: datetime


class DemoGenerator:
    """One simulation run; iterate ``batches()`` once, then read ``stories``."""

    def __init__(self, *, lots: int = 400, seed: int = 7) -> None:
        self.plan = DemoPlan.for_lots(lots)
        self.rng = random.Random(seed)
        self.stories = DemoStories(lots=lots, seed=seed)
        self.w = _Writer(source=f"demo:{lots}:{seed}")
        self.start = datetime.fromisoformat(catalog.START.replace("Z", "+00:00"))
        self.cutoff = self._order_time(self.plan.finished - 1) + timedelta(days=1)
        self.counters: dict[str, int] = {}
        self.open_lots: dict[str, _OpenLot | None] = {}
        self.supplier_seq = {s.id: self.rng.randint(1000, 8000) for s in catalog.SUPPLIERS}
        self.supplier_prefix = {s.id: s.lot_prefix for s in catalog.SUPPLIERS}
        self.raw = {m.code: m for m in catalog.RAW_MATERIALS}
        self.products = catalog.PRODUCTS
        self.product_weights = [p.weight for p in catalog.PRODUCTS]
        self.gtins = {p.id: _gtin(p.item_ref) for p in catalog.PRODUCTS}
        self.tainted: dict[str, None] = {}
        self.bad_drip: dict[str, None] = {}
        self.mould_turn = 0
        self.mld02_made = 0
        self.loads = 0
        self.chamber_free: dict[str, datetime] = {"STER-01": self.start, "STER-02": self.start}
        self.queue: list[_Packed] = []
        self.pending: dict[tuple[str, str, str], list[tuple[str, int]]] = {}
        self.distributors: list[str] = []
        self.direct_accounts: list[str] = []
        self.region_of: dict[str, str] = {}
        self.by_region: dict[str, list[str]] = {}

    # -- the run ---------------------------------------------------------------------------
    def batches(self) -> Iterator[Batch]:
        """The whole dataset, in batches of about ``BATCH_ITEMS`` items, in dependency order."""
        self._reference_data()
        day = -1
        for order in range(self.plan.finished):
            at = self._order_time(order)
            if order // self.plan.per_day != day:
                day = order // self.plan.per_day
                self._ship_due(before=at.strftime("%Y-%m-%d"))
            self._make_order(order, at)
            if self.w.size >= BATCH_ITEMS:
                yield self.w.take()
        if self.queue:
            self._sterilise(self.queue)
            self.queue = []
        self._ship_due(before="9999-12-31")
        self.stories.lot_count = self.w.lots
        if self.w.size:
            yield self.w.take()

    def load(
        self, store: GraphStore, *, progress: Callable[[int, int], None] | None = None
    ) -> BatchResult:
        """Applies every batch to ``store`` (one transaction and audit entry per batch)."""
        expected = round(self.plan.finished * LOTS_PER_FINISHED)
        total = BatchResult()
        done = 0
        for number, batch in enumerate(self.batches(), start=1):
            total = total + ingest(
                store,
                batch,
                ctx=loader_context("demo"),
                entity_kind="Dataset",
                entity_id=batch.source,
                new={"batch": number, "nodes": len(batch.nodes), "edges": len(batch.edges)},
            )
            done += sum(1 for node in batch.nodes if node.kind is NodeKind.LOT)
            if progress is not None:
                progress(done, max(expected, done))
        return total

    def _order_time(self, order: int) -> datetime:
        day, slot = divmod(order, self.plan.per_day)
        return self.start + timedelta(days=day, minutes=slot * (16 * 60 // self.plan.per_day))

    def _next(self, counter: str) -> int:
        self.counters[counter] = self.counters.get(counter, 0) + 1
        return self.counters[counter]

    # -- reference data --------------------------------------------------------------------
    def _reference_data(self) -> None:
        w = self.w
        for supplier in catalog.SUPPLIERS:
            w.node(supplier.id, NodeKind.SUPPLIER, supplier.name, country=supplier.country)
        for material in catalog.RAW_MATERIALS:
            w.node(
                material.id,
                NodeKind.MATERIAL,
                material.name,
                unit=material.unit,
                material_type="raw",
            )
        for material_id, name, unit in catalog.INTERMEDIATES:
            w.node(material_id, NodeKind.MATERIAL, name, unit=unit, material_type="intermediate")
        for product in catalog.PRODUCTS:
            w.node(
                product.id,
                NodeKind.MATERIAL,
                product.name,
                unit="pcs",
                material_type="finished",
                gtin=self.gtins[product.id],
            )
        for equipment in catalog.EQUIPMENT:
            w.node(
                equipment.id,
                NodeKind.EQUIPMENT,
                equipment.name,
                equipment_type=equipment.equipment_type,
                line=equipment.line,
            )
        self._customers()

    def _customers(self) -> None:
        regions = catalog.REGIONS[: min(len(catalog.REGIONS), self.plan.distributors)]
        location = 0
        for n in range(1, self.plan.distributors + 1):
            region, cities = regions[(n - 1) % len(regions)]
            city = self.rng.choice(cities)
            name = f"{catalog.DISTRIBUTOR_NAMES[(n - 1) % len(catalog.DISTRIBUTOR_NAMES)]} {city}"
            location += 1
            self.distributors.append(
                self._customer(f"CUS-DIST-{n:03d}", name, "distributor", region, city, location)
            )
        clinics = 0
        for n in range(1, self.plan.hospitals + 1):
            region, cities = regions[(n - 1) % len(regions)]
            city = self.rng.choice(cities)
            location += 1
            if self.rng.random() < 0.25:
                clinics += 1
                name = f"{city} {self.rng.choice(catalog.CLINIC_NAMES)}"
                cid = self._customer(
                    f"CUS-CLIN-{clinics:05d}", name, "clinic", region, city, location
                )
            else:
                name = f"{self.rng.choice(catalog.HOSPITAL_NAMES)} Hospital {city}"
                cid = self._customer(
                    f"CUS-HOSP-{n - clinics:05d}", name, "hospital", region, city, location
                )
            self.direct_accounts.append(cid)
            self.by_region.setdefault(region, []).append(cid)

    def _customer(
        self, cid: str, name: str, kind: str, region: str, city: str, location: int
    ) -> str:
        gln = _gln(location)
        address = (
            f"{self.rng.randint(1, 180)} {self.rng.choice(('Main', 'Station', 'Park'))} "
            f"Street, {city}"
        )
        self.w.node(
            cid,
            NodeKind.CUSTOMER,
            name,
            customer_type=kind,
            region=region,
            address=address,
            gln=gln,
        )
        for alias in gln_aliases(gln):
            self.w.alias(alias, cid)
        self.region_of[cid] = region
        return cid

    # -- drawing stock ---------------------------------------------------------------------
    def _draw(
        self, key: str, amount: float, at: datetime, replenish: Callable[[datetime], _OpenLot]
    ) -> Lines:
        lines: Lines = []
        need = amount
        while need > 1e-6:
            lot = self.open_lots.get(key)
            if lot is None or lot.remaining <= 1e-6:
                lot = replenish(at)
                self.open_lots[key] = lot
            take = min(need, lot.remaining)
            lot.remaining -= take
            need -= take
            lines.append((lot.id, round(take, 2)))
        return lines

    def _draw_raw(self, code: str, amount: float, at: datetime) -> Lines:
        return self._draw(code, amount, at, lambda when: self._receive(code, when))

    def _receive(self, code: str, at: datetime) -> _OpenLot:
        material = self.raw[code]
        n = self._next(f"RM-{code}")
        lot_id = f"RM-{code}-{n:06d}"
        supplier = self.rng.choice(material.suppliers)
        self.supplier_seq[supplier] += self.rng.randint(1, 9)
        received = at - timedelta(days=self.rng.randint(3, 20))
        supplier_lot = (
            f"{self.supplier_prefix[supplier]}{received.year % 100:02d}-"
            f"{self.supplier_seq[supplier]:05d}"
        )
        qty = self.rng.randint(*material.lot_size)
        self.w.node(
            lot_id,
            NodeKind.LOT,
            f"{material.name} {supplier_lot}",
            lot_type="raw",
            status="released",
            material=material.id,
            quantity=qty,
            unit=material.unit,
            lot_number=supplier_lot,
            supplier=supplier,
            received_at=_iso(received),
        )
        self.w.alias(supplier_lot, lot_id)
        self.w.edge(supplier, lot_id, EdgeType.SUPPLIED, qty=qty, unit=material.unit)
        self.w.edge(lot_id, material.id, EdgeType.OF)
        if code == "PVC" and n - 1 == self.plan.resin_lot_index:
            story = self.stories.contaminated_resin
            story.lot_id, story.supplier_lot, story.supplier_id = lot_id, supplier_lot, supplier
            self.tainted[lot_id] = None
        return _OpenLot(lot_id, qty)

    # -- production steps ------------------------------------------------------------------
    def _step(
        self,
        code: str,
        step_code: str,
        equipment: str,
        started: datetime,
        ended: datetime,
        params: dict[str, Any],
        inputs: list[tuple[Lines, str]],
        outputs: list[tuple[str, float, str]],
    ) -> str:
        """One executed operation: its inputs consumed, outputs produced, equipment used."""
        step_id = f"PS-{code}-{self._next('PS-' + code):06d}"
        self.w.node(
            step_id,
            NodeKind.PROCESS_STEP,
            f"{step_code} on {equipment}",
            step_code=step_code,
            equipment=equipment,
            started_at=_iso(started),
            ended_at=_iso(ended),
            params=params,
        )
        tainted = False
        for lines, unit in inputs:
            for lot_id, qty in lines:
                self.w.edge(lot_id, step_id, EdgeType.CONSUMED_BY, qty=qty, unit=unit)
                tainted = tainted or lot_id in self.tainted
        for lot_id, qty, unit in outputs:
            self.w.edge(step_id, lot_id, EdgeType.PRODUCED, qty=qty, unit=unit)
            if tainted and lot_id not in self.tainted:
                self.tainted[lot_id] = None
                self.stories.contaminated_resin.lots.append(lot_id)
        self.w.edge(
            step_id, equipment, EdgeType.ON, props={"from": _iso(started), "to": _iso(ended)}
        )
        return step_id

    def _inspect(
        self,
        lot_id: str,
        characteristic: str,
        value: float,
        lower: float,
        upper: float,
        at: datetime,
        unit: str,
    ) -> tuple[str, bool]:
        passed = lower <= value <= upper
        inspection_id = f"QC-{self._next('QC'):06d}"
        self.w.node(
            inspection_id,
            NodeKind.INSPECTION,
            f"{characteristic} of {lot_id}",
            characteristic=characteristic,
            value=round(value, 3),
            lower=lower,
            upper=upper,
            unit=unit,
            result="pass" if passed else "fail",
            inspected_at=_iso(at),
        )
        self.w.edge(inspection_id, lot_id, EdgeType.OF)
        return inspection_id, passed

    def _lot(
        self,
        lot_id: str,
        material_id: str,
        qty: float,
        unit: str,
        lot_type: str,
        produced: datetime,
        status: str = "released",
        **props: Any,
    ) -> str:
        self.w.node(
            lot_id,
            NodeKind.LOT,
            None,
            lot_type=lot_type,
            status=status,
            material=material_id,
            quantity=qty,
            unit=unit,
            produced_at=_iso(produced),
            **props,
        )
        self.w.edge(lot_id, material_id, EdgeType.OF)
        return lot_id

    def _extrude(self, at: datetime) -> _OpenLot:
        """A tubing lot; a dimensional failure rejects it and the line runs again."""
        while True:
            started = at - timedelta(hours=self.rng.randint(20, 40))
            ended = started + timedelta(hours=6)
            lot_id = f"TUB-{self._next('TUB'):06d}"
            length = 5000.0
            od = self.rng.gauss(4.10, 0.025)
            passed = self.rng.random() >= 0.03
            if not passed:
                od = 4.10 + self.rng.choice((-1, 1)) * self.rng.uniform(0.12, 0.2)
            self._lot(
                lot_id,
                "MAT-TUBING",
                length,
                "m",
                "intermediate",
                ended,
                status="released" if passed else "rejected",
            )
            pvc = self._draw_raw("PVC", 200.0, started)
            deht = self._draw_raw("DEHT", 130.0, started)
            self._step(
                "EXT",
                "extrusion",
                self.rng.choice(("EXT-01", "EXT-02")),
                started,
                ended,
                {
                    "barrel_temp_c": round(self.rng.gauss(175, 2), 1),
                    "die_temp_c": round(self.rng.gauss(182, 1.5), 1),
                    "melt_pressure_bar": round(self.rng.gauss(140, 5), 1),
                    "line_speed_m_min": 30,
                },
                [(pvc, "kg"), (deht, "kg")],
                [(lot_id, length, "m")],
            )
            self._inspect(lot_id, "outer_diameter", od, 4.0, 4.2, ended, "mm")
            if passed:
                return _OpenLot(lot_id, length)

    def _mould(self, at: datetime) -> _OpenLot:
        """A drip-chamber lot; MLD-02 moulds a few bad ones while its cavity is worn."""
        machine = ("MLD-01", "MLD-02", "MLD-03")[self.mould_turn % 3]
        self.mould_turn += 1
        started = at - timedelta(hours=self.rng.randint(20, 40))
        ended = started + timedelta(hours=8)
        lot_id = f"DRP-{self._next('DRP'):06d}"
        pieces = 3000
        self._lot(lot_id, "MAT-DRIP", pieces, "pcs", "intermediate", ended)
        if machine == "MLD-02":
            first = self.plan.bad_mould_first
            if first <= self.mld02_made < first + self.plan.bad_mould_count:
                self.bad_drip[lot_id] = None
                self.stories.leak_test_run.moulded_lots.append(lot_id)
            self.mld02_made += 1
        resin = self._draw_raw("PP", 32.0, started)
        self._step(
            "MLD",
            "moulding",
            machine,
            started,
            ended,
            {
                "melt_temp_c": round(self.rng.gauss(230, 2), 1),
                "mould_temp_c": round(self.rng.gauss(40, 1), 1),
                "injection_pressure_bar": round(self.rng.gauss(800, 15)),
                "cycle_time_s": 12.0,
                "cavities": 16,
            },
            [(resin, "kg")],
            [(lot_id, pieces, "pcs")],
        )
        wall = self.rng.gauss(1.20, 0.015)
        if lot_id in self.bad_drip:
            wall = self.rng.uniform(1.10, 1.13)  # thin but inside the limits: it passes
        self._inspect(lot_id, "wall_thickness", wall, 1.10, 1.30, ended, "mm")
        return _OpenLot(lot_id, pieces)

    def _make_order(self, order: int, at: datetime) -> None:
        """Assemble, leak-test (and rework), pack one lot, and queue it for sterilisation."""
        qty = self.rng.randint(10, 20) * 100
        tubing = self._draw("TUB", qty * 1.8, at, self._extrude)
        drips = self._draw("DRP", qty, at, self._mould)
        needles = self._draw_raw("NDL", qty, at)
        clamps = self._draw_raw("CLP", qty, at)
        line = self.rng.choice(("ASM-01", "ASM-02"))
        ended = at + timedelta(hours=3)
        asy = self._lot(
            f"ASY-{self._next('ASY'):06d}", "MAT-SET-NS", qty, "pcs", "intermediate", ended
        )
        self._step(
            "ASM",
            "assembly",
            line,
            at,
            ended,
            {
                "solvent_bond_cure_s": 45,
                "line_rate_sets_h": 600,
                "room_rh_pct": round(self.rng.gauss(45, 3), 1),
            },
            [(tubing, "m"), (drips, "pcs"), (needles, "pcs"), (clamps, "pcs")],
            [(asy, qty, "pcs")],
        )
        bad = any(lot_id in self.bad_drip for lot_id, _ in drips)
        leaky = bad or self.rng.random() < 0.004
        decay = self.rng.uniform(6.0, 15.0) if leaky else self.rng.uniform(0.5, 3.5)
        tested = ended + timedelta(minutes=30)
        inspection, _ = self._inspect(
            asy, "leak_test_pressure_decay", decay, 0.0, 5.0, tested, "mbar"
        )
        if bad:
            self.stories.leak_test_run.failed_lots.append(asy)
            self.stories.leak_test_run.inspections.append(inspection)
        if leaky:
            ended = self._rework(asy, qty, line, tested)
        self._inspect(asy, "bioburden", self.rng.randint(2, 40), 0, 100, ended, "CFU/device")
        packed = qty - self.rng.randint(0, 5)
        pack_start = ended + timedelta(hours=1)
        pack_end = pack_start + timedelta(hours=2)
        pkg = self._lot(
            f"PKG-{self._next('PKG'):06d}", "MAT-SET-PK", packed, "pcs", "intermediate", pack_end
        )
        film = self._draw_raw("FILM", round(qty * 0.03, 2), pack_start)
        lids = self._draw_raw("LID", qty, pack_start)
        self._step(
            "PKG",
            "packaging",
            "PKG-01",
            pack_start,
            pack_end,
            {
                "seal_temp_c": round(self.rng.gauss(140, 1.5), 1),
                "seal_pressure_bar": 4.5,
                "dwell_time_s": 1.2,
            },
            [([(asy, float(qty))], "pcs"), (film, "m2"), (lids, "pcs")],
            [(pkg, packed, "pcs")],
        )
        product = self.rng.choices(self.products, weights=self.product_weights)[0]
        self.queue.append(_Packed(pkg, packed, product, pack_end))
        if len(self.queue) >= self.plan.load_size:
            self._sterilise(self.queue)
            self.queue = []

    def _rework(self, lot_id: str, qty: int, line: str, failed_at: datetime) -> datetime:
        """Reworks a leaking lot into itself (a cycle), then re-tests it; returns when done."""
        started = failed_at + timedelta(hours=2)
        ended = started + timedelta(hours=4)
        step_id = self._step(
            "RWK",
            "rework",
            line,
            started,
            ended,
            {"action": "replace drip chamber bonds", "reason": "leak test"},
            [([(lot_id, float(qty))], "pcs")],
            [(lot_id, float(qty), "pcs")],
        )
        if len(self.stories.rework_loops) < MAX_REWORK_STORIES:
            self.stories.rework_loops.append(ReworkLoop(lot_id=lot_id, step_id=step_id))
        self._inspect(
            lot_id,
            "leak_test_pressure_decay",
            self.rng.uniform(0.5, 3.0),
            0.0,
            5.0,
            ended + timedelta(minutes=30),
            "mbar",
        )
        return ended + timedelta(hours=1)

    def _sterilise(self, load: list[_Packed]) -> None:
        """One EtO chamber load: each packed lot becomes a sterile finished lot."""
        chamber = ("STER-01", "STER-02")[self.loads % 2]
        chamber_load = self.loads // 2
        self.loads += 1
        started = max(
            max(p.ready_at for p in load) + timedelta(hours=2), self.chamber_free[chamber]
        )
        ended = started + timedelta(hours=10)
        self.chamber_free[chamber] = ended + timedelta(hours=1)
        params = {
            "cycle_id": f"{chamber}-C{chamber_load + 1:05d}",
            "temperature_c": round(self.rng.gauss(54, 0.4), 1),
            "relative_humidity_pct": round(self.rng.gauss(60, 2), 1),
            "eto_concentration_mg_l": round(self.rng.gauss(600, 10)),
            "exposure_time_min": 360,
            "pressure_mbar": round(self.rng.gauss(450, 5)),
        }
        window = self.stories.sterilizer_window
        first = self.plan.ster_first
        in_story = chamber == "STER-02" and first <= chamber_load < first + self.plan.ster_count
        if in_story:
            if chamber_load == first:
                window.window_from = _iso(started - timedelta(minutes=30))
            window.window_to = _iso(ended + timedelta(minutes=30))
            window.load_starts.append(_iso(started))
        for packed in load:
            number = self._next("FG")
            lot_id = f"FG-{number:06d}"
            lot_number = f"B{number:06d}"
            released = ended + timedelta(hours=48)
            status = "released" if released <= self.cutoff else "quarantined"
            plan = self._shipping_plan(lot_id, packed.qty, released) if status == "released" else []
            shipped = sum(q for _, _, q in plan)
            gtin = self.gtins[packed.product.id]
            self._lot(
                lot_id,
                packed.product.id,
                packed.qty,
                "pcs",
                "finished",
                ended,
                status=status,
                gtin=gtin,
                lot_number=lot_number,
                expires_at=(ended + timedelta(days=3 * 365)).strftime("%Y-%m-%d"),
                on_hand=packed.qty - shipped,
            )
            self.w.alias(lot_number, lot_id)
            for alias in lot_aliases(gtin, lot_number):
                self.w.alias(alias, lot_id)
            eto = self._draw_raw("ETO", round(8.0 / len(load), 2), started)
            step_id = self._step(
                "STE",
                "eto_sterilisation",
                chamber,
                started,
                ended,
                params,
                [([(packed.lot_id, float(packed.qty))], "pcs"), (eto, "kg")],
                [(lot_id, float(packed.qty), "pcs")],
            )
            self._inspect(
                lot_id,
                "sterility_indicator_growth",
                0,
                0,
                0,
                ended + timedelta(hours=48),
                "BI positive",
            )
            if lot_id in self.tainted:
                self.stories.contaminated_resin.finished_lots.append(lot_id)
            if in_story:
                window.process_steps.append(step_id)
                window.finished_lots.append(lot_id)
            for day, customer, qty in plan:
                self.pending.setdefault((day, "", customer), []).append((lot_id, qty))

    # -- distribution ----------------------------------------------------------------------
    def _shipping_plan(
        self, lot_id: str, qty: int, released: datetime
    ) -> list[tuple[str, str, int]]:
        """(day, customer, quantity) shipments of a released lot; the rest stays on hand."""
        share = 1.0 if self.rng.random() < 0.6 else self.rng.uniform(0.5, 0.95)
        parts = self.rng.choice((1, 1, 2, 2, 3))
        total = int(qty * share) // (10 * parts) * 10 * parts
        plan = []
        for _ in range(parts):
            if self.rng.random() < 0.75:
                customer = self.rng.choice(self.distributors)
            else:
                customer = self.rng.choice(self.direct_accounts)
            day = (released + timedelta(days=self.rng.randint(0, 6))).strftime("%Y-%m-%d")
            plan.append((day, customer, total // parts))
        return plan

    def _ship_due(self, *, before: str) -> None:
        """Writes every pending shipment dated before ``before`` (they can gain no more lines)."""
        while True:
            due = sorted(key for key in self.pending if key[0] < before)
            if not due:
                return
            for key in due:
                self._ship(key, self.pending.pop(key))

    def _ship(self, key: tuple[str, str, str], lines: list[tuple[str, int]]) -> None:
        day, origin, customer = key
        number = self._next("SHP")
        shipment_id = f"SHP-{number:06d}"
        merged: dict[str, int] = {}
        for lot_id, qty in lines:
            merged[lot_id] = merged.get(lot_id, 0) + qty
        self.w.node(
            shipment_id,
            NodeKind.SHIPMENT,
            None,
            shipped_at=f"{day}T14:00:00Z",
            despatch_advice=f"DA-{number:06d}",
            origin=origin or None,
        )
        for lot_id, qty in merged.items():
            self.w.edge(lot_id, shipment_id, EdgeType.SHIPPED_IN, qty=qty, unit="pcs")
        self.w.edge(shipment_id, customer, EdgeType.DELIVERED_TO)
        if origin:
            self.w.edge(shipment_id, origin, EdgeType.SHIPPED_FROM)
        if any(lot_id in self.tainted for lot_id in merged):
            story = self.stories.contaminated_resin
            story.shipments.append(shipment_id)
            if customer not in story.customers:
                story.customers.append(customer)
        if customer.startswith("CUS-DIST-"):
            self._plan_onward(day, customer, merged)

    def _plan_onward(self, day: str, distributor: str, lines: dict[str, int]) -> None:
        """A distributor passes most of what it received on to hospitals in its region."""
        region_customers = self.by_region.get(self.region_of[distributor], [])
        if not region_customers:
            return
        received = datetime.fromisoformat(day)
        for lot_id, qty in lines.items():
            parts = self.rng.choice((1, 2, 3))
            each = int(qty * self.rng.uniform(0.7, 1.0)) // parts
            if each <= 0:
                continue
            for _ in range(parts):
                customer = self.rng.choice(region_customers)
                when = (received + timedelta(days=self.rng.randint(2, 12))).strftime("%Y-%m-%d")
                self.pending.setdefault((when, distributor, customer), []).append((lot_id, each))


def generate_demo(*, lots: int = 400, seed: int = 7) -> Iterator[Batch]:
    """The demo dataset for (lots, seed) as bounded batches in dependency order."""
    return DemoGenerator(lots=lots, seed=seed).batches()


def demo_stories(*, lots: int = 400, seed: int = 7) -> DemoStories:
    """The planted stories and their answers for (lots, seed), by running the generator."""
    generator = DemoGenerator(lots=lots, seed=seed)
    for _ in generator.batches():
        pass
    return generator.stories


def load_demo(
    store: GraphStore,
    *,
    lots: int = 400,
    seed: int = 7,
    progress: Callable[[int, int], None] | None = None,
) -> BatchResult:
    """Applies the demo dataset batch by batch; ``progress(lots_done, lots_expected)``.

    Idempotent: a second load of the same (lots, seed) adds nothing. Use ``DemoGenerator.load``
    to keep the planted stories too.
    """
    return DemoGenerator(lots=lots, seed=seed).load(store, progress=progress)
