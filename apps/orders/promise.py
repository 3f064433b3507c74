"""The promise-date engine (capable-to-promise), DESIGN §5.

For each line: explode the configured BOM, find when every component is
available (free stock, then incoming purchase orders by date, then the
preferred supplier's lead time), add design time for DTO lines, forward-
schedule the routing on each work center's free daily capacity (after load
already planned and load of earlier lines of the same request), then
inspection and transit. The answer names its critical path in words.

No web code here. Supply and load are read only through the catalog's ledger
selectors, so `orders` never imports purchasing or manufacturing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from apps.catalog import selectors as catalog
from apps.catalog.models import FulfillmentMode, Option, Part, PartKind, Product, RoutingOperation

ZERO = Decimal("0")
PLANT_WEEKDAYS = frozenset({1, 2, 3, 4, 5})
MAX_BOM_DEPTH = 12


def _fmt(day: dt.date) -> str:
    return f"{day:%a %b} {day.day}, {day.year}"


@dataclass
class LineRequest:
    key: str
    product: Product
    quantity: int
    options: list[Option] = field(default_factory=list)
    requested_date: dt.date | None = None


@dataclass
class Step:
    # stock | receipt | supplier | no_supplier | make | design | operation | capacity |
    # inspection | transit
    kind: str
    text: str
    start: dt.date
    end: dt.date


@dataclass
class LinePromise:
    key: str
    feasible_date: dt.date
    material_date: dt.date
    design_date: dt.date | None
    production_start: dt.date
    production_end: dt.date
    ship_date: dt.date
    driver: str
    critical_path: str
    steps: list[Step]
    requested_date: dt.date | None = None
    parts_without_supplier_price: list[Part] = field(default_factory=list)
    subcontracted_parts: list[Part] = field(default_factory=list)
    capacity_wait_days: int = 0

    @property
    def requested_is_feasible(self) -> bool:
        return self.requested_date is None or self.requested_date >= self.feasible_date

    @property
    def explanation(self) -> str:
        return "\n".join(step.text for step in self.steps)


@dataclass
class QuotePromise:
    lines: list[LinePromise]

    @property
    def feasible_date(self) -> dt.date | None:
        return max((line.feasible_date for line in self.lines), default=None)

    @property
    def critical_line(self) -> LinePromise | None:
        return max(self.lines, key=lambda line: line.feasible_date, default=None)

    @property
    def critical_path(self) -> str:
        line = self.critical_line
        return line.critical_path if line else ""


@dataclass
class _Availability:
    date: dt.date
    kind: str
    text: str
    chain: list[Step] = field(default_factory=list)
    # Fraction of `date` already used when the item is ready (made parts finish mid-day).
    frac: Decimal = ZERO


class PromiseEngine:
    """Compute feasible dates for a set of lines that share stock and capacity.

    One engine instance is one planning pass: stock and capacity consumed by an
    earlier line are not available to a later one.
    """

    def __init__(self, *, today: dt.date, default_lead_days: int = 30, horizon_days: int = 730):
        self.today = today
        self.default_lead_days = default_lead_days
        self.horizon_end = today + dt.timedelta(days=horizon_days)

    # -- public ---------------------------------------------------------------

    def promise(self, requests: list[LineRequest]) -> QuotePromise:
        self._load(requests)
        return QuotePromise(lines=[self._promise_line(r) for r in requests])

    # -- loading (a fixed number of queries, whatever the BOM size) ------------

    def _load(self, requests: list[LineRequest]) -> None:
        product_ids = {r.product.pk for r in requests}
        option_ids = {o.pk for r in requests for o in r.options}
        self.bom = catalog.bom_children(product_ids=product_ids, option_ids=option_ids)
        part_ids: set = set()
        frontier = {line.component_id for lines in self.bom.values() for line in lines}
        depth = 0
        while frontier and depth < MAX_BOM_DEPTH:
            part_ids |= frontier
            sub = catalog.bom_children(part_ids=frontier)
            self.bom.update(sub)
            frontier = {line.component_id for lines in sub.values() for line in lines} - part_ids
            depth += 1
        self.parts = catalog.parts_by_id(part_ids)
        self.routing = catalog.routing_for(product_ids=product_ids, part_ids=part_ids)
        wc_ids = {op.work_center_id for ops in self.routing.values() for op in ops}
        self.work_centers = catalog.work_centers(wc_ids)
        self.load = defaultdict(
            lambda: ZERO,
            catalog.capacity_load(wc_ids, start=self.today, end=self.horizon_end),
        )
        self.closed = catalog.closures(wc_ids, start=self.today, end=self.horizon_end)
        position = catalog.stock_position(part_ids)
        self.free = {pid: position[pid]["on_hand"] - position[pid]["reserved"] for pid in part_ids}
        self.receipts = {
            pid: [list(r) for r in rows]
            for pid, rows in catalog.expected_receipts(part_ids, from_date=self.today).items()
        }
        self.suppliers = catalog.supplier_options(part_ids, on=self.today)

    # -- calendar -------------------------------------------------------------

    def _is_plant_day(self, day: dt.date) -> bool:
        return day.isoweekday() in PLANT_WEEKDAYS and (None, day) not in self.closed

    def _is_work_day(self, wc, day: dt.date) -> bool:
        return (
            day.isoweekday() in wc.weekdays
            and (wc.pk, day) not in self.closed
            and (None, day) not in self.closed
        )

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The plant day on which `days` full working days after `start` are done."""
        day = start
        remaining = days
        while remaining > 0:
            day += dt.timedelta(days=1)
            if self._is_plant_day(day):
                remaining -= 1
        return day

    # -- supply ---------------------------------------------------------------

    def _available(self, part: Part, qty: Decimal, depth: int = 0) -> _Availability:
        free = self.free.get(part.pk, ZERO)
        if free >= qty:
            self.free[part.pk] = free - qty
            return _Availability(
                self.today,
                "stock",
                f"{part.name}: {qty:g} {part.uom} in stock",
            )
        short = qty - max(free, ZERO)

        # Incoming purchase orders, oldest first, until the shortage is covered.
        receipts = self.receipts.get(part.pk, [])
        last_date = None
        if receipts and sum((q for _, q in receipts), ZERO) >= short:
            self.free[part.pk] = ZERO
            left = short
            for row in receipts:
                take = min(row[1], left)
                row[1] -= take
                left -= take
                last_date = row[0]
                if left <= 0:
                    break
            self.receipts[part.pk] = [r for r in receipts if r[1] > 0]
            return _Availability(
                last_date,
                "receipt",
                f"{part.name}: short {short:g} {part.uom}, covered by an incoming purchase order "
                f"due {_fmt(last_date)}",
            )

        if part.kind == PartKind.MAKE:
            return self._make(part, short, depth)

        if part.kind == PartKind.SUBCONTRACT:
            self._line_subcontracted[part.pk] = part
        options = self.suppliers.get(part.pk, [])
        if options:
            sp = options[0]
            date = self.today + dt.timedelta(days=sp.lead_time_days)
            what = "subcontracted to" if part.kind == PartKind.SUBCONTRACT else "from"
            return _Availability(
                date,
                "supplier",
                f"{part.name}: {sp.lead_time_days}-day lead time {what} {sp.supplier.name}",
            )
        self._line_missing[part.pk] = part
        date = self.today + dt.timedelta(days=self.default_lead_days)
        return _Availability(
            date,
            "no_supplier",
            f"{part.name}: no current supplier price, {self.default_lead_days} days assumed "
            "until purchasing has a quote",
        )

    def _materials(
        self, children, qty: Decimal, depth: int
    ) -> tuple[_Availability, list[_Availability]]:
        results = []
        for line in children:
            part = self.parts.get(line.component_id) or line.component
            results.append(self._available(part, line.quantity * qty, depth + 1))
        latest = max(
            results,
            key=lambda a: (a.date, a.kind != "stock"),
            default=_Availability(self.today, "stock", "No components needed"),
        )
        return latest, results

    def _make(self, part: Part, qty: Decimal, depth: int) -> _Availability:
        if depth >= MAX_BOM_DEPTH:
            raise ValueError(f"The BOM of {part} is nested too deep (a cycle?).")
        latest, results = self._materials(self.bom.get(("part", part.pk), []), qty, depth)
        ops = self.routing.get(("part", part.pk), [])
        end, frac, op_steps, waited = self._schedule(ops, qty, latest.date, latest.frac)
        chain = [Step(r.kind, r.text, self.today, r.date) for r in results]
        for r in results:
            chain.extend(r.chain)
        chain.extend(op_steps)
        if waited:
            text = next(s.text for s in op_steps if s.kind == "capacity")
            return _Availability(end, "capacity", f"{text} (sub-assembly {part.name})", chain, frac)
        if latest.kind == "stock":
            return _Availability(
                end, "make", f"{part.name}: made in house, ready {_fmt(end)}", chain, frac
            )
        # A bought component deep in the sub-assembly sets the date: name it.
        return _Availability(end, latest.kind, f"{latest.text} (for {part.name})", chain, frac)

    # -- capacity -------------------------------------------------------------

    def _schedule(
        self, ops: list[RoutingOperation], qty: Decimal, start: dt.date, start_frac: Decimal = ZERO
    ) -> tuple[dt.date, Decimal, list[Step], int]:
        """Forward-schedule operations in sequence.

        Returns the end day, the fraction of that day used when the last
        operation finishes, the steps and the working days spent waiting for
        capacity. Work booked earlier (the ledger, earlier lines) runs first on
        each day; an operation cannot start before its predecessor finished,
        so a hand-off late in the day pushes the next operation to the next day.
        """
        day, frac = start, start_frac
        steps: list[Step] = []
        waited_total = 0
        for op in sorted(ops, key=lambda o: o.sequence):
            wc = self.work_centers[op.work_center_id]
            cap = wc.daily_capacity_hours
            hours = op.hours_for(qty)
            op_start, waited, first_day = day, 0, None
            while hours > 0:
                if day > self.horizon_end:
                    raise ValueError(f"{wc.code} has no free capacity within the planning horizon.")
                if self._is_work_day(wc, day):
                    booked = self.load[(wc.pk, day)]
                    offset = max(booked, frac * cap)
                    if offset < cap:
                        take = min(cap - offset, hours)
                        self.load[(wc.pk, day)] = booked + take
                        hours -= take
                        first_day = first_day or day
                        frac = (offset + take) / cap
                    elif first_day is None and booked >= cap:
                        waited += 1
                if hours > 0:
                    day += dt.timedelta(days=1)
                    frac = ZERO
            first_day = first_day or day
            waited_total += waited
            if waited:
                text = (
                    f"{op.name} at {wc.name}: fully booked for {waited} working day"
                    f"{'s' if waited != 1 else ''}, first free capacity {_fmt(first_day)}, "
                    f"done {_fmt(day)}"
                )
            else:
                text = (
                    f"{op.name} at {wc.name}: {op.hours_for(qty):g} h, "
                    f"{_fmt(first_day)} – {_fmt(day)}"
                )
            steps.append(Step("capacity" if waited else "operation", text, op_start, day))
        return day, frac, steps, waited_total

    # -- one line -------------------------------------------------------------

    def _promise_line(self, req: LineRequest) -> LinePromise:
        self._line_missing: dict = {}
        self._line_subcontracted: dict = {}
        qty = Decimal(req.quantity)
        product = req.product
        children = list(self.bom.get(("product", product.pk), []))
        for option in req.options:
            children += self.bom.get(("option", option.pk), [])
        latest, results = self._materials(children, qty, 0)
        steps: list[Step] = [Step(r.kind, r.text, self.today, r.date) for r in results]
        for r in results:
            steps.extend(r.chain)

        design_date = None
        start, start_frac = latest.date, latest.frac
        driver, driver_text = latest.kind, latest.text
        design_days = product.design_days if product.fulfillment_mode == FulfillmentMode.DTO else 0
        design_days += max((o.extra_lead_days for o in req.options), default=0)
        if design_days:
            design_date = self.add_working_days(self.today, design_days)
            steps.insert(
                0,
                Step(
                    "design",
                    f"Engineering design: {design_days} working days, done {_fmt(design_date)}",
                    self.today,
                    design_date,
                ),
            )
            if design_date >= start:
                start, start_frac = design_date, ZERO
                driver = "design"
                driver_text = f"Engineering design of {product.name}: {design_days} working days"

        end, _, op_steps, waited = self._schedule(
            self.routing.get(("product", product.pk), []), qty, start, start_frac
        )
        steps.extend(op_steps)
        if waited:
            driver = "capacity"
            driver_text = next(s.text for s in op_steps if s.kind == "capacity")
        elif latest.kind == "capacity" and driver != "design":
            driver = "capacity"

        ship = self.add_working_days(end, product.inspection_days)
        steps.append(
            Step(
                "inspection",
                f"Final inspection: {product.inspection_days} working "
                f"day{'s' if product.inspection_days != 1 else ''}, "
                f"ready to ship {_fmt(ship)}",
                end,
                ship,
            )
        )
        feasible = ship + dt.timedelta(days=product.transit_days)
        steps.append(
            Step(
                "transit",
                f"Transit: {product.transit_days} days, delivered {_fmt(feasible)}",
                ship,
                feasible,
            )
        )

        if driver in {"stock", "make"}:
            driver_text = (
                "All components in stock; the date is set by assembly, inspection and transit"
            )
        critical_path = f"{driver_text} → delivery {_fmt(feasible)}"
        return LinePromise(
            key=req.key,
            feasible_date=feasible,
            material_date=latest.date,
            design_date=design_date,
            production_start=start,
            production_end=end,
            ship_date=ship,
            driver=driver,
            critical_path=critical_path,
            steps=steps,
            requested_date=req.requested_date,
            parts_without_supplier_price=list(self._line_missing.values()),
            subcontracted_parts=list(self._line_subcontracted.values()),
            capacity_wait_days=waited,
        )
