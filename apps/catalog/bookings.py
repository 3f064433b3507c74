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
# The ledgers' precision: units to the thousandth, hours to the hundredth.
UNIT = Decimal("0.001")
HOUR = Decimal("0.01")


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
        .values("booking_id", "booking__reference", "part_id", "kind", "date")
        .annotate(total=Sum("quantity"))
        .order_by("booking_id", "part_id", "kind", "date")
    )
    # Each date's hold reversed on its date: what a line holds per date stays the
    # sum of its entries of that date (bookings_write compares them).
    reversals = [
        StockEntry(
            part_id=row["part_id"],
            kind=row["kind"],
            quantity=-row["total"],
            date=row["date"],
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
    center id, date) to hours. Only what moved is written: a stock hold that
    changed gets the difference as an entry (the ledger keeps its history; units
    on hand are compared per part, whatever day they were reserved), a day of
    hours that changed is deleted and inserted again; a line whose promise holds
    what it held already is not written at all (its rows keep their ids). One
    PromiseBooking per line and kind (a unique constraint). A fixed number of
    queries however many lines.
    """
    if not bookings:
        return
    keys = [key for key, _, _, _ in bookings]
    existing = {(b.line_key, b.kind): b for b in PromiseBooking.objects.filter(line_key__in=keys)}
    # Re-booking a confirmed order's line (a change request) keeps it firm.
    firm_keys = set(keys) if firm else {key for (key, _), b in existing.items() if b.firm}
    new = PromiseBooking.objects.bulk_create(
        [
            PromiseBooking(line_key=key, kind=kind, reference=reference, firm=key in firm_keys)
            for key, reference, stock, capacity in bookings
            for kind in {k for k, _, _ in stock} | ({BookingKind.CAPACITY} if capacity else set())
            if (key, kind) not in existing
        ]
    )
    if firm and not all(b.firm for b in existing.values()):
        PromiseBooking.objects.filter(line_key__in=keys, firm=False).update(firm=True)
    by_key = {**existing, **{(b.line_key, b.kind): b for b in new}}
    held = _stock_held([b.pk for (_, kind), b in existing.items() if kind != BookingKind.CAPACITY])
    rows = _hours_held([b.pk for (_, kind), b in existing.items() if kind == BookingKind.CAPACITY])
    entries, hours_rows, stale = [], [], []
    for key, reference, stock, capacity in bookings:
        wanted: dict = defaultdict(lambda: ZERO)
        for (kind, part_id, day), qty in stock.items():
            if qty > 0:
                wanted[(by_key[(key, kind)], part_id, _held_day(kind, day))] += qty
        now = {
            (booking, part_id, day): qty
            for (k, kind), booking in by_key.items()
            if k == key and kind != BookingKind.CAPACITY
            for (part_id, day), qty in held.get(booking.pk, {}).items()
        }
        for booking, part_id, day in sorted(set(wanted) | set(now), key=str):
            want = wanted[(booking, part_id, day)].quantize(UNIT)
            change = want - now.get((booking, part_id, day), ZERO)
            if change:
                label = BookingKind(booking.kind).label.lower()
                entries.append(
                    StockEntry(
                        part_id=part_id,
                        kind=_entry_kind(booking.kind),
                        quantity=change,
                        reference=reference,
                        note=f"Promised to {reference} ({label})" if change > 0 else "Re-booked",
                        booking=booking,
                        **({"date": day} if day else {}),
                    )
                )
        booking = by_key.get((key, BookingKind.CAPACITY))
        had = rows.get(booking.pk, {}) if booking else {}
        for (wc_id, day), hours in sorted(capacity.items(), key=str):
            if hours <= 0:
                continue
            before = had.pop((wc_id, day), [])
            if [h for _, h in before] != [hours.quantize(HOUR)]:
                stale += [pk for pk, _ in before]
                hours_rows.append(
                    CapacityReservation(
                        work_center_id=wc_id,
                        date=day,
                        hours=hours,
                        reference=reference,
                        booking=booking,
                    )
                )
        # Days no longer used (and the days that changed, above) are freed.
        stale += [pk for day_rows in had.values() for pk, _ in day_rows]
    if stale:
        CapacityReservation.objects.filter(pk__in=stale).delete()
    StockEntry.objects.bulk_create(entries)
    CapacityReservation.objects.bulk_create(hours_rows)


def _held_day(kind: str, day):
    # Units on hand are held whatever day they were reserved; receipts and purchases by date.
    return None if kind == BookingKind.STOCK else day


def _stock_held(booking_ids) -> dict:
    """{booking id: {(part id, day or None): units held}} (entries summed per date)."""
    out: dict = defaultdict(lambda: defaultdict(lambda: ZERO))
    if not booking_ids:
        return out
    for row in (
        StockEntry.objects.filter(booking_id__in=booking_ids, kind__in=HELD)
        .values("booking_id", "booking__kind", "part_id", "date")
        .annotate(total=Sum("quantity"))
        .order_by()
    ):
        if row["total"]:
            day = _held_day(row["booking__kind"], row["date"])
            out[row["booking_id"]][(row["part_id"], day)] += row["total"]
    for booking in out.values():
        for k in [k for k, qty in booking.items() if not qty]:
            del booking[k]
    return out


def _hours_held(booking_ids) -> dict:
    """{booking id: {(work center id, day): [(reservation id, hours)]}}."""
    out: dict = defaultdict(lambda: defaultdict(list))
    if not booking_ids:
        return out
    for pk, booking_id, wc_id, day, hours in CapacityReservation.objects.filter(
        booking_id__in=booking_ids
    ).values_list("pk", "booking_id", "work_center_id", "date", "hours"):
        out[booking_id][(wc_id, day)].append((pk, hours))
    return out


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
