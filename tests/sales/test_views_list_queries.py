"""Exact query counts of every list and detail page, staff and portal, HTML and API.

Each is measured at two sizes (3 and 30 documents; 2-line and 200-line
documents) and must be the same number: lists select the page's ids first and
read stored totals (apps.core.lists), details prefetch their lines.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.core.pages import LINES_SHOWN
from apps.core.permissions import grant_org_access
from apps.orders.models import (
    ChangeRequest,
    OrderLine,
    Quote,
    QuoteLine,
    QuoteState,
    SalesOrder,
)
from tests.query_counts import queries


def _more_documents(n: int, *, order, sales_rep, acme) -> None:
    """n more sent quotes, each converted to an order, granted to Acme like the services do."""
    today = timezone.localdate()
    start = Quote.objects.count()
    template_line = order.quote.lines.first()
    quotes = Quote.objects.bulk_create(
        Quote(
            number=f"Q-8{start + i:05d}",
            customer=acme,
            owner=sales_rep,
            valid_until=today + dt.timedelta(days=30),
            total_amount=Decimal("10"),
            line_count=1,
        )
        for i in range(n)
    )
    Quote.objects.filter(pk__in=[q.pk for q in quotes]).update(
        state=QuoteState.CONVERTED, sent_at=timezone.now()
    )
    QuoteLine.objects.bulk_create(
        QuoteLine(
            quote=q,
            product=template_line.product,
            quantity=1,
            unit_list_price=Decimal("10"),
            unit_price=Decimal("10"),
            unit_cost=Decimal("5"),
            line_total=Decimal("10"),
            margin_percent=Decimal("50"),
        )
        for q in quotes
    )
    orders = SalesOrder.objects.bulk_create(
        SalesOrder(
            number=f"SO-8{start + i:05d}",
            quote=q,
            quote_revision=0,
            customer=acme,
            owner=sales_rep,
            currency="USD",
            payment_terms="net30",
            total=Decimal("10"),
            line_count=1,
            next_forecast_date=today,
            last_forecast_date=today,
        )
        for i, q in enumerate(quotes)
    )
    ChangeRequest.objects.bulk_create(
        ChangeRequest(
            number=f"CR-8{start + i:05d}",
            order=o,
            customer=acme,
            requested_by=sales_rep,
            title="Later delivery",
            description="Please deliver a week later.",
        )
        for i, o in enumerate(orders)
    )
    for obj in [*quotes, *orders, *ChangeRequest.objects.filter(number__startswith="CR-8")]:
        grant_org_access(obj, acme)


def _more_lines(n: int, *, order) -> None:
    """n more lines on the order and on its quote (a 200-line document)."""
    quote_line = order.quote.lines.first()
    order_line = order.lines.first()
    q_fields = {f.attname: getattr(quote_line, f.attname) for f in QuoteLine._meta.concrete_fields}
    o_fields = {f.attname: getattr(order_line, f.attname) for f in OrderLine._meta.concrete_fields}
    QuoteLine.objects.bulk_create(
        QuoteLine(**{**q_fields, "id": uuid.uuid4(), "position": 1000 + i}) for i in range(n)
    )
    OrderLine.objects.bulk_create(
        OrderLine(**{**o_fields, "id": uuid.uuid4(), "quote_line_id": None, "position": 1000 + i})
        for i in range(n)
    )


def _count(client, url) -> int:
    client.get(url)  # warm-up: content types and other per-process caches
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


# The exact numbers are rows of tests/query_counts.py (who: fixture; api: token call).
WHO = {
    "staff": "sales_rep",
    "contact": "acme_contact",
    "staff-api": "api:sales_rep",
    "contact-api": "api:acme_contact",
}
LIST_PAGES = [
    ("staff", "sales:quote-list"),
    ("staff", "sales:order-list"),
    ("staff", "sales:customer-list"),
    ("contact", "customers:quote-list"),
    ("contact", "customers:order-list"),
    ("contact", "customers:dashboard"),
    ("staff", "core:dashboard"),
    ("staff", "core:notification-list"),
    ("staff-api", "quote-list"),
    ("staff-api", "order-list"),
    ("staff-api", "change-request-list"),
    ("contact-api", "quote-list"),
    ("contact-api", "order-list"),
    ("contact-api", "change-request-list"),
    ("staff-api", "organization-list"),
    ("contact-api", "organization-list"),
]
DETAIL_PAGES = [
    ("staff", "sales:quote-detail", "quote"),
    ("staff", "sales:order-detail", "order"),
    ("contact", "customers:quote-detail", "quote"),
    ("contact", "customers:order-detail", "order"),
    ("staff-api", "quote-detail", "quote"),
    ("staff-api", "order-detail", "order"),
    ("contact-api", "quote-detail", "quote"),
    ("contact-api", "order-detail", "order"),
]


@pytest.fixture
def clients(client, sales_rep, acme_contact, token_api):
    from django.test import Client

    staff = Client()
    staff.force_login(sales_rep)
    contact = Client()
    contact.force_login(acme_contact)
    return {
        "staff": staff,
        "contact": contact,
        "staff-api": token_api(sales_rep),
        "contact-api": token_api(acme_contact),
    }


@pytest.mark.parametrize(("who", "name"), LIST_PAGES)
def test_list_pages_make_the_same_queries_for_3_and_30_documents(
    clients, order, sales_rep, acme, who, name
):
    client = clients[who]
    url = reverse(name)
    _more_documents(2, order=order, sales_rep=sales_rep, acme=acme)
    small = _count(client, url)
    _more_documents(27, order=order, sales_rep=sales_rep, acme=acme)
    large = _count(client, url)
    assert (small, large) == (queries(name, WHO[who]),) * 2


# A list filtered by customer (and state): the customer is validated by one query and
# its option in the filter bar is written from that same row, never read again.
FILTERED_LISTS = [
    ("sales:quote-list", "?customer=", {}),
    ("sales:order-list", "?customer=&state=", {"state": "pending"}),
]


@pytest.mark.parametrize(("name", "scenario", "extra"), FILTERED_LISTS)
def test_lists_filtered_by_customer_read_the_customer_once(
    clients, order, sales_rep, acme, name, scenario, extra
):
    client = clients["staff"]
    url = reverse(name)
    params = {"customer": str(acme.pk), **extra}
    _more_documents(2, order=order, sales_rep=sales_rep, acme=acme)
    client.get(url, params)  # warm-up
    with CaptureQueriesContext(connection) as small:
        first = client.get(url, params)
    _more_documents(27, order=order, sales_rep=sales_rep, acme=acme)
    with CaptureQueriesContext(connection) as large:
        client.get(url, params)
    expected = queries(name, f"sales_rep · {scenario}")
    assert (len(small), len(large)) == (expected, expected)
    reads = [q["sql"] for q in large.captured_queries if 'FROM "accounts_organization"' in q["sql"]]
    assert len([q for q in reads if q.startswith("SELECT")]) == 1, reads
    # The chosen customer is still the select's chosen option, by name.
    page = first.content.decode()
    assert f'<option value="{acme.pk}" selected>{acme.name}</option>' in page


@pytest.mark.parametrize(("name", "scenario", "extra"), FILTERED_LISTS)
def test_a_customer_that_is_not_one_is_not_chosen_in_the_filter(clients, name, scenario, extra):
    unknown = str(uuid.uuid4())
    page = clients["staff"].get(reverse(name), {"customer": unknown, **extra})
    assert page.status_code == 200
    text = page.content.decode()
    # (validated and refused: no row to write the option from, none read again)
    assert f'<option value="{unknown}"' not in text
    assert "Any customer</option>" in text


@pytest.mark.parametrize(("who", "name", "target"), DETAIL_PAGES)
def test_detail_pages_make_the_same_queries_for_2_and_200_lines(clients, order, who, name, target):
    client = clients[who]
    obj = order if target == "order" else order.quote
    url = reverse(name, args=[obj.pk])
    _more_lines(1, order=order)
    small = _count(client, url)
    _more_lines(198, order=order)
    large = _count(client, url)
    assert (small, large) == (queries(name, WHO[who]),) * 2


def test_the_portal_order_page_never_loads_the_bom(clients, order):
    url = reverse("customers:order-detail", args=[order.pk])
    with CaptureQueriesContext(connection) as ctx:
        assert clients["contact"].get(url).status_code == 200
    assert not any("orderlinecomponent" in q["sql"] for q in ctx.captured_queries)
    with CaptureQueriesContext(connection) as ctx:
        assert (
            # (each line's details are read when its row is opened; ?sections=all: inline)
            clients["staff"]
            .get(reverse("sales:order-detail", args=[order.pk]), {"sections": "all"})
            .status_code
            == 200
        )
    assert any("orderlinecomponent" in q["sql"] for q in ctx.captured_queries)


# -- 200-line documents: the first LINES_SHOWN lines, the rest behind "Show all" ----------

# (who, url name, target, what marks one line's row in the page)
LINE_WINDOW_PAGES = [
    ("staff", "sales:quote-detail", "quote", '<tr data-line="'),
    ("staff", "sales:order-detail", "order", '<tr data-line="'),
    ("contact", "customers:quote-detail", "quote", 'data-label="Qty"'),
    ("contact", "customers:order-detail", "order", 'data-label="Qty"'),
]
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"|"X-CSRFToken": "[^"]*"')


def _page(client, url, **headers) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, (url, response.status_code)
    return CSRF.sub("csrf", response.content.decode())


def _detail_with_lines(order, name: str, target: str, lines: int) -> str:
    """The detail URL of the order or its quote, both grown to `lines` lines."""
    _more_lines(lines - 1, order=order)
    return reverse(name, args=[(order if target == "order" else order.quote).pk])


@pytest.mark.parametrize(("who", "name", "target", "row"), LINE_WINDOW_PAGES)
def test_a_200_line_document_shows_its_first_lines_and_the_rest_on_demand(
    clients, order, who, name, target, row
):
    client = clients[who]
    url = _detail_with_lines(order, name, target, 200)
    page = _page(client, url)
    assert page.count(row) == LINES_SHOWN
    assert 'data-testid="more-lines"' in page
    assert f"Show all 200 lines ({200 - LINES_SHOWN} more)" in page
    assert f'hx-get="{url}?lines=all"' in page
    # Without JavaScript the link opens the whole page with every line.
    every = _page(client, f"{url}?lines=all")
    assert every.count(row) == 200
    assert 'data-testid="more-lines"' not in every
    # htmx fetches only the rows: the same rows the whole page shows, nothing else.
    with CaptureQueriesContext(connection) as ctx:
        rows = _page(client, f"{url}?lines=all", HX_Request="true")
    assert "<html" not in rows and f'data-testid="{target}-lines"' not in rows
    assert rows.count(row) == 200
    assert rows.strip() in every
    # As constant as the page itself: the rows come with the document's prefetch.
    assert len(ctx.captured_queries) == queries(name, f"{WHO[who]} · htmx ?lines=all")


@pytest.mark.parametrize(("who", "name", "target", "row"), LINE_WINDOW_PAGES)
def test_a_short_document_renders_as_it_did_with_every_line(clients, order, who, name, target, row):
    client = clients[who]
    url = _detail_with_lines(order, name, target, LINES_SHOWN)
    page = _page(client, url)
    assert page.count(row) == LINES_SHOWN
    assert 'data-testid="more-lines"' not in page
    assert page == _page(client, f"{url}?lines=all")


def test_the_portal_rows_keep_costs_and_other_customers_out(clients, order, borealis_contact):
    from django.test import Client

    _more_lines(199, order=order)
    stranger = Client()
    stranger.force_login(borealis_contact)
    for name, obj in (
        ("customers:quote-detail", order.quote),
        ("customers:order-detail", order),
    ):
        url = reverse(name, args=[obj.pk]) + "?lines=all"
        rows = _page(clients["contact"], url, HX_Request="true")
        assert rows.count('data-label="Qty"') == 200
        assert "unit-cost" not in rows and "critical-path" not in rows
        assert "Date changes" not in rows and "components" not in rows
        assert stranger.get(url, headers={"HX-Request": "true"}).status_code == 404
    # Staff routes stay closed to contacts, rows or not.
    staff_url = reverse("sales:order-detail", args=[order.pk]) + "?lines=all"
    assert clients["contact"].get(staff_url, headers={"HX-Request": "true"}).status_code == 404
