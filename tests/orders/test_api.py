from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.core.permissions import grant_org_access
from apps.orders.models import Quote, QuoteLine, QuoteState, SalesOrder
from apps.orders.services import quotes as q
from apps.orders.services.orders import order_update
from tests.query_counts import queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def token_api():
    """A client authenticating like a real integration: the user is loaded per request."""
    from tests.factories import api_token_key

    def _client(user):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_key(user)}")
        return client

    return _client


@pytest.fixture
def api():
    def _client(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return _client


def url(*parts) -> str:
    return "/api/v1/" + "/".join(str(p) for p in parts) + "/"


# -- visibility --------------------------------------------------------------


def test_lists_and_filters_return_only_visible_rows(
    api, make_quote, sent_quote, sales_rep, acme_contact, borealis_contact, borealis
):
    draft = make_quote()
    other = make_quote(customer=borealis)
    staff = api(sales_rep).get(url("quotes")).json()
    assert {r["number"] for r in staff["results"]} == {
        draft.number,
        sent_quote.number,
        other.number,
    }

    mine = api(acme_contact).get(url("quotes")).json()
    assert [r["number"] for r in mine["results"]] == [sent_quote.number]
    # Filtering never widens what a contact sees.
    for query in ("?state=draft", f"?customer={borealis.pk}", "?q=Q-"):
        numbers = [
            r["number"] for r in api(acme_contact).get(url("quotes") + query).json()["results"]
        ]
        assert draft.number not in numbers and other.number not in numbers
    assert api(borealis_contact).get(url("quotes")).json()["count"] == 0


def test_contacts_get_404_for_drafts_and_other_customers(
    api, make_quote, sent_quote, acme_contact, borealis_contact
):
    draft = make_quote()
    assert api(acme_contact).get(url("quotes", draft.pk)).status_code == 404
    assert api(borealis_contact).get(url("quotes", sent_quote.pk)).status_code == 404
    assert api(acme_contact).get(url("quotes", "not-a-uuid")).status_code == 404


def test_customer_view_hides_costs_margins_notes_and_reviews(
    api, sent_quote, acme_contact, sales_rep
):
    body = api(acme_contact).get(url("quotes", sent_quote.pk)).json()
    line = body["lines"][0]
    for key in ("unit_cost", "margin_percent", "critical_path", "promise_explanation"):
        assert key not in line
    for key in ("internal_notes", "reviews", "critical_path", "owner"):
        assert key not in body
    staff = api(sales_rep).get(url("quotes", sent_quote.pk)).json()
    assert "unit_cost" in staff["lines"][0] and "reviews" in staff


def test_ordering_keys_come_from_an_allow_list(api, make_quote, sales_rep):
    make_quote()
    ok = api(sales_rep).get(url("quotes") + "?ordering=-number")
    assert ok.status_code == 200
    ignored = api(sales_rep).get(url("quotes") + "?ordering=internal_notes")
    assert ignored.status_code == 200  # unknown keys are dropped, never passed to the database


# -- writing -----------------------------------------------------------------


def test_sales_create_a_quote_and_add_a_configured_line(
    api, sales_rep, acme, acme_addresses, catalog
):
    client = api(sales_rep)
    res = client.post(url("quotes"), {"customer": str(acme.pk), "title": "Skids"}, format="json")
    assert res.status_code == 201, res.json()
    quote = res.json()
    assert quote["state"] == "draft" and quote["available_transitions"] == ["cancel"]
    res = client.post(
        url("quotes", quote["id"], "lines"),
        {
            "product": str(catalog["skid"].pk),
            "quantity": 2,
            "configuration": {"drive": "vfd"},
            "version": quote["version"],
        },
        format="json",
    )
    assert res.status_code == 201, res.json()
    body = res.json()
    assert body["lines"][0]["unit_list_price"] == "22500.00"
    assert body["total"] == "45000.00"
    assert "submit" in body["available_transitions"]


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ({"quantity": 1, "configuration": {"drive": "turbo"}}, {"configuration": ["drive"]}),
        ({"quantity": 1, "configuration": {"paint": "red"}}, {"configuration": ["paint"]}),
        ({"quantity": 0}, {"quantity": None}),
        ({"quantity": 1, "discount_percent": "-5"}, {"discount_percent": None}),
        ({"configuration": {}}, {"quantity": None}),
    ],
)
def test_bad_lines_answer_400_with_field_errors(
    api, make_quote, sales_rep, catalog, payload, errors
):
    quote = make_quote(lines=())
    res = api(sales_rep).post(
        url("quotes", quote.pk, "lines"),
        {"product": str(catalog["skid"].pk), **payload},
        format="json",
    )
    assert res.status_code == 400
    body = res.json()
    for field, inner in errors.items():
        assert field in body
        if inner:
            assert set(inner) <= set(body[field])
    assert not quote.lines.exists()


