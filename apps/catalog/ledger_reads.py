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

from django.db.models import (
    CharField,
    Count,
    DecimalField,
    F,
    IntegerField,
    Max,
    Q,
    QuerySet,
    Sum,
    UUIDField,
    Value,
)
from django.db.models.functions import Cast

from apps.catalog.models import (
    CapacityReservation,
    Part,
    PartHold,
    StockEntry,
    StockEntryKind,
    StockPosition,
    WorkCenter,
    WorkCenterClosure,
    WorkCenterLoad,
)
from apps.core.permissions import is_internal
from apps.core.prepared import prepared_objects, prepared_values

ZERO = Decimal("0")


def may_read_ledgers(user) -> bool:
    return is_internal(user) and user.has_perm("catalog.view_stockentry")


def _expected(part: str, reference: str) -> QuerySet[StockEntry]:
    # stockentry_expected_idx: the receipt entries only, index-only.
    qs = StockEntry.objects.filter(kind=StockEntryKind.EXPECTED)
    if part:
        qs = qs.filter(Q(part__number__icontains=part) | Q(part__name__icontains=part))
    if reference:
        qs = qs.filter(reference__icontains=reference)
    return qs


def open_receipts(*, part: str = "", reference: str = "") -> QuerySet:
    """One row per part, purchase order and date still due, earliest first.

    Grouped rows, not model rows: a page of them is one grouped query (plus its
    count, `open_receipt_groups`), so the list pattern's "ids first" step does not
    apply; the filter and the order use stockentry_expected_idx.
    """
    return (
        _expected(part, reference)
        .values("part_id", "part__number", "part__name", "part__uom", "reference", "date")
        .annotate(quantity=Sum("quantity"), supplier_name=Max("supplier__name"))
        .filter(quantity__gt=0)
        .order_by("date", "part__number", "reference")
    )


def open_receipt_groups(*, part: str = "", reference: str = "") -> QuerySet:
    """The groups of `open_receipts`, one row each, without the part's and the
    supplier's columns (a part's number, name and unit are the part's): to count.

    Grouped and ordered in stockentry_expected_idx's order (date, part, reference):
    the sums stream from the index-only scan (GroupAggregate) instead of hashing
    every entry's group."""
    return (
        _expected(part, reference)
        .values("date", "part_id", "reference")
        .annotate(quantity=Sum("quantity"))
        .filter(quantity__gt=0)
        .order_by("date", "part_id", "reference")
    )


def _receipts_page_query(bottom: int, top: int, slots: list) -> QuerySet:
    return open_receipts()[bottom:top]


def open_receipts_page(*, part: str = "", reference: str = "", bottom: int, top: int):
    """Rows `bottom`..`top` of `open_receipts`. Unfiltered (the page as it opens), its
    SQL is compiled once per page (apps.core.prepared); a search runs the queryset."""
    if part or reference:
        return list(open_receipts(part=part, reference=reference)[bottom:top])
    return prepared_values(_receipts_page_query, (bottom, top), [])


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


def _part_query(ids: list) -> QuerySet[Part]:
    return Part.objects.select_related("running_stock").filter(pk__in=ids)


def part_with_position(pk) -> Part:
    """The part with its stored position joined: one query, its SQL compiled once per
    process (apps.core.prepared); Part.DoesNotExist if there is none (what its holds
    keep: `part_holds_total`)."""
    found = prepared_objects(_part_query, (), [pk])
    if not found:
        raise Part.DoesNotExist
    return found[0]


def part_ledger(part: Part) -> PartLedger:
    """Position and open receipts by date of `part`: two queries, one if the part
    came with its position (`part_with_position`; holds: `part_holds`)."""
    ledger = PartLedger(part)
    if "running_stock" in part._state.fields_cache:
        position = part._state.fields_cache["running_stock"]
    else:
        position = StockPosition.objects.filter(part=part).first()
    if position is not None:
        ledger.on_hand, ledger.reserved, ledger.allocated = (
            position.on_hand,
            position.reserved,
            position.allocated,
        )
    # The part's own receipts through the (part, kind, date) index; its number, name
    # and unit are the part's.
    ledger.receipts = prepared_values(_part_receipts_query, (), [part.pk])
    return ledger


def _part_receipts_query(ids: list) -> QuerySet:
    return (
        StockEntry.objects.filter(part_id__in=ids, kind=StockEntryKind.EXPECTED)
        .values("reference", "date")
        .annotate(quantity=Sum("quantity"), supplier_name=Max("supplier__name"))
        .filter(quantity__gt=0)
        .order_by("date", "reference")
    )


def _part_hold_rows(part: Part) -> QuerySet[PartHold]:
    # parthold_page_idx: the part's holds still keeping something, by reference.
    return PartHold.objects.filter(part=part).exclude(quantity=0)


def part_hold_groups(part: Part) -> QuerySet:
    """One row per booking and kind holding `part` (a quantity left): what the holds
    page counts, index-only (parthold_page_idx), without the bookings."""
    return _part_hold_rows(part).order_by().values("booking_id")


