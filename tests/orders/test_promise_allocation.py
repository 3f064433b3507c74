"""A promise books what it used (DESIGN §5, Allocation; issue 9).

The `catalog` fixture keeps 50 motors, frames and drives in stock (Delta Motors
supplies each in 14 days) and an assembly center of 16 h a day; a skid is 1 h
setup + 3 h per unit. Tests that need "the last units" reserve the rest first.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.catalog.models import (
    BookingKind,
    CapacityReservation,
    PromiseBooking,
    StockEntryKind,
)
from apps.catalog.selectors import capacity_load, stock_position
from apps.orders.allocation import line_bookings, order_line_key, quote_line_key
from apps.orders.models import OrderState, Quote
from apps.orders.services import changes as change_services
from apps.orders.services import quotes as q
from apps.orders.services.orders import order_cancel, quote_convert
from tests.catalog.factories import stock

pytestmark = pytest.mark.django_db


def _send(make_quote, sales_rep, qty=1):
    quote = make_quote(lines=(("skid", qty, {}, 0),))
    return q.quote_send(quote=q.quote_submit(quote=quote, actor=sales_rep), actor=sales_rep)


def _reserved(part) -> Decimal:
    return stock_position([part.pk])[part.pk]["reserved"]


def _hours(catalog) -> Decimal:
    today = timezone.localdate()
    load = capacity_load([catalog["assy"].pk], start=today, end=today + dt.timedelta(days=60))
    return sum(load.values(), Decimal("0"))


def test_a_sent_quote_holds_nothing_and_accepting_books_its_promise(
    make_quote, sales_rep, acme_contact, catalog
):
    quote = _send(make_quote, sales_rep, qty=2)
    assert _reserved(catalog["motor"]) == 0 and _hours(catalog) == 0

    quote = q.quote_accept(quote=quote, actor=acme_contact)

    line = quote.lines.get()
    key = quote_line_key(line)
    # Two motors and two frames from stock, 1 + 2 × 3 = 7 h of assembly.
    assert _reserved(catalog["motor"]) == 2
    assert _hours(catalog) == Decimal("7")
    bookings = PromiseBooking.objects.filter(line_key=key)
    assert {b.kind for b in bookings} == {BookingKind.STOCK, BookingKind.CAPACITY}
    assert {b.reference for b in bookings} == {f"{quote.number}/{line.position}"}
    assert not any(b.firm for b in bookings)
    assert {row["what"] for row in line_bookings([key])[key]} >= {"MTR-55 Motor 5.5 kW"}


def test_a_later_request_sees_what_an_accepted_quote_booked(
    make_quote, sales_rep, acme_contact, catalog
):
    # 49 of the 50 motors are promised elsewhere: one is left.
    stock(catalog["motor"], 49, kind=StockEntryKind.RESERVED, reference="SO-000001")
    first = _send(make_quote, sales_rep)
    second = _send(make_quote, sales_rep)
    assert first.lines.get().feasible_date == second.lines.get().feasible_date

    q.quote_accept(quote=first, actor=acme_contact)
    second = q.quote_recalculate(quote=second)

    # The last motor went to the first quote: the second waits for Delta's 14 days.
    assert "Delta Motors" in second.lines.get().critical_path
    assert second.lines.get().feasible_date > first.lines.get().feasible_date


def test_re_promising_an_accepted_quote_does_not_queue_behind_itself(
    make_quote, sales_rep, acme_contact, catalog
):
    stock(catalog["motor"], 49, kind=StockEntryKind.RESERVED, reference="SO-000001")
    quote = q.quote_accept(quote=_send(make_quote, sales_rep), actor=acme_contact)
    before = quote.lines.get().feasible_date

    quote = q.quote_recalculate(quote=quote)

    assert quote.lines.get().feasible_date == before
    assert _reserved(catalog["motor"]) == 50


def test_converting_moves_the_bookings_to_the_order_line_and_confirming_makes_them_firm(
    make_quote, sales_rep, acme_contact, finance, catalog
):
    from apps.orders.services.orders import order_transition, order_update

    quote = q.quote_accept(quote=_send(make_quote, sales_rep), actor=acme_contact)
    quote_key = quote_line_key(quote.lines.get())

    order = quote_convert(quote=quote, actor=sales_rep, customer_po="PO-1")

    order_key = order_line_key(order.lines.get())
    assert line_bookings([quote_key]) == {}
    assert set(
        PromiseBooking.objects.filter(line_key=order_key).values_list("reference", flat=True)
    ) == {f"{order.number}/{order.lines.get().position}"}
    # Moved, not booked twice.
    assert _reserved(catalog["motor"]) == 1
    assert _hours(catalog) == Decimal("4")

    order = order_update(
        order=order,
        actor=sales_rep,
        expected_version=order.version,
        delivery_contact_name="Dock lead",
    )
    order = order_transition(order=order, name="confirm", actor=finance)
    assert order.state == OrderState.CONFIRMED
    assert all(PromiseBooking.objects.filter(line_key=order_key).values_list("firm", flat=True))


def test_cancelling_the_order_releases_its_bookings(
    make_quote, sales_rep, sales_manager, acme_contact, catalog
):
    quote = q.quote_accept(quote=_send(make_quote, sales_rep), actor=acme_contact)
    order = quote_convert(quote=quote, actor=sales_rep)
    assert _reserved(catalog["motor"]) == 1

    order_cancel(order=order, actor=sales_manager, reason="Project stopped")

    assert _reserved(catalog["motor"]) == 0
    assert _hours(catalog) == 0
    assert not CapacityReservation.objects.exists()
    assert line_bookings([order_line_key(order.lines.get())]) == {}


def test_a_change_request_adjusts_the_bookings_to_the_new_quantity(
    make_quote, sales_rep, acme_contact, engineer, planner, catalog
):
    quote = q.quote_accept(quote=_send(make_quote, sales_rep), actor=acme_contact)
    order = quote_convert(quote=quote, actor=sales_rep)
    line = order.lines.get()
    cr = change_services.change_request_create(
        actor=acme_contact, order=order, title="Three skids", description="Two more"
    )
    run = change_services.change_request_transition
    cr = run(change_request=cr, name="start_assessment", actor=engineer)
    cr = change_services.change_request_assess(
        change_request=cr, actor=engineer, expected_version=None, engineering_assessment="None"
    )
    cr = change_services.change_request_assess(
        change_request=cr,
        actor=planner,
        expected_version=None,
        manufacturing_assessment="Two more days",
        price_delta=Decimal("0"),
        proposed_changes=[{"line": str(line.pk), "quantity": 3}],
    )
    cr = run(change_request=cr, name="propose", actor=sales_rep)
    cr = run(change_request=cr, name="approve", actor=acme_contact)
    # The order's own booking does not push the re-promise of its own line.
    assert cr.state == "approved"

    run(change_request=cr, name="apply", actor=sales_rep)

    assert _reserved(catalog["motor"]) == 3
    assert _hours(catalog) == Decimal("10")  # 1 h + 3 × 3 h, booked once


def test_a_line_is_booked_once_per_kind(make_quote, sales_rep, acme_contact, catalog):
    quote = q.quote_accept(quote=_send(make_quote, sales_rep), actor=acme_contact)
    key = quote_line_key(quote.lines.get())

    with pytest.raises(IntegrityError), transaction.atomic():
        PromiseBooking.objects.create(line_key=key, kind=BookingKind.STOCK, reference="again")
    # Booking the same line again adjusts its entries instead of adding to them.
    q.quote_recalculate(quote=quote, book=True)
    assert _reserved(catalog["motor"]) == 1
    assert _hours(catalog) == Decimal("4")


def test_the_backlog_of_a_booked_purchase_is_served_first_by_the_next_receipt(
    make_quote, sales_rep, acme_contact, catalog
):
    stock(catalog["motor"], 50, kind=StockEntryKind.RESERVED, reference="SO-000001")
    first = q.quote_accept(quote=_send(make_quote, sales_rep), actor=acme_contact)
    assert PromiseBooking.objects.filter(
        line_key=quote_line_key(first.lines.get()), kind=BookingKind.PURCHASE
    ).exists()
    # Purchasing orders one motor for it, due in 5 days.
    stock(
        catalog["motor"],
        1,
        kind=StockEntryKind.EXPECTED,
        date=timezone.localdate() + dt.timedelta(days=5),
        reference="PO-000001",
    )

    second = q.quote_recalculate(quote=_send(make_quote, sales_rep))

    # That motor is the first quote's: the second still waits for a new order.
    assert "Delta Motors" in second.lines.get().critical_path


def test_delivery_follows_the_shipping_site_receiving_days(make_quote, acme_addresses, catalog):
    site = acme_addresses["shipping"]
    site.receiving_weekdays = "3"  # Wednesdays only
    site.save()

    quote = make_quote()

    assert quote.lines.get().feasible_date.isoweekday() == 3


# -- holding a sent quote's promise until its validity date ----------------------


@pytest.fixture
def holding(acme):
    acme.hold_quote_promises = True
    acme.save()
    return acme


def test_a_customer_can_have_sent_quotes_hold_their_promise(
    holding, make_quote, sales_rep, catalog
):
    stock(catalog["motor"], 49, kind=StockEntryKind.RESERVED, reference="SO-000001")
    held = _send(make_quote, sales_rep)
    assert held.hold_promise
    assert _reserved(catalog["motor"]) == 50
    # A later held quote books a motor still to be bought: it does not take the first's.

    later = q.quote_recalculate(quote=_send(make_quote, sales_rep))

    assert "Delta Motors" in later.lines.get().critical_path
    # Its own hold is not in its way when it is promised again.
    assert q.quote_recalculate(quote=held).lines.get().feasible_date < (
        later.lines.get().feasible_date
    )


@pytest.mark.parametrize("how", ["decline", "expire", "cancel", "revise"])
def test_a_held_quote_releases_its_hold_when_it_ends(
    how, holding, make_quote, sales_rep, acme_contact, catalog
):
    quote = _send(make_quote, sales_rep, qty=2)
    assert _reserved(catalog["motor"]) == 2 and _hours(catalog) == 7

    if how == "decline":
        quote = q.quote_decline(quote=quote, actor=acme_contact)
    elif how == "expire":
        Quote.objects.filter(pk=quote.pk).update(valid_until=timezone.localdate() - dt.timedelta(1))
        quote = q.quote_expire(quote=quote)
    elif how == "cancel":
        quote = q.quote_cancel(quote=quote, actor=sales_rep)
    else:
        quote = q.quote_revise(quote=quote, actor=sales_rep, comment="New price")

    assert _reserved(catalog["motor"]) == 0 and _hours(catalog) == 0
    assert line_bookings([quote_line_key(quote.lines.get())]) == {}


def test_a_single_quote_can_hold_without_the_customer_default(
    make_quote, sales_rep, acme_contact, catalog
):
    quote = make_quote()
    q.quote_update(quote=quote, actor=sales_rep, expected_version=quote.version, hold_promise=True)
    quote = _send(lambda **kw: quote, sales_rep)
    assert _reserved(catalog["motor"]) == 1

    q.quote_accept(quote=quote, actor=acme_contact)

    # Accepting adjusts the hold; it does not add a second one.
    assert _reserved(catalog["motor"]) == 1


def test_re_booking_a_confirmed_line_keeps_it_firm_and_a_multi_line_quote_books_each_line(
    make_quote, sales_rep, acme_contact, finance, catalog
):
    from apps.orders.allocation import order_lines_book
    from apps.orders.services.orders import order_transition, order_update

    quote = make_quote(lines=(("skid", 1, {}, 0), ("skid", 2, {}, 0)))
    quote = q.quote_send(quote=q.quote_submit(quote=quote, actor=sales_rep), actor=sales_rep)
    quote = q.quote_accept(quote=quote, actor=acme_contact)
    assert _reserved(catalog["motor"]) == 3
    order = quote_convert(quote=quote, actor=sales_rep, customer_po="PO-9")
    order = order_update(
        order=order, actor=sales_rep, expected_version=order.version, delivery_contact_name="Dock"
    )
    order = order_transition(order=order, name="confirm", actor=finance)

    order_lines_book(order=order, lines=list(order.lines.select_related("product")), options={})

    keys = [order_line_key(line) for line in order.lines.all()]
    assert all(PromiseBooking.objects.filter(line_key__in=keys).values_list("firm", flat=True))
    assert _reserved(catalog["motor"]) == 3
