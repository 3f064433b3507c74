"""FastRead and FastReadMixin (apps.core.api): list rows, detail lines and the order's
answer are the bytes DRF's own Serializer.to_representation gives, for staff and
customers."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework import serializers

from apps.core.api import FastRead
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
        FastRead,
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
        FastRead,
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


# -- 200-line documents: lines read as plain rows == the serializers' own answer -------
#
# The detail answers read a document's lines (and an order line's BOM and date changes)
# as values() rows rendered by each line serializer's RowsPlan (apps.core.api), and a
# quote's total from those rows; the plain path is DRF's: every line, component and
# date change a model instance through the serializers' fields.


def _plain_path(monkeypatch):
    """DRF's own path, on the querysets that prefetch the lines and their details as
    the answers read them before (selectors.quote_detail_qs, order_detail_qs), the
    order read by DRF's get_object (not the staff's compiled query)."""
    from rest_framework.generics import GenericAPIView

    from apps.orders import selectors
    from apps.orders.api import serializers as s
    from apps.orders.api.views import OrderViewSet

    monkeypatch.setattr(OrderViewSet, "get_object", GenericAPIView.get_object)

    quote_detail_qs, order_detail_qs = selectors.quote_detail_qs, selectors.order_detail_qs
    monkeypatch.setattr(
        selectors,
        "quote_answer_qs",
        lambda user, portal=False: quote_detail_qs(user, portal=portal, lines=s.quote_lines_read()),
    )
    monkeypatch.setattr(
        selectors,
        "order_answer_qs",
        lambda user: order_detail_qs(user, line_details=False).prefetch_related(
            *selectors.order_line_details(user, through="lines__")
        ),
    )

    monkeypatch.setattr(
        FastRead,
        "to_representation",
        lambda self, instance: serializers.Serializer.to_representation(self, instance),
    )
    monkeypatch.setattr(
        s.RowsLinesMixin,
        "to_representation",
        lambda self, instance: super(s.RowsLinesMixin, self).to_representation(instance),
    )


def _two_hundred_lines(order) -> None:
    """199 more lines on the order and on its quote, unlike each other: every third
    without a requested date, some told a new date, some with one waiting to be
    released; each order line with the first line's BOM and its date changes, every
    other change released to the customer."""
    import uuid

    from django.utils import timezone

    from apps.orders.models import OrderLine, OrderLineComponent, OrderLineDateChange, QuoteLine

    quote_line = order.quote.lines.first()
    line = order.lines.first()
    q_fields = {f.attname: getattr(quote_line, f.attname) for f in QuoteLine._meta.concrete_fields}
    o_fields = {f.attname: getattr(line, f.attname) for f in OrderLine._meta.concrete_fields}
    now = timezone.now()
    QuoteLine.objects.bulk_create(
        QuoteLine(
            **{
                **q_fields,
                "id": uuid.uuid4(),
                "position": 1000 + i,
                "quantity": 1 + i,
                "line_total": q_fields["line_total"] + i,
                "requested_date": None if i % 3 == 0 else q_fields["requested_date"],
                "configuration": {"size": i, "finish": "blue"},
            }
        )
        for i in range(199)
    )
    made = OrderLine.objects.bulk_create(
        OrderLine(
            **{
                **o_fields,
                "id": uuid.uuid4(),
                "quote_line_id": None,
                "position": 1000 + i,
                "quantity": 1 + i,
                "requested_date": None if i % 3 == 0 else o_fields["requested_date"],
                "forecast_date": o_fields["forecast_date"] + dt.timedelta(days=i % 5),
                "customer_forecast_date": (
                    o_fields["first_promised_date"] + dt.timedelta(days=2) if i % 4 == 0 else None
                ),
                "forecast_release_due": now + dt.timedelta(hours=i) if i % 7 == 0 else None,
                "at_risk": i % 5 > 0,
            }
        )
        for i in range(199)
    )
    components = list(line.components.all())
    changes = list(line.date_changes.all())
    assert components and changes
    OrderLineComponent.objects.bulk_create(
        OrderLineComponent(
            **{
                **{f.attname: getattr(c, f.attname) for f in OrderLineComponent._meta.fields},
                "id": None,
                "parent_id": None,
                "line_id": new.pk,
            }
        )
        for new in made
        for c in components
    )
    OrderLineDateChange.objects.bulk_create(
        OrderLineDateChange(
            **{
                **{f.attname: getattr(c, f.attname) for f in OrderLineDateChange._meta.fields},
                "id": None,
                "line_id": new.pk,
                "released_at": now - dt.timedelta(days=k) if k % 2 == 0 else None,
                "customer_text": f"moved {k}",
            }
        )
        for k, new in enumerate(made)
        for c in changes
    )


# What a customer contact never reads of a document or its lines.
INTERNAL_FIELDS = {
    "internal_notes",
    "owner",
    "critical_path",
    "unit_cost",
    "margin_percent",
    "promise_explanation",
    "components",
    "forecast_date",
    "at_risk",
    "forecast_release_due",
    "reason",
    "cause",
    "reviews",
}


@pytest.mark.parametrize("who", ["staff", "contact"])
def test_200_line_details_are_the_serializers_answers(
    documents, sales_rep, acme_contact, token_api, monkeypatch, who
):
    order = documents
    _two_hundred_lines(order)
    api = token_api(sales_rep if who == "staff" else acme_contact)
    paths = [f"/api/v1/quotes/{order.quote_id}/", f"/api/v1/orders/{order.pk}/"]
    fast = _bodies(api, paths)
    quote, sales_order = (__import__("json").loads(body) for body in fast)
    assert len(quote["lines"]) == len(sales_order["lines"]) == 200
    lines = sales_order["lines"]
    if who == "staff":
        assert all(len(line["components"]) >= 1 for line in lines)
        assert sum(len(line["date_changes"]) for line in lines) == 1 + 199
        assert {"unit_cost", "margin_percent"} <= set(quote["lines"][0])
    else:
        # the released changes only, in the customer's words
        assert sum(len(line["date_changes"]) for line in lines) == 1 + 100
        for document in (quote, sales_order):
            assert not INTERNAL_FIELDS & set(document)
            for line in document["lines"]:
                assert not INTERNAL_FIELDS & set(line)
                for change in line.get("date_changes", ()):
                    assert not INTERNAL_FIELDS & set(change)
    _plain_path(monkeypatch)
    assert _bodies(api, paths) == fast
