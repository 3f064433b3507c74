"""Exact query counts of the inquiry and opportunity lists, the pipeline board and
the forecast, HTML and API, at 3 and 30 rows: the same number at both sizes."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.sales.models import (
    Inquiry,
    InquiryState,
    Opportunity,
    OpportunityQuote,
    OpportunityState,
)
from tests.query_counts import queries

pytestmark = pytest.mark.django_db


def _more(n: int, *, sales_rep, acme, quote) -> None:
    """n inquiries (a third qualified) and n opportunities spread over the stages."""
    start = Inquiry.objects.count()
    today = timezone.localdate()
    Inquiry.objects.bulk_create(
        Inquiry(
            number=f"INQ-9{start + i:05d}",
            source="web",
            state=InquiryState.QUALIFIED if i % 3 == 0 else InquiryState.NEW,
            contact_name="Dana",
            contact_email=f"d{i}@x.example",
            company_name=f"Company {i}",
            subject="Skids",
            message="Two skids.",
            estimated_value=Decimal("1000"),
            expected_close_date=today + dt.timedelta(days=30 * (i % 6)),
            owner=sales_rep,
            form_token=uuid.uuid4(),
        )
        for i in range(n)
    )
    stages = list(OpportunityState)
    opps = Opportunity.objects.bulk_create(
        Opportunity(
            number=f"OPP-9{start + i:05d}",
            title=f"Deal {i}",
            customer=acme,
            owner=sales_rep,
            amount=Decimal("5000"),
            probability=30,
            expected_close_date=today + dt.timedelta(days=30 * (i % 6)),
            state=stages[i % len(stages)],
        )
        for i in range(n)
    )
    # Every opportunity shows its quotes in the API: link each to the one quote's twin.
    if not OpportunityQuote.objects.filter(quote=quote).exists():
        OpportunityQuote.objects.create(opportunity=opps[0], quote=quote)


def _count(client, url, **headers) -> int:
    client.get(url, **headers)  # warm-up: content types and other per-process caches
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **headers)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


# url -> route name of tests/query_counts.py, where the exact numbers are
PAGES = {
    "/sales/inquiries/": "sales:inquiry-list",
    "/sales/opportunities/": "sales:opportunity-list",
    "/sales/pipeline/": "sales:pipeline",
    "/sales/forecast/": "sales:forecast",
}
API = {
    "/api/v1/inquiries/": "inquiry-list",
    "/api/v1/opportunities/": "opportunity-list",
}


@pytest.mark.parametrize("url", list(PAGES))
def test_pages_make_the_same_queries_for_3_and_30_rows(url, sales_rep, acme, make_quote):
    quote = make_quote()
    client = Client()
    client.force_login(sales_rep)
    _more(3, sales_rep=sales_rep, acme=acme, quote=quote)
    small = _count(client, url)
    _more(27, sales_rep=sales_rep, acme=acme, quote=quote)
    large = _count(client, url)
    assert (small, large) == (queries(PAGES[url], "sales_rep"),) * 2


@pytest.mark.parametrize("url", list(API))
def test_api_lists_make_the_same_queries_for_3_and_30_rows(
    url, sales_rep, acme, make_quote, token_api
):
    quote = make_quote()
    api = token_api(sales_rep)
    _more(3, sales_rep=sales_rep, acme=acme, quote=quote)
    small = _count(api, url)
    _more(27, sales_rep=sales_rep, acme=acme, quote=quote)
    large = _count(api, url)
    assert (small, large) == (queries(API[url], "api:sales_rep"),) * 2
