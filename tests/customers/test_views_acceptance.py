"""Accepting a quote in the portal signs it: PO, typed name, terms; decline needs a reason."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.orders.models import QuoteAcceptance, QuoteState, SalesOrder
from apps.orders.services import orders as order_services

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
SIGNED = {"customer_po": "PO-7781", "signer_name": "Alex Buyer", "terms": "on"}


def _decide(quote, name: str) -> str:
    return reverse("customers:quote-transition", kwargs={"pk": quote.pk, "name": name})


@pytest.mark.parametrize("htmx", [True, False])
def test_accept_without_po_name_or_terms_shows_each_error_and_changes_nothing(
    client_for, acme_contact, sent_quote, htmx
):
    response = client_for(acme_contact).post(
        _decide(sent_quote, "accept"),
        {"version": sent_quote.version, "customer_po": " ", "signer_name": ""},
        **(HX if htmx else {}),
    )
    assert response.status_code == (422 if htmx else 400)
    html = response.content.decode()
    for message in (
        "Enter your purchase order number.",
        "Type your full name to sign.",
        "Tick the box to accept the terms.",
    ):
        assert message in html
    assert html.count('aria-invalid="true"') == 3
    sent_quote.refresh_from_db()
    assert sent_quote.state == QuoteState.SENT
    assert not QuoteAcceptance.objects.exists()


def test_a_refused_accept_keeps_what_was_typed(client_for, acme_contact, sent_quote):
    response = client_for(acme_contact).post(
        _decide(sent_quote, "accept"),
        {"version": sent_quote.version, "customer_po": "PO-55", "signer_name": "Alex Buyer"},
        **HX,
    )
    html = response.content.decode()
    assert 'value="PO-55"' in html and 'value="Alex Buyer"' in html


def test_accept_records_po_signer_terms_time_user_and_ip(client_for, acme_contact, sent_quote):
    response = client_for(acme_contact).post(
        _decide(sent_quote, "accept"),
        {"version": sent_quote.version, **SIGNED},
        REMOTE_ADDR="203.0.113.9",
        **HX,
    )
    assert response.status_code == 200
    sent_quote.refresh_from_db()
    assert sent_quote.state == QuoteState.ACCEPTED
    acceptance = QuoteAcceptance.objects.get(quote=sent_quote)
    assert (
        acceptance.customer_po,
        acceptance.signer_name,
        acceptance.terms_accepted,
        acceptance.accepted_by,
        acceptance.ip_address,
        acceptance.revision,
    ) == ("PO-7781", "Alex Buyer", True, acme_contact, "203.0.113.9", sent_quote.revision)
    assert acceptance.accepted_at == sent_quote.decided_at
    html = response.content.decode()
    assert 'data-testid="acceptance"' in html and "PO-7781" in html and "Alex Buyer" in html


def test_the_po_becomes_the_orders_po_and_the_order_pages_show_the_acceptance(
    client_for, acme_contact, sales_rep, sent_quote
):
    client_for(acme_contact).post(
        _decide(sent_quote, "accept"), {"version": sent_quote.version, **SIGNED}
    )
    sent_quote.refresh_from_db()
    order = order_services.quote_convert(quote=sent_quote, actor=sales_rep)
    assert order.customer_po == "PO-7781"
    portal = client_for(acme_contact).get(reverse("customers:order-detail", args=[order.pk]))
    portal_html = portal.content.decode()
    assert 'data-testid="acceptance-signer">Alex Buyer' in portal_html
    assert 'data-testid="acceptance-po">PO-7781' in portal_html
    staff = client_for(sales_rep).get(reverse("sales:order-detail", args=[order.pk]))
    staff_html = staff.content.decode()
    assert 'data-testid="acceptance-signer">Alex Buyer' in staff_html
    assert "127.0.0.1" in staff_html  # where it was signed from: staff only
    assert "127.0.0.1" not in portal_html


def test_staff_may_give_another_po_at_conversion(client_for, acme_contact, sales_rep, sent_quote):
    client_for(acme_contact).post(
        _decide(sent_quote, "accept"), {"version": sent_quote.version, **SIGNED}
    )
    order = order_services.quote_convert(quote=sent_quote, actor=sales_rep, customer_po="PO-X")
    assert SalesOrder.objects.get(pk=order.pk).customer_po == "PO-X"


def test_decline_needs_a_reason(client_for, acme_contact, sent_quote):
    client = client_for(acme_contact)
    response = client.post(
        _decide(sent_quote, "decline"), {"version": sent_quote.version, "comment": "  "}, **HX
    )
    assert response.status_code == 422
    assert "Tell Kestrel why you decline." in response.content.decode()
    sent_quote.refresh_from_db()
    assert sent_quote.state == QuoteState.SENT
    response = client.post(
        _decide(sent_quote, "decline"),
        {"version": sent_quote.version, "comment": "Went with a local supplier"},
        **HX,
    )
    assert response.status_code == 200
    sent_quote.refresh_from_db()
    assert sent_quote.state == QuoteState.DECLINED
    assert "Went with a local supplier" in response.content.decode()
