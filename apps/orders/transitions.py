"""Which service fires which transition: one table for the staff pages, the
portal and the API alike, so none of them owns it and they never disagree."""

from __future__ import annotations

from apps.core.transitions import run_transition
from apps.orders.services import changes as change_services
from apps.orders.services import orders as order_services
from apps.orders.services import quotes as quote_services

QUOTE_TRANSITIONS = {
    "submit": quote_services.quote_submit,
    "approve": quote_services.quote_approve,
    "send": quote_services.quote_send,
    "accept": quote_services.quote_accept,
    "decline": quote_services.quote_decline,
    "revise": quote_services.quote_revise,
    "cancel": quote_services.quote_cancel,
    "convert": order_services.quote_convert,
}

# What a customer contact may decide on a sent quote (the portal's buttons).
QUOTE_CUSTOMER_DECISIONS = ("accept", "decline")

# A reviewer's answers on a quote review.
REVIEW_DECISIONS = ("approve", "request_changes", "reject")


def quote_transition(*, obj, name, actor, comment="", expected_version=None, comment_audience=None):
    service = QUOTE_TRANSITIONS.get(name)
    if service is None:
        # expire is the scheduler's; unknown names get the generic 404 / 409 answer.
        return run_transition(
            obj=obj,
            name=name,
            actor=actor,
            comment=comment,
            expected_version=expected_version,
            comment_audience=comment_audience,
        )
    return service(
        quote=obj,
        actor=actor,
        comment=comment,
        expected_version=expected_version,
        comment_audience=comment_audience,
    )


def order_transition(*, obj, name, actor, comment="", expected_version=None, comment_audience=None):
    return order_services.order_transition(
        order=obj,
        name=name,
        actor=actor,
        comment=comment,
        expected_version=expected_version,
        comment_audience=comment_audience,
    )


def change_transition(
    *, obj, name, actor, comment="", expected_version=None, comment_audience=None
):
    return change_services.change_request_transition(
        change_request=obj,
        name=name,
        actor=actor,
        comment=comment,
        comment_audience=comment_audience,
        expected_version=expected_version,
    )
