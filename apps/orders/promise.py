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

from apps.catalog import bookings as ledger
from apps.catalog import selectors as catalog
from apps.catalog.models import (
    FulfillmentMode,
    Option,
    PartKind,
    Product,
    StockEntryKind,
)
from apps.catalog.structure import OperationRow, PartInfo, structure

ZERO = Decimal("0")
PLANT_WEEKDAYS = frozenset({1, 2, 3, 4, 5})
# A customer's dock receives Monday to Friday unless its site says otherwise.
RECEIVING_WEEKDAYS = frozenset({1, 2, 3, 4, 5})
MAX_BOM_DEPTH = 12
_DAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def _fmt(day: dt.date) -> str:
    return f"{day:%a %b} {day.day}, {day.year}"


def _qty(value: Decimal) -> str:
    return f"{Decimal(value).normalize():f}"


def weekdays_text(days) -> str:
    """ISO weekdays in words: {1..5} → "Mon–Fri", {1, 3} → "Mon, Wed"."""
    days = sorted(days)
    if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
        return f"{_DAY_NAMES[days[0] - 1]}–{_DAY_NAMES[days[-1] - 1]}"
    return ", ".join(_DAY_NAMES[d - 1] for d in days)


@dataclass
class LineRequest:
    key: str
    product: Product
    quantity: int
    options: list[Option] = field(default_factory=list)
    requested_date: dt.date | None = None
    receiving_weekdays: frozenset[int] = RECEIVING_WEEKDAYS


@dataclass
class Step:
    # stock | receipt | supplier | no_supplier | make | design | operation | capacity |
    # inspection | transit
    kind: str
    text: str
    start: dt.date
    end: dt.date
    part_id: object = None


@dataclass(frozen=True)
class Allocation:
    """What a line's promise uses: the booking that makes the promise hold (DESIGN §5).

    stock: free units on hand; receipt: units of an expected receipt in the ledger;
    purchase: units still to be bought (or made surplus of such a buy); capacity: hours
    of a work center on a day.
    """

    kind: str
    date: dt.date
    quantity: Decimal
    part_id: object = None
    work_center_id: object = None


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
    parts_without_supplier_price: list[PartInfo] = field(default_factory=list)
    subcontracted_parts: list[PartInfo] = field(default_factory=list)
    capacity_wait_days: int = 0
    allocations: list[Allocation] = field(default_factory=list)

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
    part_id: object = None


