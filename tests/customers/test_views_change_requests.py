"""Change requests in the customer portal: the customer's own and the proposed ones,
decisions only on proposals that need the customer, nothing internal."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from apps.orders.models import ChangeRequest, ChangeState
from apps.orders.services import changes as svc

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
ENGINEERING_NOTE = "CANARY-ENGINEERING: the motor mount needs redesign"
COST = "4321.00"


def _order_page(order) -> str:
    return reverse("customers:order-detail", kwargs={"pk": order.pk})


def _decide(cr, name) -> str:
    return reverse("customers:change-request-transition", kwargs={"pk": cr.pk, "name": name})


def _proposed(cr, engineer, planner, sales_rep, **fields):
    cr = svc.change_request_transition(change_request=cr, name="start_assessment", actor=engineer)
    cr = svc.change_request_assess(
        change_request=cr,
        actor=planner,
        expected_version=None,
        engineering_assessment=ENGINEERING_NOTE,
        manufacturing_assessment="fine",
        cost_delta=Decimal(COST),
        **fields,
    )
    return svc.change_request_transition(change_request=cr, name="propose", actor=sales_rep)


@pytest.fixture
def own_cr(order, acme_contact):
    return svc.change_request_create(
        actor=acme_contact, order=order, title="Extra seal kit", description="One more"
    )


def test_a_proposal_needing_the_customer_can_be_approved(
    client_for, own_cr, order, engineer, planner, sales_rep, acme_contact
):
    cr = _proposed(own_cr, engineer, planner, sales_rep, price_delta=Decimal("350"))
    client = client_for(acme_contact)
    html = client.get(_order_page(order) + "?sections=all").content.decode()
    assert "Awaiting your decision" in html and 'data-testid="change-decision"' in html
    assert f"Price change: +{order.currency} 350.00" in html
    assert ENGINEERING_NOTE not in html and "4,321" not in html and COST not in html

    response = client.post(_decide(cr, "approve"), {"version": cr.version, "comment": "OK"}, **HX)
    assert response.status_code == 200
    assert f"You approved change {cr.number}." in response.content.decode()
    cr.refresh_from_db()
    assert (cr.state, cr.decided_by) == (ChangeState.APPROVED, acme_contact)


def test_declining_with_a_plain_post_redirects_back(
    client_for, own_cr, order, engineer, planner, sales_rep, acme_contact
):
    cr = _proposed(own_cr, engineer, planner, sales_rep, date_delta_days=5)
    response = client_for(acme_contact).post(
        _decide(cr, "reject"), {"version": cr.version}, follow=True
    )
    assert response.redirect_chain[-1][0] == _order_page(order)
    assert f"You declined change {cr.number}." in response.content.decode()
    cr.refresh_from_db()
    assert cr.state == ChangeState.REJECTED


def test_no_decision_on_a_proposal_kestrel_decides(
    client_for, own_cr, order, engineer, planner, sales_rep, acme_contact
):
    cr = _proposed(own_cr, engineer, planner, sales_rep)
    client = client_for(acme_contact)
    html = client.get(_order_page(order) + "?sections=all").content.decode()
    assert "Kestrel decides it" in html and 'data-testid="change-decision"' not in html
    response = client.post(_decide(cr, "approve"), {"version": cr.version}, **HX)
    assert response.status_code == 422
    assert "You may not approve" in response.content.decode()
    cr.refresh_from_db()
    assert cr.state == ChangeState.PROPOSED


def test_no_decision_before_the_proposal(client_for, own_cr, acme_contact):
    response = client_for(acme_contact).post(_decide(own_cr, "approve"), **HX)
    assert response.status_code == 422
    assert "submitted" in response.content.decode()
    own_cr.refresh_from_db()
    assert own_cr.state == ChangeState.SUBMITTED


def test_an_unproposed_internal_request_is_404(client_for, order, sales_rep, acme_contact):
    cr = svc.change_request_create(actor=sales_rep, order=order, title="t", description="d")
    assert client_for(acme_contact).post(_decide(cr, "approve")).status_code == 404


@pytest.mark.parametrize("who", ["borealis_contact", "sales_manager", "delta_contact"])
def test_everyone_else_gets_404(request, client_for, own_cr, engineer, planner, sales_rep, who):
    cr = _proposed(own_cr, engineer, planner, sales_rep, price_delta=Decimal("1"))
    response = client_for(request.getfixturevalue(who)).post(_decide(cr, "approve"))
    assert response.status_code == 404
    assert ChangeRequest.objects.get(pk=cr.pk).state == ChangeState.PROPOSED


def test_unknown_decision_is_404(client_for, own_cr, acme_contact):
    assert client_for(acme_contact).post(_decide(own_cr, "apply")).status_code == 404


def test_a_plain_post_refusal_shows_the_page_with_the_reason(
    client_for, own_cr, order, engineer, planner, sales_rep, acme_contact
):
    cr = _proposed(own_cr, engineer, planner, sales_rep)
    response = client_for(acme_contact).post(_decide(cr, "approve"), {"version": cr.version})
    assert response.status_code == 403
    assert 'data-testid="change-error"' in response.content.decode()


def test_the_dashboard_lists_proposals_waiting_for_the_customer(
    client_for, own_cr, order, engineer, planner, sales_rep, acme_contact, borealis_contact
):
    minor = svc.change_request_create(
        actor=acme_contact, order=order, title="Label", description="x"
    )
    _proposed(minor, engineer, planner, sales_rep)  # Kestrel decides this one
    cr = _proposed(own_cr, engineer, planner, sales_rep, price_delta=Decimal("10"))
    html = client_for(acme_contact).get("/portal/").content.decode()
    listed = html.split('data-testid="change-decisions"', 1)[1].split("</ul>", 1)[0]
    assert cr.number in listed and _order_page(order) in listed
    assert minor.number not in listed
    assert cr.number not in client_for(borealis_contact).get("/portal/").content.decode()
    svc.change_request_transition(change_request=cr, name="approve", actor=acme_contact)
    assert (
        'data-testid="change-decisions"'
        not in client_for(acme_contact).get("/portal/").content.decode()
    )
