"""The staff order page completes a pending order: its data form (with the version
check), what confirmation still needs, and the finance and engineering steps that
meet the other conditions (credit override, design approval)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from apps.core.models import Activity
from apps.orders.models import OrderLine, OrderState, SalesOrder
from apps.orders.services import orders as order_services

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def _detail(order) -> str:
    return reverse("sales:order-detail", kwargs={"pk": order.pk})


def _update(order) -> str:
    return reverse("sales:order-update", kwargs={"pk": order.pk})


def _data(order, **changes) -> dict:
    fields = {
        "customer_po": order.customer_po,
        "shipping_address": order.shipping_address,
        "billing_address": order.billing_address,
        "delivery_contact_name": order.delivery_contact_name,
        "delivery_contact_phone": order.delivery_contact_phone,
        "delivery_window": order.delivery_window,
        "site_requirements": order.site_requirements,
        "terms": order.terms,
        "internal_notes": order.internal_notes,
        "contact": str(order.contact_id or ""),
        "version": order.version,
    }
    if order.installation_needed:
        fields["installation_needed"] = "on"
    fields.update(changes)
    return fields


def test_pending_order_page_has_the_data_form_and_says_what_is_missing(
    client_for, order, sales_rep
):
    html = client_for(sales_rep).get(_detail(order)).content.decode()
    assert 'data-testid="order-data"' in html
    from apps.orders.services.orders import PENDING_FIELDS

    for name in PENDING_FIELDS:  # every field the service lets a pending order change
        assert f'name="{name}"' in html
    assert f'name="version" value="{order.version}"' in html
    assert "Cannot confirm yet: order data is incomplete (missing: delivery contact)." in html


def test_saving_the_data_completes_the_order_and_enables_confirm(
    client_for, order, sales_rep, sales_manager
):
    response = client_for(sales_rep).post(
        _update(order),
        _data(order, delivery_contact_name="Dock lead", delivery_window="Weekdays 7-15"),
        **HX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="order-workflow"')
    assert "order data saved" in html and "Cannot confirm yet" not in html
    order.refresh_from_db()
    assert order.delivery_contact_name == "Dock lead" and order.delivery_window == "Weekdays 7-15"
    entry = Activity.objects.filter(verb="updated").get()
    assert entry.text == "Updated delivery contact name, delivery window"
    page = client_for(sales_manager).get(_detail(order)).content.decode()
    form = page.split('data-transition="confirm"', 1)[1].split("</form>", 1)[0]
    assert "disabled" not in form


def test_a_stale_save_says_someone_else_saved_first_and_keeps_the_entries(
    client_for, order, sales_rep, finance
):
    stale = order.version
    order_services.order_update(
        order=order, actor=finance, expected_version=stale, delivery_window="Mornings"
    )
    response = client_for(sales_rep).post(
        _update(order), _data(order, delivery_contact_name="Dock lead", version=stale), **HX
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Someone else saved this order first" in html
    assert 'value="Dock lead"' in html  # what was typed is still in the form
    fresh = SalesOrder.objects.get(pk=order.pk)
    assert fresh.delivery_contact_name == "" and fresh.delivery_window == "Mornings"
    # The form now carries the current version: saving again goes through.
    assert f'name="version" value="{fresh.version}"' in html
    plain = client_for(sales_rep).post(
        _update(order), _data(fresh, delivery_contact_name="Dock lead")
    )
    assert plain.status_code == 302
    fresh.refresh_from_db()
    assert fresh.delivery_contact_name == "Dock lead" and fresh.delivery_window == "Mornings"


def test_bad_input_is_a_form_error(client_for, order, sales_rep):
    response = client_for(sales_rep).post(
        _update(order), _data(order, customer_po="x" * 61, delivery_contact_name="Dock"), **HX
    )
    assert response.status_code == 422
    assert "Ensure this value has at most 60 characters" in response.content.decode()
    order.refresh_from_db()
    assert order.delivery_contact_name == ""


def test_contact_must_belong_to_the_customer(client_for, order, sales_rep, borealis_contact):
    response = client_for(sales_rep).post(
        _update(order), _data(order, contact=str(borealis_contact.pk))
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


@pytest.mark.parametrize("role", ["planner", "engineer", "warehouse"])
def test_other_roles_see_no_form_and_cannot_save(client_for, order, role, request):
    client = client_for(request.getfixturevalue(role))
    html = client.get(_detail(order)).content.decode()
    assert 'data-testid="order-data"' not in html
    response = client.post(_update(order), _data(order, delivery_contact_name="X"))
    assert response.status_code == 403
    order.refresh_from_db()
    assert order.delivery_contact_name == ""


def test_data_is_frozen_after_confirmation(client_for, order, sales_rep, sales_manager):
    order = order_services.order_update(
        order=order, actor=sales_rep, expected_version=order.version, delivery_contact_name="D"
    )
    order = order_services.order_transition(order=order, name="confirm", actor=sales_manager)
    client = client_for(sales_rep)
    assert 'data-testid="order-data"' not in client.get(_detail(order)).content.decode()
    response = client.post(_update(order), _data(order, delivery_window="Later"))
    assert response.status_code == 409
    assert "order data is frozen after confirmation" in response.content.decode()


def test_contacts_get_404(client_for, order, acme_contact):
    response = client_for(acme_contact).post(_update(order), _data(order))
    assert response.status_code == 404


# --- disabled buttons with their reason -------------------------------------------


def test_confirm_is_shown_disabled_with_the_reason(client_for, order, sales_manager):
    html = client_for(sales_manager).get(_detail(order)).content.decode()
    form = html.split('data-transition="confirm"', 1)[1].split("</form>", 1)[0]
    assert "disabled" in form
    assert "Cannot confirm yet: order data is incomplete (missing: delivery contact)." in form
    cancel = html.split('data-transition="cancel"', 1)[1].split("</form>", 1)[0]
    assert "disabled" not in cancel


def test_steps_of_other_roles_are_named(client_for, order, sales_rep):
    html = client_for(sales_rep).get(_detail(order)).content.decode()
    assert 'data-transition="confirm"' not in html
    others = html.split('data-testid="others-actions"', 1)[1].split("</div>", 1)[0]
    assert "Confirm order" in others and "Cancel order" in others


# --- credit override (finance) -------------------------------------------------------


@pytest.fixture
def over_limit(order, sales_rep, acme):
    acme.credit_limit = Decimal("100")
    acme.save()
    return order_services.order_update(
        order=order, actor=sales_rep, expected_version=order.version, delivery_contact_name="D"
    )


def test_finance_overrides_the_credit_check_from_the_page(
    client_for, over_limit, finance, sales_manager
):
    order = over_limit
    manager_page = client_for(sales_manager).get(_detail(order)).content.decode()
    assert "the customer&#x27;s open orders would exceed its credit limit" in manager_page
    assert 'data-testid="credit-override"' not in manager_page
    client = client_for(finance)
    assert 'data-testid="credit-override"' in client.get(_detail(order)).content.decode()
    url = reverse("sales:order-step", kwargs={"pk": order.pk, "step": "credit-override"})
    refused = client.post(url, {"version": order.version, "comment": ""}, **HX)
    assert refused.status_code == 422
    assert "Say why the credit limit may be exceeded." in refused.content.decode()
    response = client.post(url, {"version": order.version, "comment": "Prepaid 50 %"}, **HX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "credit override approved" in html and 'data-testid="credit-override"' not in html
    order.refresh_from_db()
    assert order.credit_override_by == finance
    assert Activity.objects.filter(verb="credit_override", actor=finance).exists()
    order = order_services.order_transition(order=order, name="confirm", actor=sales_manager)
    assert order.state == OrderState.CONFIRMED


def test_credit_override_refused_for_sales(client_for, over_limit, sales_manager):
    url = reverse("sales:order-step", kwargs={"pk": over_limit.pk, "step": "credit-override"})
    response = client_for(sales_manager).post(url, {"comment": "Trust me"})
    assert response.status_code == 403
    over_limit.refresh_from_db()
    assert over_limit.credit_override_by is None


# --- design approval (engineering) ---------------------------------------------------


@pytest.fixture
def in_design(make_quote, sales_rep, sales_manager, engineer, planner, acme_contact):
    from apps.orders.services import quotes as q

    quote = q.quote_submit(quote=make_quote(lines=[("dosing", 1, {}, 0)]), actor=sales_rep)
    for review in quote.reviews.all():
        actor = engineer if review.department == "engineering" else planner
        q.quote_review_decide(review=review, actor=actor, decision="approve")
    quote = q.quote_accept(quote=q.quote_send(quote=quote, actor=sales_rep), actor=acme_contact)
    order = order_services.quote_convert(quote=quote, actor=sales_rep, customer_po="P")
    order = order_services.order_update(
        order=order, actor=sales_rep, expected_version=order.version, delivery_contact_name="D"
    )
    order = order_services.order_transition(order=order, name="confirm", actor=sales_manager)
    return order_services.order_transition(order=order, name="start_design", actor=engineer)


def test_engineering_records_the_design_approval_and_planning_can_start(
    client_for, in_design, engineer, planner
):
    order = in_design
    planner_page = client_for(planner).get(_detail(order)).content.decode()
    plan = planner_page.split('data-transition="plan_after_design"', 1)[1].split("</form>", 1)[0]
    assert "disabled" in plan and "the design has not been approved by the customer" in plan
    assert 'data-testid="design-approval"' not in planner_page
    client = client_for(engineer)
    assert 'data-testid="design-approval"' in client.get(_detail(order)).content.decode()
    url = reverse("sales:order-step", kwargs={"pk": order.pk, "step": "design-approval"})
    response = client.post(url, {"version": order.version, "comment": "Drawing D-12"}, **HX)
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.design_approved_at is not None
    planner_page = client_for(planner).get(_detail(order)).content.decode()
    plan = planner_page.split('data-transition="plan_after_design"', 1)[1].split("</form>", 1)[0]
    assert "disabled" not in plan


def test_design_approval_refused_for_a_planner(client_for, in_design, planner):
    url = reverse("sales:order-step", kwargs={"pk": in_design.pk, "step": "design-approval"})
    assert client_for(planner).post(url, {}).status_code == 403


def test_unknown_step_is_404(client_for, order, finance):
    url = reverse("sales:order-step", kwargs={"pk": order.pk, "step": "teleport"})
    assert client_for(finance).post(url, {}).status_code == 404


# --- constant queries on the detail pages ---------------------------------------------


def _clone_order_lines(order, total: int) -> None:
    """Grow the order to `total` lines, each with its exploded components and a date change."""
    from apps.orders.models import OrderLineComponent, OrderLineDateChange

    template = order.lines.first()
    components = list(template.components.all())
    for i in range(order.lines.count(), total):
        line = OrderLine.objects.get(pk=template.pk)
        line.pk, line.quote_line, line.position = None, None, 100 + i
        line.save()
        OrderLineComponent.objects.bulk_create(
            OrderLineComponent(
                line=line,
                level=c.level,
                part_id=c.part_id,
                part_number=c.part_number,
                part_name=c.part_name,
                part_kind=c.part_kind,
                uom=c.uom,
                quantity_per=c.quantity_per,
                quantity=c.quantity,
                unit_cost=c.unit_cost,
            )
            for c in components
        )
        OrderLineDateChange.objects.create(
            line=line,
            old_date=line.forecast_date,
            new_date=line.forecast_date,
            reason="Check",
            changed_by=order.owner,
        )


def test_order_detail_query_count_is_the_same_for_2_and_20_lines(
    client_for, order, sales_rep, django_assert_num_queries
):
    _clone_order_lines(order, 2)
    client = client_for(sales_rep)
    client.get(_detail(order))  # warm-up (content types, session)
    # session, user, roles and permissions; the order (customer, owner, contact,
    # quote joined; whether it has change requests: none, so no query for them), its
    # shown lines; the count of the comments; the contact choices of the data form (a
    # server-side cursor). Each line's components, date changes and holds, the tracker
    # links and the timeline are read when revealed (tests/sales/test_detail_sections.py).
    # The confirm conditions cost nothing here: Acme has no credit limit.
    with django_assert_num_queries(QUERIES_ORDER_DETAIL):
        assert client.get(_detail(order)).content.decode().count("data-line=") == 2
    _clone_order_lines(order, 20)
    with django_assert_num_queries(QUERIES_ORDER_DETAIL):
        assert client.get(_detail(order)).content.decode().count("data-line=") == 20


QUERIES_ORDER_DETAIL = 7  # the comment thread and the sections below the fold are read on demand