class PromiseEngine:
    """Compute feasible dates for a set of lines that share stock and capacity.

    One engine instance is one planning pass: stock and capacity consumed by an
    earlier line are not available to a later one.
    """

    def __init__(
        self,
        *,
        today: dt.date,
        default_lead_days: int = 30,
        horizon_days: int = 730,
        own_bookings=(),
        lock: bool = False,
    ):
        """`own_bookings`: line keys whose bookings the lines being promised hold
        (a re-promise must not queue behind itself). `lock`: lock the ledgers
        of every part and work center involved before reading them, to book
        the answer in the same transaction."""
        self.today = today
        self.own_bookings = list(own_bookings)
        self.lock = lock
        self.default_lead_days = default_lead_days
        self.horizon_end = today + dt.timedelta(days=horizon_days)

    # -- public ---------------------------------------------------------------

    def promise(self, requests: list[LineRequest]) -> QuotePromise:
        self._load_structure(requests)
        self._load_ledgers(self._part_ids, self._wc_ids)
        return QuotePromise(lines=[self._promise_line(r) for r in requests])

    def promise_changed(
        self,
        requests: list[LineRequest],
        changed: set[int],
        gone: list[tuple[int, LineRequest]] = (),
    ) -> dict[int, LinePromise]:
        """Re-promise only what a change can move: {index in `requests`: promise}.

        `changed`: indices of new or edited lines; `gone`: (index, request) of what
        no longer competes there (a removed line, an edited line's old
        configuration), placed before `requests[index]`. A line takes what the lines
        before it left, so a line is affected if it is changed or, after a change,
        shares a part or work center with an affected line or a gone one before it
        (transitively). The affected lines are promised with every earlier line that
        shares a resource with them (transitively, backwards), whose answers the
        ledgers alone do not give: so each of them sees exactly the state a full
        pass would give it. Every other line keeps its answer; only the ledgers of
        the lines promised here are read.
        """
        self._load_structure([*requests, *(r for _, r in gone)])
        footprints = [self._footprint(r) for r in requests]
        gone_at: dict[int, set] = defaultdict(set)
        for index, request in gone:
            gone_at[index] |= self._footprint(request)
        moved: set = set()
        chosen: set[int] = set()
        for j, fp in enumerate(footprints):
            moved |= gone_at.get(j, set())
            if j in changed or fp & moved:
                chosen.add(j)
                moved |= fp
        needed: set = set()
        for j in range(len(requests) - 1, -1, -1):
            if j in chosen or footprints[j] & needed:
                chosen.add(j)
                needed |= footprints[j]
        self._load_ledgers(
            {pk for kind, pk in needed if kind == "part"},
            {pk for kind, pk in needed if kind == "wc"},
        )
        return {j: self._promise_line(requests[j]) for j in sorted(chosen)}

    # -- loading (a fixed number of queries, whatever the BOM size) ------------

    def _load_structure(self, requests: list[LineRequest]) -> None:
        """BOMs (every level), parts and routings of `requests`: the catalog, no ledger,
        as plain values (apps.catalog.structure)."""
        tree = structure(
            product_ids=[r.product.pk for r in requests],
            option_ids=[o.pk for r in requests for o in r.options],
        )
        self.bom, self.routing, self.parts = tree.bom, tree.routing, tree.parts
        self._part_ids = set(tree.parts)
        self._wc_ids = {op.work_center_id for ops in self.routing.values() for op in ops}

    def _footprint(self, req: LineRequest) -> set:
        """Every part and work center the line could use, whatever the ledgers say:
        its whole BOM (every level) and the routings of the product and of its parts."""
        parts: set = set()
        stack = [
            line.component_id
            for key in [("product", req.product.pk), *(("option", o.pk) for o in req.options)]
            for line in self.bom.get(key, [])
        ]
        while stack:
            pk = stack.pop()
            if pk not in parts:
                parts.add(pk)
                stack.extend(line.component_id for line in self.bom.get(("part", pk), []))
        ops = [*self.routing.get(("product", req.product.pk), [])]
        for pk in parts:
            ops += self.routing.get(("part", pk), [])
        return {("part", pk) for pk in parts} | {("wc", op.work_center_id) for op in ops}

    def _load_ledgers(self, part_ids: set, wc_ids: set) -> None:
        """What is free of `part_ids` and `wc_ids` now: stock, receipts, load, closures."""
        if self.lock:
            ledger.ledgers_lock(part_ids, wc_ids)
            # The rows as locked (read after the lock, like every ledger read below).
            self.work_centers = catalog.work_centers(wc_ids)
        else:
            # Loaded with the routing operations.
            self.work_centers = {
                op.work_center_id: op.work_center for ops in self.routing.values() for op in ops
            }
        self.load = defaultdict(
            lambda: ZERO,
            catalog.capacity_load(wc_ids, start=self.today, end=self.horizon_end),
        )
        self.closed = catalog.closures(wc_ids, start=self.today, end=self.horizon_end)
        position = catalog.stock_position(part_ids)
        self.free = {pid: position[pid]["on_hand"] - position[pid]["reserved"] for pid in part_ids}
        # Promised earlier out of supply still to come: the next receipts serve it first.
        self.allocated = {pid: position[pid]["allocated"] for pid in part_ids}
        if self.own_bookings:
            own_stock, own_hours = ledger.booked_by(self.own_bookings)
            for (kind, pid), qty in own_stock.items():
                held = self.free if kind == StockEntryKind.RESERVED else self.allocated
                if pid in held:
                    held[pid] += qty if held is self.free else -qty
            for key, hours in own_hours.items():
                self.load[key] -= hours
        # [date, quantity, planned]: planned rows are the surplus of a minimum order
        # this pass placed for an earlier line, not yet in the ledger.
        self.receipts = {
            pid: [[day, qty, False] for day, qty in rows]
            for pid, rows in catalog.expected_receipts(part_ids, from_date=self.today).items()
        }
        self.suppliers = catalog.supplier_options(part_ids, on=self.today, prices=False)
        self.supplier_closed = catalog.supplier_closures(
            {sp.supplier_id for options in self.suppliers.values() for sp in options},
            start=self.today,
        )

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

    def _allocate(self, kind: str, day: dt.date, quantity: Decimal, **target) -> None:
        if quantity > 0:
            self._line_alloc.append(Allocation(kind, day, quantity, **target))

    def _supplier_date(self, sp, ordered: dt.date) -> tuple[dt.date, int]:
        """Receipt date of an order placed on `ordered`, and the closed days it spans.

        The supplier's lead time is calendar days of its own work: each day it is
        closed inside the window pushes the receipt one day, which may pull more
        closed days into the window.
        """
        closures = self.supplier_closed.get(sp.supplier_id, [])
        closed = 0
        while True:
            date = ordered + dt.timedelta(days=sp.lead_time_days + closed)
            first = ordered + dt.timedelta(days=1)
            spanned = sum(
                max(0, (min(c.end_date, date) - max(c.start_date, first)).days + 1)
                for c in closures
            )
            if spanned == closed:
                return date, closed
            closed = spanned

    def _order_from(self, part: PartInfo, inherited: dt.date | None) -> dt.date | None:
        if part.design_specific and self._design_date:
            return max(self._design_date, inherited or self._design_date)
        return inherited

    def _available(
        self, part: PartInfo, qty: Decimal, depth: int = 0, order_from: dt.date | None = None
    ) -> _Availability:
        pk, uom = part.pk, part.uom
        free = self.free.get(pk, ZERO)
        if free >= qty:
            self.free[pk] = free - qty
            self._allocate("stock", self.today, qty, part_id=pk)
            return _Availability(
                self.today, "stock", f"{part.name}: {_qty(qty)} {uom} in stock", part_id=pk
            )
        # What is on the shelf goes to this line; the rest must come in or be made.
        from_stock = max(free, ZERO)
        self._allocate("stock", self.today, from_stock, part_id=pk)
        short = qty - from_stock

        # Reservations beyond stock (a backlog) were promised first: the incoming
        # receipts serve them before this line.
        backlog = max(-free, ZERO) + max(self.allocated.pop(pk, ZERO), ZERO)
        receipts = self.receipts.get(pk, [])
        for row in receipts:
            take = min(row[1], backlog)
            row[1] -= take
            backlog -= take
        receipts = [r for r in receipts if r[1] > 0]
        self.receipts[pk] = receipts
        self.free[pk] = -backlog

        # Incoming purchase orders, oldest first, until the shortage is covered.
        if receipts and sum((r[1] for r in receipts), ZERO) >= short:
            left, last = short, receipts[0]
            for row in receipts:
                take = min(row[1], left)
                row[1] -= take
                left -= take
                last = row
                self._allocate("purchase" if row[2] else "receipt", row[0], take, part_id=pk)
                if left <= 0:
                    break
            self.receipts[pk] = [r for r in receipts if r[1] > 0]
            source = (
                "the surplus of a minimum order placed for an earlier line"
                if last[2]
                else "an incoming purchase order"
            )
            return _Availability(
                last[0],
                "receipt",
                f"{part.name}: short {_qty(short)} {uom}, covered by {source} due {_fmt(last[0])}",
                part_id=pk,
            )

        if part.kind == PartKind.MAKE:
            return self._make(part, short, depth, order_from)

        if part.kind == PartKind.SUBCONTRACT:
            self._line_subcontracted[pk] = part
        ordered = order_from or self.today
        after_design = f"ordered after design release {_fmt(ordered)}, " if order_from else ""
        need = f"{_qty(short)} of {_qty(qty)}" if short < qty else _qty(short)
        options = self.suppliers.get(pk, [])
        if options:
            sp = options[0]
            date, closed = self._supplier_date(sp, ordered)
            order_qty = max(short, sp.minimum_order_quantity)
            if order_qty > short:
                self.receipts[pk].append([date, order_qty - short, True])
                self.receipts[pk].sort(key=lambda r: r[0])
            self._allocate("purchase", date, short, part_id=pk)
            what = "subcontracted to" if part.kind == PartKind.SUBCONTRACT else "from"
            text = f"{part.name}: {after_design}{sp.lead_time_days}-day lead time {what} "
            text += f"{sp.supplier.name}"
            if closed:
                text += f" ({sp.supplier.name} closed {closed} days in that time)"
            if order_qty > short:
                text += (
                    f", ordered {_qty(order_qty)} {uom} (minimum order quantity), "
                    f"{_qty(short)} {uom} needed"
                )
            else:
                text += f", {need} {uom} to order"
            return _Availability(date, "supplier", text, part_id=pk)
        self._line_missing[pk] = part
        date = ordered + dt.timedelta(days=self.default_lead_days)
        self._allocate("purchase", date, short, part_id=pk)
        return _Availability(
            date,
            "no_supplier",
            f"{part.name}: {after_design}no current supplier price, {self.default_lead_days} "
            f"days assumed until purchasing has a quote, {need} {uom} to order",
            part_id=pk,
        )

    def _materials(
        self, children, qty: Decimal, depth: int, order_from: dt.date | None = None
    ) -> tuple[_Availability, list[_Availability]]:
        # A part on several BOM lines of one parent is one need (and one step).
        needs: dict = {}
        for line in children:
            part = self.parts.get(line.component_id) or line.component
            needs.setdefault(part.pk, [part, ZERO])[1] += line.quantity * qty
        results = [
            self._available(part, need, depth + 1, self._order_from(part, order_from))
            for part, need in needs.values()
        ]
        latest = max(
            results,
            key=lambda a: (a.date, a.kind != "stock"),
            default=_Availability(self.today, "stock", "No components needed"),
        )
        return latest, results

    def _make(
        self, part: PartInfo, qty: Decimal, depth: int, order_from: dt.date | None = None
    ) -> _Availability:
        if depth >= MAX_BOM_DEPTH:
            raise ValueError(f"The BOM of {part} is nested too deep (a cycle?).")
        children = self.bom.get(("part", part.pk), [])
        latest, results = self._materials(children, qty, depth, order_from)
        start, frac = latest.date, latest.frac
        if order_from and order_from > start:
            start, frac = order_from, ZERO
        ops = self.routing.get(("part", part.pk), [])
        end, frac, op_steps, waited, _ = self._schedule(ops, qty, start, frac)
        chain = [Step(r.kind, r.text, self.today, r.date, r.part_id) for r in results]
        for r in results:
            chain.extend(r.chain)
        chain.extend(op_steps)
        if waited:
            text = next(s.text for s in op_steps if s.kind == "capacity")
            return _Availability(
                end, "capacity", f"{text} (sub-assembly {part.name})", chain, frac, part.pk
            )
        if latest.kind == "stock" or (order_from and order_from >= latest.date):
            return _Availability(
                end,
                "make",
                f"{part.name}: {_qty(qty)} {part.uom} made in house, ready {_fmt(end)}",
                chain,
                frac,
                part.pk,
            )
        # A bought component deep in the sub-assembly sets the date: name it.
        return _Availability(
            end, latest.kind, f"{latest.text} (for {part.name})", chain, frac, part.pk
        )

    # -- capacity -------------------------------------------------------------

    def _schedule(
        self, ops: list[OperationRow], qty: Decimal, start: dt.date, start_frac: Decimal = ZERO
    ) -> tuple[dt.date, Decimal, list[Step], int, dt.date]:
        """Forward-schedule operations in sequence.

        Returns the end day, the fraction of that day used when the last
        operation finishes, the steps, the working days spent waiting for
        capacity and the first day work is done. Work booked earlier (the
        ledger, earlier lines) runs first on each day; an operation cannot
        start before its predecessor finished, so a hand-off late in the day
        pushes the next operation to the next day.
        """
        day, frac = start, start_frac
        steps: list[Step] = []
        waited_total = 0
        work_start = None
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
                        self._allocate("capacity", day, take, work_center_id=wc.pk)
                        hours -= take
                        first_day = first_day or day
                        frac = (offset + take) / cap
                    elif first_day is None and booked >= cap:
                        waited += 1
                if hours > 0:
                    day += dt.timedelta(days=1)
                    frac = ZERO
            first_day = first_day or day
            work_start = work_start or first_day
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
        return day, frac, steps, waited_total, work_start or start

    # -- one line -------------------------------------------------------------

    def _promise_line(self, req: LineRequest) -> LinePromise:
        self._line_missing: dict = {}
        self._line_subcontracted: dict = {}
        self._line_alloc: list[Allocation] = []
        qty = Decimal(req.quantity)
        product = req.product
        design_days = product.design_days if product.fulfillment_mode == FulfillmentMode.DTO else 0
        design_days += max((o.extra_lead_days for o in req.options), default=0)
        design_date = self.add_working_days(self.today, design_days) if design_days else None
        # Parts made to this line's design are ordered once the design is released.
        self._design_date = design_date if product.fulfillment_mode == FulfillmentMode.DTO else None

        children = list(self.bom.get(("product", product.pk), []))
        for option in req.options:
            children += self.bom.get(("option", option.pk), [])
        latest, results = self._materials(children, qty, 0)
        steps: list[Step] = [Step(r.kind, r.text, self.today, r.date, r.part_id) for r in results]
        for r in results:
            steps.extend(r.chain)
        steps = _one_step_per_part(steps)

        start, start_frac = latest.date, latest.frac
        driver, driver_text = latest.kind, latest.text
        if design_date:
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

        end, _, op_steps, waited, production_start = self._schedule(
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
        arrival = ship + dt.timedelta(days=product.transit_days)
        receiving = req.receiving_weekdays or RECEIVING_WEEKDAYS
        feasible = arrival
        while feasible.isoweekday() not in receiving:
            feasible += dt.timedelta(days=1)
        text = f"Transit: {product.transit_days} days, delivered {_fmt(feasible)}"
        if feasible != arrival:
            text = (
                f"Transit: {product.transit_days} days, arrives {_fmt(arrival)}; the customer "
                f"receives {weekdays_text(receiving)}: delivered {_fmt(feasible)}"
            )
        steps.append(Step("transit", text, ship, feasible))

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
            production_start=production_start,
            production_end=end,
            ship_date=ship,
            driver=driver,
            critical_path=critical_path,
            steps=steps,
            requested_date=req.requested_date,
            parts_without_supplier_price=list(self._line_missing.values()),
            subcontracted_parts=list(self._line_subcontracted.values()),
            capacity_wait_days=waited,
            allocations=self._line_alloc,
        )


def _one_step_per_part(steps: list[Step]) -> list[Step]:
    """Keep, for a part needed at several levels, the step that sets its date."""
    keep: dict = {}
    for i, step in enumerate(steps):
        if step.part_id is not None and (
            step.part_id not in keep or step.end >= steps[keep[step.part_id]].end
        ):
            keep[step.part_id] = i
    return [s for i, s in enumerate(steps) if s.part_id is None or keep[s.part_id] == i]