def test_bad_quote_input_answers_400(api, sales_rep, delta):
    res = api(sales_rep).post(url("quotes"), {"customer": str(delta.pk)}, format="json")
    assert res.status_code == 400 and "customer" in res.json()
    res = api(sales_rep).post(url("quotes"), {"title": "no customer"}, format="json")
    assert res.status_code == 400 and "customer" in res.json()


def test_customer_and_other_roles_cannot_create_quotes(api, acme_contact, planner, acme):
    for user in (acme_contact, planner):
        res = api(user).post(url("quotes"), {"customer": str(acme.pk)}, format="json")
        assert res.status_code == 403


def test_stale_edit_answers_409(api, make_quote, sales_rep):
    quote = make_quote()
    client = api(sales_rep)
    first = client.patch(
        url("quotes", quote.pk), {"title": "A", "version": quote.version}, format="json"
    )
    assert first.status_code == 200
    second = client.patch(
        url("quotes", quote.pk), {"title": "B", "version": quote.version}, format="json"
    )
    assert second.status_code == 409
    assert second.json()["version"] == quote.version + 1
    assert Quote.objects.get(pk=quote.pk).title == "A"


def test_line_edit_and_delete(api, make_quote, sales_rep):
    quote = make_quote()
    line = quote.lines.get()
    client = api(sales_rep)
    res = client.patch(url("quotes", quote.pk, "lines", line.pk), {"quantity": 3}, format="json")
    assert res.status_code == 200 and res.json()["lines"][0]["quantity"] == 3
    res = client.patch(
        url("quotes", quote.pk, "lines", line.pk), {"product": str(line.product_id)}, format="json"
    )
    assert res.status_code == 400
    res = client.delete(url("quotes", quote.pk, "lines", line.pk))
    assert res.status_code == 200 and res.json()["lines"] == []


# -- transitions -------------------------------------------------------------


def test_transition_answers(api, make_quote, sales_rep, planner, acme_contact, borealis_contact):
    quote = make_quote()
    client = api(sales_rep)
    res = client.post(url("quotes", quote.pk, "transitions", "send"), {}, format="json")
    assert res.status_code == 409
    assert res.json()["allowed_transitions"] == ["cancel", "submit"]
    assert api(planner).post(url("quotes", quote.pk, "transitions", "submit")).status_code == 403
    assert client.post(url("quotes", quote.pk, "transitions", "fly")).status_code == 404
    res = client.post(
        url("quotes", quote.pk, "transitions", "submit"),
        {"comment": "Ready", "version": quote.version},
        format="json",
    )
    assert res.status_code == 200 and res.json()["state"] == "approved"
    res = client.post(
        url("quotes", quote.pk, "transitions", "send"), {"version": quote.version}, format="json"
    )
    assert res.status_code == 409  # stale version
    assert client.post(url("quotes", quote.pk, "transitions", "send")).json()["state"] == "sent"
    assert (
        api(borealis_contact).post(url("quotes", quote.pk, "transitions", "accept")).status_code
        == 404
    )
    res = api(acme_contact).post(
        url("quotes", quote.pk, "transitions", "accept"),
        {"customer_po": "PO-1", "signer_name": "Ann Acme", "terms_accepted": True},
        format="json",
    )
    assert res.status_code == 200 and res.json()["state"] == "accepted"
    res = client.post(url("quotes", quote.pk, "transitions", "convert"))
    assert res.status_code == 200 and res.json()["state"] == "converted"
    assert SalesOrder.objects.filter(quote=quote).exists()


