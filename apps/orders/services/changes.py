"""Change requests on quotes and orders: submitted → assessing → proposed → decided → applied."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone

from apps.core.concurrency import lock_for_update, refuse_unknown_fields, save_versioned
from apps.core.models import Audience, next_number
from apps.core.permissions import grant_org_access
from apps.core.services import activity_record, notify
from apps.core.transitions import TransitionNotAllowed, run_transition
from apps.orders.models import (
    ORDER_CLOSED_STATES,
    ChangeOrigin,
    ChangeRequest,
    ChangeState,
    OrderLine,
    OrderState,
    Quote,
    QuoteState,
    SalesOrder,
)
from apps.orders.models.rules import can_assess_change, can_sell
from apps.orders.services.orders import order_line_reforecast

change_request_applied = Signal()  # sender=ChangeRequest, change_request, actor

ASSESSMENT_FIELDS = (
    "engineering_assessment",
    "manufacturing_assessment",
    "cost_delta",
    "price_delta",
    "date_delta_days",
    "proposed_changes",
)


def _target_url(target: Quote | SalesOrder) -> str:
    # The staff page of what the request changes; change requests have no page of their own.
    name = "sales:order-detail" if isinstance(target, SalesOrder) else "sales:quote-detail"
    return reverse(name, args=[target.pk])


@transaction.atomic
def change_request_create(
    *,
    actor,
    title: str,
    description: str,
    quote: Quote | None = None,
    order: SalesOrder | None = None,
) -> ChangeRequest:
    if (quote is None) == (order is None):
        raise ValidationError({"order": ["Give exactly one quote or order."]})
    target = quote or order
    customer = target.customer
    if actor.is_external:
        if not (actor.is_customer_contact and actor.organization.pk == customer.pk):
            raise PermissionDenied("You may only request changes to your own orders.")
        origin = ChangeOrigin.CUSTOMER
    elif can_sell(target, actor) or can_assess_change(None, actor):
        origin = ChangeOrigin.INTERNAL
    else:
        raise PermissionDenied("Your role may not request changes.")
    if order is not None and order.state in ORDER_CLOSED_STATES:
        raise ValidationError({"order": [f"{order.number} is {order.state}."]})
    if quote is not None and quote.state in (
        QuoteState.CONVERTED,
        QuoteState.CANCELLED,
        QuoteState.DECLINED,
        QuoteState.EXPIRED,
    ):
        raise ValidationError({"quote": [f"{quote.number} is {quote.state}."]})
    if not title.strip() or not description.strip():
        raise ValidationError(
            {
                k: ["This field is required."]
                for k, v in (("title", title), ("description", description))
                if not v.strip()
            }
        )
    cr = ChangeRequest.objects.create(
        number=next_number("change", "CR"),
        quote=quote,
        order=order,
        customer=customer,
        origin=origin,
        requested_by=actor,
        title=title.strip(),
        description=description.strip(),
    )
    grant_org_access(cr, customer)
    activity_record(
        target=cr, actor=actor, verb="submitted", audience=Audience.CUSTOMER, text=cr.title
    )
    activity_record(
        target=target,
        actor=actor,
        verb="change_requested",
        audience=Audience.CUSTOMER,
        text=f"{cr.number}: {cr.title}",
    )
    notify(
        recipients=[target.owner],
        title=f"Change request {cr.number} on {target.number}",
        body=cr.title,
        url=_target_url(target),
    )
    return cr


@transaction.atomic
def change_request_assess(
    *, change_request: ChangeRequest, actor, expected_version: int | None, **fields: Any
) -> ChangeRequest:
    if not can_assess_change(change_request, actor):
        raise PermissionDenied("Only engineering, manufacturing and sales assess changes.")
    locked = lock_for_update(change_request, expected_version=expected_version)
    if locked.state != ChangeState.ASSESSING:
        raise TransitionNotAllowed(
            f"{locked.number} is {locked.state}; assessments are recorded while assessing."
        )
    refuse_unknown_fields(fields, ASSESSMENT_FIELDS)
    if "proposed_changes" in fields:
        _validate_proposed(locked, fields["proposed_changes"])
    for key, value in fields.items():
        setattr(locked, key, value)
    save_versioned(locked, expected_version=locked.version, update_fields=list(fields))
    activity_record(
        target=locked,
        actor=actor,
        verb="assessed",
        text="Updated " + ", ".join(sorted(f.replace("_", " ") for f in fields)),
    )
    return locked


def _validate_proposed(cr: ChangeRequest, changes) -> None:
    if cr.order_id is None:
        if changes:
            raise ValidationError(
                {"proposed_changes": ["Quote changes are made by revising the quote."]}
            )
        return
    if not isinstance(changes, list):
        raise ValidationError({"proposed_changes": ["Send a list of line changes."]})
    line_ids = {str(pk) for pk in cr.order.lines.values_list("pk", flat=True)}
    errors = []
    for i, change in enumerate(changes):
        if not isinstance(change, dict) or str(change.get("line")) not in line_ids:
            errors.append(f"Item {i + 1}: name a line of {cr.order.number}.")
            continue
        qty = change.get("quantity")
        if qty is not None and (not isinstance(qty, int) or isinstance(qty, bool) or qty < 1):
            errors.append(f"Item {i + 1}: quantity must be a whole number of at least 1.")
    if errors:
        raise ValidationError({"proposed_changes": errors})


def change_request_transition(
    *,
    change_request: ChangeRequest,
    name: str,
    actor,
    comment: str = "",
    expected_version: int | None = None,
) -> ChangeRequest:
    if name == "apply":
        return change_request_apply(
            change_request=change_request,
            actor=actor,
            comment=comment,
            expected_version=expected_version,
        )

    def stamp(locked: ChangeRequest) -> None:
        if name in ("approve", "reject"):
            locked.decided_by = actor
            locked.decided_at = timezone.now()

    with transaction.atomic():
        cr = run_transition(
            obj=change_request,
            name=name,
            actor=actor,
            comment=comment,
            expected_version=expected_version,
            audience=Audience.CUSTOMER,
            before=stamp,
        )
        target = cr.target
        notify(
            recipients=[target.owner],
            title=f"{cr.number} {cr.get_state_display().lower()}",
            body=comment,
            url=_target_url(target),
        )
    return cr


@transaction.atomic
def change_request_apply(
    *, change_request: ChangeRequest, actor, comment: str = "", expected_version: int | None = None
) -> ChangeRequest:
    """approved → applied: amend the order lines (a new order revision) and move dates."""

    def amend(locked: ChangeRequest) -> None:
        locked.applied_at = timezone.now()
        order = locked.order
        if order is None:
            return
        order = SalesOrder.objects.select_for_update().get(pk=order.pk)
        if order.state in ORDER_CLOSED_STATES or order.state == OrderState.SHIPPED:
            raise TransitionNotAllowed(f"{order.number} is {order.state}; nothing to amend.")
        lines = {str(line.pk): line for line in order.lines.all()}
        for change in locked.proposed_changes:
            line = lines[str(change["line"])]
            if "quantity" in change:
                line.quantity = change["quantity"]
                line.line_total = line.unit_price * line.quantity
            if "scope_statement" in change:
                line.scope_statement = str(change["scope_statement"])
            line.save()
        order.total = sum((line.line_total for line in order.lines.all()), Decimal("0"))
        order.total += locked.price_delta
        order.order_revision += 1
        save_versioned(
            order, expected_version=order.version, update_fields=["total", "order_revision"]
        )
        if locked.date_delta_days:
            for line in OrderLine.objects.filter(order=order):
                order_line_reforecast(
                    line=line,
                    actor=actor,
                    new_date=line.forecast_date + dt.timedelta(days=locked.date_delta_days),
                    reason=f"{locked.number}: {locked.title}",
                )
        activity_record(
            target=order,
            actor=actor,
            verb="amended",
            audience=Audience.CUSTOMER,
            text=f"Revision {order.order_revision} by {locked.number}: {locked.title}",
        )

    cr = run_transition(
        obj=change_request,
        name="apply",
        actor=actor,
        comment=comment,
        expected_version=expected_version,
        audience=Audience.CUSTOMER,
        before=amend,
    )
    transaction.on_commit(
        lambda: change_request_applied.send(sender=ChangeRequest, change_request=cr, actor=actor)
    )
    return cr
