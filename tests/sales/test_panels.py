"""The sales desk's dashboard queues (apps/sales/panels.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.orders.models import Quote
from apps.orders.services import quotes as quote_services

pytestmark = pytest.mark.django_db


def _panel(html: str, key: str) -> str:
    return html.split(f'data-panel="{key}"', 1)[1].split("</section>", 1)[0]


def test_a_rep_sees_own_drafts_and_sent_quotes_with_the_expiring_highlighted(
    client_for, sales_rep, sales_manager, make_quote
):
    draft = make_quote(title="Draft for Acme")
    someone_elses = make_quote(title="Manager's draft", owner=sales_manager)
    sent = quote_services.quote_submit(quote=make_quote(title="Sent one"), actor=sales_rep)
    sent = quote_services.quote_send(quote=sent, actor=sales_rep)
    Quote.objects.filter(pk=sent.pk).update(valid_until=timezone.localdate() + dt.timedelta(2))
    html = client_for(sales_rep).get("/").content.decode()
    drafts = _panel(html, "my-drafts")
    assert draft.number in drafts
    assert someone_elses.number not in drafts
    assert 'href="/sales/quotes/?state=draft"' in drafts
    waiting = _panel(html, "awaiting-customer")
    assert sent.number in waiting
    assert 'data-testid="panel-alert">1 expiring<' in waiting
    assert 'data-alert="true"' in waiting
    assert 'data-panel="pending-orders"' in html


def test_a_rep_sees_pending_orders(client_for, sales_rep, order):
    panel = _panel(client_for(sales_rep).get("/").content.decode(), "pending-orders")
    assert order.number in panel
    assert 'data-testid="panel-count">1<' in panel


def test_a_manager_sees_quotes_awaiting_approval(client_for, sales_manager, sales_rep, make_quote):
    quote = make_quote(lines=(("dosing", 1, {}, 0),), title="In review")
    quote = quote_services.quote_submit(quote=quote, actor=sales_rep)
    html = client_for(sales_manager).get("/").content.decode()
    panel = _panel(html, "awaiting-approval")
    assert quote.number in panel
    assert 'data-panel="pricing-reviews"' in html
    assert 'data-panel="my-drafts"' not in html
