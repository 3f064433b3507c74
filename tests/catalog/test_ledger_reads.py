"""What the supply and capacity pages read of the ledgers: the numbers, and that
each read is bounded by an index (catalog 0007: no scan of the whole ledger)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from apps.catalog import ledger_reads
from apps.catalog.bookings import bookings_write
from apps.catalog.models import (
    BookingKind,
    CapacityReservation,
    StockEntryKind,
    WorkCenterClosure,
)
from tests.catalog.factories import PartFactory, WorkCenterFactory, stock
from tests.explain import explain

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def part():
    return PartFactory(number="PCB-100")


@pytest.fixture
def wc():
    return WorkCenterFactory(code="ASM", daily_capacity_hours=Decimal("8"))


def _holds(part, count: int, key: str = "00000000") -> None:
    bookings_write(
        [
            (
                f"quote-line:{key}-0000-0000-0000-{i:012d}",
                f"Q-{count - i:06d}/1",  # references in the opposite order of the keys
                {(BookingKind.STOCK, part.pk, TODAY): Decimal(i + 1)},
                {},
            )
            for i in range(count)
        ]
    )


def test_open_receipts_read_the_receipts_index_only(part):
    stock(part, "5", kind=StockEntryKind.EXPECTED, date=TODAY, reference="PO-1")
    stock(part, "100")  # on hand: not a receipt
    # The page: the due date's order straight from the receipts' index.
    plan = explain(ledger_reads.open_receipts())
    # An index, never the ledger's heap in full (index-only on stockentry_expected_idx at
    # M, which bench.py's EXPLAIN check watches; a test table's planner may pick another).
    assert "Seq Scan" not in plan and "Index" in plan, plan
    # The count (grouped by part first): an index, never the ledger's heap in full.
    plan = explain(ledger_reads.open_receipt_groups())
    assert "Seq Scan" not in plan and "Index" in plan, plan
    assert ledger_reads.open_receipt_groups().count() == 1


def test_a_parts_holds_are_summed_from_the_holds_index(part):
    _holds(part, 3)
    # Other parts' holds, counted: without statistics an empty test table lets the
    # planner take any index that has a booking.
    _holds(PartFactory(number="PCB-200"), 60, key="11111111")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE catalog_stockentry")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE catalog_parthold")
    for qs in (ledger_reads.part_hold_groups(part), ledger_reads.part_hold_ids(part)):
        plan = explain(qs)
        # Bounded by the part through an index: the stored holds' index (index-only at
        # M, where bench.py's EXPLAIN check watches it).
        assert re.search(r"Index Cond: \(+part_id = ", plan) and "Seq Scan" not in plan, plan
        # The count and the page's ids never read the bookings (a page's rows join
        # theirs: test_the_holds_page_joins_the_bookings_of_its_rows_only).
        assert "Join" not in plan, plan


def test_part_holds_rows_are_by_reference_with_their_booking(part):
    _holds(part, 3)
    # Re-booked: the line's old entry is reversed, its hold is the new quantity.
    bookings_write(
        [
            (
                "quote-line:00000000-0000-0000-0000-000000000000",
                "Q-000003/1",
                {(BookingKind.STOCK, part.pk, TODAY): Decimal("7")},
                {},
            )
        ]
    )
    rows = ledger_reads.part_holds_rows(ledger_reads.part_holds(part))
    assert [(r["reference"], r["quantity"], r["firm"]) for r in rows] == [
        ("Q-000001/1", Decimal("3"), False),
        ("Q-000002/1", Decimal("2"), False),
        ("Q-000003/1", Decimal("7"), False),
    ]
    assert {r["line_key"] for r in rows} == {
        f"quote-line:00000000-0000-0000-0000-{i:012d}" for i in range(3)
    }
    assert {(r["kind"], r["booking_kind"]) for r in rows} == {("reserved", BookingKind.STOCK)}
    assert ledger_reads.part_hold_groups(part).count() == 3
    assert ledger_reads.part_holds_total(part) == (3, Decimal("12"))


def test_a_part_without_holds_or_position_holds_nothing(part):
    loaded = ledger_reads.part_with_position(part.pk)
    assert ledger_reads.part_holds_total(loaded) == (0, 0)
    ledger = ledger_reads.part_ledger(loaded)
    assert (ledger.on_hand, ledger.reserved, ledger.allocated) == (0, 0, 0)


def test_work_center_window_is_hours_per_day_and_closures_in_one_query(
    wc, django_assert_num_queries
):
    other = WorkCenterFactory(code="PNT")
    day = TODAY + dt.timedelta(days=2)
    for center, hours in ((wc, "1.50"), (wc, "2.25"), (other, "9")):
        CapacityReservation.objects.create(
            work_center=center, date=day, hours=Decimal(hours), reference="WO-1/10"
        )
    mine = WorkCenterClosure.objects.create(work_center=wc, date=TODAY + dt.timedelta(days=5))
    plant = WorkCenterClosure.objects.create(date=TODAY + dt.timedelta(days=4), reason="Stock")
    WorkCenterClosure.objects.create(work_center=other, date=TODAY + dt.timedelta(days=6))
    with django_assert_num_queries(1):
        booked, closures = ledger_reads.work_center_window(
            wc, start=TODAY, end=TODAY + dt.timedelta(days=14)
        )
    assert booked == {day: Decimal("3.75")}
    assert [(c.pk, c.date, c.work_center_id, c.reason) for c in closures] == [
        (plant.pk, plant.date, None, "Stock"),
        (mine.pk, mine.date, wc.pk, ""),
    ]
    # The same SQL (compiled once per day) with the other work center's id in its places.
    with django_assert_num_queries(1):
        booked, closures = ledger_reads.work_center_window(
            other, start=TODAY, end=TODAY + dt.timedelta(days=14)
        )
    assert booked == {day: Decimal("9")}
    assert [(c.date, c.work_center_id) for c in closures] == [
        (plant.date, None),
        (TODAY + dt.timedelta(days=6), other.pk),
    ]


def test_work_center_reads_are_index_only(wc):
    CapacityReservation.objects.create(
        work_center=wc, date=TODAY, hours=Decimal("1"), reference="WO-1/10"
    )
    end = TODAY + dt.timedelta(weeks=8)
    plan = explain(ledger_reads.work_center_hold_groups(wc, start=TODAY, end=end))
    # Bounded by the work center through an index (capacity_holds_order_idx, index-only
    # at M; a test table's planner may pick the foreign key's index, the same bound).
    assert re.search(r"Index Cond: \(+work_center_id = ", plan) and "Seq Scan" not in plan, plan
    assert "Join" not in plan, plan


def test_a_work_centers_holds_are_counted_and_paged_in_index_order(wc):
    """catalog 0010: the holds group by (day, reference, booking) in the order of
    capacity_holds_order_idx, so the count streams the groups from the index and a page
    stops after its rows: no hash of every reservation's group, no sort of them all."""
    for n in range(40):
        CapacityReservation.objects.create(
            work_center=wc,
            date=TODAY + dt.timedelta(days=n % 7),
            hours=Decimal("1"),
            reference=f"WO-{n % 5}/10",
        )
    end = TODAY + dt.timedelta(weeks=8)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE catalog_capacityreservation")
        # Hashing and sorting priced out: what remains must read the groups in order.
        cursor.execute("SET LOCAL enable_hashagg = off")
    groups = ledger_reads.work_center_hold_groups(wc, start=TODAY, end=end)
    plan = explain(groups, no_sort=True)
    assert "capacity_holds_order_idx" in plan, plan
    assert "Sort" not in plan and "HashAggregate" not in plan, plan
    assert re.search(r"^\s*->\s+Group", plan, re.M) or "GroupAggregate" in plan, plan
    # The page: sorted only within a day and reference (its line keys), from the index.
    page = ledger_reads.work_center_holds(wc, start=TODAY, end=end)[25:50]
    plan = explain(page, no_sort=True)
    assert "capacity_holds_order_idx" in plan and "HashAggregate" not in plan, plan
    sorts = re.findall(r"^\s*(?:->\s+)?((?:Incremental )?Sort)\s+\(", plan, re.M)
    assert sorts == ["Incremental Sort"], plan
    assert re.search(r"Presorted Key: \S+\.date, \S+\.reference$", plan, re.M), plan
    assert groups.count() == 35


def test_the_holds_page_joins_the_bookings_of_its_rows_only(part):
    _holds(part, 30)
    _holds(PartFactory(number="PCB-200"), 60, key="11111111")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE catalog_parthold")
        cursor.execute("ANALYZE catalog_promisebooking")
    page = ledger_reads.part_holds_page(ledger_reads.part_hold_ids(part)[25:50])
    plan = explain(page)
    # The page's ids under a LIMIT, bounded by the part through an index; the bookings
    # by primary key for those rows (never a scan of the bookings or the holds).
    assert "Limit" in plan and "Seq Scan" not in plan, plan
    assert re.search(r"Index Cond: \(+part_id = ", plan), plan
    rows = ledger_reads.part_holds_rows(page)
    assert [r["reference"] for r in rows] == [f"Q-{n:06d}/1" for n in range(26, 31)]
    assert {r["line_key"] for r in rows} == {
        f"quote-line:00000000-0000-0000-0000-{30 - n:012d}" for n in range(26, 31)
    }
