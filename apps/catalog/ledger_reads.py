"""What the supply and capacity pages show of the two ledgers (staff only).

Open expected receipts, a part's position and every hold on it, a work
center's load by day and the promises that hold its hours. The promise
engine's own readers are in `selectors`; these are for people, and each runs
a fixed number of queries however many rows it shows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Max, Q, QuerySet, Sum

from apps.catalog.models import (
    CapacityReservation,
    Part,
    StockEntry,
    StockEntryKind,
    StockPosition,
    WorkCenter,
    WorkCenterClosure,
)
from apps.core.permissions import is_internal

ZERO = Decimal("0")


def may_read_ledgers(user) -> bool:
    return is_internal(user) and user.has_perm("catalog.view_stockentry")


def open_receipts(*, part: str = "", reference: str = "") -> QuerySet:
    """One row per part, purchase order and date still due, earliest first.

    Grouped rows, not model rows: a page of them is one grouped query (plus its
    count), so the list pattern's "ids first" step does not apply; the filter
    and the order use the (part, kind, date) index.
    """
    qs = StockEntry.objects.filter(kind=StockEntryKind.EXPECTED)
    if part:
        qs = qs.filter(Q(part__number__icontains=part) | Q(part__name__icontains=part))
    if reference:
        qs = qs.filter(reference__icontains=reference)
    return (
        qs.values("part_id", "part__number", "part__name", "part__uom", "reference", "date")
        .annotate(quantity=Sum("quantity"), supplier_name=Max("supplier__name"))
        .filter(quantity__gt=0)
        .order_by("date", "part__number", "reference")
    )


def parts_with_positions() -> QuerySet[Part]:
    """Parts in number order with their running stock position (one join)."""
    return Part.objects.select_related("running_stock").order_by("number", "pk")


def expected_by_part(part_ids) -> dict[object, Decimal]:
    rows = (
        StockEntry.objects.filter(part_id__in=list(part_ids), kind=StockEntryKind.EXPECTED)
        .values("part_id")
        .annotate(total=Sum("quantity"))
    )
    return {row["part_id"]: row["total"] or ZERO for row in rows}


@dataclass
class PartLedger:
    part: Part
    on_hand: Decimal = ZERO
    reserved: Decimal = ZERO
    allocated: Decimal = ZERO
    receipts: list[dict] = field(default_factory=list)

    @property
    def free(self) -> Decimal:
        return self.on_hand - self.reserved

    @property
    def expected(self) -> Decimal:
        return sum((r["quantity"] for r in self.receipts), ZERO)


def part_ledger(part: Part) -> PartLedger:
    """Position and open receipts by date of `part`: two queries (holds: `part_holds`)."""
    ledger = PartLedger(part)
    position = StockPosition.objects.filter(part=part).first()
    if position is not None:
        ledger.on_hand, ledger.reserved, ledger.allocated = (
            position.on_hand,
            position.reserved,
            position.allocated,
        )
    ledger.receipts = list(open_receipts().filter(part_id=part.pk))
    return ledger


def _part_hold_entries(part: Part) -> QuerySet[StockEntry]:
    # The (part, kind, date) index serves the filter.
    return StockEntry.objects.filter(
        part=part, kind__in=(StockEntryKind.RESERVED, StockEntryKind.ALLOCATED)
    ).exclude(booking=None)


def part_holds(part: Part) -> QuerySet:
    """One grouped row per booking and kind holding `part` (a quantity left), by
    reference: a page of them is one grouped query (`apps.core.lists.group_page`)."""
    return (
        _part_hold_entries(part)
        .values(
            "booking_id",
            "booking__line_key",
            "booking__reference",
            "booking__kind",
            "booking__firm",
            "kind",
        )
        .annotate(quantity=Sum("quantity"), date=Max("date"))
        .exclude(quantity=0)
        .order_by("booking__reference", "kind", "booking_id")
    )


def part_holds_total(part: Part) -> Decimal:
    """The quantity every hold on `part` keeps: one aggregate."""
    total = _part_hold_entries(part).aggregate(total=Sum("quantity"))["total"]
    return total or ZERO


@dataclass
class LoadDay:
    date: dt.date
    capacity: Decimal
    booked: Decimal
    closed: str = ""  # why the day is closed ("Plant closed: …"), empty on a working day

    @property
    def over(self) -> bool:
        return self.booked > self.capacity

    @property
    def percent(self) -> float:
        """Booked share of the day, capped at 100 for the chart's bar."""
        if self.capacity <= 0:
            return 100.0 if self.booked else 0.0
        return min(100.0, float(self.booked / self.capacity * 100))