def test_expire_is_not_for_people(api, sent_quote, sales_manager):
    Quote.objects.filter(pk=sent_quote.pk).update(
        valid_until=timezone.localdate() - dt.timedelta(days=1)
    )
    res = api(sales_manager).post(url("quotes", sent_quote.pk, "transitions", "expire"))
    assert res.status_code == 403


def test_review_transition_through_the_api(
    api, make_quote, sales_rep, engineer, planner, acme_contact
):
    quote = q.quote_submit(quote=make_quote(lines=[("dosing", 1, {}, 0)]), actor=sales_rep)
    eng = quote.reviews.get(department="engineering")
    path = url("quotes", quote.pk, "reviews", eng.pk, "transitions", "approve")
    assert api(planner).post(path).status_code == 403
    assert api(acme_contact).post(path).status_code == 404
    res = api(engineer).post(path, {"comment": "ok"}, format="json")
    assert res.status_code == 200
    assert {r["department"]: r["state"] for r in res.json()["reviews"]}["engineering"] == (
        "approved"
    )
    res = api(planner).post(
        url("quotes", quote.pk, "reviews", eng.pk, "transitions", "reject"),
        {"comment": "x"},
        format="json",
    )
    assert res.status_code == 409


# -- orders and change requests ----------------------------------------------


def test_orders_for_customers(api, order, acme_contact, borealis_contact, sales_rep):
    assert [r["number"] for r in api(acme_contact).get(url("orders")).json()["results"]] == [
        order.number
    ]
    assert api(borealis_contact).get(url("orders", order.pk)).status_code == 404
    body = api(acme_contact).get(url("orders", order.pk)).json()
    line = body["lines"][0]
    # The customer reads the date released to it, never the internal forecast.
    assert {"requested_date", "first_promised_date", "customer_date"} <= set(line)
    assert "forecast_date" not in line and "at_risk" not in line
    assert "unit_cost" not in line and "components" not in line
    assert "internal_notes" not in body
    assert "components" in api(sales_rep).get(url("orders", order.pk)).json()["lines"][0]


def test_order_edit_and_transitions(api, order, sales_rep, sales_manager, acme_contact):
    res = api(sales_manager).post(url("orders", order.pk, "transitions", "confirm"))
    assert res.status_code == 409 and "incomplete" in res.json()["detail"]
    assert (
        api(acme_contact)
        .patch(url("orders", order.pk), {"customer_po": "X"}, format="json")
        .status_code
        == 403
    )
    res = api(sales_rep).patch(
        url("orders", order.pk),
        {"delivery_contact_name": "Dock", "version": order.version},
        format="json",
    )
    assert res.status_code == 200
    res = api(sales_manager).post(url("orders", order.pk, "transitions", "confirm"))
    assert res.status_code == 200 and res.json()["state"] == "confirmed"
    assert api(acme_contact).post(url("orders", order.pk, "transitions", "cancel")).status_code == (
        403
    )


