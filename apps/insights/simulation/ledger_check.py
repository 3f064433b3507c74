"""The invariant: the same stock or hours are never promised twice.

For each part, what the promises hold never exceeds what supply can cover by
each date: holds on stock and on incoming supply, counted by the date they
hold it, against stock on hand plus expected receipts by their date (a
purchase still to be placed is new supply of its own, so it covers itself).
For each work center and day, the hours booked never exceed that day's
capacity (zero on a closed day).

`overcommitments` is the pure check; `ledger_overcommitments` reads the two
ledgers of the database. The simulation runs it after every booking and the
test suite runs it on the short simulation.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

ZERO = Decimal("0")
EARLIEST = dt.date.min


def overcommitments(
    *,
    on_hand: dict,
    receipts: dict,
    holds: list[tuple],
    capacity,
    hours: dict,
) -> dict[tuple, Decimal]:
    """Every over-commitment and by how much: ("part", part) → the largest shortfall
    by any date, ("hours", work center, day) → the hours booked beyond capacity.

    on_hand: part → units; receipts: part → [(date, units)]; holds: (part, date
    or None for stock on hand, units); capacity(work center, day) → hours;
    hours: (work center, day) → hours booked.
    """
    out: dict[tuple, Decimal] = {}
    events: dict = defaultdict(lambda: defaultdict(lambda: ZERO))
    for part, qty in on_hand.items():
        events[part][EARLIEST] += qty
    for part, rows in receipts.items():
        for day, qty in rows:
            events[part][day] += qty
    for part, day, qty in holds:
        events[part][day or EARLIEST] -= qty
    for part, by_day in events.items():
        running, lowest = ZERO, ZERO
        for day in sorted(by_day):
            running += by_day[day]
            lowest = min(lowest, running)
        if lowest < 0:
            out[("part", part)] = -lowest
    for (wc, day), booked in hours.items():
        beyond = booked - capacity(wc, day)
        if beyond > 0:
            out[("hours", wc, day)] = beyond
    return out


def worsened(before: dict, after: dict) -> bool:
    """Whether `after` over-commits something more than `before` did: a promise
    counted on stock or hours another promise already holds."""
    return any(excess > before.get(key, ZERO) for key, excess in after.items())


def ledger_overcommitments(today: dt.date) -> dict[tuple, Decimal]:
    """`overcommitments` of the database's ledgers, from `today` on."""
    return overcommitments(**ledger_state(today))


def ledger_state(today: dt.date) -> dict:
    """The arguments of `overcommitments`, read from the two ledgers, from `today` on.

    Holds of quote lines on purchases still to place cover themselves (no
    purchase order exists for them yet), and so do holds on parts without a
    supplier (purchasing has to find one first); an order line's purchases have
    been placed (expected receipts), so its holds count against them.
    """
    from django.db.models import Sum

    from apps.catalog.models import (
        BookingKind,
        CapacityReservation,
        StockEntry,
        StockEntryKind,
        SupplierPart,
        WorkCenter,
        WorkCenterClosure,
    )

    on_hand: dict = defaultdict(lambda: ZERO)
    receipts: dict = defaultdict(list)
    holds: list[tuple] = []
    rows = (
        StockEntry.objects.values("part_id", "kind", "date", "booking__kind", "booking__line_key")
        .annotate(total=Sum("quantity"))
        .order_by()
    )
    orderable = set(SupplierPart.objects.values_list("part_id", flat=True))
    for row in rows:
        kind, qty = row["kind"], row["total"] or ZERO
        if kind == StockEntryKind.ON_HAND:
            on_hand[row["part_id"]] += qty
        elif kind == StockEntryKind.EXPECTED:
            receipts[row["part_id"]].append((max(row["date"], today), qty))
        elif kind == StockEntryKind.RESERVED:
            holds.append((row["part_id"], None, qty))
        elif kind == StockEntryKind.ALLOCATED:
            key = row["booking__line_key"] or ""
            if row["booking__kind"] == BookingKind.PURCHASE and (
                key.startswith("quote-line:") or row["part_id"] not in orderable
            ):
                continue
            holds.append((row["part_id"], max(row["date"], today), qty))
    centers = {wc.pk: wc for wc in WorkCenter.objects.all()}
    closed = set(
        WorkCenterClosure.objects.filter(date__gte=today).values_list("work_center_id", "date")
    )

    def capacity(wc_id, day):
        wc = centers[wc_id]
        if day.isoweekday() not in wc.weekdays or (wc_id, day) in closed or (None, day) in closed:
            return ZERO
        return wc.daily_capacity_hours

    hours = {
        (r["work_center_id"], r["date"]): r["total"]
        for r in CapacityReservation.objects.filter(date__gte=today)
        .values("work_center_id", "date")
        .annotate(total=Sum("hours"))
        .order_by()
    }
    return {
        "on_hand": on_hand,
        "receipts": receipts,
        "holds": holds,
        "capacity": capacity,
        "hours": hours,
    }
