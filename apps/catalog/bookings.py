"""Writes of promise bookings into the two ledgers (DESIGN §5, Allocation).

A booking is what one quote or order line's promise holds: reserved stock
entries (on hand, against an expected receipt, or against a purchase still to
be placed) and capacity reservations, all pointing at a PromiseBooking row per
line and kind. The engine keeps reading only the ledgers, so every later
promise sees what was booked. `orders` calls these; the catalog never knows
what a quote is.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import Sum

from apps.catalog.models import (
    BookingKind,
    CapacityReservation,
    PromiseBooking,
    StockEntry,
    StockPosition,
    WorkCenter,
)
from apps.catalog.models import (
    StockEntryKind as Entry,
)

ZERO = Decimal("0")


def ledgers_lock(part_ids, work_center_ids) -> None:
    """Serialize promises that read and book the same parts and work centers.

    Locks every part's stock position and every work center row, always in id
    order (parts first), so two bookings over overlapping parts wait for each
    other instead of deadlocking; the one that waited then reads the ledgers
    again (READ COMMITTED: each later statement sees the first one's bookings).
    """
    part_ids = sorted(part_ids, key=str)
    if part_ids:
        StockPosition.objects.bulk_create(
            [StockPosition(part_id=pk) for pk in part_ids], ignore_conflicts=True
        )
        list(
            StockPosition.objects.select_for_update()
            .filter(part_id__in=part_ids)
            .order_by("part_id")
            .values_list("part_id", flat=True)
        )
    if work_center_ids:
        list(
            WorkCenter.objects.select_for_update()
            .filter(pk__in=list(work_center_ids))
            .order_by("pk")
            .values_list("pk", flat=True)
        )


HELD = (Entry.RESERVED, Entry.ALLOCATED)


def _entry_kind(kind: str) -> str:
    return Entry.RESERVED if kind == BookingKind.STOCK else Entry.ALLOCATED


def booked_by(line_keys) -> tuple[dict, dict]:
    """What `line_keys` hold: units per (entry kind, part), hours per (work center, day)."""
    stock = {
        (row["kind"], row["part_id"]): row["total"] or ZERO
        for row in StockEntry.objects.filter(booking__line_key__in=list(line_keys), kind__in=HELD)
        .values("kind", "part_id")
        .annotate(total=Sum("quantity"))
    }
    hours = {
        (row["work_center_id"], row["date"]): row["total"] or ZERO
        for row in CapacityReservation.objects.filter(booking__line_key__in=list(line_keys))
        .values("work_center_id", "date")
        .annotate(total=Sum("hours"))
    }
    return stock, hours


def bookings_release(line_keys, *, note: str) -> tuple[int, Decimal]:
    """Release what `line_keys` hold: (stock entries reversed, hours freed).

    Reserved stock is reversed with a counter-entry so the ledger keeps its
    history; capacity reservations are deleted (a load, not a movement).
    """
    line_keys = list(line_keys)
    rows = (
        StockEntry.objects.filter(booking__line_key__in=line_keys, kind__in=HELD)
        .values("booking_id", "booking__reference", "part_id", "kind")
        .annotate(total=Sum("quantity"))
        .order_by("booking_id", "part_id", "kind")
    )
    reversals = [
        StockEntry(
            part_id=row["part_id"],
            kind=row["kind"],
            quantity=-row["total"],
            reference=row["booking__reference"],
            note=note[:200],
            booking_id=row["booking_id"],
        )
        for row in rows
        if row["total"]
    ]
    StockEntry.objects.bulk_create(reversals)
    capacity = CapacityReservation.objects.filter(booking__line_key__in=line_keys)
    hours = capacity.aggregate(h=Sum("hours"))["h"] or ZERO
    capacity.delete()
    return len(reversals), hours


def bookings_write(
    bookings: list[tuple[str, str, dict, dict]],
    *,
    firm: bool = False,
) -> None:
    """Make each (line key, reference, stock, capacity) hold exactly that.

    `stock` maps (booking kind, part id, date) to units, `capacity` (work
    center id, date) to hours. What the lines held before is released first,
    so booking again adjusts rather than adds (one PromiseBooking per line and
    kind, a unique constraint). A fixed number of queries however many lines.
    """
    if not bookings:
        return
    keys = [key for key, _, _, _ in bookings]
    bookings_release(keys, note="Re-booked")
    existing = {(b.line_key, b.kind): b for b in PromiseBooking.objects.filter(line_key__in=keys)}
    # Re-booking a confirmed order's line (a change request) keeps it firm.
    firm_keys = {key for (key, _), b in existing.items() if b.firm or firm}
    PromiseBooking.objects.bulk_create(
        [
            PromiseBooking(line_key=key, kind=kind, reference=reference, firm=key in firm_keys)
            for key, reference, stock, capacity in bookings
            for kind in {k for k, _, _ in stock} | ({BookingKind.CAPACITY} if capacity else set())
            if (key, kind) not in existing
        ]
    )
    if firm:
        PromiseBooking.objects.filter(line_key__in=keys).update(firm=True)
    by_key = {(b.line_key, b.kind): b for b in PromiseBooking.objects.filter(line_key__in=keys)}
    entries, hours_rows = [], []
    for key, reference, stock, capacity in bookings:
        for (kind, part_id, day), qty in sorted(stock.items(), key=str):
            if qty > 0:
                entries.append(
                    StockEntry(
                        part_id=part_id,
                        kind=_entry_kind(kind),
                        quantity=qty,
                        date=day,
                        reference=reference,
                        note=f"Promised to {reference} ({BookingKind(kind).label.lower()})",
                        booking=by_key[(key, kind)],
                    )
                )
        for (wc_id, day), hours in sorted(capacity.items(), key=str):
            if hours > 0:
                hours_rows.append(
                    CapacityReservation(
                        work_center_id=wc_id,
                        date=day,
                        hours=hours,
                        reference=reference,
                        booking=by_key[(key, BookingKind.CAPACITY)],
                    )
                )
    StockEntry.objects.bulk_create(entries)
    CapacityReservation.objects.bulk_create(hours_rows)


def bookings_make_firm(line_keys) -> int:
    return PromiseBooking.objects.filter(line_key__in=list(line_keys)).update(firm=True)


def bookings_held(line_keys) -> bool:
    return PromiseBooking.objects.filter(line_key__in=list(line_keys)).exists()


def bookings_summary(line_keys) -> dict[str, list[dict]]:
    """Per line key, what it holds now: kind, firm, part or work center, quantity."""
    out: dict[str, list[dict]] = defaultdict(list)
    line_keys = list(line_keys)
    for row in (
        StockEntry.objects.filter(booking__line_key__in=line_keys, kind__in=HELD)
        .values("booking__line_key", "booking__kind", "booking__firm", "part__number", "part__name")
        .annotate(total=Sum("quantity"))
        .order_by("booking__line_key", "booking__kind", "part__number")
    ):
        if row["total"]:
            out[row["booking__line_key"]].append(
                {
                    "kind": row["booking__kind"],
                    "firm": row["booking__firm"],
                    "what": f"{row['part__number']} {row['part__name']}",
                    "quantity": row["total"],
                }
            )
    for row in (
        CapacityReservation.objects.filter(booking__line_key__in=line_keys)
        .values("booking__line_key", "booking__firm", "work_center__code", "work_center__name")
        .annotate(total=Sum("hours"))
        .order_by("booking__line_key", "work_center__code")
    ):
        out[row["booking__line_key"]].append(
            {
                "kind": BookingKind.CAPACITY,
                "firm": row["booking__firm"],
                "what": f"{row['work_center__code']} {row['work_center__name']}",
                "quantity": row["total"],
            }
        )
    return out