def test_change_requests_through_the_api(api, order, acme_contact, borealis_contact, engineer):
    res = api(borealis_contact).post(
        url("change-requests"),
        {"order": str(order.pk), "title": "t", "description": "d"},
        format="json",
    )
    assert res.status_code == 404
    res = api(acme_contact).post(
        url("change-requests"),
        {"order": str(order.pk), "title": "More", "description": "One more"},
        format="json",
    )
    assert res.status_code == 201, res.json()
    cr = res.json()
    assert "cost_delta" not in cr and "engineering_assessment" not in cr
    assert api(borealis_contact).get(url("change-requests", cr["id"])).status_code == 404
    res = api(engineer).post(url("change-requests", cr["id"], "transitions", "start_assessment"))
    assert res.status_code == 200 and res.json()["state"] == "assessing"
    res = api(engineer).patch(
        url("change-requests", cr["id"]),
        {"engineering_assessment": "Fine", "cost_delta": "120.00"},
        format="json",
    )
    assert res.status_code == 200 and res.json()["cost_delta"] == "120.00"
    res = api(acme_contact).post(
        url("change-requests"), {"title": "t", "description": "d"}, format="json"
    )
    assert res.status_code == 400


# -- query counts ------------------------------------------------------------


def _bulk_quotes(n, *, customer, owner, product, sent=False):
    today = timezone.localdate()
    quotes = Quote.objects.bulk_create(
        Quote(
            number=f"Q-9{customer.code[:2]}{i:05d}",
            customer=customer,
            owner=owner,
            valid_until=today + dt.timedelta(days=30),
        )
        for i in range(n)
    )
    if sent:
        # As quote_send leaves them: sent, stamped, granted to the customer.
        Quote.objects.filter(pk__in=[x.pk for x in quotes]).update(
            state=QuoteState.SENT, sent_at=timezone.now()
        )
        for quote in quotes:
            grant_org_access(quote, customer)
    QuoteLine.objects.bulk_create(
        QuoteLine(
            quote=quote,
            product=product,
            quantity=1,
            unit_list_price=Decimal("10"),
            unit_price=Decimal("10"),
            unit_cost=Decimal("5"),
            line_total=Decimal("10"),
            margin_percent=Decimal("50"),
        )
        for quote in quotes
    )
    return quotes


@pytest.mark.parametrize("n", [10, 200])
def test_quote_list_uses_a_constant_number_of_queries(
    token_api, sales_rep, acme, catalog, n, django_assert_num_queries
):
    _bulk_quotes(n, customer=acme, owner=sales_rep, product=catalog["skid"])
    client = token_api(sales_rep)
    # token with user and organization, roles and perms (one query), count, page
    # ids, the page's rows (apps.core.lists).
    with django_assert_num_queries(queries("quote-list", "api:sales_rep")):
        res = client.get(url("quotes") + "?page_size=100")
    assert res.status_code == 200 and len(res.json()["results"]) == min(n, 100)


@pytest.mark.parametrize("n", [10, 200])
def test_customer_quote_list_uses_a_constant_number_of_queries(
    token_api, sales_rep, acme, acme_contact, catalog, n, django_assert_num_queries
):
    _bulk_quotes(n, customer=acme, owner=sales_rep, product=catalog["skid"], sent=True)
    client = token_api(acme_contact)
    # token with user and organization, count, page ids, rows: the customer is a
    # column of the quote (selectors.customer_documents).
    with django_assert_num_queries(queries("quote-list", "api:acme_contact")):
        res = client.get(url("quotes") + "?page_size=100")
    assert res.json()["count"] == n


@pytest.mark.parametrize("n", [10, 200])
def test_order_list_uses_a_constant_number_of_queries(
    token_api, sales_rep, acme, acme_contact, catalog, n, django_assert_num_queries
):
    quotes = _bulk_quotes(n, customer=acme, owner=sales_rep, product=catalog["skid"])
    orders = SalesOrder.objects.bulk_create(
        SalesOrder(
            number=f"SO-9{i:05d}",
            quote=quote,
            quote_revision=0,
            customer=acme,
            owner=sales_rep,
            currency="USD",
            payment_terms="net30",
            total=Decimal("10"),
        )
        for i, quote in enumerate(quotes)
    )
    for order in orders:
        grant_org_access(order, acme)
    staff, contact = token_api(sales_rep), token_api(acme_contact)
    with django_assert_num_queries(queries("order-list", "api:sales_rep")):
        res = staff.get(url("orders") + "?page_size=100")
    assert res.json()["count"] == n
    with django_assert_num_queries(queries("order-list", "api:acme_contact")):
        res = contact.get(url("orders") + "?page_size=100")
    assert res.json()["count"] == n