HOLDS_ORDER = ("reference", "kind", "booking_id")
HOLD_FIELDS = (
    "booking_id",
    "kind",
    "quantity",
    "date",
    "booking__reference",
    "booking__line_key",
    "booking__kind",
    "booking__firm",
)


def part_hold_ids(part: Part) -> QuerySet:
    """The ids of the holds keeping some of `part`, by reference: a page of them is
    LIMIT/OFFSET on parthold_page_idx alone (index-only).

    The stored holds (PartHold: summed per booking and kind as the entries are
    written) in the order of the reference their entries were first written under
    (the booking's reference: `bookings_write` writes it on every entry).
    """
    return _part_hold_rows(part).order_by(*HOLDS_ORDER).values("pk")


def part_holds_page(ids: QuerySet) -> QuerySet:
    """The holds `ids` (a page's slice of `part_hold_ids`, as a subquery) with their
    booking: one query that joins the bookings of the page's rows only, never of the
    rows an OFFSET skips (a page of them: `part_holds_page_of`)."""
    return PartHold.objects.filter(pk__in=ids).values(*HOLD_FIELDS).order_by(*HOLDS_ORDER)


def part_holds(part: Part) -> QuerySet:
    """Every hold keeping some of `part`, by reference, with its booking (what the
    pages of `part_hold_ids` + `part_holds_page` show, all at once)."""
    return part_holds_page(part_hold_ids(part))


def part_holds_rows(rows) -> list[dict]:
    """`part_holds_page` rows with their booking's fields by name: booking_id, kind (of
    the entries), quantity, date, reference, line_key, booking_kind, firm."""
    return [
        {
            "booking_id": row["booking_id"],
            "kind": row["kind"],
            "quantity": row["quantity"],
            "date": row["date"],
            "reference": row["booking__reference"],
            "line_key": row["booking__line_key"],
            "booking_kind": row["booking__kind"],
            "firm": row["booking__firm"],
        }
        for row in rows
    ]


def part_holds_total(part: Part) -> tuple[int, Decimal]:
    """How many holds keep some of `part` and the quantity they keep: one index-only
    pass over the part's stored holds (parthold_page_idx). The sum reads every hold of
    the part anyway, so the count comes with it rather than from a second, capped
    scan of the same index entries."""
    rows = prepared_values(_part_holds_total_query, (), [part.pk])
    return (rows[0]["count"], rows[0]["held"] or ZERO) if rows else (0, ZERO)


def _part_holds_total_query(ids: list) -> QuerySet:
    return (
        PartHold.objects.filter(part_id__in=ids)
        .exclude(quantity=0)
        .order_by()
        .values("part_id")
        .annotate(count=Count("pk"), held=Sum("quantity"))
    )


def _part_holds_page_query(bottom: int, top: int, ids: list) -> QuerySet:
    return part_holds_page(part_hold_ids(ids[0])[bottom:top])


def part_holds_page_of(part: Part, *, bottom: int, top: int) -> list[dict]:
    """`part_holds_page` of the holds `bottom`..`top` of `part`: its SQL compiled once
    per page (apps.core.prepared), the part's id put in its place."""
    return prepared_values(_part_holds_page_query, (bottom, top), [part.pk])


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


def load_days(
    work_center: WorkCenter,
    *,
    start: dt.date,
    days: int,
    booked: dict[dt.date, Decimal],
    closures,
) -> list[LoadDay]:
    """The days from `start` with their capacity, the hours `booked` on them and why
    a day is closed (`closures`: the work center's and the plant's)."""
    end = start + dt.timedelta(days=days - 1)
    closed: dict[dt.date, str] = {}
    for closure in closures:
        if not start <= closure.date <= end:
            continue
        scope = "Plant closed" if closure.work_center_id is None else "Closed"
        closed[closure.date] = f"{scope}{': ' + closure.reason if closure.reason else ''}"
    out = []
    weekdays = work_center.weekdays  # parsed once, not once per day
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        working = day.isoweekday() in weekdays and day not in closed
        out.append(
            LoadDay(
                date=day,
                capacity=work_center.daily_capacity_hours if working else ZERO,
                booked=booked.get(day, ZERO),
                closed=closed.get(day, "" if working else "Not a working day"),
            )
        )
    return out


def _window_query(start: dt.date, end: dt.date, slots: list) -> QuerySet:
    # slots: the work center's id, then its hex for the closures' half. The two halves
    # name the work center in two forms so that the compiled SQL holds each value once
    # (apps.core.prepared puts the next page's values back by place); `'<hex>'::uuid`
    # is the same id to PostgreSQL, and SQLite stores a UUID as that hex.
    work_center_id, work_center_hex = slots
    booked = (
        WorkCenterLoad.objects.filter(work_center=work_center_id, date__gte=start, date__lte=end)
        .order_by()
        .annotate(
            total=F("hours"),
            closure_id=Value(None, output_field=IntegerField()),
            closure_wc=Value(None, output_field=UUIDField()),
            reason=Value("", output_field=CharField()),
        )
        .values("date", "total", "closure_id", "closure_wc", "reason")
    )
    closures = (
        WorkCenterClosure.objects.filter(
            Q(work_center=Cast(Value(work_center_hex), UUIDField())) | Q(work_center__isnull=True),
            date__gte=start,
        )
        .order_by()
        .annotate(
            total=Value(None, output_field=DecimalField(max_digits=12, decimal_places=2)),
            closure_id=F("pk"),
            closure_wc=F("work_center_id"),
        )
        .values("date", "total", "closure_id", "closure_wc", "reason")
    )
    return booked.union(closures, all=True)


