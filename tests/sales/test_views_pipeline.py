"""Opportunity pages, the pipeline board (htmx moves that swap only the board) and
the forecast page."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from apps.orders.models import Quote
from apps.sales.models import Opportunity, OpportunityState
from tests.sales.sales_helpers import opportunity, qualified, web_inquiry

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def test_the_board_shows_every_stage_with_counts(client_for, sales_rep, engineer, acme):
    opportunity(sales_rep, acme, title="Skid A")
    lost = opportunity(sales_rep, acme, title="Skid B")
    from apps.sales import services

    services.opportunity_transition(opportunity=lost, name="lose", actor=sales_rep, comment="No")
    page = client_for(engineer).get(reverse("sales:pipeline")).content.decode()
    stages = re.findall(r'data-stage="(\w+)" aria-labelledby', page)
    assert stages == ["open", "quoting", "won", "lost"]
    assert "Skid A" in page and "Skid B" in page
    assert 'draggable="true"' not in page  # engineers read the board; they do not move cards
    page = client_for(sales_rep).get(reverse("sales:pipeline")).content.decode()
    assert 'draggable="true"' in page
    # An open card without a quote offers "Start quoting" disabled, with why.
    assert "Cannot start quoting yet: it has no quote yet (use “New quote”)." in page


def test_a_move_swaps_only_the_board(client_for, sales_rep, acme):
    opp = opportunity(sales_rep, acme)
    url = reverse("sales:pipeline-move", args=[opp.pk, "lose"])
    response = client_for(sales_rep).post(url, {"comment": "Rival", "version": opp.version}, **HX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="pipeline-board"')
    assert "<html" not in body
    assert f"{opp.number}: mark lost (say why)." in body
    opp.refresh_from_db()
    assert opp.state == OpportunityState.LOST


def test_a_refused_move_shows_the_reason(client_for, sales_rep, acme):
    opp = opportunity(sales_rep, acme)
    client = client_for(sales_rep)
    response = client.post(reverse("sales:pipeline-move", args=[opp.pk, "win"]), **HX)
    assert response.status_code == 422
    assert f"{opp.number}: Cannot win a opportunity that is open." in response.content.decode()
    response = client.post(reverse("sales:pipeline-move", args=[opp.pk, "lose"]), **HX)
    assert response.status_code == 422
    assert "Say why the opportunity was lost." in response.content.decode()
    stale = client.post(
        reverse("sales:pipeline-move", args=[opp.pk, "lose"]),
        {"comment": "x", "version": opp.version + 1},
        **HX,
    )
    assert stale.status_code == 422 and "changed by someone else" in stale.content.decode()
    plain = client.post(reverse("sales:pipeline-move", args=[opp.pk, "win"]))
    assert plain.status_code == 409
    assert Opportunity.objects.get(pk=opp.pk).state == OpportunityState.OPEN


def test_other_staff_may_not_move(client_for, sales_rep, finance, acme):
    opp = opportunity(sales_rep, acme)
    url = reverse("sales:pipeline-move", args=[opp.pk, "lose"])
    response = client_for(finance).post(url, {"comment": "x"}, **HX)
    assert response.status_code == 422
    assert "You may not lose this opportunity." in response.content.decode()


def test_new_quote_from_the_opportunity_page(client_for, sales_rep, acme, acme_addresses, catalog):
    opp = opportunity(sales_rep, acme)
    client = client_for(sales_rep)
    page = client.get(reverse("sales:opportunity-detail", args=[opp.pk])).content.decode()
    assert 'data-testid="new-quote"' in page and "No quotes yet" in page
    response = client.post(reverse("sales:opportunity-quote-create", args=[opp.pk]))
    quote = Quote.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("sales:quote-detail", args=[quote.pk])
    opp.refresh_from_db()
    assert opp.state == OpportunityState.QUOTING
    page = client.get(reverse("sales:opportunity-detail", args=[opp.pk])).content.decode()
    assert quote.number in page


def test_the_new_quote_button_is_disabled_for_others_with_why(client_for, sales_rep, planner, acme):
    opp = opportunity(sales_rep, acme)
    page = client_for(planner).get(reverse("sales:opportunity-detail", args=[opp.pk])).content
    assert b"Only sales create quotes." in page
    response = client_for(planner).post(reverse("sales:opportunity-quote-create", args=[opp.pk]))
    assert response.status_code == 403


def test_the_opportunity_edit_form(client_for, sales_rep, acme):
    opp = opportunity(sales_rep, acme)
    client = client_for(sales_rep)
    url = reverse("sales:opportunity-update", args=[opp.pk])
    data = {
        "edit-title": opp.title,
        "edit-amount": "150000",
        "edit-currency": "USD",
        "edit-probability": "120",
        "edit-expected_close_date": "2031-06-30",
        "edit-owner": sales_rep.pk,
        "edit-version": opp.version,
    }
    bad = client.post(url, data)
    assert bad.status_code == 400
    assert "Ensure this value is less than or equal to 100." in bad.content.decode()
    ok = client.post(url, {**data, "edit-probability": "60"})
    assert ok.status_code == 302
    opp.refresh_from_db()
    assert (opp.amount, opp.probability) == (Decimal("150000"), 60)


def test_the_forecast_page_shows_the_months_and_the_chart(client_for, sales_rep, engineer, acme):
    opportunity(
        sales_rep,
        acme,
        amount=Decimal("100000"),
        probability=40,
        expected_close_date=dt.date(2031, 1, 10),
    )
    qualified(
        web_inquiry(),
        sales_rep,
        estimated_value=Decimal("60000"),
        expected_close_date=dt.date(2031, 2, 10),
    )
    page = client_for(engineer).get(reverse("sales:forecast")).content.decode()
    assert 'data-testid="forecast-chart"' in page
    jan = page.split('data-month="2031-01"')[1].split("</tr>")[0]
    feb = page.split('data-month="2031-02"')[1].split("</tr>")[0]
    total = page.split('data-month="total"')[1].split("</tr>")[0]
    assert "40,000.00" in jan and "6,000.00" in feb and "46,000.00" in total
    # The busiest month's bar spans the chart; the other is in proportion (6000 / 40000).
    assert 'width="100.000"' in page and 'width="15.000"' in page


def test_the_forecast_ignores_an_unknown_currency(client_for, sales_rep):
    response = client_for(sales_rep).get(reverse("sales:forecast") + "?currency=<script>")
    assert response.status_code == 200
    assert b"Nothing to forecast" in response.content


def test_the_sales_dashboard_counts_the_inquiries_waiting(client_for, sales_rep, engineer):
    web_inquiry()
    web_inquiry()
    qualified(web_inquiry(), sales_rep)
    page = client_for(sales_rep).get("/").content.decode()
    panel = page.split("Inquiries to work on")[1].split("</section>")[0]
    assert "?state=new" in panel and "?state=qualified" in panel
    assert re.search(r"New.*?>\s*2\s*<", panel, re.S)
    assert "Inquiries to work on" not in client_for(engineer).get("/").content.decode()


def _board_queries(client) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(reverse("sales:pipeline"))  # warm the per-process caches
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("sales:pipeline"))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_board_query_count_is_the_same_for_3_and_30_cards(client_for, sales_rep, acme):
    client = client_for(sales_rep)
    for i in range(3):
        opportunity(sales_rep, acme, title=f"Skid {i}")
    small = _board_queries(client)
    for i in range(27):
        opportunity(sales_rep, acme, title=f"Pump {i}")
    page = client.get(reverse("sales:pipeline")).content.decode()
    assert page.count('class="card pipeline-card') == 20  # a column shows its newest 20
    assert "10 more" in page
    # session, user, roles; counts and totals per stage; the cards of each stage (4).
    assert _board_queries(client) == small == 8


def test_the_board_links_each_card_and_its_moves(client_for, sales_rep, acme):
    opp = opportunity(sales_rep, acme, title="Skid A")
    page = client_for(sales_rep).get(reverse("sales:pipeline")).content.decode()
    assert f'href="{reverse("sales:opportunity-detail", args=[opp.pk])}">{opp.number}' in page
    assert f'data-moves-url="{reverse("sales:pipeline")}{opp.pk}/moves/"' in page
    move = reverse("sales:pipeline-move", args=[opp.pk, "start_quoting"])
    assert f'action="{move}" hx-post="{move}"' in page