def test_order_update_helper_is_versioned(order, sales_rep):
    updated = order_update(
        order=order, actor=sales_rep, expected_version=order.version, delivery_window="7-15"
    )
    assert updated.version == order.version + 1


def test_revisions_are_listed_for_staff_only(api, sent_quote, sales_rep, acme_contact):
    q.quote_revise(quote=sent_quote, actor=sales_rep, comment="New motor")
    res = api(sales_rep).get(url("quotes", sent_quote.pk, "revisions"))
    assert res.status_code == 200
    assert [(r["number"], r["state"], r["reason"]) for r in res.json()] == [
        (0, "sent", "New motor")
    ]
    assert api(acme_contact).get(url("quotes", sent_quote.pk, "revisions")).status_code == 404


def test_cancel_in_production_through_the_api(
    api, order, sales_rep, sales_manager, planner, acme_contact
):
    from apps.orders.services.orders import order_transition

    order = order_update(
        order=order, actor=sales_rep, expected_version=order.version, delivery_contact_name="Dock"
    )
    for name, actor in (
        ("confirm", sales_manager),
        ("plan", planner),
        ("start_production", planner),
    ):
        order = order_transition(order=order, name=name, actor=actor)
    cancel = url("orders", order.pk, "cancel")
    res = api(planner).post(cancel, {"reason": "Stop", "charges": "0"}, format="json")
    assert res.status_code == 403
    assert res.json()["detail"] == "Only a sales manager may cancel an order that is in production."
    assert api(acme_contact).post(cancel, {"reason": "x"}, format="json").status_code == 403
    res = api(sales_manager).post(cancel, {"charges": "-1"}, format="json")
    assert res.status_code == 400 and "charges" in res.json()
    res = api(sales_manager).post(cancel, {"charges": "10"}, format="json")
    assert res.status_code == 400 and "reason" in res.json()
    res = api(sales_manager).post(
        cancel,
        {"reason": "Stop", "charges": "750.50", "version": order.version, "comment_audience": "x"},
        format="json",
    )
    assert res.status_code == 400 and "comment_audience" in res.json()
    res = api(sales_manager).post(
        cancel,
        {
            "reason": "Stop",
            "charges": "750.50",
            "version": order.version,
            "comment_audience": "customer",
        },
        format="json",
    )
    assert res.status_code == 200
    body = res.json()
    assert body["state"] == "cancelled" and body["cancellation_charges"] == "750.50"
    assert body["cancellation_reason"] == "Stop"
    mine = api(acme_contact).get(url("orders", order.pk)).json()
    # The reason field is staff-only; the customer reads it on its timeline when shown to it.
    assert "cancellation_reason" not in mine and mine["cancellation_charges"] == "750.50"
    from apps.core.models import Activity

    assert Activity.objects.get(object_id=str(order.pk), verb="cancel").audience == "customer"
    assert Activity.objects.get(object_id=str(order.pk), verb="cancel").text == "Stop"