def work_center_load(work_center: WorkCenter, *, start: dt.date, days: int) -> list[LoadDay]:
    """Hours booked against capacity per calendar day from `start`: two queries."""
    end = start + dt.timedelta(days=days - 1)
    booked = {
        row["date"]: row["total"]
        for row in CapacityReservation.objects.filter(
            work_center=work_center, date__gte=start, date__lte=end
        )
        .values("date")
        .annotate(total=Sum("hours"))
    }
    closed: dict[dt.date, str] = {}
    for closure in WorkCenterClosure.objects.filter(
        Q(work_center=work_center) | Q(work_center__isnull=True), date__gte=start, date__lte=end
    ):
        scope = "Plant closed" if closure.work_center_id is None else "Closed"
        closed[closure.date] = f"{scope}{': ' + closure.reason if closure.reason else ''}"
    out = []
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        working = day.isoweekday() in work_center.weekdays and day not in closed
        out.append(
            LoadDay(
                date=day,
                capacity=work_center.daily_capacity_hours if working else ZERO,
                booked=booked.get(day, ZERO),
                closed=closed.get(day, "" if working else "Not a working day"),
            )
        )
    return out


def weekly(load: list[LoadDay]) -> list[dict]:
    """The days summed per ISO week (Monday first)."""
    weeks: dict[dt.date, dict] = {}
    for day in load:
        monday = day.date - dt.timedelta(days=day.date.weekday())
        week = weeks.setdefault(monday, {"start": monday, "capacity": ZERO, "booked": ZERO})
        week["capacity"] += day.capacity
        week["booked"] += day.booked
    return list(weeks.values())


def _window(work_center: WorkCenter, start: dt.date, end: dt.date) -> QuerySet:
    # The (work_center, date) index serves the filter.
    return CapacityReservation.objects.filter(
        work_center=work_center, date__gte=start, date__lte=end
    )


def work_center_holds(work_center: WorkCenter, *, start: dt.date, end: dt.date) -> QuerySet:
    """Hours held per day and booking (promises) and per day and reference (other work):
    grouped rows, a page of them is one grouped query (`apps.core.lists.group_page`)."""
    return (
        _window(work_center, start, end)
        .values("date", "reference", "booking__line_key", "booking__firm", "booking__kind")
        .annotate(hours=Sum("hours"))
        .order_by("date", "reference", "booking__line_key")
    )


def work_center_held_hours(work_center: WorkCenter, *, start: dt.date, end: dt.date) -> Decimal:
    """The hours every hold keeps between start and end: one aggregate."""
    return _window(work_center, start, end).aggregate(total=Sum("hours"))["total"] or ZERO


def closures_ahead(work_center: WorkCenter, *, start: dt.date) -> QuerySet[WorkCenterClosure]:
    return (
        WorkCenterClosure.objects.filter(
            Q(work_center=work_center) | Q(work_center__isnull=True), date__gte=start
        )
        .select_related("work_center")
        .order_by("date", "pk")
    )


def work_center_rows(work_centers, *, start: dt.date, end: dt.date) -> dict[object, dict]:
    """Per work center: hours booked and closed days between start and end (two queries)."""
    ids = [wc.pk for wc in work_centers]
    out: dict[object, dict] = defaultdict(lambda: {"booked": ZERO, "closures": 0})
    for row in (
        CapacityReservation.objects.filter(work_center_id__in=ids, date__gte=start, date__lte=end)
        .values("work_center_id")
        .annotate(total=Sum("hours"))
    ):
        out[row["work_center_id"]]["booked"] = row["total"] or ZERO
    plant = 0
    for row in (
        WorkCenterClosure.objects.filter(
            Q(work_center_id__in=ids) | Q(work_center__isnull=True), date__gte=start, date__lte=end
        )
        .values("work_center_id")
        .annotate(count=Count("pk"))
    ):
        if row["work_center_id"] is None:
            plant = row["count"]
        else:
            out[row["work_center_id"]]["closures"] = row["count"]
    for wc_id in ids:
        out[wc_id]["closures"] += plant
    return out
