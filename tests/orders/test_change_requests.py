from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.core.transitions import TransitionForbidden, TransitionNotAllowed
from apps.orders.models import ChangeState
from apps.orders.selectors import change_requests_visible_to
from apps.orders.services import changes as svc

pytestmark = pytest.mark.django_db


@pytest.fixture
def cr(order, acme_contact):
    return svc.change_request_create(
        actor=acme_contact,
        order=order,
        title="Add a spare seal kit",
        description="Please add one more skid",
    )


def _assess(cr, engineer, planner, sales_rep, **extra):
    cr = svc.change_request_transition(change_request=cr, name="start_assessment", actor=engineer)
    cr = svc.change_request_assess(
        change_request=cr,
        actor=engineer,
        expected_version=None,
        engineering_assessment="No design impact",
    )
    fields = {
        "manufacturing_assessment": "One more day of assembly",
        "date_delta_days": 2,
        "price_delta": Decimal("0"),
        **extra,
    }
    cr = svc.change_request_assess(
        change_request=cr, actor=planner, expected_version=None, **fields
    )
    return svc.change_request_transition(change_request=cr, name="propose", actor=sales_rep)


def test_customer_request_is_visible_to_its_customer_only(cr, acme_contact, borealis_contact):
    assert cr.origin == "customer" and cr.state == ChangeState.SUBMITTED
    assert list(change_requests_visible_to(acme_contact)) == [cr]
    assert not change_requests_visible_to(borealis_contact).exists()


def test_other_customers_and_roles_cannot_request(order, borealis_contact, warehouse):
    with pytest.raises(PermissionDenied):
        svc.change_request_create(actor=borealis_contact, order=order, title="x", description="y")
    with pytest.raises(PermissionDenied):
        svc.change_request_create(actor=warehouse, order=order, title="x", description="y")


def test_request_needs_a_title_and_exactly_one_target(order, accepted_quote, sales_rep):
    with pytest.raises(ValidationError):
        svc.change_request_create(actor=sales_rep, order=order, title=" ", description="y")
    with pytest.raises(ValidationError):
        svc.change_request_create(
            actor=sales_rep, order=order, quote=accepted_quote, title="t", description="d"
        )


def test_full_flow_amends_the_order(cr, order, engineer, planner, sales_rep, acme_contact):
    line = order.lines.get()
    cr = _assess(
        cr, engineer, planner, sales_rep, proposed_changes=[{"line": str(line.pk), "quantity": 2}]
    )
    assert cr.state == ChangeState.PROPOSED
    cr = svc.change_request_transition(change_request=cr, name="approve", actor=acme_contact)
    assert cr.decided_by == acme_contact
    cr = svc.change_request_transition(change_request=cr, name="apply", actor=sales_rep)
    assert cr.state == ChangeState.APPLIED
    order.refresh_from_db()
    line.refresh_from_db()
    assert (line.quantity, order.order_revision) == (2, 2)
    assert order.total == line.unit_price * 2
    assert line.forecast_date == line.first_promised_date + dt.timedelta(days=2)


def test_propose_needs_both_assessments(cr, engineer, sales_rep):
    cr = svc.change_request_transition(change_request=cr, name="start_assessment", actor=engineer)
    with pytest.raises(TransitionNotAllowed) as err:
        svc.change_request_transition(change_request=cr, name="propose", actor=sales_rep)
    assert "assessments" in err.value.message


def test_reject_ends_the_request(cr, engineer, planner, sales_rep, sales_manager):
    cr = _assess(cr, engineer, planner, sales_rep)
    cr = svc.change_request_transition(
        change_request=cr, name="reject", actor=sales_manager, comment="Too late in production"
    )
    assert cr.state == ChangeState.REJECTED
    with pytest.raises(TransitionNotAllowed):
        svc.change_request_transition(change_request=cr, name="apply", actor=sales_rep)


def test_wrong_roles_are_refused_at_each_step(
    cr, engineer, planner, sales_rep, warehouse, borealis_contact
):
    with pytest.raises(TransitionForbidden):
        svc.change_request_transition(change_request=cr, name="start_assessment", actor=warehouse)
    cr = _assess(cr, engineer, planner, sales_rep)
    with pytest.raises(TransitionForbidden):
        svc.change_request_transition(change_request=cr, name="approve", actor=borealis_contact)
    with pytest.raises(TransitionForbidden):
        svc.change_request_transition(change_request=cr, name="approve", actor=sales_rep)


def test_bad_proposed_changes_are_refused(cr, engineer):
    cr = svc.change_request_transition(change_request=cr, name="start_assessment", actor=engineer)
    with pytest.raises(ValidationError) as err:
        svc.change_request_assess(
            change_request=cr,
            actor=engineer,
            expected_version=None,
            proposed_changes=[{"line": "nope", "quantity": 0}],
        )
    assert "proposed_changes" in err.value.message_dict


def test_assessment_only_while_assessing(cr, engineer):
    with pytest.raises(TransitionNotAllowed):
        svc.change_request_assess(
            change_request=cr, actor=engineer, expected_version=None, engineering_assessment="x"
        )
