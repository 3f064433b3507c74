"""Ops find quotes, orders, order lines and change requests in the admin, read them
with their timeline, and move them only through the workflow services."""

from __future__ import annotations

import pytest

from apps.orders.models import OrderState, QuoteState
from apps.orders.services import changes as change_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def change_request(order, acme_contact):
    return change_services.change_request_create(
        actor=acme_contact, order=order, title="Spare seal kit", description="One more, please."
    )


@pytest.mark.parametrize("model", ["quote", "salesorder", "orderline", "changerequest"])
def test_ops_admin_lists_searches_and_filters(client, ops_admin, order, change_request, model):
    client.force_login(ops_admin)
    url = f"/admin/orders/{model}/"
    page = client.get(url)
    assert page.status_code == 200
    assert client.get(url, {"q": order.number}).status_code == 200
    if model != "orderline":
        assert client.get(url, {"state__exact": "pending"}).status_code == 200
    # Nothing is added or deleted by hand: objects come from the services.
    assert client.get(f"{url}add/").status_code == 403


def test_search_finds_an_order_by_customer_po(client, ops_admin, order):
    client.force_login(ops_admin)
    page = client.get("/admin/orders/salesorder/", {"q": "ACME-PO-77"})
    assert order.number in page.content.decode()
    page = client.get("/admin/orders/salesorder/", {"q": "NOPE-123"})
    assert order.number not in page.content.decode()


def test_order_page_is_read_only_with_lines_and_timeline(client, ops_admin, order):
    client.force_login(ops_admin)
    url = f"/admin/orders/salesorder/{order.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert order.number in html and "ACME-PO-77" in html
    assert 'name="state"' not in html and 'name="_save"' not in html  # nothing to edit
    formsets = {fs.formset.prefix: fs for fs in page.context["inline_admin_formsets"]}
    assert any("lines" in prefix for prefix in formsets)
    timeline = next(fs for prefix, fs in formsets.items() if "activity" in prefix)
    assert [a.verb for a in timeline.formset.queryset] == ["created"]
    # A POST to the change page cannot change the state either.
    response = client.post(url, {"state": "confirmed"})
    assert response.status_code == 403
    order.refresh_from_db()
    assert order.state == OrderState.PENDING


def test_quote_page_shows_lines_reviews_and_timeline(client, ops_admin, order):
    client.force_login(ops_admin)
    page = client.get(f"/admin/orders/quote/{order.quote.pk}/change/")
    assert page.status_code == 200
    verbs = {
        a.verb
        for fs in page.context["inline_admin_formsets"]
        if "activity" in fs.formset.prefix
        for a in fs.formset.queryset
    }
    assert {"submit", "send", "accept", "convert"} <= verbs


def test_change_request_page_opens(client, ops_admin, change_request):
    client.force_login(ops_admin)
    url = f"/admin/orders/changerequest/{change_request.pk}/change/"
    assert client.get(url).status_code == 200


def test_admin_action_runs_the_service_as_the_user(client, ops_admin, sales_manager, order):
    """The action is the workflow: the service checks the user's role and writes the audit."""
    sales_manager.is_staff = True
    sales_manager.save(update_fields=["is_staff"])
    client.force_login(sales_manager)
    response = client.post(
        "/admin/orders/salesorder/",
        {"action": "transition_hold", "_selected_action": [str(order.pk)]},
        follow=True,
    )
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.state == OrderState.ON_HOLD
    assert order.version == 2
    from apps.core.models import Activity

    entry = Activity.objects.filter(verb="hold").get()
    assert entry.actor == sales_manager and entry.text == "Through the admin site."


def test_admin_action_refusal_is_reported_and_changes_nothing(client, ops_admin, order):
    client.force_login(ops_admin)
    response = client.post(
        "/admin/orders/salesorder/",
        {"action": "transition_confirm", "_selected_action": [str(order.pk)]},
        follow=True,
    )
    html = response.content.decode()
    assert f"{order.number}: You may not confirm this sales order." in html
    order.refresh_from_db()
    assert order.state == OrderState.PENDING


def test_quote_cancel_action(client, ops_admin, sales_rep, make_quote):
    quote = make_quote()
    sales_rep.is_staff = True
    sales_rep.save(update_fields=["is_staff"])
    client.force_login(sales_rep)
    client.post(
        "/admin/orders/quote/",
        {"action": "transition_cancel", "_selected_action": [str(quote.pk)]},
    )
    quote.refresh_from_db()
    assert quote.state == QuoteState.CANCELLED


def test_product_delete_page_lists_its_quote_lines_in_constant_queries(
    client, ops_admin, make_quote, catalog
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(ops_admin)
    path = f"/admin/catalog/product/{catalog['skid'].pk}/delete/"

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path)
        assert response.status_code == 200
        return len(ctx.captured_queries)

    first = make_quote()
    make_quote()
    few = queries()
    for _ in range(3):
        make_quote()
    assert queries() == few
    # The lines that protect the product are named by their quote.
    assert first.number in client.get(path).content.decode()
