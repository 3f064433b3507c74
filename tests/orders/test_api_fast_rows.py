"""FastReadMixin (apps.core.api): list rows and detail lines are the bytes DRF's own
Serializer.to_representation gives, for staff and customers."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework import serializers

from apps.core.api import FastReadMixin
from apps.orders.services import changes as change_services
from apps.orders.services.orders import order_line_reforecast


@pytest.fixture
def documents(order, sales_rep, acme_contact):
    """The order with a moved line (date changes) and a change request on it."""
    line = order.lines.first()
    order_line_reforecast(
        line=line,
        actor=sales_rep,
        new_date=line.forecast_date + dt.timedelta(days=3),
        reason="Supplier slipped",
    )
    change_services.change_request_create(
        actor=acme_contact, order=order, title="Later please", description="A week later."
    )
    return order


def _bodies(api, paths) -> list[bytes]:
    out = []
    for path in paths:
        response = api.get(path)
        assert response.status_code == 200, (path, response.status_code)
        out.append(response.content)
    return out


@pytest.mark.parametrize("who", ["staff", "contact"])
def test_fast_rows_are_drf_rows(documents, sales_rep, acme_contact, token_api, monkeypatch, who):
    order = documents
    api = token_api(sales_rep if who == "staff" else acme_contact)
    paths = [
        "/api/v1/quotes/",
        "/api/v1/orders/",
        "/api/v1/change-requests/",
        f"/api/v1/quotes/{order.quote_id}/",
        f"/api/v1/orders/{order.pk}/",
    ]
    fast = _bodies(api, paths)
    assert b"Supplier slipped" in fast[4] if who == "staff" else b"Supplier" not in fast[4]
    assert b'"components"' in fast[4] if who == "staff" else b'"components"' not in fast[4]
    assert b"Later please" in fast[2]
    monkeypatch.setattr(
        FastReadMixin,
        "to_representation",
        lambda self, instance: serializers.Serializer.to_representation(self, instance),
    )
    assert _bodies(api, paths) == fast


def test_fast_inquiry_and_opportunity_rows_are_drf_rows(
    sales_rep, acme, acme_addresses, catalog, token_api, monkeypatch
):
    """Inquiries and opportunities: a converted inquiry (its opportunity's id), an
    opportunity with a quote (its number and state) and one without."""
    from apps.sales import services as sales_services
    from tests.sales.sales_helpers import opportunity, qualified, web_inquiry

    inquiry = qualified(web_inquiry(company_name="Acme Water Utility"), sales_rep)
    sales_services.inquiry_transition(inquiry=inquiry, name="convert", actor=sales_rep)
    web_inquiry(subject="Still new")
    quoted = opportunity(sales_rep, acme, title="With a quote", currency="USD")
    sales_services.opportunity_quote_create(opportunity=quoted, actor=sales_rep)
    opportunity(sales_rep, acme, title="Without a quote")
    api = token_api(sales_rep)
    paths = ["/api/v1/inquiries/", "/api/v1/opportunities/", f"/api/v1/opportunities/{quoted.pk}/"]
    fast = _bodies(api, paths)
    assert fast[0].count(b'"opportunity":"') == 1 and b'"opportunity":null' in fast[0]
    assert b'"number":"Q-' in fast[1] and b'"quotes":[]' in fast[1]
    monkeypatch.setattr(
        FastReadMixin,
        "to_representation",
        lambda self, instance: serializers.Serializer.to_representation(self, instance),
    )
    assert _bodies(api, paths) == fast