def work_center_window(
    work_center: WorkCenter, *, start: dt.date, end: dt.date
) -> tuple[dict[dt.date, Decimal], list[WorkCenterClosure]]:
    """Hours booked per day from `start` to `end` (the stored WorkCenterLoad, one row
    per day however many reservations), and the closures of the work center or the
    whole plant from `start` on, by date: one query (a UNION of the two), its SQL
    compiled once per day (apps.core.prepared)."""
    rows = prepared_values(_window_query, (start, end), [work_center.pk, work_center.pk.hex])
    hours: dict[dt.date, Decimal] = {}
    closed: list[WorkCenterClosure] = []
    for row in rows:
        if row["closure_id"] is None:
            hours[row["date"]] = row["total"]
        else:
            closed.append(
                WorkCenterClosure(
                    pk=row["closure_id"],
                    work_center_id=row["closure_wc"],
                    date=row["date"],
                    reason=row["reason"],
                )
            )
    closed.sort(key=lambda c: (c.date, c.pk))
    return hours, closed


def weekly(load: list[LoadDay]) -> list[dict]:
    """The days summed per ISO week (Monday first)."""
    weeks: dict[dt.date, dict] = {}
    for day in load:
        monday = day.date - dt.timedelta(days=day.date.weekday())
        week = weeks.setdefault(monday, {"start": monday, "capacity": ZERO, "booked": ZERO})
        week["capacity"] += day.capacity
        week["booked"] += day.booked
    return list(weeks.values())


def _window(work_center, start: dt.date, end: dt.date) -> QuerySet:
    # capacity_holds_order_idx serves the filter and the holds' grouping order.
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


def _holds_page_query(start: dt.date, end: dt.date, bottom: int, top: int, ids: list):
    return work_center_holds(ids[0], start=start, end=end)[bottom:top]


def work_center_holds_page(work_center_id, *, start: dt.date, end: dt.date, bottom: int, top: int):
    """Rows `bottom`..`top` of `work_center_holds`: its SQL compiled once per day and
    page (apps.core.prepared), the work center's id put in its place."""
    return prepared_values(_holds_page_query, (start, end, bottom, top), [work_center_id])


def _work_center_query(ids: list) -> QuerySet[WorkCenter]:
    return WorkCenter.objects.filter(pk__in=ids)


def work_center(pk) -> WorkCenter:
    """The work center `pk` (WorkCenter.DoesNotExist if there is none): its SQL compiled
    once per process (apps.core.prepared)."""
    found = prepared_objects(_work_center_query, (), [pk])
    if not found:
        raise WorkCenter.DoesNotExist
    return found[0]


def work_center_hold_groups(work_center: WorkCenter, *, start: dt.date, end: dt.date) -> QuerySet:
    """The groups of `work_center_holds`, one row each, without the bookings' join
    (a booking is one line and kind): what the page counts, index-only, in the order of
    capacity_holds_order_idx (no sort: the groups stream from it)."""
    return (
        _window(work_center, start, end)
        .values("date", "reference", "booking_id")
        .annotate(hours=Sum("hours"))
        .order_by("date", "reference", "booking_id")
    )


def _work_center_load_query(start: dt.date, end: dt.date, ids: list) -> QuerySet:
    return (
        WorkCenterLoad.objects.filter(work_center_id__in=ids, date__gte=start, date__lte=end)
        .order_by()
        .values("work_center_id")
        .annotate(total=Sum("hours"))
    )


def _work_center_closures_query(start: dt.date, end: dt.date, ids: list) -> QuerySet:
    return (
        WorkCenterClosure.objects.filter(
            Q(work_center_id__in=ids) | Q(work_center__isnull=True), date__gte=start, date__lte=end
        )
        .order_by()
        .values("work_center_id")
        .annotate(count=Count("pk"))
    )


def work_center_rows(work_centers, *, start: dt.date, end: dt.date) -> dict[object, dict]:
    """Per work center: hours booked (the stored load per day) and closed days between
    start and end (two queries, their SQL compiled once per day and number of work
    centers: apps.core.prepared)."""
    ids = [wc.pk for wc in work_centers]
    out: dict[object, dict] = defaultdict(lambda: {"booked": ZERO, "closures": 0})
    for row in prepared_values(_work_center_load_query, (start, end), ids):
        out[row["work_center_id"]]["booked"] = row["total"] or ZERO
    plant = 0
    for row in prepared_values(_work_center_closures_query, (start, end), ids):
        if row["work_center_id"] is None:
            plant = row["count"]
        else:
            out[row["work_center_id"]]["closures"] = row["count"]
    for wc_id in ids:
        out[wc_id]["closures"] += plant
    return out
