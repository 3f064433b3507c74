"""The stored holds per part, booking and kind (PartHold) equal the sums of the stock
entries that name a booking after every way an entry is written: the booking
writes (book, re-book, release, firm), goods received serving allocations, an
entry saved, edited, updated or deleted by a script, the migration's fill,
seed_demo and the bulk fill."""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from apps.catalog import ledger_reads, supply
from apps.catalog.bookings import bookings_make_firm, bookings_release, bookings_write
from apps.catalog.models import (
    BookingKind,
    PartHold,
    PromiseBooking,
    StockEntry,
    StockEntryKind,
)
from apps.catalog.models.ledgers import part_holds_fill, part_holds_recomputed
from tests.catalog.factories import PartFactory, stock

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
IN_10 = TODAY + dt.timedelta(days=10)
KEY = "quote-line:00000000-0000-0000-0000-{:012d}"


def recomputed() -> dict:
    return {
        (part, booking, kind): (total, latest, first)
        for part, booking, kind, total, latest, first in part_holds_recomputed()
    }


def stored() -> dict:
    return {
        (h.part_id, h.booking_id, h.kind): (h.quantity, h.date, h.reference)
        for h in PartHold.objects.all()
    }


def held(part) -> dict:
    """Reference -> quantity of the part's holds as the page reads them."""
    return {
        r["reference"]: r["quantity"]
        for r in ledger_reads.part_holds_rows(ledger_reads.part_holds(part))
    }


def book(part, n, qty, kind=BookingKind.STOCK, day=TODAY, reference=None, firm=False):
    bookings_write(
        [(KEY.format(n), reference or f"Q-{n:06d}/1", {(kind, part.pk, day): Decimal(qty)}, {})],
        firm=firm,
    )


def test_every_booking_write_keeps_the_stored_holds():
    a, b = PartFactory(number="PCB-100"), PartFactory(number="PCB-200")
    stock(a, "100")
    book(a, 1, "3")
    book(a, 2, "4", kind=BookingKind.RECEIPT, day=IN_10)
    assert stored() == recomputed()
    assert held(a) == {"Q-000001/1": Decimal("3"), "Q-000002/1": Decimal("4")}

    # Several lines and parts in one write (the bulk path of a quote's lines).
    bookings_write(
        [
            (KEY.format(3), "Q-000003/1", {(BookingKind.STOCK, a.pk, TODAY): Decimal("1")}, {}),
            (
                KEY.format(4),
                "Q-000003/2",
                {
                    (BookingKind.PURCHASE, b.pk, IN_10): Decimal("6"),
                    (BookingKind.STOCK, a.pk, TODAY): Decimal("2"),
                },
                {},
            ),
        ]
    )
    assert stored() == recomputed()
    assert held(b) == {"Q-000003/2": Decimal("6")}

    # Re-booked: the old entries are reversed, the hold is the new quantity, its date
    # the latest entry's and its reference the first one's.
    book(a, 1, "5", reference="Q-000001/9")
    assert stored() == recomputed()
    assert held(a)["Q-000001/1"] == Decimal("5")

    # Firm (an order confirmed): the holds keep their quantities, the page says firm.
    bookings_make_firm([KEY.format(2)])
    book(a, 3, "2", firm=True)
    assert stored() == recomputed()
    firm = {
        r["reference"]: r["firm"] for r in ledger_reads.part_holds_rows(ledger_reads.part_holds(a))
    }
    assert firm == {
        "Q-000001/1": False,
        "Q-000002/1": True,
        "Q-000003/1": True,
        "Q-000003/2": False,
    }

    # Released: the holds keep a row of 0, which the page does not show.
    bookings_release([KEY.format(1), KEY.format(4)], note="Released")
    assert stored() == recomputed()
    assert held(a) == {"Q-000002/1": Decimal("4"), "Q-000003/1": Decimal("2")}
    assert held(b) == {}
    assert ledger_reads.part_hold_groups(b).count() == 0
    assert ledger_reads.part_holds_total(a) == (2, Decimal("6"))


