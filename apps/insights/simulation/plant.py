"""The reality model: when each order line is actually delivered, whatever was promised.

Shared by both policies, so both are judged on the same physics:

- **Material** (the same for every policy): when an order arrives the plant
  takes free stock first, then incoming receipts (oldest first, when they cover
  the shortage), and otherwise buys the shortage from the preferred supplier at
  its lead time (a minimum order's surplus becomes a receipt others may use);
  design-specific parts of a design-to-order line are bought after design
  release. A purchase arrives at its due date plus the slip drawn for it.
- **Capacity** (day by day): each work center works its calendar and daily
  hours, minus plant closures, breakdowns and the load planned before the run;
  each day it serves the operations that are ready in **promise order**
  (earliest first promise first), sub-assemblies before the product, an
  operation starting where its predecessor finished. Then final inspection
  (working days), transit (calendar days) and the customer's receiving days.

The rules mirror the engine's (apps/orders/promise.py), so with no slip and no
breakdown a promise the engine booked is met; what the engine cannot know is
what it gets wrong.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

ONE_DAY = dt.timedelta(days=1)
DEFAULT_LEAD_DAYS = 30  # the engine's assumption for a part without a supplier price
RECEIVING = frozenset({1, 2, 3, 4, 5})


@dataclass
class PartInfo:
    number: str
    kind: str
    lead_days: int | None
    moq: Decimal
    supplier: str | None
    design_specific: bool
    children: list[tuple[str, Decimal]] = field(default_factory=list)
    ops: list[tuple[str, Decimal, Decimal]] = field(default_factory=list)


@dataclass
class ProductInfo:
    sku: str
    mode: str
    design_days: int
    inspection_days: int
    transit_days: int
    children: list[tuple[str, Decimal]]
    option_children: dict[tuple[str, str], list[tuple[str, Decimal]]]
    option_extra_days: dict[tuple[str, str], int]
    ops: list[tuple[str, Decimal, Decimal]]


@dataclass
class Purchase:
    seq: int
    part: str
    quantity: Decimal
    ordered: dt.date
    due: dt.date
    arrives: dt.date
    notice: dt.date  # the day the supplier announces the slip (when it slips)

    @property
    def reference(self) -> str:
        return purchase_reference(self.seq, self.part)


def purchase_reference(seq: int, part: str) -> str:
    return f"PO-S{seq:05d}-{part}"[:60]


@dataclass
class _Job:
    seq: int
    ops: list[tuple[str, Decimal]]  # (work center, hours)
    ready: dt.date
    ready_frac: float = 0.0
    waiting_for: int = 0  # sub-assembly jobs still to finish
    parent: _Job | None = None
    done: dt.date | None = None
    done_frac: float = 0.0
    op_index: int = 0
    remaining: Decimal = Decimal("0")


@dataclass
class LineMaterial:
    """What an order line needs, decided when it arrives (the same for every policy)."""

    seq: int
    sku: str
    day: dt.date
    material: dt.date  # the product's own bought parts all in
    design: dt.date | None
    sub_jobs: list[tuple[dt.date, list[tuple[str, Decimal]]]]
    ops: list[tuple[str, Decimal]]
    purchases: list[Purchase]
    # Some part of it comes late: its own purchase or a receipt it shares slipped.
    slipped: bool = False


class Plant:
    def __init__(
        self,
        *,
        parts: dict[str, PartInfo],
        products: dict[str, ProductInfo],
        work_centers: dict[str, tuple[Decimal, frozenset[int]]],
        closed: set[tuple[str | None, dt.date]],
        supplier_closed: dict[str, list[tuple[dt.date, dt.date]]],
        on_hand: dict[str, Decimal],
        receipts: dict[str, list[tuple[dt.date, Decimal]]],
        load: dict[tuple[str, dt.date], Decimal],
    ):
        self.parts = parts
        self.products = products
        self.work_centers = work_centers
        self.closed = closed
        self.supplier_closed = supplier_closed
        self.on_hand = dict(on_hand)
        self.initial_receipts = receipts
        self.load = load

    # -- calendars ------------------------------------------------------------

    def plant_day(self, day: dt.date) -> bool:
        return day.isoweekday() <= 5 and (None, day) not in self.closed

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        day = start
        while days > 0:
            day += ONE_DAY
            if self.plant_day(day):
                days -= 1
        return day

    def _supplier_date(self, supplier: str | None, lead: int, ordered: dt.date) -> dt.date:
        closures = self.supplier_closed.get(supplier, [])
        closed = 0
        while True:
            date = ordered + dt.timedelta(days=lead + closed)
            first = ordered + ONE_DAY
            spanned = sum(
                max(0, (min(end, date) - max(start, first)).days + 1) for start, end in closures
            )
            if spanned == closed:
                return date
            closed = spanned

    # -- material (policy-independent) ----------------------------------------

    def materials(self, requests) -> dict[int, LineMaterial]:
        """Decide, for each accepted request in arrival order, where its parts come from."""
        material_pass = _MaterialPass(self)
        return {req.seq: material_pass.line(req) for req in requests if req.accepted}

    # -- capacity (promise order) ---------------------------------------------

    def deliveries(
        self,
        lines: dict[int, LineMaterial],
        priority: dict[int, tuple],
        breakdowns,
        *,
        until: dt.date,
    ) -> dict[int, dt.date]:
        """The day each line is delivered, serving ready work in `priority` order."""
        floor = Floor(self, breakdowns)
        for seq, line in lines.items():
            floor.add(line, priority[seq])
        day = min((line.day for line in lines.values()), default=until)
        while floor.open_jobs and day <= until:
            floor.step(day)
            day += ONE_DAY
        return {seq: events["delivered"] for seq, events in floor.events.items()}


class Floor:
    """The shop floor day by day: lines join when ordered, ready work is served in
    priority order. `events[seq]` gets the days production starts and is done, and
    the ship and delivery days."""

    def __init__(self, plant: Plant, breakdowns):
        self.plant = plant
        self.down: set[tuple[str, dt.date]] = set()
        for b in breakdowns:
            day, left = b.day, b.working_days
            while left > 0:
                if plant.plant_day(day):
                    self.down.add((b.work_center, day))
                    left -= 1
                day += ONE_DAY
        self.open_jobs: list[_Job] = []
        self.lines: dict[int, LineMaterial] = {}
        self.priority: dict[int, tuple] = {}
        self.events: dict[int, dict[str, dt.date]] = {}

    def add(self, line: LineMaterial, priority: tuple) -> None:
        self.lines[line.seq] = line
        self.priority[line.seq] = priority
        start = max(line.material, line.design or line.day)
        job = _Job(line.seq, list(line.ops), start, waiting_for=len(line.sub_jobs))
        jobs = [job]
        for ready, ops in line.sub_jobs:
            jobs.append(_Job(line.seq, list(ops), max(ready, line.day), parent=job))
        for j in jobs:
            j.remaining = j.ops[0][1] if j.ops else Decimal("0")
            if j.ops or j.waiting_for:
                self.open_jobs.append(j)
        if not job.ops and not job.waiting_for:
            self._finish(job, job.ready, job.ready_frac)

    def _finish(self, job: _Job, day: dt.date, frac: float) -> None:
        job.done, job.done_frac = day, frac
        if job.parent is not None:
            parent = job.parent
            parent.waiting_for -= 1
            if (day, frac) > (parent.ready, parent.ready_frac):
                parent.ready, parent.ready_frac = day, frac
            if parent.waiting_for == 0 and not parent.ops:
                self.open_jobs.remove(parent)
                self._finish(parent, parent.ready, parent.ready_frac)
            return
        plant = self.plant
        product = plant.products[self.lines[job.seq].sku]
        ship = plant.add_working_days(day, product.inspection_days)
        arrival = ship + dt.timedelta(days=product.transit_days)
        while arrival.isoweekday() not in RECEIVING:
            arrival += ONE_DAY
        events = self.events.setdefault(job.seq, {})
        events.setdefault("started", day)
        events.update(done=day, shipped=ship, delivered=arrival)

    def step(self, day: dt.date) -> None:
        """Work one day."""
        plant = self.plant
        if not plant.plant_day(day):
            return
        used: dict[str, Decimal] = defaultdict(Decimal)
        for (wc, d), hours in plant.load.items():
            if d == day:
                used[wc] += hours
        progress = True
        while progress:
            progress = False
            ready = [
                j
                for j in self.open_jobs
                if j.waiting_for == 0 and j.done is None and j.ready <= day
            ]
            ready.sort(key=lambda j: (self.priority[j.seq], j.parent is None, j.seq))
            for job in ready:
                wc, _hours = job.ops[job.op_index]
                cap, weekdays = plant.work_centers[wc]
                if day.isoweekday() not in weekdays or (wc, day) in plant.closed:
                    continue
                if (wc, day) in self.down:
                    continue
                frac = Decimal(str(job.ready_frac)) if job.ready == day else Decimal(0)
                offset = max(used[wc], frac * cap)
                if offset >= cap:
                    continue
                take = min(cap - offset, job.remaining)
                job.remaining -= take
                used[wc] = offset + take
                self.events.setdefault(job.seq, {}).setdefault("started", day)
                if job.remaining > 0:
                    continue
                progress = True
                done_frac = float((offset + take) / cap)
                job.op_index += 1
                if job.op_index < len(job.ops):
                    job.remaining = job.ops[job.op_index][1]
                    job.ready, job.ready_frac = day, done_frac
                else:
                    self.open_jobs.remove(job)
                    self._finish(job, day, done_frac)


class _MaterialPass:
    """Free stock and receipts as the plant's purchasing sees them, order after order."""

    def __init__(self, plant: Plant):
        self.plant = plant
        self.free = dict(plant.on_hand)
        # [planned date, actual arrival, quantity] per part
        self.receipts: dict[str, list[list]] = {
            p: [[d, d, q] for d, q in rows] for p, rows in plant.initial_receipts.items()
        }

    def line(self, req) -> LineMaterial:
        product = self.plant.products[req.sku]
        qty = Decimal(req.quantity)
        self.req, self.today = req, req.day
        extra = max(
            (product.option_extra_days.get((g, c), 0) for g, c in req.configuration.items()),
            default=0,
        )
        design_days = (product.design_days if product.mode == "dto" else 0) + extra
        design = self.plant.add_working_days(req.day, design_days) if design_days else None
        self.design_release = design if product.mode == "dto" else None
        self.purchases: list[Purchase] = []
        self.sub_jobs: list[tuple[dt.date, list]] = []
        self.slipped = False
        needs: dict[str, Decimal] = defaultdict(Decimal)
        for number, q in product.children:
            needs[number] += q * qty
        for key in req.configuration.items():
            for number, q in product.option_children.get(key, []):
                needs[number] += q * qty
        material = max([self._available(n, q) for n, q in needs.items()], default=req.day)
        return LineMaterial(
            seq=req.seq,
            sku=req.sku,
            day=req.day,
            material=material,
            design=design,
            sub_jobs=self.sub_jobs,
            ops=[(wc, s + r * qty) for wc, s, r in product.ops],
            purchases=self.purchases,
            slipped=self.slipped or any(p.arrives > p.due for p in self.purchases),
        )

    def _available(self, number: str, need: Decimal) -> dt.date:
        part, today = self.plant.parts[number], self.today
        order_from = today
        if part.design_specific and self.design_release:
            order_from = max(self.design_release, today)
        have = self.free.get(number, Decimal("0"))
        if have >= need:
            self.free[number] = have - need
            return today
        take = max(have, Decimal("0"))
        self.free[number] = have - take
        short = need - take
        rows = [r for r in self.receipts.get(number, []) if r[2] > 0]
        if rows and sum(r[2] for r in rows) >= short:
            rows.sort(key=lambda r: max(r[0], today))
            left, arrives = short, today
            for row in rows:
                got = min(row[2], left)
                row[2] -= got
                left -= got
                arrives = max(arrives, row[1])
                self.slipped = self.slipped or row[1] > row[0]
                if left <= 0:
                    break
            return arrives
        if part.kind == "make":
            ready = max([self._available(c, q * short) for c, q in part.children], default=today)
            if part.ops:
                self.sub_jobs.append((ready, [(wc, s + r * short) for wc, s, r in part.ops]))
            return today
        lead = part.lead_days if part.lead_days is not None else DEFAULT_LEAD_DAYS
        due = self.plant._supplier_date(part.supplier, lead, order_from)
        slip = self.req.slips.get(number)
        arrives = due + dt.timedelta(days=slip.days if slip else 0)
        notice = max(order_from, due - dt.timedelta(days=slip.notice if slip else 0))
        quantity = max(short, part.moq)
        self.purchases.append(
            Purchase(self.req.seq, number, quantity, order_from, due, arrives, notice)
        )
        if quantity > short:
            self.receipts.setdefault(number, []).append([due, arrives, quantity - short])
        return arrives


