"""Change requests on the staff quote and order pages: every step has a button,
and a step that cannot be taken now is a disabled button with the reason."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from apps.core.models import Activity, Audience
from apps.orders.models import ChangeDecider, ChangeRequest, ChangeState, SalesOrder
from apps.orders.services import changes as svc

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def _order_page(order) -> str:
    return reverse("sales:order-detail", kwargs={"pk": order.pk})


def _create(target) -> str:
    kind = "order" if isinstance(target, SalesOrder) else "quote"
    return reverse(f"sales:{kind}-change-request-create", kwargs={"pk": target.pk})


def _assess(cr) -> str:
    return reverse("sales:change-request-assess", kwargs={"pk": cr.pk})


def _step(cr, name) -> str:
    return reverse("sales:change-request-transition", kwargs={"pk": cr.pk, "name": name})


def _article(html: str, cr) -> str:
    return html.split(f'data-cr="{cr.number}"', 1)[1].split("</article>", 1)[0]


def _assess_data(cr, line=None, **extra) -> dict:
    p = f"cr-{cr.pk}"
    data = {
        f"{p}-engineering_assessment": "No design impact",
        f"{p}-manufacturing_assessment": "Half a day more",
        f"{p}-cost_delta": "0",
        f"{p}-price_delta": "0",
        f"{p}-date_delta_days": "0",
        f"{p}-version": cr.version,
    }
    if line is not None:
        data.update(
            {f"{p}-qty-{line.pk}": "", f"{p}-config-{line.pk}": "", f"{p}-scope-{line.pk}": ""}
        )
    data.update({f"{p}-{k}": v for k, v in extra.items()})
    return data


@pytest.fixture
def customer_cr(order, acme_contact):
    return svc.change_request_create(
        actor=acme_contact, order=order, title="Add a VFD", description="Soft start, please"
    )


def test_the_whole_flow_through_the_staff_order_page(
    client_for, order, sales_rep, engineer, planner, acme_contact, client
):
    line = order.lines.get()
    rep = client_for(sales_rep)
    response = rep.post(
        _create(order), {"new-title": "Variable drive", "new-description": "Suggest a VFD"}, **HX
    )
    assert response.status_code == 200
    cr = ChangeRequest.objects.get(order=order)
    assert cr.origin == "internal"
    assert "stays internal until proposed" in response.content.decode()

    response = client_for(engineer).post(_step(cr, "start_assessment"), {"version": 1}, **HX)
    assert response.status_code == 200
    cr.refresh_from_db()
    assert cr.state == ChangeState.ASSESSING

    data = _assess_data(cr, line, **{f"config-{line.pk}": "drive=vfd", "price_delta": "100"})
    response = client_for(planner).post(_assess(cr), data, **HX)
    assert response.status_code == 200, response.content.decode()
    cr.refresh_from_db()
    assert cr.proposed_changes == [{"line": str(line.pk), "configuration": {"drive": "vfd"}}]
    assert cr.line_price_delta == Decimal("2500")
    assert "2,600.00" in _article(response.content.decode(), cr)

    response = client_for(sales_rep).post(
        _step(cr, "propose"),
        {"version": cr.version, "comment": "For Acme: soft start", "customer_visible": "1"},
        **HX,
    )
    assert response.status_code == 200
    cr.refresh_from_db()
    assert (cr.state, cr.decider) == (ChangeState.PROPOSED, ChangeDecider.CUSTOMER)
    entry = Activity.objects.get(object_id=str(cr.pk), verb="propose")
    assert (entry.audience, entry.text) == (Audience.CUSTOMER, "For Acme: soft start")
    # Staff cannot decide for the customer: the buttons say who decides.
    article = _article(client_for(sales_rep).get(_order_page(order)).content.decode(), cr)
    assert "Waiting for Acme Water Utility to decide in the customer portal." in article
    svc.change_request_transition(change_request=cr, name="approve", actor=acme_contact)

    cr.refresh_from_db()
    response = client_for(sales_rep).post(_step(cr, "apply"), {"version": cr.version}, **HX)
    assert response.status_code == 204 and response["HX-Redirect"] == _order_page(order)
    order.refresh_from_db()
    assert order.total == Decimal("22600.00") and order.order_revision == 2
    html = client_for(sales_rep).get(_order_page(order)).content.decode()
    assert "nothing more to do" in _article(html, cr)


def test_buttons_that_cannot_be_pressed_say_why(client_for, customer_cr, order, warehouse):
    article = _article(client_for(warehouse).get(_order_page(order)).content.decode(), customer_cr)
    assert 'data-transition="start_assessment"' in article
    assert "disabled" in article.split('data-transition="start_assessment"', 1)[1]
    assert "Engineering, manufacturing or sales start the assessment." in article
    assert "Start the assessment to record notes and deltas." in article


def test_propose_is_disabled_until_both_assessments_are_in(
    client_for, customer_cr, order, engineer, sales_rep
):
    svc.change_request_transition(
        change_request=customer_cr, name="start_assessment", actor=engineer
    )
    article = _article(client_for(sales_rep).get(_order_page(order)).content.decode(), customer_cr)
    assert (
        "Cannot propose yet: engineering and manufacturing assessments are both needed." in article
    )
    assert 'data-testid="cr-assess"' in article


def test_a_manager_decides_a_proposal_without_price_or_date_change(
    client_for, customer_cr, order, engineer, planner, sales_rep, sales_manager
):
    cr = svc.change_request_transition(
        change_request=customer_cr, name="start_assessment", actor=engineer
    )
    cr = svc.change_request_assess(
        change_request=cr,
        actor=planner,
        expected_version=None,
        engineering_assessment="x",
        manufacturing_assessment="y",
    )
    cr = svc.change_request_transition(change_request=cr, name="propose", actor=sales_rep)
    response = client_for(sales_rep).post(_step(cr, "approve"), {"version": cr.version}, **HX)
    assert response.status_code == 422
    assert "You may not approve" in response.content.decode()
    assert "A sales manager decides this proposal" in response.content.decode()
    response = client_for(sales_manager).post(_step(cr, "approve"), {"version": cr.version}, **HX)
    assert response.status_code == 200
    cr.refresh_from_db()
    assert cr.state == ChangeState.APPROVED and cr.decided_by == sales_manager


def test_bad_assessment_input_is_shown_with_the_form(
    client_for, customer_cr, order, engineer, planner
):
    cr = svc.change_request_transition(
        change_request=customer_cr, name="start_assessment", actor=engineer
    )
    line = order.lines.get()
    data = _assess_data(
        cr,
        line,
        date_delta_days="9999",
        price_delta="1e20",
        **{f"config-{line.pk}": "drive"},
    )
    response = client_for(planner).post(_assess(cr), data, **HX)
    assert response.status_code == 422
    html = response.content.decode()
    assert 'aria-invalid="true"' in html and "group=option" in html
    data = _assess_data(cr, line, **{f"config-{line.pk}": "drive=steam"})
    response = client_for(planner).post(_assess(cr), data, **HX)
    assert response.status_code == 422
    assert "Line 10" in response.content.decode()
    cr.refresh_from_db()
    assert cr.proposed_changes == [] and cr.engineering_assessment == ""


def test_a_stale_version_is_a_conflict_not_an_overwrite(
    client_for, customer_cr, order, engineer, planner
):
    cr = svc.change_request_transition(
        change_request=customer_cr, name="start_assessment", actor=engineer
    )
    data = _assess_data(cr, order.lines.get(), version=1)
    response = client_for(planner).post(_assess(cr), data, **HX)
    assert response.status_code == 422
    assert "changed by someone else" in response.content.decode()


def test_plain_posts_redirect_back_with_a_message(client_for, customer_cr, order, engineer):
    response = client_for(engineer).post(
        _step(customer_cr, "start_assessment"), {"version": customer_cr.version}, follow=True
    )
    assert response.redirect_chain[-1][0] == _order_page(order)
    assert f"{customer_cr.number}: assessing." in response.content.decode()


def test_a_customer_visible_comment_on_an_internal_request_is_refused(
    client_for, order, sales_rep, engineer
):
    cr = svc.change_request_create(actor=sales_rep, order=order, title="t", description="d")
    response = client_for(engineer).post(
        _step(cr, "start_assessment"),
        {"version": cr.version, "comment": "x", "customer_visible": "1"},
        **HX,
    )
    assert response.status_code == 422
    assert "does not see this request until it is proposed" in response.content.decode()
    cr.refresh_from_db()
    assert cr.state == ChangeState.SUBMITTED


def test_the_quote_page_shows_requests_on_drafts(client_for, make_quote, sales_rep):
    quote = make_quote()
    response = client_for(sales_rep).post(
        _create(quote), {"new-title": "Lighter frame", "new-description": "Check weight"}, **HX
    )
    assert response.status_code == 200
    html = client_for(sales_rep).get(reverse("sales:quote-detail", args=[quote.pk])).content
    assert "Lighter frame" in html.decode()


def test_empty_create_form_shows_errors(client_for, order, sales_rep):
    response = client_for(sales_rep).post(_create(order), {"new-title": " "}, **HX)
    assert response.status_code == 422
    assert not ChangeRequest.objects.exists()


@pytest.mark.parametrize("who", ["acme_contact", "borealis_contact", "delta_contact"])
def test_outsiders_get_404_on_every_staff_route(request, client_for, customer_cr, order, who):
    client = client_for(request.getfixturevalue(who))
    assert (
        client.post(_create(order), {"new-title": "x", "new-description": "y"}).status_code == 404
    )
    assert client.post(_step(customer_cr, "start_assessment")).status_code == 404
    assert client.post(_assess(customer_cr), {}).status_code == 404
    customer_cr.refresh_from_db()
    assert customer_cr.state == ChangeState.SUBMITTED


def test_unknown_step_is_404_and_get_is_refused(client_for, customer_cr, sales_rep):
    client = client_for(sales_rep)
    assert client.post(_step(customer_cr, "explode")).status_code == 404
    assert client.get(_step(customer_cr, "start_assessment")).status_code == 405


def _in_state(order, acme_contact, engineer, planner, sales_rep, state):
    cr = svc.change_request_create(actor=acme_contact, order=order, title="t", description="d")
    if state == "submitted":
        return cr
    cr = svc.change_request_transition(change_request=cr, name="start_assessment", actor=engineer)
    cr = svc.change_request_assess(
        change_request=cr,
        actor=planner,
        expected_version=None,
        engineering_assessment="x",
        manufacturing_assessment="y",
        price_delta=Decimal("1"),
        proposed_changes=[{"line": str(order.lines.get().pk), "quantity": 3}],
    )
    if state == "assessing":
        return cr
    cr = svc.change_request_transition(change_request=cr, name="propose", actor=sales_rep)
    if state == "proposed":
        return cr
    return svc.change_request_transition(change_request=cr, name="approve", actor=acme_contact)


def test_order_page_query_count_does_not_grow_with_change_requests(
    client_for, order, acme_contact, engineer, planner, sales_rep, django_assert_num_queries
):
    states = ["submitted", "assessing", "proposed", "approved"]
    _in_state(order, acme_contact, engineer, planner, sales_rep, "approved")
    # Approved requests check the order's lines for work done: in production they are read.
    SalesOrder.objects.filter(pk=order.pk).update(state="in_production")
    client = client_for(sales_rep)
    url = _order_page(order)
    client.get(url)  # warm-up
    # session, user with organization, roles and permissions (one query), the order,
    # its lines (every one: the requests' steps read them), the change requests
    # (requester, decider joined), the count of the comments: 7 queries (the unread
    # badge is cached; each line's details, the tracker links and the timeline are
    # read when revealed).
    with django_assert_num_queries(7):
        assert client.get(url).content.decode().count("data-cr=") == 1
    for state in states * 2:
        _in_state(order, acme_contact, engineer, planner, sales_rep, state)
    client.get(url)  # the requests' notifications dropped the cached unread count
    with django_assert_num_queries(7):
        assert client.get(url).content.decode().count("data-cr=") == 9


def test_a_plain_post_refusal_shows_the_page_with_the_reason(
    client_for, customer_cr, order, warehouse
):
    response = client_for(warehouse).post(
        _step(customer_cr, "start_assessment"), {"version": customer_cr.version}
    )
    assert response.status_code == 403
    html = response.content.decode()
    assert f"Order {order.number}" in html and 'data-testid="cr-error"' in html
    assert "You may not start assessment" in html
