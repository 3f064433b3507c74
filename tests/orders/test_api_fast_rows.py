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


# -- list rows built for the page == the detail's answer ------------------------------
#
# A list loads what its rows need for the whole page (a change request's target number
# and what `apply`'s work-done check reads; an opportunity's quotes and the facts its
# moves read); a detail reads the same through the objects. The same serializer gives
# both, so each list row must be its detail's answer, to the byte.


def _rows_and_details(api, collection: str) -> tuple[list, list]:
    res = api.get(f"/api/v1/{collection}/?page_size=100")
    assert res.status_code == 200
    rows = res.json()["results"]
    details = [api.get(f"/api/v1/{collection}/{row['id']}/").json() for row in rows]
    return rows, details


@pytest.mark.parametrize("who", ["staff", "contact"])
def test_change_request_rows_are_their_detail_answers(
    in_production, sales_rep, acme_contact, token_api, who
):
    from apps.core.permissions import grant_org_access
    from apps.orders.models import ChangeOrigin, ChangeRequest, ChangeState

    order = in_production
    line = order.lines.get()
    approved = {"origin": ChangeOrigin.CUSTOMER, "state": ChangeState.APPROVED}
    made = ChangeRequest.objects.bulk_create(
        ChangeRequest(
            number=f"CR-8{i:05d}",
            customer=order.customer,
            requested_by=acme_contact,
            title=f"request {i}",
            description="d",
            **fields,
        )
        for i, fields in enumerate(
            [
                # on an order in production: a quantity increase can still be applied,
                # a decrease cannot (the work-done check reads the order's lines)
                dict(
                    order=order,
                    proposed_changes=[{"line": str(line.pk), "quantity": 9}],
                    **approved,
                ),
                dict(
                    order=order,
                    proposed_changes=[{"line": str(line.pk), "quantity": 0}],
                    **approved,
                ),
                dict(order=order, proposed_changes=[], **approved),
                {"order": order, "origin": ChangeOrigin.CUSTOMER},
                {"quote": order.quote, "origin": ChangeOrigin.CUSTOMER},
            ]
        )
    )
    for cr in made:
        grant_org_access(cr, order.customer)
    api = token_api(sales_rep if who == "staff" else acme_contact)
    rows, details = _rows_and_details(api, "change-requests")
    assert len(rows) == 5
    assert rows == details
    by_title = {row["title"]: row for row in rows}
    assert by_title["request 4"]["target_number"] == order.quote.number
    assert by_title["request 3"]["target_number"] == order.number
    if who == "staff":
        assert by_title["request 0"]["available_transitions"] == ["apply"]
        assert by_title["request 1"]["available_transitions"] == []
        assert "engineering_assessment" in rows[0]
    else:
        assert "engineering_assessment" not in rows[0] and "cost_delta" not in rows[0]


def test_opportunity_rows_are_their_detail_answers(
    sales_rep, acme, acme_addresses, catalog, token_api
):
    from apps.sales import services as sales_services
    from tests.sales.sales_helpers import opportunity

    quoted = opportunity(sales_rep, acme, title="With a quote", currency="USD")
    sales_services.opportunity_quote_create(opportunity=quoted, actor=sales_rep)
    twice = opportunity(sales_rep, acme, title="With two quotes", currency="USD")
    sales_services.opportunity_quote_create(opportunity=twice, actor=sales_rep)
    sales_services.opportunity_quote_create(opportunity=twice, actor=sales_rep)
    opportunity(sales_rep, acme, title="Without a quote")
    rows, details = _rows_and_details(token_api(sales_rep), "opportunities")
    assert rows == details
    by_title = {row["title"]: row for row in rows}
    assert len(by_title["With two quotes"]["quotes"]) == 2
    assert by_title["Without a quote"]["quotes"] == []
    # The move conditions read the page's links: quoting needs a quote (an open
    # opportunity's first quote moves it to quoting), winning an accepted one.
    assert by_title["With a quote"]["state"] == "quoting"
    assert by_title["With a quote"]["available_transitions"] == ["lose"]
    assert by_title["Without a quote"]["state"] == "open"
    assert by_title["Without a quote"]["available_transitions"] == ["lose"]
