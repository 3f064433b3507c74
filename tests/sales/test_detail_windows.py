"""The staff quote and order pages load only the lines they show (the first LINES_SHOWN)
and read what they say about all lines from SQL: the quote's total, the number of
lines behind "Show all", the new dates waiting to be told. Whatever they say must be
what the whole page (`?lines=all`, every line loaded) says."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.db import connection
from django.db.models import F, Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.orders.models import OrderLine, Quote, QuoteLine
from apps.orders.services import changes as change_services
from tests.sales.test_views_list_queries import _more_lines

QUOTE_TOTAL = re.compile(r'data-testid="quote-total">([^<]*)<')


def _html(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def _queries(client, url: str) -> int:
    client.get(url)  # warm-up
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_a_200_line_quote_shows_the_total_of_every_line(client_for, order, sales_rep):
    _more_lines(199, order=order)
    quote = order.quote
    lines = QuoteLine.objects.filter(quote=quote)
    # Lines written behind the services' back: the stored total knows nothing of them.
    lines.filter(position__gte=1100).update(line_total=F("line_total") + Decimal("0.01"))
    expected = lines.aggregate(t=Sum("line_total"))["t"]
    assert expected != Quote.objects.get(pk=quote.pk).total_amount
    client = client_for(sales_rep)
    url = reverse("sales:quote-detail", args=[quote.pk])
    page, every = _html(client, url), _html(client, f"{url}?lines=all")
    assert QUOTE_TOTAL.search(page).group(1) == f"{quote.currency} {expected:,.2f}"
    assert QUOTE_TOTAL.search(page).group(1) == QUOTE_TOTAL.search(every).group(1)
    assert f'<td class="text-end text-nowrap">{expected:,.2f}</td>' in page


def test_new_dates_of_lines_not_shown_count_in_confirm_all(client_for, order, sales_rep):
    _more_lines(199, order=order)
    # 99 lines far below the shown ones have a forecast the customer was not told.
    moved = OrderLine.objects.filter(order=order, position__gte=1100)
    moved.update(forecast_date=F("first_promised_date") + dt.timedelta(days=7))
    assert moved.count() == 99
    client = client_for(sales_rep)
    url = reverse("sales:order-detail", args=[order.pk])
    page, every = _html(client, url), _html(client, f"{url}?lines=all")
    assert "Confirm all 99 new dates to customer" in page
    assert "Confirm all 99 new dates to customer" in every
    assert "Show all 200 lines (175 more)" in page


def test_a_page_with_change_requests_makes_as_many_queries_for_2_and_200_lines(
    client_for, order, sales_rep
):
    change_services.change_request_create(
        actor=sales_rep, order=order, title="More skids", description="Two more"
    )
    change_services.change_request_create(
        actor=sales_rep, order=order, title="Paint", description="Blue"
    )
    client = client_for(sales_rep)
    url = reverse("sales:order-detail", args=[order.pk])
    _more_lines(1, order=order)
    small = _queries(client, url)
    page = _html(client, url)
    assert page.count("data-cr=") == 2
    _more_lines(198, order=order)
    assert _queries(client, url) == small
    assert _html(client, url).count("data-cr=") == 2


def test_a_copied_quote_page_reads_its_origin_without_a_query(
    client_for, order, make_quote, sales_rep
):
    copy = make_quote()
    client = client_for(sales_rep)
    url = reverse("sales:quote-detail", args=[copy.pk])
    plain = _queries(client, url)
    Quote.objects.filter(pk=copy.pk).update(copied_from=order.quote)
    assert _queries(client, url) == plain
    page = _html(client, url)
    assert 'data-testid="copied-from"' in page and order.quote.number in page
    assert reverse("sales:quote-detail", args=[order.quote.pk]) in page


def test_the_pages_read_their_document_fresh_after_a_change_through_a_service(
    client_for, make_quote, order, sales_rep
):
    """The staff pages' queries are compiled once per process (apps.core.prepared):
    only SQL is kept, so what a service changes shows on the next request, and a
    document staff may not see (or that does not exist) is still a 404."""
    from apps.orders.services import orders as order_services
    from apps.orders.services import quotes as quote_services

    client = client_for(sales_rep)
    quote = make_quote(title="First title")
    quote_url = reverse("sales:quote-detail", args=[quote.pk])
    assert "First title" in _html(client, quote_url)
    quote_services.quote_update(quote=quote, actor=sales_rep, expected_version=None, title="Later")
    page = _html(client, quote_url)
    assert "Later" in page and "First title" not in page
    order_url = reverse("sales:order-detail", args=[order.pk])
    assert "NEW-PO-9" not in _html(client, order_url)
    order_services.order_update(
        order=order, actor=sales_rep, expected_version=None, customer_po="NEW-PO-9"
    )
    assert "NEW-PO-9" in _html(client, order_url)
    # Another document's page reads that one; an unknown id is a 404.
    assert order.quote.number in _html(client, reverse("sales:quote-detail", args=[order.quote.pk]))
    assert client.get(reverse("sales:quote-detail", args=[order.pk])).status_code == 404
    assert client.get(reverse("sales:order-detail", args=[quote.pk])).status_code == 404
