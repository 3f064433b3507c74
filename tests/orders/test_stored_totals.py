"""Totals stored on the documents for the lists, kept right by the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.urls import reverse
from rest_framework.test import APIClient

from apps.orders.models import Quote, SalesOrder
from apps.orders.services import quotes as q
from apps.orders.services.orders import order_line_reforecast


def _stored(quote: Quote) -> tuple[Decimal, int]:
    quote.refresh_from_db()
    return quote.total_amount, quote.line_count


def test_line_add_change_and_delete_keep_the_quote_total(make_quote, sales_rep, catalog):
    quote = make_quote(lines=[("skid", 2, {}, 0)])
    assert _stored(quote) == (quote.total, 1) and quote.total > 0
    line = q.quote_line_add(quote=quote, actor=sales_rep, product=catalog["cabinet"], quantity=1)
    assert _stored(quote) == (quote.total, 2)
    q.quote_line_update(line=line, actor=sales_rep, quantity=3)
    assert _stored(quote) == (quote.total, 2)
    q.quote_line_delete(line=line, actor=sales_rep)
    assert _stored(quote) == (quote.total, 1)
    quote.lines.all().delete()
    assert q.quote_refresh_totals(quote=quote).total_amount == 0 and _stored(quote) == (0, 0)


def test_adding_a_line_rewrites_only_the_lines_whose_promise_moved(make_quote, sales_rep, catalog):
    quote = make_quote(lines=[("cabinet", 1, {}, 0)] * 3)
    before = {line.pk: line.updated_at for line in quote.lines.all()}
    q.quote_line_add(quote=quote, actor=sales_rep, product=catalog["skid"], quantity=1)
    after = {line.pk: line.updated_at for line in quote.lines.all()}
    assert all(after[pk] == when for pk, when in before.items())


def test_conversion_and_reforecast_keep_the_order_dates(order, sales_rep):
    order.refresh_from_db()
    line = order.lines.get()
    assert order.line_count == 1
    assert order.next_forecast_date == order.last_forecast_date == line.forecast_date
    later = line.forecast_date + dt.timedelta(days=9)
    order_line_reforecast(line=line, actor=sales_rep, new_date=later, reason="Motor late")
    order.refresh_from_db()
    assert order.next_forecast_date == order.last_forecast_date == later


def test_api_quote_list_shows_and_sorts_by_the_total(make_quote, sales_rep):
    # Issue 6: ?ordering=total_amount answered 500 and the list had no total.
    cheap = make_quote(lines=[("cabinet", 1, {}, 0)])
    dear = make_quote(lines=[("skid", 3, {}, 0)])
    client = APIClient()
    client.force_authenticate(sales_rep)
    for ordering, first in (("-total_amount", dear), ("total_amount", cheap)):
        res = client.get(reverse("quote-list"), {"ordering": ordering})
        assert res.status_code == 200
        rows = res.json()["results"]
        assert rows[0]["number"] == first.number
        assert Decimal(rows[0]["total"]) == first.total and rows[0]["line_count"] == 1


def test_api_order_list_sorts_by_total(order, sales_rep):
    client = APIClient()
    client.force_authenticate(sales_rep)
    res = client.get(reverse("order-list"), {"ordering": "-total"})
    assert res.status_code == 200
    assert res.json()["results"][0]["total"] == f"{SalesOrder.objects.get().total:.2f}"
    assert res.json()["results"][0]["line_count"] == 1


def test_customer_lookup_answers_matching_options_to_staff_only(
    client_for, sales_rep, acme, borealis, acme_contact
):
    url = reverse("sales:customer-lookup")
    html = client_for(sales_rep).get(url, {"q": "brew"}).content.decode()
    assert f'value="{borealis.pk}"' in html and str(acme.pk) not in html
    assert "Any customer" in html
    assert client_for(acme_contact).get(url, {"q": "acme"}).status_code == 404


def test_customer_filter_renders_only_the_chosen_customer(client_for, sales_rep, acme, borealis):
    client = client_for(sales_rep)
    html = client.get(reverse("sales:quote-list")).content.decode()
    assert str(acme.pk) not in html and str(borealis.pk) not in html
    html = client.get(reverse("sales:quote-list"), {"customer": str(borealis.pk)}).content.decode()
    assert f'value="{borealis.pk}" selected' in html and str(acme.pk) not in html