def plant_from_db(start: dt.date) -> Plant:
    """The demo catalog as the reality model sees it, read once after seeding."""
    from django.db.models import Sum

    from apps.catalog.models import (
        BOMLine,
        CapacityReservation,
        Part,
        Product,
        RoutingOperation,
        StockEntry,
        StockEntryKind,
        SupplierClosure,
        SupplierPart,
        WorkCenter,
        WorkCenterClosure,
    )

    suppliers = {
        sp.part_id: sp
        for sp in SupplierPart.objects.filter(is_preferred=True).select_related("supplier")
    }
    parts = {}
    by_id = {}
    for part in Part.objects.order_by("number"):
        sp = suppliers.get(part.pk)
        info = PartInfo(
            number=part.number,
            kind=part.kind,
            lead_days=sp.lead_time_days if sp else None,
            moq=sp.minimum_order_quantity if sp else Decimal("1"),
            supplier=sp.supplier.code if sp else None,
            design_specific=part.design_specific,
        )
        parts[part.number] = info
        by_id[part.pk] = info
    products = {}
    product_by_id = {}
    for product in Product.objects.order_by("sku"):
        info = ProductInfo(
            sku=product.sku,
            mode=product.fulfillment_mode,
            design_days=product.design_days,
            inspection_days=product.inspection_days,
            transit_days=product.transit_days,
            children=[],
            option_children=defaultdict(list),
            option_extra_days={},
            ops=[],
        )
        for group in product.option_groups.all():
            for option in group.options.all():
                info.option_extra_days[(group.code, option.code)] = option.extra_lead_days
        products[product.sku] = info
        product_by_id[product.pk] = info
    for bl in BOMLine.objects.select_related("component", "option__group").order_by("id"):
        row = (bl.component.number, bl.quantity)
        if bl.product_id:
            product_by_id[bl.product_id].children.append(row)
        elif bl.option_id:
            product_by_id[bl.option.group.product_id].option_children[
                (bl.option.group.code, bl.option.code)
            ].append(row)
        else:
            by_id[bl.parent_part_id].children.append(row)
    for op in RoutingOperation.objects.select_related("work_center").order_by("sequence", "id"):
        row = (op.work_center.code, op.setup_hours, op.run_hours)
        (product_by_id[op.product_id] if op.product_id else by_id[op.part_id]).ops.append(row)
    wcs = {wc.code: (wc.daily_capacity_hours, wc.weekdays) for wc in WorkCenter.objects.all()}
    codes = {wc.pk: wc.code for wc in WorkCenter.objects.all()}
    closed = {(codes.get(c.work_center_id), c.date) for c in WorkCenterClosure.objects.all()}
    supplier_closed = defaultdict(list)
    for c in SupplierClosure.objects.select_related("supplier"):
        supplier_closed[c.supplier.code].append((c.start_date, c.end_date))
    totals = defaultdict(lambda: defaultdict(Decimal))
    for row in StockEntry.objects.values("part__number", "kind").annotate(total=Sum("quantity")):
        totals[row["part__number"]][row["kind"]] = row["total"]
    on_hand = {n: t[StockEntryKind.ON_HAND] - t[StockEntryKind.RESERVED] for n, t in totals.items()}
    receipts = defaultdict(list)
    for row in (
        StockEntry.objects.filter(kind=StockEntryKind.EXPECTED)
        .values("part__number", "date")
        .annotate(total=Sum("quantity"))
        .order_by("part__number", "date")
    ):
        receipts[row["part__number"]].append((max(row["date"], start), row["total"]))
    load = defaultdict(Decimal)
    for r in CapacityReservation.objects.select_related("work_center"):
        load[(r.work_center.code, r.date)] += r.hours
    return Plant(
        parts=parts,
        products=products,
        work_centers=wcs,
        closed=closed,
        supplier_closed=dict(supplier_closed),
        on_hand=on_hand,
        receipts=dict(receipts),
        load=dict(load),
    )
