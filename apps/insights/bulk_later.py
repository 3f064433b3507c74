"""seed_bulk's "later" phase: the objects of the capabilities built after the first
data set (parts and supply, capacity, promise bookings, slips and re-plans).

It runs after the base phase in a plain `seed_bulk`, or alone on a database
seeded before these capabilities existed (`seed_bulk --size M --phase later`).
It has its own random generator (seeded from --seed), so both ways write the
same rows. It reads the documents the base phase wrote and writes what the
services would have written around them:

- one user per internal role besides sales (`bench.engineer` … `bench.ops`)
  and a supplier contact (`supplier.s00000`) of the first supplier;
- parts (a tenth make, the rest bought from a preferred supplier with a price
  break), each product's BOM (three components, a few common to many
  products) and routing (two operations), a make part's component and
  operation; work centers with plant holidays and closures of their own;
- the stock ledger: opening on-hand balances and expected receipts
  (PO-…, from the part's supplier), and the running positions;
- promise bookings: soft on accepted quotes and on sent quotes that hold
  their promise, soft on pending orders, firm on confirmed, planned, in
  production and ready-to-ship orders; each holds its product's first
  component (from stock, an expected receipt or a purchase to place, as the
  ledger allows) and hours of its first operation's work center (capacity
  sized so no day is over-booked);
- re-plan runs, and one recorded date change per at-risk order line (the base
  phase's forecasts after their promise), with its cause; most are released
  to the customer (the line's customer date and the order's stored customer
  dates follow), a third of the open orders' wait for release.

Ledger dates (receipts, bookings, closures) count from `today` (the --today
option, default the day it runs), so the promise engine and the capacity pages
see a current load; everything else is dated from ANCHOR like the base phase.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import uuid
from collections import defaultdict, namedtuple
from decimal import Decimal

from django.contrib.auth.models import Group
from django.core.management.color import no_style
from django.db import connection
from django.db.models import Max, Q

from apps.accounts.models import Organization, OrganizationKind, User
from apps.accounts.roles import Role
from apps.catalog.models import (
    BOMLine,
    BookingKind,
    CapacityReservation,
    Part,
    PartHold,
    PartKind,
    Product,
    PromiseBooking,
    RoutingOperation,
    StockEntry,
    StockEntryKind,
    StockPosition,
    SupplierPart,
    SupplierPriceBreak,
    WorkCenter,
    WorkCenterClosure,
    WorkCenterLoad,
)
from apps.catalog.models.ledgers import part_holds_fill, work_center_load_apply
from apps.insights.bulk import ANCHOR, Writer
from apps.orders.forecasts import customer_words
from apps.orders.models import (
    OrderLine,
    OrderLineDateChange,
    OrderState,
    PlanRun,
    PlanRunKind,
    PlanRunState,
    Quote,
    QuoteLine,
    QuoteState,
    SalesOrder,
    SlipCause,
)
from apps.orders.risk import AT_RISK_DONE_STATES, risk_lines_fill, risk_tally_recompute

# username → role of the internal users the later capabilities' pages are for.
LATER_USERS = {
    "bench.engineer": Role.ENGINEER,
    "bench.planner": Role.PLANNER,
    "bench.quality": Role.QUALITY,
    "bench.buyer": Role.BUYER,
    "bench.warehouse": Role.WAREHOUSE,
    "bench.finance": Role.FINANCE,
    "bench.ops": Role.OPS_ADMIN,
}
SUPPLIER_CONTACT = "supplier.s00000"
ORDER_BOOKINGS = {  # order state → firm
    OrderState.PENDING: False,
    OrderState.CONFIRMED: True,
    OrderState.PLANNED: True,
    OrderState.IN_PRODUCTION: True,
    OrderState.READY_TO_SHIP: True,
}
# When an order's line is built, from today (days): later states are nearer.
BOOKED_DAYS = {
    OrderState.PENDING: (30, 240),
    OrderState.CONFIRMED: (20, 200),
    OrderState.PLANNED: (10, 120),
    OrderState.IN_PRODUCTION: (1, 60),
    OrderState.READY_TO_SHIP: (1, 10),
}
QUOTE_BOOKED_DAYS = (30, 240)
SLIP_CAUSES = [
    (SlipCause.REPLAN, 35),
    (SlipCause.RECEIPT_MOVED, 25),
    (SlipCause.CAPACITY, 15),
    (SlipCause.CLOSURE, 8),
    (SlipCause.RECEIPT_CANCELLED, 5),
    (SlipCause.EXPEDITE, 5),
    (SlipCause.CHANGE_REQUEST, 4),
    (SlipCause.MANUAL, 3),
]
REASONS = {
    SlipCause.REPLAN: "Nightly re-plan: the line's components arrive later than planned.",
    SlipCause.RECEIPT_MOVED: "Supplier moved the receipt (PO acknowledgement revised).",
    SlipCause.CAPACITY: "Work-center capacity reduced this month.",
    SlipCause.CLOSURE: "Work center closed for maintenance.",
    SlipCause.RECEIPT_CANCELLED: "Supplier cancelled the receipt; bought again.",
    SlipCause.EXPEDITE: "Another order was expedited ahead of this one.",
    SlipCause.CHANGE_REQUEST: "The customer's change request moved the line.",
    SlipCause.MANUAL: "Moved by planning.",
}
HOLIDAYS = ((1, 1, "New Year"), (12, 24, "Christmas Eve"), (12, 25, "Christmas"))
LOAD_SHARE = Decimal("0.85")
_Line = namedtuple("_Line", "position product_name")
# The tables the later phase writes (VACUUM ANALYZE after it runs alone).
LATER_TABLES = (
    BOMLine, CapacityReservation, Part, PartHold, PromiseBooking, RoutingOperation, StockEntry,
    StockPosition, SupplierPart, SupplierPriceBreak, WorkCenter, WorkCenterClosure,
    WorkCenterLoad, OrderLine, OrderLineDateChange, PlanRun, Quote, SalesOrder,
)  # fmt: skip  # the busiest day of a work center uses this share of it


class LaterPhase:
    """Mixed into the seed_bulk command: `self.size`, `self.person`, `self.seed`."""

    def later_refusal(self) -> str:
        """Why the later phase cannot run on this database ('' when it can)."""
        if not Quote.objects.exists():
            return "the database has no bulk data yet: run seed_bulk without --phase first."
        customers = Organization.objects.filter(kind=OrganizationKind.CUSTOMER).count()
        if customers != self.size.customers:
            return (
                f"the database holds {customers} customers, not the {self.size.customers} "
                "of this size: pass the --size it was seeded with."
            )
        if Part.objects.exists() or User.objects.filter(username__in=LATER_USERS).exists():
            return "the later capabilities' objects are there already (parts or their users)."
        return ""

    def later_phase(self, today: dt.date) -> None:
        self.lrng = random.Random(self.seed * 1_000_003 + 1)
        self.today = today
        self.later_counts: dict[str, int] = {}
        self._later_people()
        self._later_catalog()
        self._later_stock()
        self._later_bookings()
        self._later_slips()

    # -- helpers ------------------------------------------------------------------

    def _luuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.lrng.getrandbits(128), version=4)

    def _workday(self, day: dt.date, wc_index: int | None = None) -> dt.date:
        closed = self.plant_closed | (self.wc_closed[wc_index] if wc_index is not None else set())
        while day.isoweekday() > 5 or day in closed:
            day += dt.timedelta(days=1)
        return day

    # -- people -------------------------------------------------------------------

    def _later_people(self) -> None:
        kestrel = Organization.objects.get(code="KESTREL")
        roles = {g.name: g for g in Group.objects.filter(name__in=[r.value for r in Role])}
        for username, role in LATER_USERS.items():
            self.person(username, kestrel, roles[role])
        supplier = Organization.objects.get(code="S00000")
        self.person(SUPPLIER_CONTACT, supplier, supplier.group, roles[Role.SUPPLIER_CONTACT])
        self.later_counts["users"] = len(LATER_USERS) + 1

    # -- parts, BOMs, routings, work centers ------------------------------------------

    def _later_catalog(self) -> None:
        rng, size = self.lrng, self.size
        suppliers = list(
            Organization.objects.filter(kind=OrganizationKind.SUPPLIER, code__startswith="S")
            .order_by("code")
            .only("pk", "name")
        )
        products = list(Product.objects.filter(sku__startswith="P").order_by("sku"))
        self.work_centers = WorkCenter.objects.bulk_create(
            [
                WorkCenter(
                    id=self._luuid(),
                    code=f"WC{i:03d}",
                    name=f"Work center {i:03d}",
                    daily_capacity_hours=Decimal("8"),  # sized to the load below
                    hourly_rate=Decimal(60 + (i * 7) % 40),
                )
                for i in range(size.work_centers)
            ]
        )
        closures = []
        self.plant_closed: set[dt.date] = set()
        for year in (self.today.year, self.today.year + 1):
            for month, day, reason in HOLIDAYS:
                closures.append(WorkCenterClosure(date=dt.date(year, month, day), reason=reason))
                self.plant_closed.add(dt.date(year, month, day))
        self.wc_closed: list[set[dt.date]] = []
        for wc in self.work_centers:
            days = {self.today + dt.timedelta(days=rng.randint(3, 90)) for _ in range(3)}
            days -= self.plant_closed
            self.wc_closed.append(days)
            closures += [
                WorkCenterClosure(work_center=wc, date=d, reason="Maintenance")
                for d in sorted(days)
            ]
        WorkCenterClosure.objects.bulk_create(closures)
        parts, self.part_kind = [], []
        for i in range(size.parts):
            kind = PartKind.MAKE if i % 10 == 5 else PartKind.BUY
            parts.append(
                Part(
                    id=self._luuid(),
                    number=f"PT{i:05d}",
                    name=f"Part {i:05d}",
                    kind=kind,
                    unit_cost=Decimal(20 + (i * 13) % 900),
                )
            )
        self.parts = Part.objects.bulk_create(parts, batch_size=5000)
        buy = [i for i, p in enumerate(self.parts) if p.kind == PartKind.BUY]
        make = [i for i, p in enumerate(self.parts) if p.kind == PartKind.MAKE]
        supplier_parts = []
        self.part_supplier: dict[int, Organization] = {}
        self.lead: dict[int, int] = {}
        for n, i in enumerate(buy):
            supplier = suppliers[n % len(suppliers)]
            self.part_supplier[i] = supplier
            self.lead[i] = rng.choice([7, 14, 21, 28, 35, 42])
            supplier_parts.append(
                SupplierPart(
                    id=self._luuid(),
                    supplier=supplier,
                    part=self.parts[i],
                    supplier_part_number=f"{supplier.pk.hex[:4].upper()}-{i:05d}",
                    lead_time_days=self.lead[i],
                    is_preferred=True,
                )
            )
        SupplierPart.objects.bulk_create(supplier_parts, batch_size=5000)
        SupplierPriceBreak.objects.bulk_create(
            [
                SupplierPriceBreak(
                    supplier_part=sp,
                    min_quantity=Decimal(1),
                    unit_price=(sp.part.unit_cost * Decimal("0.97")).quantize(Decimal("0.01")),
                )
                for sp in supplier_parts
            ],
            batch_size=5000,
        )

        def common_part() -> int:
            # Skewed: a few standard parts (seals, motors) go into many products.
            return buy[int(len(buy) * rng.random() ** 2)]

        bom, ops = [], []
        self.product_bom: dict = {}
        self.product_op: dict = {}
        n_wc = len(self.work_centers)
        for p_index, product in enumerate(products):
            components: list[int] = []
            while len(components) < 3:
                index = common_part()
                if index not in components:
                    components.append(index)
            quantities = [rng.randint(1, 4) for _ in components]
            bom += [
                BOMLine(product=product, component=self.parts[i], quantity=Decimal(q))
                for i, q in zip(components, quantities, strict=True)
            ]
            self.product_bom[product.pk] = (components[0], quantities[0])
            run = Decimal(rng.choice(["0.1", "0.25", "0.5"]))
            wcs = (p_index % n_wc, (p_index + 1) % n_wc)
            ops += [
                RoutingOperation(
                    product=product,
                    sequence=sequence,
                    name=name,
                    work_center=self.work_centers[wc],
                    setup_hours=Decimal(setup),
                    run_hours=hours,
                )
                for sequence, name, wc, setup, hours in (
                    (10, "Assembly", wcs[0], "0.25", run),
                    (20, "Test", wcs[1], "0.5", Decimal("0.25")),
                )
            ]
            self.product_op[product.pk] = (wcs[0], Decimal("0.25"), run)
        for n, i in enumerate(make):
            bom.append(
                BOMLine(
                    parent_part=self.parts[i],
                    component=self.parts[buy[(n * 7) % len(buy)]],
                    quantity=Decimal(2),
                )
            )
            ops.append(
                RoutingOperation(
                    part=self.parts[i],
                    sequence=10,
                    name="Machine",
                    work_center=self.work_centers[n % n_wc],
                    setup_hours=Decimal("0.5"),
                    run_hours=Decimal("0.5"),
                )
            )
        BOMLine.objects.bulk_create(bom, batch_size=5000)
        RoutingOperation.objects.bulk_create(ops, batch_size=5000)
        self.later_counts.update(parts=len(self.parts), bom_lines=len(bom), operations=len(ops))

    # -- the stock ledger: opening balances and expected receipts -------------------------

    def _later_stock(self) -> None:
        rng = self.lrng
        fields = ["part", "kind", "quantity", "date", "reference", "note", "supplier", "created_at"]
        self.stock = Writer(StockEntry, [*fields, "booking"])
        opened = ANCHOR
        self.on_hand: dict[int, Decimal] = {}
        self.receipts: dict[int, list[list]] = defaultdict(list)  # part → [[date, free qty]]
        po = 0
        for i, part in enumerate(self.parts):
            qty = Decimal(rng.choice([0, 0, 5, 10, 20, 50, 100, 200]))
            self.on_hand[i] = qty
            if qty:
                self.stock.add(
                    (part.pk, StockEntryKind.ON_HAND, qty, opened.date(), "Opening balance",
                     "", None, opened, None)
                )  # fmt: skip
            if part.kind != PartKind.BUY:
                continue
            supplier = self.part_supplier[i]
            for _ in range(rng.choice([0, 1, 1, 2, 3])):
                po += 1
                day = self.today + dt.timedelta(days=rng.randint(2, self.lead[i] + 30))
                qty = Decimal(rng.choice([10, 20, 50, 100]))
                self.receipts[i].append([day, qty])
                self.stock.add(
                    (part.pk, StockEntryKind.EXPECTED, qty, day, f"PO-{po:07d}",
                     f"Expected from {supplier.name}", supplier.pk, opened, None)
                )  # fmt: skip
        for dates in self.receipts.values():
            dates.sort()
        self.later_counts["receipts"] = po

    # -- promise bookings ------------------------------------------------------------------

    def _later_lines_to_book(self) -> list[tuple]:
        """(line key, reference, firm, product id, quantity, (first, last) booked day)."""
        sent = list(
            Quote.objects.filter(state=QuoteState.SENT)
            .order_by("number")
            .values_list("pk", "number")
        )
        # Every second sent quote holds its promise (the sender's choice).
        holding = [pk for pk, number in sent if int(number[2:]) % 2 == 0]
        for start in range(0, len(holding), 5000):
            Quote.objects.filter(pk__in=holding[start : start + 5000]).update(hold_promise=True)
        rows = []
        quote_lines = (
            QuoteLine.objects.filter(
                Q(quote__state=QuoteState.ACCEPTED)
                | Q(quote__state=QuoteState.SENT, quote__hold_promise=True)
            )
            .values_list("pk", "quote__number", "position", "product_id", "quantity")
            .order_by("quote__number", "position")
        )
        for pk, number, position, product_id, qty in quote_lines.iterator():
            key, ref = f"quote-line:{pk}", f"{number}/{position}"
            rows.append((key, ref, False, product_id, qty, QUOTE_BOOKED_DAYS))
        order_lines = (
            OrderLine.objects.filter(order__state__in=list(ORDER_BOOKINGS))
            .values_list(
                "pk", "order__number", "order__state", "position", "product_id", "quantity"
            )
            .order_by("order__number", "position")
        )
        for pk, number, state, position, product_id, qty in order_lines.iterator():
            key, ref = f"order-line:{pk}", f"{number}/{position}"
            rows.append((key, ref, ORDER_BOOKINGS[state], product_id, qty, BOOKED_DAYS[state]))
        return rows

    def _later_bookings(self) -> None:
        rng, today = self.lrng, self.today
        next_id = (PromiseBooking.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        bookings = Writer(
            PromiseBooking,
            ["id", "line_key", "kind", "reference", "firm", "created_at", "updated_at"],
        )
        reservations = Writer(
            CapacityReservation,
            ["work_center", "date", "hours", "reference", "booking", "created_at"],
        )
        free = dict(self.on_hand)
        reserved: dict[int, Decimal] = defaultdict(Decimal)
        allocated: dict[int, Decimal] = defaultdict(Decimal)
        load: dict[tuple, Decimal] = defaultdict(Decimal)
        now = ANCHOR
        for key, ref, firm, product_id, qty, (first, last) in self._later_lines_to_book():
            part_index, per = self.product_bom[product_id]
            need = Decimal(qty * per)
            part = self.parts[part_index]
            note_ref = ref
            if free[part_index] >= need:
                kind, entry, day = BookingKind.STOCK, StockEntryKind.RESERVED, today
                free[part_index] -= need
                reserved[part_index] += need
            else:
                receipt = next((r for r in self.receipts[part_index] if r[1] >= need), None)
                if receipt is not None:
                    kind, day = BookingKind.RECEIPT, receipt[0]
                    receipt[1] -= need
                else:
                    kind = BookingKind.PURCHASE
                    day = today + dt.timedelta(days=self.lead.get(part_index, 14))
                entry = StockEntryKind.ALLOCATED
                allocated[part_index] += need
            bookings.add((next_id, key, kind, ref, firm, now, now))
            self.stock.add(
                (part.pk, entry, need, day, note_ref,
                 f"Promised to {ref} ({BookingKind(kind).label.lower()})", None, now, next_id)
            )  # fmt: skip
            next_id += 1
            wc_index, setup, run = self.product_op[product_id]
            hours = setup + run * qty
            day = self._workday(today + dt.timedelta(days=rng.randint(first, last)), wc_index)
            load[(wc_index, day)] += hours
            bookings.add((next_id, key, BookingKind.CAPACITY, ref, firm, now, now))
            reservations.add((self.work_centers[wc_index].pk, day, hours, ref, next_id, now))
            next_id += 1
        for writer in (bookings, self.stock, reservations):
            writer.flush()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), [PromiseBooking]):
                    cursor.execute(sql)
        # The running positions the ledger writes keep (COPY bypasses StockEntry.save).
        StockPosition.objects.bulk_create(
            [
                StockPosition(
                    part=part,
                    on_hand=self.on_hand[i],
                    reserved=reserved[i],
                    allocated=allocated[i],
                )
                for i, part in enumerate(self.parts)
            ],
            batch_size=5000,
        )
        # The holds per part and booking the stock ledger keeps (COPY bypasses it): one
        # INSERT ... SELECT over the entries just copied.
        part_holds_fill()
        # The stored load per center and day the capacity ledger keeps (COPY bypasses it).
        work_center_load_apply(
            (self.work_centers[wc_index].pk, day, hours) for (wc_index, day), hours in load.items()
        )
        # Enough hours that the busiest day of each center is LOAD_SHARE booked.
        busiest: dict[int, Decimal] = defaultdict(Decimal)
        for (wc_index, _day), hours in load.items():
            busiest[wc_index] = max(busiest[wc_index], hours)
        for wc_index, wc in enumerate(self.work_centers):
            # At most what the field holds (a backlog this size is the bench's, not a plant's).
            capacity = min(9999, max(16, math.ceil(busiest[wc_index] / LOAD_SHARE)))
            WorkCenter.objects.filter(pk=wc.pk).update(daily_capacity_hours=Decimal(capacity))
        self.later_counts.update(
            bookings=bookings.total,
            stock_entries=self.stock.total,
            reservations=reservations.total,
        )

    # -- re-plan runs and date changes of the at-risk lines ------------------------------------

    def _later_slips(self) -> None:
        rng = self.lrng
        n_runs = self.size.plan_runs
        runs = []
        for n in range(n_runs):
            started = ANCHOR - dt.timedelta(days=n_runs - n, hours=-2)
            full = n % 7 == 0
            runs.append(
                PlanRun(
                    kind=PlanRunKind.FULL if full else PlanRunKind.TARGETED,
                    cause=SlipCause.REPLAN if full else rng.choice(list(REASONS)[1:5]),
                    cause_text="Nightly re-plan" if full else "Supply or capacity changed",
                    state=PlanRunState.DONE,
                    started_at=started,
                    finished_at=started + dt.timedelta(minutes=12 if full else 1),
                )
            )
        runs = PlanRun.objects.bulk_create(runs)
        full_runs = [i for i, r in enumerate(runs) if r.kind == PlanRunKind.FULL]
        counters = [[0, 0] for _ in runs]  # lines walked, lines slipped
        changes = Writer(
            OrderLineDateChange,
            ["line", "old_date", "new_date", "reason", "cause", "customer_text", "released_at",
             "plan_run", "changed_by", "created_at"],
        )  # fmt: skip
        done = set(AT_RISK_DONE_STATES) | {OrderState.SHIPPED}
        at_risk = (
            OrderLine.objects.filter(at_risk=True)
            .values_list(
                "pk", "position", "product_name", "first_promised_date", "forecast_date",
                "order__state", "created_at",
            )
            .order_by("order__number", "position")
        )  # fmt: skip
        waiting = ANCHOR - dt.timedelta(days=1)
        for pk, position, name, promised, forecast, state, created in at_risk.iterator():
            cause = self._pick(SLIP_CAUSES)
            run = None
            if cause == SlipCause.REPLAN:
                run = full_runs[rng.randrange(len(full_runs))]
            elif cause in (SlipCause.RECEIPT_MOVED, SlipCause.CAPACITY, SlipCause.CLOSURE):
                run = rng.randrange(n_runs)
            # Released to the customer, except a third of the open orders' latest moves.
            pending = state not in done and position % 30 == 10
            when = waiting if pending else created + dt.timedelta(days=rng.randint(2, 20))
            line = _Line(position, name)  # what customer_words reads, without a model
            changes.add(
                (pk, promised, forecast, REASONS[cause], cause, customer_words(line, forecast),
                 None if pending else when + dt.timedelta(hours=1),
                 runs[run].pk if run is not None else None, None, when)
            )  # fmt: skip
            if run is not None:
                counters[run][1] += 1
        changes.flush()
        self._later_release_state(done, waiting)
        # What line_forecast_move and the order transitions keep for the at-risk
        # page: each line's latest cause, its open risk and owner, and the tally.
        risk_lines_fill()
        risk_tally_recompute()
        for run, (_, slipped) in zip(runs, counters, strict=True):
            walked = slipped * 8 + 20 if run.kind == PlanRunKind.FULL else slipped * 2 + 1
            run.total = run.done = walked
            run.slipped = run.at_risk = slipped
        PlanRun.objects.bulk_update(runs, ["total", "done", "slipped", "at_risk"], batch_size=1000)
        self.later_counts.update(plan_runs=len(runs), date_changes=changes.total)

    def _pick(self, weighted):
        return self.lrng.choices([s for s, _ in weighted], [w for _, w in weighted])[0]

    def _later_release_state(self, done: set, waiting: dt.datetime) -> None:
        """What line_forecast_move and the release keep: the customer's date of each
        released line, the release timer of the waiting ones, the orders' customer dates."""
        from django.conf import settings

        due = waiting + dt.timedelta(hours=settings.PROMISE_CUSTOMER_NOTICE_HOURS)
        line_t, order_t = OrderLine._meta.db_table, SalesOrder._meta.db_table
        marks = ", ".join(["%s"] * len(done))
        open_orders = f"SELECT id FROM {order_t} WHERE state NOT IN ({marks})"  # noqa: S608
        states = [str(s) for s in done]
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {line_t} SET customer_forecast_date = forecast_date "  # noqa: S608
                f"WHERE at_risk AND NOT (position %% 30 = 10 AND order_id IN ({open_orders}))",
                states,
            )
            cursor.execute(
                f"UPDATE {line_t} SET forecast_release_due = %s "  # noqa: S608
                f"WHERE at_risk AND position %% 30 = 10 AND order_id IN ({open_orders})",
                [due, *states],
            )
            told = "COALESCE(customer_forecast_date, first_promised_date)"
            cursor.execute(
                f"UPDATE {order_t} SET customer_next_date = s.f, customer_last_date = s.l "  # noqa: S608
                f"FROM (SELECT order_id, MIN({told}) AS f, MAX({told}) AS l FROM {line_t} "
                f"WHERE order_id IN (SELECT order_id FROM {line_t} "
                f"WHERE customer_forecast_date IS NOT NULL) GROUP BY order_id) AS s "
                f"WHERE {order_t}.id = s.order_id"
            )
