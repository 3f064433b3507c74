"""Who is notified: only the people a step asks something of; the rest is timeline.

Before, every transition by someone else notified the owner (60 notifications
for one sales rep in the demo); these tests count them exactly.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from apps.core.models import Activity, Notification
from apps.orders.models import SalesOrder
from apps.orders.services import orders as so
from apps.orders.services import quotes as q

pytestmark = pytest.mark.django_db


def _titles(user, prefix: str = "") -> list[str]:
    notes = Notification.objects.filter(recipient=user, title__startswith=prefix)
    return sorted(notes.values_list("title", flat=True))


def test_quote_with_two_reviews_notifies_reviewers_once_and_the_owner_twice(
    make_quote, sales_rep, engineer, planner, acme_contact
):
    quote = q.quote_submit(quote=make_quote(lines=[("dosing", 1, {}, 0)]), actor=sales_rep)
    number = quote.number
    assert _titles(engineer) == [f"Engineering review requested for {number}"]
    assert _titles(planner) == [f"Manufacturing review requested for {number}"]
    eng = quote.reviews.get(department="engineering")
    q.quote_review_decide(review=eng, actor=engineer, decision="approve")
    assert _titles(sales_rep) == []  # one of two approvals asks nothing of the owner
    mfg = quote.reviews.get(department="manufacturing")
    q.quote_review_decide(review=mfg, actor=planner, decision="approve")
    assert _titles(sales_rep) == [f"{number}: all reviews approved, ready to send"]
    quote = q.quote_send(quote=q.Quote.objects.get(pk=quote.pk), actor=sales_rep)
    q.quote_accept(quote=quote, actor=acme_contact)
    assert _titles(sales_rep) == [
        f"{number} was accepted by the customer",
        f"{number}: all reviews approved, ready to send",
    ]
    # The steps themselves are all on the timeline.
    verbs = set(Activity.objects.filter(object_id=str(quote.pk)).values_list("verb", flat=True))
    assert {"submit", "review_approved", "approve", "send", "accept"} <= verbs


def test_a_rejected_review_asks_the_owner_to_revise(make_quote, sales_rep, engineer):
    quote = q.quote_submit(quote=make_quote(lines=[("dosing", 1, {}, 0)]), actor=sales_rep)
    eng = quote.reviews.get(department="engineering")
    q.quote_review_decide(review=eng, actor=engineer, decision="reject", comment="No 316L")
    assert _titles(sales_rep) == [f"{quote.number}: Engineering review rejected"]


def test_the_owner_recording_the_answer_is_not_notified(sent_quote, sales_rep):
    q.quote_decline(quote=sent_quote, actor=sales_rep, comment="Phoned in")
    assert _titles(sales_rep) == []


def test_an_order_run_to_closed_notifies_each_next_role_once_and_the_owner_never(
    order, sales_rep, sales_manager, planner, quality, warehouse, finance, engineer
):
    order = so.order_update(
        order=order, actor=sales_rep, expected_version=order.version, delivery_contact_name="D"
    )
    for name, actor in [
        ("confirm", sales_manager),
        ("plan", planner),
        ("start_production", planner),
        ("mark_ready_to_ship", quality),
        ("ship", warehouse),
        ("deliver", warehouse),
    ]:
        order = so.order_transition(order=order, name=name, actor=actor)
    SalesOrder.objects.filter(pk=order.pk).update(
        invoiced_amount=order.total, paid_amount=order.total, onboarding_done_at=timezone.now()
    )
    so.order_transition(order=SalesOrder.objects.get(pk=order.pk), name="close", actor=finance)
    n = order.number
    assert _titles(sales_rep, "SO-") == []  # seven steps, none asked anything of the owner
    assert _titles(planner) == [f"{n} confirmed: plan it"]
    assert _titles(warehouse) == [f"{n} is ready to ship"]
    assert _titles(finance) == [f"{n} delivered: invoice and close"]
    assert _titles(engineer) == [] and _titles(quality) == [] and _titles(sales_manager) == []
    assert Activity.objects.filter(object_id=str(order.pk), kind="transition").count() == 7


def test_hold_and_cancel_by_others_tell_the_owner(order, sales_rep, sales_manager, finance):
    order = so.order_transition(order=order, name="hold", actor=finance, comment="Overdue")
    order = so.order_transition(order=order, name="release", actor=finance)
    so.order_transition(order=order, name="cancel", actor=sales_manager)
    assert _titles(sales_rep, "SO-") == [
        f"{order.number} was cancelled",
        f"{order.number} was put on hold",
    ]
