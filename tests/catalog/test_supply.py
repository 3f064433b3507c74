"""Purchasing's expected receipts: ledger arithmetic by hand, one signal after commit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from apps.catalog import supply
from apps.catalog.bookings import bookings_write
from apps.catalog.models import (
    BookingKind,
    PromiseBooking,
    StockEntry,
    StockEntryKind,
    StockPosition,
)
from apps.catalog.selectors import expected_receipts
from apps.catalog.signals import supply_changed
from apps.core.models import Activity
from tests.catalog.factories import PartFactory, stock

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
IN_10 = TODAY + dt.timedelta(days=10)
IN_20 = TODAY + dt.timedelta(days=20)


@pytest.fixture
def part():
    return PartFactory(number="PCB-100", name="Fulcrum PCB")


@pytest.fixture
def heard():
    calls: list[dict] = []

    def listen(sender, **kwargs):
        calls.append(kwargs)

    supply_changed.connect(listen)
    yield calls
    supply_changed.disconnect(listen)


def _add(part, delta, buyer, qty="10", date=IN_10, ref="PO-000210"):
    return supply.receipt_add(
        part=part, quantity=Decimal(qty), date=date, reference=ref, supplier=delta, actor=buyer
    )


def _position(part):
    pos = StockPosition.objects.get(part=part)
    return pos.on_hand, pos.reserved, pos.allocated


def test_add_writes_one_dated_expected_entry(part, delta, buyer, heard):
    receipt = _add(part, delta, buyer)
    assert receipt.quantity == Decimal("10") and receipt.supplier_id == delta.pk
    entry = StockEntry.objects.get(part=part)
    assert (entry.kind, entry.quantity, entry.date, entry.reference, entry.supplier) == (
        StockEntryKind.EXPECTED,
        Decimal("10"),
        IN_10,
        "PO-000210",
        delta,
    )
    assert expected_receipts([part.pk], from_date=TODAY)[part.pk] == [(IN_10, Decimal("10"))]
    assert Activity.objects.filter(verb="receipt_added", object_id=str(part.pk)).count() == 1


def test_move_is_a_counter_entry_and_a_new_one(part, delta, buyer):
    _add(part, delta, buyer)
    moved = supply.receipt_move(
        part=part, reference="PO-000210", date=IN_10, new_date=IN_20, actor=buyer
    )
    assert moved.date == IN_20 and moved.quantity == Decimal("10")
    quantities = sorted(
        (e.date, e.quantity) for e in StockEntry.objects.filter(kind=StockEntryKind.EXPECTED)
    )
    assert quantities == [(IN_10, Decimal("-10")), (IN_10, Decimal("10")), (IN_20, Decimal("10"))]
    assert expected_receipts([part.pk], from_date=TODAY)[part.pk] == [(IN_20, Decimal("10"))]
    # The supplier stays on the moved receipt.
    assert set(StockEntry.objects.values_list("supplier_id", flat=True)) == {delta.pk}


def test_cancel_leaves_nothing_expected(part, delta, buyer):
    _add(part, delta, buyer)
    assert supply.receipt_cancel(
        part=part, reference="PO-000210", date=IN_10, actor=buyer, reason="Supplier bankrupt"
    ) == Decimal("10")
    assert part.pk not in expected_receipts([part.pk], from_date=TODAY)
    assert StockEntry.objects.filter(quantity=-10, note="Cancelled: Supplier bankrupt").exists()
    with pytest.raises(ValidationError) as exc:
        supply.receipt_cancel(part=part, reference="PO-000210", date=IN_10, actor=buyer)
    assert "reference" in exc.value.message_dict


def _book(part, key, ref, qty, created):
    bookings_write([(key, ref, {(BookingKind.RECEIPT, part.pk, IN_10): Decimal(qty)}, {})])
    PromiseBooking.objects.filter(line_key=key).update(created_at=created)


def test_receive_serves_the_oldest_allocations_first(part, delta, buyer):
    """Hand-computed: 2 on hand; PO-000210 brings 10; line A was promised 4 of it
    (booked first), line B 5. 7 arrive: A's 4 and 3 of B's 5 become reserved.

    on hand 2 + 7 = 9; reserved 0 + 7 = 7; allocated 9 − 7 = 2; expected 10 − 7 = 3.
    Free for the engine: 9 − 7 = 2 (as before: 2), and the backlog of 2 still
    takes 2 of the 3 to come, leaving 1 (as before: 10 − 9 = 1)."""
    stock(part, "2")
    _add(part, delta, buyer)
    now = timezone.now()
    _book(part, "order-line:b", "SO-000002/1", "5", now)
    _book(part, "order-line:a", "SO-000001/1", "4", now - dt.timedelta(days=3))
    assert _position(part) == (Decimal("2"), Decimal("0"), Decimal("9"))

    got = supply.receipt_receive(
        part=part, reference="PO-000210", date=IN_10, actor=buyer, quantity=Decimal("7")
    )

    assert got == Decimal("7")
    assert _position(part) == (Decimal("9"), Decimal("7"), Decimal("2"))
    assert expected_receipts([part.pk], from_date=TODAY)[part.pk] == [(IN_10, Decimal("3"))]
    held = {
        (e["booking__reference"], e["kind"]): e["total"]
        for e in StockEntry.objects.filter(booking__isnull=False)
        .values("booking__reference", "kind")
        .annotate(total=Sum("quantity"))
    }
    assert held == {
        ("SO-000001/1", StockEntryKind.ALLOCATED): Decimal("0"),
        ("SO-000001/1", StockEntryKind.RESERVED): Decimal("4"),
        ("SO-000002/1", StockEntryKind.ALLOCATED): Decimal("2"),
        ("SO-000002/1", StockEntryKind.RESERVED): Decimal("3"),
    }


def test_receive_more_than_allocated_reserves_only_what_was_promised(part, delta, buyer):
    _add(part, delta, buyer)
    _book(part, "order-line:a", "SO-000001/1", "4", timezone.now())
    supply.receipt_receive(part=part, reference="PO-000210", date=IN_10, actor=buyer)
    assert _position(part) == (Decimal("10"), Decimal("4"), Decimal("0"))
    assert part.pk not in expected_receipts([part.pk], from_date=TODAY)


def test_receive_cannot_take_more_than_is_due(part, delta, buyer):
    _add(part, delta, buyer)
    with pytest.raises(ValidationError) as exc:
        supply.receipt_receive(
            part=part, reference="PO-000210", date=IN_10, actor=buyer, quantity=Decimal("11")
        )
    assert exc.value.message_dict == {"quantity": ["Enter at most 10."]}


# -- signals: once, after commit, never on rollback -------------------------------------


@pytest.mark.parametrize(
    "action,cause",
    [
        (
            lambda p, b: supply.receipt_move(
                part=p, reference="PO-000210", date=IN_10, new_date=IN_20, actor=b
            ),
            "receipt_moved",
        ),
        (
            lambda p, b: supply.receipt_move(
                part=p, reference="PO-000210", date=IN_10, new_date=TODAY, actor=b
            ),
            "receipt_moved",
        ),
        (
            lambda p, b: supply.receipt_cancel(part=p, reference="PO-000210", date=IN_10, actor=b),
            "receipt_cancelled",
        ),
        (
            lambda p, b: supply.receipt_receive(part=p, reference="PO-000210", date=IN_10, actor=b),
            "receipt_moved",
        ),
    ],
    ids=["moved-later", "moved-earlier", "cancelled", "received-early"],
)
def test_each_change_is_announced_once_after_commit(
    part, delta, buyer, heard, django_capture_on_commit_callbacks, action, cause
):
    _add(part, delta, buyer)
    heard.clear()
    with django_capture_on_commit_callbacks(execute=True):
        action(part, buyer)
        assert heard == []  # not before the commit
    # Once (the re-planner listening may queue callbacks of its own after it).
    assert len(heard) == 1
    assert heard[0]["part_ids"] == {part.pk} and heard[0]["cause"] == cause
    assert "PO-000210" in heard[0]["text"]


def test_a_rolled_back_move_announces_nothing(
    part, delta, buyer, heard, django_capture_on_commit_callbacks
):
    _add(part, delta, buyer)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        supply.receipt_move(
            part=part, reference="PO-000210", date=IN_10, new_date=IN_20, actor=buyer
        )
        raise RuntimeError("rolled back")
    assert callbacks == [] and heard == []
    assert expected_receipts([part.pk], from_date=TODAY)[part.pk] == [(IN_10, Decimal("10"))]


def test_receiving_on_or_after_the_date_announces_nothing(
    part, delta, buyer, heard, django_capture_on_commit_callbacks
):
    stock(
        part,
        "5",
        kind=StockEntryKind.EXPECTED,
        date=TODAY - dt.timedelta(days=2),
        reference="PO-000199",
    )
    with django_capture_on_commit_callbacks(execute=True):
        supply.receipt_receive(
            part=part, reference="PO-000199", date=TODAY - dt.timedelta(days=2), actor=buyer
        )
    assert heard == []
    assert _position(part)[0] == Decimal("5")


# -- refusals and bad input ----------------------------------------------------------


@pytest.mark.parametrize("role", ["sales_rep", "planner", "warehouse", "finance"])
def test_only_purchasing_records_receipts(request, part, delta, role):
    user = request.getfixturevalue(role)
    with pytest.raises(PermissionDenied):
        _add(part, delta, user)


def test_ops_admin_may_record_receipts(part, delta, ops_admin):
    assert _add(part, delta, ops_admin).quantity == Decimal("10")


@pytest.mark.parametrize(
    "kwargs,fields",
    [
        ({"quantity": Decimal("-1")}, {"quantity"}),
        ({"quantity": Decimal("0")}, {"quantity"}),
        ({"quantity": Decimal("1000000000")}, {"quantity"}),
        ({"date": TODAY - dt.timedelta(days=1)}, {"date"}),
        ({"reference": "  "}, {"reference"}),
        ({"quantity": Decimal("-1"), "date": TODAY - dt.timedelta(days=1)}, {"quantity", "date"}),
    ],
)
def test_bad_receipts_get_field_errors(part, delta, buyer, kwargs, fields):
    args = {
        "part": part,
        "quantity": Decimal("1"),
        "date": IN_10,
        "reference": "PO-1",
        "supplier": delta,
        "actor": buyer,
    } | kwargs
    with pytest.raises(ValidationError) as exc:
        supply.receipt_add(**args)
    assert set(exc.value.message_dict) == fields
    assert not StockEntry.objects.exists()


def test_a_customer_is_not_a_supplier(part, acme, buyer):
    with pytest.raises(ValidationError) as exc:
        supply.receipt_add(
            part=part,
            quantity=Decimal("1"),
            date=IN_10,
            reference="PO-1",
            supplier=acme,
            actor=buyer,
        )
    assert set(exc.value.message_dict) == {"supplier"}


def test_move_to_the_past_or_the_same_day_is_refused(part, delta, buyer):
    _add(part, delta, buyer)
    for new_date in (TODAY - dt.timedelta(days=1), IN_10):
        with pytest.raises(ValidationError) as exc:
            supply.receipt_move(
                part=part, reference="PO-000210", date=IN_10, new_date=new_date, actor=buyer
            )
        assert set(exc.value.message_dict) == {"new_date"}
