"""The two promising policies, replayed on the same event stream.

1. **Lead-time formula** (what ERP peers do): promise = request day + the
   product's quoted lead time, set to the median actual lead time per product
   of a first pass (the plant serving the same orders first come, first
   served). Nothing is booked; what its promises count on is tracked in a
   shadow ledger to count the stock and hours promised twice.
2. **Tandem**: every request goes through the quote services (create, add
   line, submit, reviews, send, accept books, convert re-books onto the order
   line), the plant places the purchases the bookings call for, supplier slips
   and breakdowns go through the catalog's ledgers and signals (re-planning),
   new forecasts are released to customers after the notice delay.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F, Max, Sum

from apps.insights.simulation import hooks
from apps.insights.simulation.clock import simulated_day
from apps.insights.simulation.ledger_check import ledger_state, overcommitments, worsened
from apps.insights.simulation.plant import Floor, Plant, purchase_reference

WARNING_DAYS = 5
ONE_DAY = dt.timedelta(days=1)


@dataclass
class LineOutcome:
    seq: int
    sku: str
    day: dt.date
    first_promise: dt.date
    delivered: dt.date
    # Days between the first release to the customer of a forecast after the
    # promise and the promised date (None: the customer was never told).
    warned_days: int | None = None
    at_risk: bool = False  # flagged at risk (forecast after promise) at some point

    @property
    def days_late(self) -> int:
        return max(0, (self.delivered - self.first_promise).days)

    @property
    def quoted_days(self) -> int:
        return (self.first_promise - self.day).days


@dataclass
class PolicyResult:
    name: str
    lines: list[LineOutcome]
    quoted_days_all: list[int]
    double_promises: int
    notes: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)


def _catalog_ids():
    from apps.catalog.models import Option, Part, Product, WorkCenter

    products = {p.sku: p for p in Product.objects.all()}
    options = {
        (o.group.product.sku, o.group.code, o.code): o
        for o in Option.objects.select_related("group__product")
    }
    parts = {p.number: p for p in Part.objects.all()}
    wcs = {w.code: w for w in WorkCenter.objects.all()}
    return products, options, parts, wcs


def _requests_for(req, products, options):
    from apps.orders.promise import LineRequest

    return LineRequest(
        key=f"sim:{req.seq}",
        product=products[req.sku],
        quantity=req.quantity,
        options=[options[(req.sku, g, c)] for g, c in sorted(req.configuration.items())],
    )


# -- the lead-time formula ---------------------------------------------------


def formula_lead_days(plant: Plant, stream, materials) -> dict[str, int]:
    """Median actual lead time per product when the plant serves orders first come,
    first served (a first pass without promises)."""
    fifo = {seq: (seq,) for seq in materials}
    delivered = plant.deliveries(
        materials, fifo, stream.breakdowns, until=stream.scenario.end + dt.timedelta(days=400)
    )
    by_sku: dict[str, list[int]] = defaultdict(list)
    for seq, day in delivered.items():
        line = materials[seq]
        by_sku[line.sku].append((day - line.day).days)
    return {sku: round(statistics.median(days)) for sku, days in by_sku.items()}


def run_formula(plant: Plant, stream, materials, lead_days: dict[str, int]) -> PolicyResult:
    """Promise by formula; count the double promises in a shadow ledger.

    What a formula promise counts on is what a planner looking at the ledgers
    without allocation sees as free: the engine's answer on an untouched
    ledger (free stock, receipts, free hours). Nothing is booked, so every
    later request sees the same free stock and hours again.
    """
    from apps.orders.promise import PromiseEngine

    products, options, _parts, _wcs = _catalog_ids()
    promises: dict[int, dt.date] = {}
    quoted_all = []
    shadow_holds: list[tuple] = []
    shadow_hours: dict = defaultdict(Decimal)
    before: dict = {}
    double = 0
    for req in stream.requests:
        promise = req.day + dt.timedelta(days=lead_days.get(req.sku, 0))
        quoted_all.append((promise - req.day).days)
        if not req.accepted:
            continue
        promises[req.seq] = promise
        with simulated_day(req.day):
            result = PromiseEngine(today=req.day).promise([_requests_for(req, products, options)])
            for a in result.lines[0].allocations:
                if a.kind == "capacity":
                    shadow_hours[(a.work_center_id, a.date)] += a.quantity
                elif a.kind == "stock":
                    shadow_holds.append((a.part_id, None, a.quantity))
                elif a.kind == "receipt":
                    shadow_holds.append((a.part_id, a.date, a.quantity))
            state = ledger_state(req.day)
            hours = dict(state["hours"])
            for key, h in shadow_hours.items():
                if key[1] >= req.day:
                    hours[key] = hours.get(key, Decimal("0")) + h
            found = overcommitments(
                on_hand=state["on_hand"],
                receipts=state["receipts"],
                holds=state["holds"] + shadow_holds,
                capacity=state["capacity"],
                hours=hours,
            )
        if worsened(before, found):
            double += 1
        before = found
    delivered = plant.deliveries(
        materials,
        {seq: (promises[seq], seq) for seq in materials},
        stream.breakdowns,
        until=stream.scenario.end + dt.timedelta(days=400),
    )
    lines = [
        LineOutcome(seq, materials[seq].sku, materials[seq].day, promises[seq], delivered[seq])
        for seq in sorted(materials)
    ]
    return PolicyResult(
        "Lead-time formula",
        lines,
        quoted_all,
        double,
        notes=[
            "Quoted lead time per product (median actual lead time of a first-come-first-served "
            "pass): " + ", ".join(f"{k} {v} days" for k, v in sorted(lead_days.items()))
        ],
        extra={"lead_days": lead_days},
    )


# -- Tandem ------------------------------------------------------------------


@dataclass
class _Actors:
    rep: object
    reviewers: dict
    customers: list
    buyer: object
    planner: object
    manager: object
    engineer: object
    warehouse: object


def _actors():
    from apps.accounts.models import Organization, OrganizationKind, User
    from apps.orders.models.rules import REVIEW_ROLES

    rep = User.objects.get(username="sam.sales")
    reviewers = {
        dept: User.objects.filter(groups__name=role, is_active=True).exclude(pk=rep.pk).first()
        for dept, role in REVIEW_ROLES.items()
    }
    customers = list(Organization.objects.filter(kind=OrganizationKind.CUSTOMER).order_by("code"))
    user = {u.username: u for u in User.objects.filter(username__contains=".")}
    return _Actors(
        rep,
        reviewers,
        customers,
        buyer=user["bob.buyer"],
        planner=user["pat.planner"],
        manager=user["maria.manager"],
        engineer=user["erin.engineer"],
        warehouse=user["wes.warehouse"],
    )


def _place_purchases(order_line, seq: int, parts_by_id, buyer) -> int:
    """The plant's purchasing: one purchase order per part the line's booking
    still has to buy (at least the supplier's minimum order), due when promised."""
    from apps.catalog.models import BookingKind, StockEntry, StockEntryKind
    from apps.orders.allocation import order_line_key

    rows = (
        StockEntry.objects.filter(
            booking__line_key=order_line_key(order_line),
            booking__kind=BookingKind.PURCHASE,
            kind=StockEntryKind.ALLOCATED,
        )
        .values("part_id")
        .annotate(total=Sum("quantity"), due=Max("date"))
        .order_by()
    )
    placed = 0
    for row in rows:
        if row["total"] and row["total"] > 0:
            part = parts_by_id[row["part_id"]]
            placed += hooks.receipt_place(
                part=part,
                quantity=row["total"],
                date=row["due"],
                reference=purchase_reference(seq, part.number),
                actor=buyer,
            )
    return placed


def _tandem_request(req, actors, products, check) -> tuple[dt.date, object | None]:
    from apps.orders.models import QuoteReview, ReviewState
    from apps.orders.services.orders import quote_convert
    from apps.orders.services.quotes import (
        quote_accept,
        quote_create,
        quote_line_add,
        quote_review_decide,
        quote_send,
        quote_submit,
    )

    customer = actors.customers[req.customer % len(actors.customers)]
    quote = quote_create(
        actor=actors.rep,
        customer=customer,
        hold_promise=False,
        title=f"Simulated request {req.seq}",
    )
    line = quote_line_add(
        quote=quote,
        actor=actors.rep,
        product=products[req.sku],
        quantity=req.quantity,
        configuration=req.configuration,
    )
    if not req.accepted:
        return line.feasible_date, None
    quote = quote_submit(quote=quote, actor=actors.rep)
    for review in QuoteReview.objects.filter(quote=quote, state=ReviewState.REQUESTED):
        quote_review_decide(
            review=review, actor=actors.reviewers[review.department], decision="approve"
        )
    quote.refresh_from_db()
    quote = quote_send(quote=quote, actor=actors.rep)
    quote = quote_accept(
        quote=quote,
        actor=actors.rep,
        customer_po=f"SIM-{req.seq}",
        signer_name="Simulated buyer",
        terms_accepted=True,
    )
    check()
    quote.refresh_from_db()
    order = quote_convert(quote=quote, actor=actors.rep)
    return line.feasible_date, order.lines.get()


# The order's way through the plant, as the floor reports it: (event, transition, who).
_FLOOR_STEPS = (
    ("started", "start_production", "planner"),
    ("done", "mark_ready_to_ship", "planner"),
    ("shipped", "ship", "warehouse"),
    ("delivered", "deliver", "warehouse"),
)


def _order_confirm(order, actors, *, design: bool) -> None:
    """Sales completes and confirms the order; planning plans it, or engineering
    starts its design."""
    from apps.orders.services.orders import order_transition, order_update

    order = order_update(
        order=order,
        actor=actors.rep,
        expected_version=None,
        delivery_contact_name="Site receiving",
    )
    order = order_transition(order=order, name="confirm", actor=actors.manager)
    if design:
        order_transition(order=order, name="start_design", actor=actors.engineer)
    else:
        order_transition(order=order, name="plan", actor=actors.planner)


def _order_design_done(order, actors) -> None:
    from apps.orders.services.orders import order_design_approve, order_transition

    order = order_design_approve(order=order, actor=actors.engineer)
    order_transition(order=order, name="plan_after_design", actor=actors.planner)


def _order_follow_floor(order, events: dict, done: list, day: dt.date, actors) -> None:
    """Move the order through production, shipping and delivery as the floor did."""
    from apps.orders.services.orders import order_transition

    while len(done) < len(_FLOOR_STEPS):
        event, name, who = _FLOOR_STEPS[len(done)]
        if events.get(event) is None or events[event] > day:
            return
        order = order_transition(order=order, name=name, actor=getattr(actors, who))
        done.append(name)


def run_tandem(plant: Plant, stream, materials, *, progress=None) -> PolicyResult:
    from unittest import mock

    from apps.orders import tasks
    from apps.orders.models import OrderLine, OrderLineDateChange

    products, _options, parts, _wcs = _catalog_ids()
    parts_by_id = {p.pk: p for p in parts.values()}
    actors = _actors()
    scenario = stream.scenario
    requests_by_day = defaultdict(list)
    for req in stream.requests:
        requests_by_day[req.day].append(req)
    breakdowns_by_day = defaultdict(list)
    for b in stream.breakdowns:
        breakdowns_by_day[b.day].append(b)
    notices = defaultdict(list)
    for line in materials.values():
        for p in line.purchases:
            if p.arrives != p.due:
                notices[p.notice].append(p)

    state = {"before": {}}
    counters = {"double": 0, "checks": 0, "slips_told": 0, "slips_unmatched": 0, "breakdowns": 0}
    today_box = [scenario.start]

    def check(count: bool = True) -> None:
        """After a booking: did it promise what another promise holds? After a
        supply or capacity change: the new baseline (a slip is not a double promise)."""
        found = overcommitments(**ledger_state(today_box[0]))
        if count:
            counters["checks"] += 1
            if worsened(state["before"], found):
                counters["double"] += 1
        state["before"] = found

    order_lines: dict[int, object] = {}
    quoted_all: list[int] = []
    floor = Floor(plant, stream.breakdowns)
    moved: dict[int, list] = {}  # seq → floor steps recorded on the order
    designing: dict[int, dt.date] = {}  # seq → design release, for design-to-order lines
    last = scenario.end
    day = scenario.start
    # The PDF of each sent quote is not rendered: nobody reads it here.
    with mock.patch.object(tasks.render_quote_document, "delay"):
        while (
            day <= last
            or floor.open_jobs
            or len(moved) < len(order_lines)
            or any(len(steps) < len(_FLOOR_STEPS) for steps in moved.values())
        ):
            today_box[0] = day
            with simulated_day(day) as now:
                for b in breakdowns_by_day.get(day, []):
                    days, d = [], day
                    while len(days) < b.working_days:
                        if plant.plant_day(d):
                            days.append(d)
                        d += ONE_DAY
                    hooks.work_center_breakdown(code=b.work_center, days=days, actor=actors.planner)
                    counters["breakdowns"] += 1
                for p in notices.get(day, []):
                    if hooks.receipt_move(
                        reference=p.reference, new_date=p.arrives, actor=actors.buyer
                    ):
                        counters["slips_told"] += 1
                    else:
                        counters["slips_unmatched"] += 1
                check(count=False)
                for req in requests_by_day.get(day, []):
                    feasible, order_line = _tandem_request(req, actors, products, check)
                    quoted_all.append((feasible - req.day).days)
                    if order_line is not None:
                        order_lines[req.seq] = order_line
                        _place_purchases(order_line, req.seq, parts_by_id, actors.buyer)
                        check()
                        last = max(last, order_line.first_promised_date)
                        mat = materials[req.seq]
                        _order_confirm(order_line.order, actors, design=mat.design is not None)
                        if mat.design is not None:
                            designing[req.seq] = mat.design
                        floor.add(mat, (order_line.first_promised_date, req.seq))
                        moved[req.seq] = []
                floor.step(day)
                for seq, release in list(designing.items()):
                    if release <= day:
                        _order_design_done(order_lines[seq].order, actors)
                        del designing[seq]
                for seq, steps in moved.items():
                    if seq not in designing and len(steps) < len(_FLOOR_STEPS):
                        events = floor.events.get(seq, {})
                        _order_follow_floor(order_lines[seq].order, events, steps, day, actors)
                hooks.forecasts_release_due(now)
            if progress and day.day == 1:
                progress(f"{day}: {len(order_lines)} orders")
            day += ONE_DAY

    fresh = {
        ol.pk: ol for ol in OrderLine.objects.filter(pk__in=[o.pk for o in order_lines.values()])
    }
    first_release: dict = {}
    flagged = set(
        OrderLineDateChange.objects.filter(line_id__in=list(fresh))
        .filter(new_date__gt=F("line__first_promised_date"))
        .values_list("line_id", flat=True)
    )
    for change in OrderLineDateChange.objects.filter(
        line_id__in=list(fresh), released_at__isnull=False
    ).order_by("released_at"):
        line = fresh[change.line_id]
        if change.new_date > line.first_promised_date and change.line_id not in first_release:
            first_release[change.line_id] = change.released_at.date()
    promises = {seq: fresh[ol.pk].first_promised_date for seq, ol in order_lines.items()}
    delivered = {seq: events["delivered"] for seq, events in floor.events.items()}
    lines = []
    for seq in sorted(materials):
        ol = fresh[order_lines[seq].pk]
        told = first_release.get(ol.pk)
        lines.append(
            LineOutcome(
                seq,
                materials[seq].sku,
                materials[seq].day,
                promises[seq],
                delivered[seq],
                warned_days=(promises[seq] - told).days if told else None,
                at_risk=ol.pk in flagged,
            )
        )
    at_risk = OrderLine.objects.filter(pk__in=list(fresh), at_risk=True).count()
    changes = OrderLineDateChange.objects.filter(line_id__in=list(fresh)).count()
    return PolicyResult(
        "Tandem",
        lines,
        quoted_all,
        counters["double"],
        extra={**counters, "forecast_changes": changes, "at_risk_at_end": at_risk},
    )
