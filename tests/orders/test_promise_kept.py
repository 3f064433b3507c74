"""The first promise is kept as the customer saw it (issue 9, DESIGN §5).

The `catalog` fixture keeps 50 motors in stock (Delta Motors supplies more in
14 days); tests that need "the last unit" reserve the other 49 first, so a
quote sent while one motor is free is promised from stock, and a quote that
is accepted after another took that motor can only be booked on Delta's lead
time.
"""

from __future__ import annotations

import datetime as dt

import pytest

from apps.orders.models import OrderLineDateChange, QuoteState, SlipCause
from apps.orders.services import quotes as q
from apps.orders.services.documents import quote_document_content
from apps.orders.services.orders import quote_convert
from tests.catalog.factories import stock

pytestmark = pytest.mark.django_db


def _sent(make_quote, sales_rep, **fields):
    quote = make_quote(**fields)
    return q.quote_send(quote=q.quote_submit(quote=quote, actor=sales_rep), actor=sales_rep)


def _last_motor(catalog) -> None:
    from apps.catalog.models import StockEntryKind

    stock(catalog["motor"], 49, kind=StockEntryKind.RESERVED, reference="SO-000001")


def test_sending_freezes_each_line_promise_and_the_document_shows_it(make_quote, sales_rep):
    quote = _sent(make_quote, sales_rep)
    line = quote.lines.get()

    assert line.sent_promised_date == line.feasible_date
    assert not line.sent_expedited
    content = quote_document_content(quote)
    assert content["lines"][0]["promised_date"] == line.sent_promised_date.isoformat()


def test_a_later_promised_date_given_by_sales_is_the_sent_promise(make_quote, sales_rep):
    quote = make_quote()
    later = quote.lines.get().feasible_date + dt.timedelta(days=10)
    q.quote_update(
        quote=quote, actor=sales_rep, expected_version=quote.version, promised_date=later
    )
    quote = q.quote_send(quote=q.quote_submit(quote=quote, actor=sales_rep), actor=sales_rep)

    line = quote.lines.get()
    assert line.sent_promised_date == later
    assert not line.sent_expedited


def test_accepting_moves_the_feasible_date_but_not_the_date_the_customer_accepted(
    make_quote, sales_rep, acme_contact, catalog
):
    _last_motor(catalog)
    first = _sent(make_quote, sales_rep)
    second = _sent(make_quote, sales_rep)
    shown = first.lines.get().sent_promised_date
    assert second.lines.get().sent_promised_date == shown

    q.quote_accept(quote=second, actor=acme_contact)  # takes the last motor
    first = q.quote_accept(quote=first, actor=acme_contact)

    line = first.lines.get()
    assert line.feasible_date > shown
    assert line.sent_promised_date == shown


def test_revising_and_resending_refreezes_the_promise(make_quote, sales_rep, catalog):
    _last_motor(catalog)
    quote = _sent(make_quote, sales_rep)
    shown = quote.lines.get().sent_promised_date
    stock(catalog["motor"], -1, reference="scrap")  # the last motor is gone

    quote = q.quote_revise(quote=quote, actor=sales_rep, comment="new dates")
    quote = q.quote_send(quote=q.quote_submit(quote=quote, actor=sales_rep), actor=sales_rep)

    line = quote.lines.get()
    assert line.sent_promised_date == line.feasible_date > shown


def test_conversion_after_another_quote_took_the_stock_keeps_the_accepted_date(
    make_quote, sales_rep, sales_manager, acme_contact, catalog
):
    _last_motor(catalog)
    first = _sent(make_quote, sales_rep)
    second = _sent(make_quote, sales_rep)
    shown = first.lines.get().sent_promised_date
    q.quote_accept(quote=second, actor=acme_contact)
    first = q.quote_accept(quote=first, actor=acme_contact)
    booked = first.lines.get().feasible_date

    order = quote_convert(quote=first, actor=sales_manager, customer_po="PO-1")

    line = order.lines.get()
    assert line.first_promised_date == shown
    assert line.forecast_date == booked > shown
    assert line.at_risk
    assert "Delta Motors" in line.critical_path  # what the booking found, not the quote's
    # Not told to the customer yet: the release timer runs.
    assert line.customer_date == shown
    assert line.customer_forecast_date is None
    assert line.forecast_release_due is not None
    change = OrderLineDateChange.objects.get(line=line)
    assert (change.old_date, change.new_date) == (shown, booked)
    assert change.cause == SlipCause.CONVERSION
    assert change.released_at is None
    assert "Delta Motors" in change.reason
    order.refresh_from_db()
    assert order.at_risk_count == 1
    assert order.last_forecast_date == booked
    # The rep who owns the order hears of it at once, with the line.
    note = sales_rep.notifications.get(title__contains=order.number)
    assert "at risk" in note.title
    assert f"Line {line.position}" in note.body
    assert note.url.endswith(f"/sales/orders/{order.pk}/")


def test_conversion_when_nothing_changed_records_no_slip(accepted_quote, sales_rep, sales_manager):
    shown = accepted_quote.lines.get().sent_promised_date

    order = quote_convert(quote=accepted_quote, actor=sales_manager)

    line = order.lines.get()
    assert line.first_promised_date == line.forecast_date == shown
    assert not line.at_risk
    assert not OrderLineDateChange.objects.filter(line=line).exists()
    assert not sales_rep.notifications.filter(title__contains="at risk").exists()


def test_an_expedite_approved_by_manufacturing_is_kept_as_promise_and_forecast(
    make_quote, sales_rep, planner, acme_contact, catalog
):
    quote = make_quote()
    feasible = quote.lines.get().feasible_date
    earlier = feasible - dt.timedelta(days=5)
    quote = q.quote_update(
        quote=quote, actor=sales_rep, expected_version=quote.version, promised_date=earlier
    )
    quote = q.quote_submit(quote=quote, actor=sales_rep)
    review = quote.reviews.get(department="manufacturing")
    assert "before the feasible" in review.reasons
    q.quote_review_decide(review=review, actor=planner, decision="approve")
    quote.refresh_from_db()
    assert quote.state == QuoteState.APPROVED
    quote = q.quote_send(quote=quote, actor=sales_rep)
    line = quote.lines.get()
    assert (line.sent_promised_date, line.sent_expedited) == (earlier, True)
    assert quote_document_content(quote)["lines"][0]["promised_date"] == earlier.isoformat()
    quote = q.quote_accept(quote=quote, actor=acme_contact)

    order = quote_convert(quote=quote, actor=sales_rep)

    line = order.lines.get()
    assert line.first_promised_date == line.forecast_date == earlier
    assert not line.at_risk
    assert not OrderLineDateChange.objects.filter(line=line).exists()


def test_the_customer_api_shows_the_sent_promise_of_each_line(make_quote, sales_rep, acme_contact):
    from rest_framework.test import APIClient

    quote = _sent(make_quote, sales_rep)
    client = APIClient()
    client.force_authenticate(acme_contact)

    (line,) = client.get(f"/api/v1/quotes/{quote.pk}/").json()["lines"]
    assert line["sent_promised_date"] == quote.lines.get().sent_promised_date.isoformat()
    assert "critical_path" not in line and "unit_cost" not in line