def test_goods_received_serve_the_allocations_into_the_stored_holds(buyer):
    part = PartFactory(number="PCB-100")
    stock(part, "10", kind=StockEntryKind.EXPECTED, date=IN_10, reference="PO-1")
    book(part, 1, "4", kind=BookingKind.RECEIPT, day=IN_10)
    book(part, 2, "3", kind=BookingKind.RECEIPT, day=IN_10)
    supply.receipt_receive(
        part=part, reference="PO-1", date=IN_10, actor=buyer, quantity=Decimal("5")
    )
    assert stored() == recomputed()
    kinds = {(h.reference, h.kind): h.quantity for h in PartHold.objects.all()}
    assert kinds == {
        ("Q-000001/1", StockEntryKind.ALLOCATED): Decimal("0"),
        ("Q-000001/1", StockEntryKind.RESERVED): Decimal("4"),
        ("Q-000002/1", StockEntryKind.ALLOCATED): Decimal("2"),
        ("Q-000002/1", StockEntryKind.RESERVED): Decimal("1"),
    }


def test_entries_written_edited_updated_or_deleted_by_a_script_keep_the_stored_holds():
    part, other = PartFactory(number="PCB-100"), PartFactory(number="PCB-200")
    book(part, 1, "3")
    booking = PromiseBooking.objects.get()
    # One write with the hold's entries under two references: the database picks the
    # lesser (its collation), as MIN(reference) does.
    StockEntry.objects.bulk_create(
        [
            StockEntry(
                part=part, kind="reserved", quantity=2, booking=booking, reference="Q-000001/0"
            ),
            StockEntry(
                part=part,
                kind="reserved",
                quantity=Decimal("0.5"),
                booking=booking,
                reference="R-1",
            ),
            StockEntry(part=part, kind="reserved", quantity=1, reference="hand"),  # no booking
            StockEntry(part=part, kind="on_hand", quantity=9, booking=booking),  # not a hold
        ]
    )
    assert stored() == recomputed()
    assert stored()[(part.pk, booking.pk, "reserved")] == (Decimal("5.5"), TODAY, "Q-000001/0")

    entry = StockEntry.objects.create(
        part=part, kind="reserved", quantity=1, booking=booking, date=IN_10, reference="Z"
    )
    assert stored() == recomputed()
    assert stored()[(part.pk, booking.pk, "reserved")][1] == IN_10

    # Edited (the admin), moved to another part, updated in bulk, deleted.
    entry.quantity = Decimal("4")
    entry.save()
    assert stored() == recomputed()
    entry.part = other
    entry.save()
    assert stored() == recomputed()
    assert held(other) == {"Q-000001/1": Decimal("4")}
    StockEntry.objects.filter(reference="R-1").update(kind="allocated", date=IN_10)
    assert stored() == recomputed()
    entry.delete()
    assert stored() == recomputed()
    assert held(other) == {}
    StockEntry.objects.filter(part=part, reference="Q-000001/0").delete()
    assert stored() == recomputed()
    StockEntry.objects.all().delete()
    assert stored() == recomputed() == {}


def test_the_migration_and_the_bulk_fill_sum_the_existing_entries():
    from django.apps import apps

    part = PartFactory(number="PCB-100")
    book(part, 1, "3")
    book(part, 1, "2", kind=BookingKind.RECEIPT, day=IN_10)
    book(part, 2, "4")
    expected = recomputed()
    assert len(expected) == 3
    PartHold.objects.all().delete()
    migration = importlib.import_module("apps.catalog.migrations.0009_part_holds")
    with connection.schema_editor() as editor:
        migration.fill_holds(apps, editor)
    assert stored() == expected
    PartHold.objects.all().delete()
    part_holds_fill()
    assert stored() == expected


def test_seed_demo_leaves_the_stored_holds_right(settings):
    settings.DEMO_MODE = True
    call_command("seed_demo", verbosity=0)
    assert PartHold.objects.exclude(quantity=0).exists()  # the demo shows some holds
    assert stored() == recomputed()


def test_the_holds_page_reads_the_stored_holds_in_order_across_pages():
    part = PartFactory(number="PCB-100")
    stock(part, "1000")
    for n in range(30):
        book(part, n, str(n + 1), reference=f"Q-{30 - n:06d}/1")
    rows = ledger_reads.part_holds_rows(ledger_reads.part_holds(part))
    assert [r["reference"] for r in rows] == [f"Q-{n:06d}/1" for n in range(1, 31)]
    assert ledger_reads.part_hold_groups(part).count() == 30
    assert ledger_reads.part_holds_total(part) == (30, sum(Decimal(n) for n in range(1, 31)))