def test_change_request_decisions_and_comment_audience_through_the_api(
    api, order, acme_contact, engineer, planner, sales_rep, sales_manager
):
    from apps.core.models import Activity, Audience

    res = api(sales_rep).post(
        url("change-requests"),
        {"order": str(order.pk), "title": "Faster drive", "description": "internal idea"},
        format="json",
    )
    cr = res.json()
    assert res.status_code == 201 and cr["origin"] == "internal" and cr["proposed_at"] is None
    assert api(acme_contact).get(url("change-requests", cr["id"])).status_code == 404
    api(engineer).post(url("change-requests", cr["id"], "transitions", "start_assessment"))
    res = api(planner).patch(
        url("change-requests", cr["id"]),
        {"engineering_assessment": "ok", "manufacturing_assessment": "ok", "price_delta": "250"},
        format="json",
    )
    assert res.status_code == 200 and res.json()["lowest_margin_percent"] is None
    res = api(sales_rep).post(
        url("change-requests", cr["id"], "transitions", "propose"),
        {"comment": "Shown to Acme", "comment_audience": "customer"},
        format="json",
    )
    assert res.status_code == 200 and res.json()["decider"] == "customer"
    entry = Activity.objects.get(object_id=cr["id"], verb="propose")
    assert (entry.audience, entry.text) == (Audience.CUSTOMER, "Shown to Acme")

    body = api(acme_contact).get(url("change-requests", cr["id"])).json()
    assert body["available_transitions"] == ["approve", "reject"]
    assert "lowest_margin_percent" not in body and "cost_delta" not in body
    res = api(sales_manager).post(url("change-requests", cr["id"], "transitions", "approve"))
    assert res.status_code == 403
    res = api(acme_contact).post(
        url("change-requests", cr["id"], "transitions", "approve"),
        {"comment_audience": "sometimes"},
        format="json",
    )
    assert res.status_code == 400 and "comment_audience" in res.json()
    res = api(acme_contact).post(url("change-requests", cr["id"], "transitions", "approve"))
    assert res.status_code == 200 and res.json()["state"] == "approved"
    res = api(sales_rep).post(
        url("change-requests", cr["id"], "transitions", "apply"), {"version": 1}, format="json"
    )
    assert res.status_code == 409


def test_copy_as_new_quote_through_the_api(api, sent_quote, sales_rep, acme_contact):
    declined = q.quote_decline(quote=sent_quote, actor=acme_contact)
    res = api(acme_contact).post(url("quotes", declined.pk, "copy"), {}, format="json")
    assert res.status_code == 403
    res = api(sales_rep).post(url("quotes", declined.pk, "copy"), {}, format="json")
    assert res.status_code == 201
    body = res.json()
    assert body["state"] == "draft" and body["copied_from"] == str(declined.pk)
    assert body["lines"][0]["unit_price"] == "20000.00"
    res = api(sales_rep).post(url("quotes", body["id"], "copy"), {}, format="json")
    assert res.status_code == 409


@pytest.mark.parametrize("n", [5, 60])
def test_change_request_list_uses_a_constant_number_of_queries(
    token_api, order, sales_rep, acme_contact, n, django_assert_num_queries
):
    from apps.orders.models import ChangeOrigin, ChangeRequest, ChangeState, OrderState

    line = order.lines.get()
    # Approved requests on an order in production: each one's `apply` checks its lines.
    SalesOrder.objects.filter(pk=order.pk).update(state=OrderState.IN_PRODUCTION)
    crs = ChangeRequest.objects.bulk_create(
        ChangeRequest(
            number=f"CR-9{i:05d}",
            order=order,
            customer=order.customer,
            origin=ChangeOrigin.CUSTOMER,
            requested_by=acme_contact,
            title="t",
            description="d",
            proposed_changes=[{"line": str(line.pk), "quantity": 2}],
            state=ChangeState.APPROVED,
        )
        for i in range(n)
    )
    for cr in crs:
        grant_org_access(cr, order.customer)
    staff, contact = token_api(sales_rep), token_api(acme_contact)
    # token with user and organization, roles and model perms (one query), count,
    # page ids, page rows, the orders' lines (for the work-done check of `apply`).
    with django_assert_num_queries(
        queries("change-request-list", "api:sales_rep · approved requests")
    ):
        res = staff.get(url("change-requests") + "?page_size=100")
    assert res.json()["count"] == n
    assert res.json()["results"][0]["available_transitions"] == ["apply"]
    # token with user and organization, count, page ids, page rows, lines.
    with django_assert_num_queries(
        queries("change-request-list", "api:acme_contact · approved requests")
    ):
        res = contact.get(url("change-requests") + "?page_size=100")
    assert res.json()["count"] == n


