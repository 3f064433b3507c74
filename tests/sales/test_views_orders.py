"""Staff order pages: the list, the detail with the three dates, and the workflow buttons."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.orders.models import OrderLine, OrderState, Quote, QuoteState, SalesOrder
from apps.orders.services import orders as order_services
from tests.query_counts import queries

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def _detail(order) -> str:
    return reverse("sales:order-detail", kwargs={"pk": order.pk})


def _transition(order, name: str) -> str:
    return reverse("sales:order-transition", kwargs={"pk": order.pk, "name": name})


def _more_orders(template: SalesOrder, n: int, start: int = 0) -> None:
    """n more one-line orders written directly (conversion explodes BOMs: slow and
    not what the list measures)."""
    line = template.lines.first()
    for i in range(start, start + n):
        quote = Quote.objects.create(
            number=f"Q-8{i:05d}",
            customer=template.customer,
            owner=template.owner,
            valid_until=template.quote.valid_until,
            state=QuoteState.CONVERTED,
        )
        order = SalesOrder.objects.create(
            number=f"SO-8{i:05d}",
            quote=quote,
            quote_revision=0,
            customer=template.customer,
            owner=template.owner,
            currency="USD",
            payment_terms=template.payment_terms,
            total=line.line_total,
            customer_po=f"PO-{i}",
        )
        OrderLine.objects.create(
            order=order,
            position=10,
            product=line.product,
            product_sku=line.product_sku,
            product_name=line.product_name,
            fulfillment_mode=line.fulfillment_mode,
            quantity=1,
            unit_list_price=line.unit_list_price,
            discount_percent=line.discount_percent,
            unit_price=line.unit_price,
            unit_cost=line.unit_cost,
            line_total=line.line_total,
            first_promised_date=line.first_promised_date,
            forecast_date=line.forecast_date,
        )


# --- list ----------------------------------------------------------------------------


def test_list_shows_orders_with_their_columns(client_for, planner, order):
    html = client_for(planner).get(reverse("sales:order-list")).content.decode()
    assert f'data-order="{order.number}"' in html
    assert _detail(order) in html and "ACME-PO-77" in html and order.quote.number in html
    assert f"USD {order.total:,.2f}" in html and "Pending" in html


def test_list_filters_by_state_customer_and_search(client_for, sales_rep, order, borealis):
    _more_orders(order, 2)
    client = client_for(sales_rep)
    url = reverse("sales:order-list")
    html = client.get(url, {"q": "ACME-PO"}).content.decode()
    assert html.count("data-order=") == 1 and order.number in html
    html = client.get(url, {"q": "SO-800001"}).content.decode()
    assert html.count("data-order=") == 1
    html = client.get(url, {"state": ["confirmed", "planned"]}).content.decode()
    assert "No orders match these filters" in html
    html = client.get(url, {"customer": str(borealis.pk)}).content.decode()
    assert "data-order=" not in html
    html = client.get(url, {"ordering": "-total", "state": "pending"}).content.decode()
    assert html.count("data-order=") == 3


def test_list_filters_keep_nothing_from_the_request_before(client_for, sales_rep, order, acme):
    """The filter bar's form class and styled fields are made once per process
    (ListFilterSet): what one request chose or typed never shows in the next one."""
    from apps.sales.views_orders import OrderListFilter

    client = client_for(sales_rep)
    url = reverse("sales:order-list")
    chosen = client.get(url, {"customer": str(acme.pk), "q": "ACME-PO", "state": "pending"})
    html = chosen.content.decode()
    assert f'<option value="{acme.pk}" selected>{acme.name}</option>' in html
    assert 'value="ACME-PO"' in html and html.count("data-order=") == 1
    bad = client.get(url, {"customer": str(uuid.uuid4()), "ordering": "made-up"}).content.decode()
    assert "were not understood and were ignored: customer, ordering." in bad
    html = client.get(url).content.decode()
    assert str(acme.pk) not in html.split('id="order-results"')[0]
    assert 'value="ACME-PO"' not in html and "not understood" not in html
    assert 'class="form-control form-control-sm list-filter" id="filter-q"' in html
    assert 'class="form-select form-select-sm list-filter" id="filter-state"' in html
    # Each request's filters are its own copies, bound to its own filterset.
    first, second = OrderListFilter({"q": "1"}), OrderListFilter({"q": "2"})
    assert first.filters["q"] is not second.filters["q"]
    assert first.filters["q"].parent is first and second.filters["q"].parent is second
    assert not hasattr(OrderListFilter.base_filters["q"], "parent")
    assert first.form.fields["customer"] is not second.form.fields["customer"]


def test_the_memoised_filter_bar_shows_what_each_request_sent(client_for, sales_rep, order, acme):
    """The bar is memoised on the values sent and the chosen customer's name (bar_key):
    a renamed customer, another search, an invalid value each show at once."""
    from apps.accounts.models import Organization
    from apps.sales.views_orders import OrderListFilter

    client = client_for(sales_rep)
    url = reverse("sales:order-list")

    def bar(**params) -> str:
        return client.get(url, params).content.decode().split('id="order-results"')[0]

    assert f'<option value="{acme.pk}" selected>{acme.name}</option>' in bar(customer=acme.pk)
    Organization.objects.filter(pk=acme.pk).update(name="Acme Renamed")
    assert f'<option value="{acme.pk}" selected>Acme Renamed</option>' in bar(customer=acme.pk)
    assert 'value="12"' in bar(q="12") and 'value="13"' in bar(q="13")
    assert 'aria-invalid="true"' in bar(ordering="made-up")
    assert 'aria-invalid="true"' not in bar(ordering="-total")
    # A value naming no customer: the form read no row, the bar is not memoised.
    missing = OrderListFilter({"customer": str(uuid.uuid4())})
    assert missing.is_valid() is False and missing.bar_key is None
    assert OrderListFilter({"q": "12"}).bar_key == OrderListFilter({"q": "12"}).bar_key
    assert OrderListFilter({"q": "12"}).bar_key != OrderListFilter({"q": "13"}).bar_key


def test_list_paginates_25_per_page(client_for, sales_rep, order):
    _more_orders(order, 29)
    client = client_for(sales_rep)
    first = client.get(reverse("sales:order-list")).content.decode()
    assert first.count("data-order=") == 25 and "1–25 of 30" in first
    second = client.get(reverse("sales:order-list"), {"page": 2}, **HX).content.decode()
    assert second.lstrip().startswith('<div id="order-results"')
    assert second.count("data-order=") == 5


def test_list_empty_state(client_for, sales_rep):
    html = client_for(sales_rep).get(reverse("sales:order-list")).content.decode()
    assert "No orders yet" in html


def test_list_query_count_is_constant(client_for, sales_rep, order, django_assert_num_queries):
    _more_orders(order, 4)
    client = client_for(sales_rep)
    url = reverse("sales:order-list")
    client.get(url)  # warm-up
    # session, user with organization, roles and permissions (one query), count,
    # page ids, the page's orders (customer, owner, quote joined; next forecast
    # stored): 6 whatever the number of orders or customers.
    with django_assert_num_queries(queries("sales:order-list", "sales_rep")):
        assert client.get(url).content.decode().count("data-order=") == 5
    _more_orders(order, 25, start=4)  # 30 orders now
    with django_assert_num_queries(queries("sales:order-list", "sales_rep")):
        assert client.get(url).content.decode().count("data-order=") == 25


@pytest.mark.parametrize("contact", ["acme_contact", "borealis_contact"])
def test_list_and_detail_are_404_for_customer_contacts(client_for, order, contact, request):
    client = client_for(request.getfixturevalue(contact))
    assert client.get(reverse("sales:order-list")).status_code == 404
    assert client.get(_detail(order)).status_code == 404
    assert client.post(_transition(order, "cancel")).status_code == 404
    order.refresh_from_db()
    assert order.state == OrderState.PENDING


def test_detail_is_404_for_an_unknown_order(client_for, sales_rep):
    url = reverse("sales:order-detail", kwargs={"pk": uuid.uuid4()})
    assert client_for(sales_rep).get(url).status_code == 404


# --- detail ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["sales_rep", "planner", "warehouse"])
def test_detail_shows_lines_dates_costs_and_components(client_for, order, role, request):
    line = order.lines.first()
    response = client_for(request.getfixturevalue(role)).get(_detail(order))
    assert response.status_code == 200
    html = response.content.decode()
    assert f"Order {order.number}" in html and "ACME-PO-77" in html
    assert line.product_name in html
    assert f"{line.unit_cost:,.2f}" in html
    assert line.first_promised_date.strftime("%b %-d, %Y") in html
    assert "Cannot confirm yet: order data is incomplete (missing: delivery contact)." in html
    assert 'id="order-timeline"' in html
    # Each line's details (holds, slips, components) are read when its row is opened...
    assert f'hx-get="{_detail(order)}?section=line&amp;line={line.pk}"' in html
    details = client_for(request.getfixturevalue(role)).get(
        _detail(order), {"section": "line", "line": line.pk}
    )
    assert details.status_code == 200
    assert '<details data-testid="components">' in details.content.decode()  # collapsed
    assert "MTR-55" in details.content.decode()  # exploded component
    # ...and rendered in the page without JavaScript (`?sections=all`).
    every = client_for(request.getfixturevalue(role)).get(_detail(order), {"sections": "all"})
    assert '<details data-testid="components">' in every.content.decode()
    assert "MTR-55" in every.content.decode()


def test_detail_shows_slips_and_the_date_change_history(client_for, order, planner, sales_rep):
    line = order.lines.first()
    later = line.forecast_date + dt.timedelta(days=9)
    order_services.order_line_reforecast(
        line=line, actor=planner, new_date=later, reason="Motor supplier slipped"
    )
    html = client_for(sales_rep).get(_detail(order), {"sections": "all"}).content.decode()
    assert "+9 d" in html
    assert 'data-testid="slip-history"' in html and "Motor supplier slipped" in html
    # A move made by staff is told to the customer at once.
    assert "Told to customer on" in html


# --- transitions --------------------------------------------------------------------


def test_confirm_refused_until_data_is_complete_then_allowed(
    client_for, order, sales_manager, sales_rep
):
    client = client_for(sales_manager)
    response = client.post(_transition(order, "confirm"), {"version": order.version}, **HX)
    assert response.status_code == 422
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="order-workflow"')
    assert "order data is incomplete" in html
    order.refresh_from_db()
    assert order.state == OrderState.PENDING

    order = order_services.order_update(
        order=order, actor=sales_rep, expected_version=order.version, delivery_contact_name="Dock"
    )
    page = client.get(_detail(order)).content.decode()
    assert 'data-transition="confirm"' in page and "Needed before confirmation" not in page
    response = client.post(
        _transition(order, "confirm"), {"version": order.version, "comment": "PO checked"}, **HX
    )
    assert response.status_code == 200
    assert 'id="order-timeline" hx-swap-oob="true"' in response.content.decode()
    order.refresh_from_db()
    assert order.state == OrderState.CONFIRMED


def test_confirm_refused_for_a_sales_rep_with_403(client_for, order, sales_rep):
    order = order_services.order_update(
        order=order, actor=sales_rep, expected_version=order.version, delivery_contact_name="Dock"
    )
    response = client_for(sales_rep).post(_transition(order, "confirm"), {"version": order.version})
    assert response.status_code == 403
    assert "You may not confirm this sales order." in response.content.decode()
    order.refresh_from_db()
    assert order.state == OrderState.PENDING


def test_stale_version_is_409(client_for, order, sales_rep, sales_manager):
    stale = order.version
    order_services.order_update(
        order=order, actor=sales_rep, expected_version=stale, delivery_contact_name="Dock"
    )
    response = client_for(sales_manager).post(_transition(order, "confirm"), {"version": stale})
    assert response.status_code == 409
    assert "was changed by someone else" in response.content.decode()
    order.refresh_from_db()
    assert order.state == OrderState.PENDING


def test_cancel_without_htmx_redirects(client_for, order, sales_manager):
    response = client_for(sales_manager).post(_transition(order, "cancel"), {"comment": "Lost"})
    assert response.status_code == 302 and response["Location"] == _detail(order)
    order.refresh_from_db()
    assert order.state == OrderState.CANCELLED


def test_unknown_transition_is_404(client_for, order, sales_manager):
    assert client_for(sales_manager).post(_transition(order, "teleport")).status_code == 404


def test_order_notification_links_the_staff_page(order, sales_manager, sales_rep):
    order_services.order_transition(order=order, name="cancel", actor=sales_manager)
    note = sales_rep.notifications.filter(title__startswith=order.number).get()
    assert note.url == _detail(order)
    assert timezone.now() >= note.created_at


def test_detail_shows_one_rolled_up_cost_not_a_double_counted_component_sum(
    client_for, make_quote, sales_rep, acme_contact, catalog
):
    """A made sub-assembly counts once, through its components (it used to count twice)."""
    from decimal import Decimal

    from apps.catalog.models import PartKind
    from apps.orders.services import quotes as quote_services
    from tests.catalog.factories import BOMLineFactory, PartFactory

    sub = PartFactory(number="SUB-1", kind=PartKind.MAKE, unit_cost=Decimal("5000"))
    BOMLineFactory(parent_part=sub, component=catalog["motor"], quantity=Decimal("2"))
    BOMLineFactory(product=catalog["skid"], component=sub)
    quote = quote_services.quote_submit(quote=make_quote(), actor=sales_rep)
    quote = quote_services.quote_send(quote=quote, actor=sales_rep)
    quote = quote_services.quote_accept(quote=quote, actor=acme_contact)
    order = order_services.quote_convert(quote=quote, actor=sales_rep)
    line = order.lines.get()
    # Motor 900 + frame 400 + sub-assembly (2 motors × 900) + assembly 4 h × 80 = 3 420.
    assert line.unit_cost == Decimal("3420.00")
    html = client_for(sales_rep).get(_detail(order), {"sections": "all"}).content.decode()
    assert "line cost 3,420.00, rolled up from the BOM" in html
    # The old component sum: 900 + 400 + the sub-assembly's own 5 000 + its 2 motors 1 800.
    assert "8,100.00" not in html and "5,000.00" not in html


def test_sales_manager_cancels_in_production_through_the_page_form(
    client_for, in_production, sales_manager
):
    url = reverse("sales:order-cancel", kwargs={"pk": in_production.pk})
    html = client_for(sales_manager).get(_detail(in_production)).content.decode()
    assert 'data-testid="cancel-in-production"' in html and url in html
    assert 'data-transition="cancel"' not in html  # no comment-only cancel in production
    # A missing reason and charges above the total are form errors, nothing changes.
    response = client_for(sales_manager).post(
        url, {"reason": "", "charges": "-5", "version": in_production.version}, **HX
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "is-invalid" in body and "This field is required." in body
    response = client_for(sales_manager).post(
        url, {"reason": "Stop", "charges": "99999999", "version": in_production.version}
    )
    assert response.status_code == 400
    assert "cannot exceed the order total (USD 20,000.00)" in response.content.decode()
    in_production.refresh_from_db()
    assert in_production.state == OrderState.IN_PRODUCTION

    response = client_for(sales_manager).post(
        url, {"reason": "Site flooded.", "charges": "2500", "version": in_production.version}
    )
    assert response.status_code == 302
    in_production.refresh_from_db()
    assert in_production.state == OrderState.CANCELLED
    assert in_production.cancellation_charges == 2500
    html = client_for(sales_manager).get(_detail(in_production)).content.decode()
    assert "Site flooded." in html and "Cancellation charges: USD 2,500.00" in html


@pytest.mark.parametrize("role", ["sales_rep", "planner"])
def test_other_roles_see_the_cancel_form_disabled_with_the_reason(
    client_for, in_production, role, request
):
    user = request.getfixturevalue(role)
    html = client_for(user).get(_detail(in_production)).content.decode()
    assert "Only a sales manager may cancel an order in production." in html
    url = reverse("sales:order-cancel", kwargs={"pk": in_production.pk})
    response = client_for(user).post(url, {"reason": "x", "charges": "0"})
    assert response.status_code == 403
    assert "Only a sales manager may cancel an order that is in production." in (
        response.content.decode()
    )
    in_production.refresh_from_db()
    assert in_production.state == OrderState.IN_PRODUCTION


def test_cancel_form_is_404_for_customer_contacts(client_for, in_production, acme_contact):
    url = reverse("sales:order-cancel", kwargs={"pk": in_production.pk})
    assert client_for(acme_contact).post(url, {"reason": "x", "charges": "0"}).status_code == 404
