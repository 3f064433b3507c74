"""Portal order pages: status, the three dates per line, change requests; nothing internal."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from apps.core.permissions import grant_org_access
from apps.customers.views import order_progress
from apps.orders.models import (
    ChangeOrigin,
    ChangeRequest,
    OrderLine,
    OrderState,
    Quote,
    QuoteState,
    SalesOrder,
)
from apps.orders.services.orders import order_line_reforecast
from tests.query_counts import queries

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
SLIP_REASON = "SECRET-REASON: Delta Motors shipped the motor late"
INTERNAL_NOTE = "INTERNAL-ONLY: watch this customer's payments"


def fmt(d: dt.date) -> str:
    return f"{d:%b} {d.day}, {d.year}"


def _detail(order) -> str:
    return reverse("customers:order-detail", kwargs={"pk": order.pk})


def _change(order) -> str:
    return reverse("customers:order-change-request", kwargs={"pk": order.pk})


@pytest.fixture
def slipped_order(order, planner):
    line = order.lines.get()
    OrderLine.objects.filter(pk=line.pk).update(
        requested_date=line.first_promised_date - dt.timedelta(days=3)
    )
    line.refresh_from_db()
    order_line_reforecast(
        line=line,
        actor=planner,
        new_date=line.first_promised_date + dt.timedelta(days=9),
        reason=SLIP_REASON,
    )
    SalesOrder.objects.filter(pk=order.pk).update(internal_notes=INTERNAL_NOTE)
    return order


def _more_orders(template: SalesOrder, n: int) -> None:
    """n more orders with one line each, written directly (the conversion service
    explodes BOMs and runs the promise engine, which is not what is measured)."""
    line = template.lines.get()
    quote = template.quote
    for i in range(n):
        q = Quote.objects.create(
            number=f"Q-8{i:05d}",
            customer=quote.customer,
            owner=quote.owner,
            valid_until=quote.valid_until,
            state=QuoteState.CONVERTED,
        )
        o = SalesOrder.objects.create(
            number=f"SO-8{i:05d}",
            quote=q,
            quote_revision=0,
            customer=template.customer,
            owner=template.owner,
            currency=template.currency,
            payment_terms=template.payment_terms,
            total=template.total,
            customer_po=f"PO-{i}",
        )
        OrderLine.objects.create(
            order=o,
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
        grant_org_access(o, template.customer)


# --- list ----------------------------------------------------------------------


def test_list_shows_own_orders_with_po_state_and_total(client_for, acme_contact, order):
    html = client_for(acme_contact).get("/portal/orders/").content.decode()
    row = html.split(f'data-order="{order.number}"', 1)[1].split("</tr>", 1)[0]
    assert "ACME-PO-77" in row
    assert 'data-state="pending"' in row
    assert f"{order.total:,.2f}" in row
    assert fmt(order.lines.get().forecast_date) in row


def test_other_customer_sees_no_orders(client_for, borealis_contact, order):
    html = client_for(borealis_contact).get("/portal/orders/").content.decode()
    assert order.number not in html
    assert "No orders yet" in html


def test_open_tab_leaves_out_cancelled_orders(client_for, acme_contact, order):
    SalesOrder.objects.filter(pk=order.pk).update(state=OrderState.CANCELLED)
    client = client_for(acme_contact)
    assert order.number not in client.get("/portal/orders/?state=open").content.decode()
    assert f'data-order="{order.number}"' in client.get("/portal/orders/").content.decode()


@pytest.mark.parametrize("extra", [2, 24])
def test_list_query_count_is_constant(
    client_for, acme_contact, order, extra, django_assert_num_queries
):
    _more_orders(order, extra)
    client = client_for(acme_contact)
    client.get("/portal/orders/")  # warm-up: content types and session
    # session, user with organization, roles (navigation), count, page ids, the
    # page's rows (quote numbers joined in); the unread badge is cached.
    with django_assert_num_queries(queries("customers:order-list", "acme_contact")):
        response = client.get("/portal/orders/")
    assert response.content.decode().count('data-order="') == extra + 1


# --- detail --------------------------------------------------------------------


def test_detail_shows_three_dates_and_the_slip_but_not_its_reason(
    client_for, acme_contact, slipped_order
):
    line = slipped_order.lines.get()
    html = client_for(acme_contact).get(_detail(slipped_order)).content.decode()
    row = html.split(f'data-line="{line.position}"', 1)[1].split("</tr>", 1)[0]
    assert fmt(line.requested_date) in row
    assert fmt(line.first_promised_date) in row
    assert fmt(line.forecast_date) in row
    assert "+9 days" in row
    assert "ACME-PO-77" in html
    assert f"{slipped_order.total:,.2f}" in html

    assert "SECRET-REASON" not in html and "Delta Motors" not in html
    assert INTERNAL_NOTE not in html
    assert f"{line.unit_cost:,.2f}" not in html and f"{line.unit_cost}" not in html
    for component in line.components.all():
        assert component.part_number not in html
    if line.critical_path:
        assert line.critical_path not in html


def test_timeline_tells_the_customer_the_date_moved_without_the_reason(
    client_for, acme_contact, slipped_order
):
    html = client_for(acme_contact).get(_detail(slipped_order) + "?sections=all").content.decode()
    timeline = html.split('id="order-timeline"', 1)[1].split("</section>", 1)[0]
    assert "forecast" in timeline
    assert "SECRET-REASON" not in timeline


def test_detail_shows_progress_with_pending_as_current_step(client_for, acme_contact, order):
    html = client_for(acme_contact).get(_detail(order)).content.decode()
    progress = html.split('data-testid="order-progress"', 1)[1].split("</ol>", 1)[0]
    assert 'aria-valuenow="0"' in html
    current = progress.split('aria-current="step"', 1)[1].split("</li>", 1)[0]
    assert "Pending" in current
    for label in ("Confirmed", "Planned", "In production", "Ready", "Shipped", "Delivered"):
        assert label in progress


@pytest.mark.parametrize(
    "state, held, current, done",
    [
        (OrderState.PENDING, "", "Pending", 0),
        (OrderState.IN_DESIGN, "", "Confirmed", 1),
        (OrderState.IN_PRODUCTION, "", "In production", 3),
        (OrderState.PARTIALLY_SHIPPED, "", "Ready", 4),
        (OrderState.ON_HOLD, OrderState.PLANNED, "Planned", 2),
        (OrderState.CLOSED, "", None, 7),
        (OrderState.CANCELLED, "", None, 0),
    ],
)
def test_progress_places_every_state_on_the_customer_steps(state, held, current, done):
    steps = order_progress(SalesOrder(state=state, held_state=held))
    assert [s.label for s in steps if s.status == "current"] == ([current] if current else [])
    assert sum(s.status == "done" for s in steps) == done
    if state == OrderState.CANCELLED:
        assert steps == []


# --- change requests --------------------------------------------------------------


def test_change_request_on_an_order_is_created_and_listed(client_for, acme_contact, order):
    response = client_for(acme_contact).post(
        _change(order),
        {"change-title": "Deliver to the north gate", "change-description": "Gate 4, not 1."},
        **HX,
    )
    assert response.status_code == 200
    cr = ChangeRequest.objects.get(order=order)
    assert (cr.origin, cr.requested_by) == (ChangeOrigin.CUSTOMER, acme_contact)
    html = response.content.decode()
    listed = html.split('data-testid="change-requests"', 1)[1].split("</ul>", 1)[0]
    assert cr.number in listed and 'data-state="submitted"' in listed
    assert "Deliver to the north gate" in html.split('id="order-timeline"', 1)[1]


def test_change_request_bad_input_shows_inline_errors(client_for, acme_contact, order):
    response = client_for(acme_contact).post(
        _change(order), {"change-title": "x" * 201, "change-description": ""}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "at most 200 characters" in html
    assert "This field is required." in html
    assert "<html" in html  # a plain post gets the whole page back with the errors
    assert not ChangeRequest.objects.exists()


def test_change_request_on_a_closed_order_is_refused_inline(client_for, acme_contact, order):
    SalesOrder.objects.filter(pk=order.pk).update(state=OrderState.CLOSED)
    response = client_for(acme_contact).post(
        _change(order), {"change-title": "More", "change-description": "Please."}, **HX
    )
    assert response.status_code == 422
    assert f"{order.number} is closed." in response.content.decode()
    assert not ChangeRequest.objects.exists()


# --- who may see what ------------------------------------------------------------


def test_other_customer_gets_404_and_cannot_request_changes(client_for, borealis_contact, order):
    client = client_for(borealis_contact)
    assert client.get(_detail(order)).status_code == 404
    response = client.post(_change(order), {"change-title": "x", "change-description": "y"})
    assert response.status_code == 404
    assert not ChangeRequest.objects.exists()


@pytest.mark.parametrize("who", ["sales_rep", "planner", "ops_admin", "delta_contact"])
def test_everyone_but_customer_contacts_gets_404(request, client_for, order, who):
    client = client_for(request.getfixturevalue(who))
    assert client.get("/portal/orders/").status_code == 404
    assert client.get(_detail(order)).status_code == 404
    assert client.post(_change(order), {"change-title": "x"}).status_code == 404


# --- dashboard ---------------------------------------------------------------------


def test_dashboard_lists_open_orders_with_their_forecast(client_for, acme_contact, order):
    html = client_for(acme_contact).get("/portal/").content.decode()
    orders = html.split('data-testid="open-orders"', 1)[1].split("</ul>", 1)[0]
    assert order.number in orders and _detail(order) in orders
    assert fmt(order.lines.get().forecast_date) in orders
    # A pending order waits for Kestrel, not for the customer.
    assert "No quotes or approvals are waiting for you" in html


def test_dashboard_leaves_out_closed_orders(client_for, acme_contact, order):
    SalesOrder.objects.filter(pk=order.pk).update(state=OrderState.CLOSED)
    html = client_for(acme_contact).get("/portal/").content.decode()
    assert order.number not in html
    assert "You have no open orders." in html


def test_the_order_page_lists_the_accepted_quote_as_a_document(
    client_for, order, acme_contact, borealis_contact
):
    html = client_for(acme_contact).get(reverse("customers:order-detail", args=[order.pk]))
    url = (
        reverse("customers:quote-pdf", args=[order.quote_id]) + f"?revision={order.quote_revision}"
    )
    assert f'href="{url}"' in html.content.decode()
    pdf = client_for(acme_contact).get(url)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF-")
    # Another customer's contact gets nothing, not even that it exists.
    assert client_for(borealis_contact).get(url).status_code == 404
