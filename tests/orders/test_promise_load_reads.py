"""The promise engine's reads are bounded: the same queries whatever the history of
the ledgers, and booking, moving and releasing holds keeps the stored load exact."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.catalog.models import (
    CapacityReservation,
    Part,
    StockEntry,
    StockEntryKind,
    WorkCenterLoad,
)
from apps.orders.services import quotes as quote_services

pytestmark = pytest.mark.django_db


def _stored_equals_recomputed():
    recomputed = {
        (wc, day): total
        for wc, day, total in CapacityReservation.objects.order_by()
        .values_list("work_center_id", "date")
        .annotate(total=Sum("hours"))
    }
    stored = {
        (wc, day): hours
        for wc, day, hours in WorkCenterLoad.objects.values_list("work_center_id", "date", "hours")
        if hours
    }
    return stored == recomputed


def _history(catalog, n: int) -> None:
    """`n` past movements per part and `n` reservations on the next days of assembly."""
    today = timezone.localdate()
    parts = [catalog["motor"], Part.objects.get(number="VFD-1")]
    StockEntry.objects.bulk_create(
        [
            StockEntry(
                part=part,
                kind=kind,
                quantity=Decimal(sign),
                date=today - dt.timedelta(days=i + 1),
                reference=f"H-{i}",
            )
            for part in parts
            for i in range(n)
            for kind, sign in (
                (StockEntryKind.ON_HAND, 1),
                (StockEntryKind.ON_HAND, -1),
                (StockEntryKind.EXPECTED, 5),  # a receipt expected, then received
                (StockEntryKind.EXPECTED, -5),
            )
        ]
    )
    CapacityReservation.objects.bulk_create(
        [
            CapacityReservation(
                work_center=catalog["assy"],
                date=today + dt.timedelta(days=i % 20),
                hours=Decimal("0.01"),
                reference=f"WO-{i}",
            )
            for i in range(n)
        ]
    )


def _recalculate_queries(quote) -> tuple[int, list]:
    with CaptureQueriesContext(connection) as ctx:
        quote_services.quote_recalculate(quote=quote)
    dates = list(quote.lines.order_by("position").values_list("feasible_date", flat=True))
    return len(ctx.captured_queries), dates


def test_recalculating_a_20_line_quote_costs_the_same_with_a_short_and_a_long_history(
    make_quote, catalog
):
    lines = [("skid", 1 + i % 3, {"drive": "vfd"} if i % 2 else {}, 0) for i in range(20)]
    quote = make_quote(lines=lines)
    _history(catalog, 2)
    small, small_dates = _recalculate_queries(quote)
    _history(catalog, 400)
    large, large_dates = _recalculate_queries(quote)
    assert small == large
    # The history nets to nothing on hand and 4 h on the next days: dates may move
    # by the hours, never by the length of the history.
    assert len(small_dates) == len(large_dates) == 20


def test_the_engine_reads_a_fixed_number_of_queries_for_20_lines(make_quote, catalog):
    lines = [("skid", 1 + i % 3, {"drive": "vfd"} if i % 2 else {}, 0) for i in range(20)]
    quote = make_quote(lines=lines)
    # Lines, options, shipping address (its receiving days), BOM (2 levels), routing
    # with work centers, load, closures, stock positions, expected receipts, suppliers,
    # supplier closures, the quote's update.
    with CaptureQueriesContext(connection) as ctx:
        quote_services.quote_recalculate(quote=quote)
    assert len(ctx.captured_queries) == 13, "\n".join(q["sql"][:60] for q in ctx.captured_queries)


def test_holds_booked_moved_and_released_keep_the_stored_load(
    accepted_quote, sales_rep, sales_manager
):
    from apps.orders.services.orders import order_cancel, quote_convert

    assert CapacityReservation.objects.exists()
    assert _stored_equals_recomputed()
    order = quote_convert(quote=accepted_quote, actor=sales_rep, customer_po="PO-1")
    assert CapacityReservation.objects.filter(booking__line_key__startswith="order-line:").exists()
    assert _stored_equals_recomputed()
    order_cancel(order=order, actor=sales_manager, reason="Customer withdrew")
    assert not CapacityReservation.objects.exists()
    assert _stored_equals_recomputed()


def test_the_load_of_a_few_work_centers_is_read_through_the_index(db):
    """Re-promising one line reads its work centers' load over the horizon: an index
    on (work center, date) bounds the read, never a scan of every center's days."""
    from apps.catalog import selectors as catalog
    from tests.catalog.factories import WorkCenterFactory

    today = timezone.localdate()
    centers = [WorkCenterFactory(code=f"L{i}") for i in range(60)]
    WorkCenterLoad.objects.bulk_create(
        WorkCenterLoad(work_center=wc, date=today + dt.timedelta(days=d), hours=Decimal("3"))
        for wc in centers
        for d in range(150)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE catalog_workcenterload")
    wanted = [centers[3].pk, centers[40].pk]
    with CaptureQueriesContext(connection) as ctx:
        load = catalog.capacity_load(wanted, start=today, end=today + dt.timedelta(days=730))
    assert len(load) == 300
    (query,) = ctx.captured_queries
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {query['sql']}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Seq Scan" not in plan, plan
    assert re.search(r"Index Cond: \(+work_center_id = ANY", plan), plan
    assert "date >=" in plan.split("Index Cond")[1], plan