# -- a quote being revised ---------------------------------------------------


@pytest.fixture
def revised_quote(sent_quote, sales_rep):
    """Sent, then revised back to draft and edited (new title, quantity 3, a note)."""
    line = sent_quote.lines.get()
    quote = q.quote_revise(quote=sent_quote, actor=sales_rep, comment="REVISION-REASON-CANARY")
    quote = q.quote_update(
        quote=quote,
        actor=sales_rep,
        expected_version=None,
        internal_notes="NOTE-CANARY",
        title="DRAFT-TITLE-CANARY",
    )
    q.quote_line_update(line=line, actor=sales_rep, quantity=3)
    quote.refresh_from_db()
    return quote


def test_a_customer_reads_a_quote_being_revised_as_its_last_sent_revision(
    api, revised_quote, acme_contact, borealis_contact
):
    sent = revised_quote.revisions.get().snapshot
    res = api(acme_contact).get(url("quotes", revised_quote.pk))
    assert res.status_code == 200
    body = res.json()
    assert body["being_revised"] is True and body["state"] == "sent"
    assert body["available_transitions"] == []
    assert body["title"] == sent["title"] and body["revision"] == 0
    [line] = body["lines"]
    assert line["quantity"] == 1 and line["line_total"] == sent["lines"][0]["line_total"]
    assert Decimal(body["total"]) == Decimal(sent["lines"][0]["line_total"])
    assert line["product"] == str(revised_quote.lines.get().product_id)
    text = res.content.decode()
    for secret in ("DRAFT-TITLE-CANARY", "NOTE-CANARY", "REVISION-REASON-CANARY", "unit_cost"):
        assert secret not in text, secret
    assert "margin" not in text
    # Another customer still gets 404; staff see the draft itself.
    assert api(borealis_contact).get(url("quotes", revised_quote.pk)).status_code == 404


def test_the_customer_list_shows_a_quote_being_revised_from_its_sent_revision(
    api, revised_quote, sent_quote, acme_contact, sales_rep
):
    rows = api(acme_contact).get(url("quotes")).json()["results"]
    [row] = [r for r in rows if r["id"] == str(revised_quote.pk)]
    assert row["being_revised"] is True and row["state"] == "sent"
    assert row["title"] != "DRAFT-TITLE-CANARY" and row["line_count"] == 1
    sent_total = Decimal(revised_quote.revisions.get().snapshot["lines"][0]["line_total"])
    assert Decimal(row["total"]) == sent_total
    staff = api(sales_rep).get(url("quotes", revised_quote.pk)).json()
    assert staff["state"] == "draft" and staff["title"] == "DRAFT-TITLE-CANARY"


def test_a_customer_cannot_decide_a_quote_being_revised(api, revised_quote, acme_contact):
    res = api(acme_contact).post(
        url("quotes", revised_quote.pk, "transitions", "accept"), {"version": revised_quote.version}
    )
    assert res.status_code == 409
    assert "Kestrel is revising this quote" in res.json()["detail"]
    revised_quote.refresh_from_db()
    assert revised_quote.state == QuoteState.DRAFT


@pytest.mark.parametrize("revised", [1, 3])
def test_quotes_being_revised_add_one_query_to_the_customer_list_whatever_their_number(
    token_api, make_quote, sales_rep, acme_contact, revised, django_assert_num_queries
):
    for _ in range(revised):
        quote = q.quote_send(
            quote=q.quote_submit(quote=make_quote(), actor=sales_rep), actor=sales_rep
        )
        q.quote_revise(quote=quote, actor=sales_rep)
    client = token_api(acme_contact)
    # token, count, page ids, rows, and the page's sent revisions.
    being_revised = queries("quote-list", "api:acme_contact · quotes being revised")
    with django_assert_num_queries(being_revised):
        res = client.get(url("quotes") + "?page_size=100")
    assert [r["being_revised"] for r in res.json()["results"]] == [True] * revised
