"""A promise books what it used (DESIGN §5, Allocation).

Accepting a quote books, per line, the stock, expected receipts, purchases to
place and work-center hours its promise used, tagged with the quote line;
converting moves them to the order line; confirming makes them firm;
expiry, decline, cancellation and change requests release or adjust them in
the same transaction. Everything is written to the catalog's two ledgers, which
stay the one source the engine reads, so every later promise sees it.

Booking runs the engine with `lock=True`: the stock positions and work centers
involved are locked first, so two acceptances for the last units are served
one after the other and get different dates.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from apps.catalog import bookings as ledger
from apps.catalog.models import BookingKind
from apps.orders.promise import RECEIVING_WEEKDAYS, LinePromise, LineRequest, PromiseEngine

ZERO = Decimal("0")


def quote_line_key(line) -> str:
    return f"quote-line:{line.pk}"


def order_line_key(line) -> str:
    return f"order-line:{line.pk}"


def promises_book(booked: list[tuple[str, str, LinePromise]], *, firm: bool = False) -> None:
    """Make each (line key, reference, promise) hold exactly what its promise used."""
    rows = []
    for key, reference, promise in booked:
        stock: dict = defaultdict(lambda: ZERO)
        capacity: dict = defaultdict(lambda: ZERO)
        for a in promise.allocations:
            if a.kind == BookingKind.CAPACITY:
                capacity[(a.work_center_id, a.date)] += a.quantity
            else:
                stock[(a.kind, a.part_id, a.date)] += a.quantity
        rows.append((key, reference, stock, capacity))
    ledger.bookings_write(rows, firm=firm)


def order_lines_book(
    *,
    order,
    lines: list,
    options: dict,
    receiving: frozenset[int] | None = None,
    moved_from: list[str] = (),
    today: dt.date | None = None,
):
    """Book the promises of `lines` (order lines) under lock, replacing `moved_from`
    (their quote lines' bookings) and whatever the lines held before."""
    from django.utils import timezone

    keys = [order_line_key(line) for line in lines]
    requests = [
        LineRequest(
            key=key,
            product=line.product,
            quantity=line.quantity,
            options=list(options.get(line.quote_line_id, [])),
            requested_date=line.requested_date,
            receiving_weekdays=receiving or RECEIVING_WEEKDAYS,
        )
        for key, line in zip(keys, lines, strict=True)
    ]
    result = PromiseEngine(
        today=today or timezone.localdate(), own_bookings=[*keys, *moved_from], lock=True
    ).promise(requests)
    if moved_from:
        ledger.bookings_release(moved_from, note=f"Moved to {order.number}")
    promises_book(
        [
            (key, f"{order.number}/{line.position}", promise)
            for key, line, promise in zip(keys, lines, result.lines, strict=True)
        ]
    )
    return result


def order_bookings_firm(order) -> int:
    return ledger.bookings_make_firm([order_line_key(line) for line in order.lines.all()])


def order_bookings_release(order, *, note: str) -> tuple[int, Decimal]:
    return ledger.bookings_release([order_line_key(line) for line in order.lines.all()], note=note)


def quote_bookings_release(quote, *, note: str) -> tuple[int, Decimal]:
    keys = [quote_line_key(line) for line in quote.lines.all()]
    if not ledger.bookings_held(keys):
        return 0, ZERO
    return ledger.bookings_release(keys, note=note)


def line_bookings(keys) -> dict[str, list[dict]]:
    return ledger.bookings_summary(keys)
