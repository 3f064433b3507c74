"""Change requests on quotes and orders: submitted → assessing → proposed → decided → applied.

Visibility and decisions (DESIGN §4, issue 6): a request raised by staff is
internal until it is proposed; a customer's own request is visible to that
customer throughout. A proposal that changes the price or a date the customer
agreed to is decided by the customer, one that changes neither by a sales
manager; who decides is fixed when it is proposed. Staff comments are internal
unless the author marks them customer-visible. Notifications go only to whoever
must act next.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone

from apps.accounts.roles import Role
from apps.catalog.configuration import Configuration
from apps.core.concurrency import lock_for_update, refuse_unknown_fields, save_versioned
from apps.core.limits import DESCRIPTION_MAX_LENGTH, MONEY_LIMIT, QUANTITY_MAX
from apps.core.models import Audience, next_number
from apps.core.permissions import grant_org_access
from apps.core.services import activity_record, notify
from apps.core.transitions import TransitionNotAllowed, run_transition, transition_options
from apps.orders.allocation import order_lines_book
from apps.orders.models import (
    ORDER_CLOSED_STATES,
    ChangeDecider,
    ChangeOrigin,
    ChangeRequest,
    ChangeState,
    OrderLine,
    Quote,
    QuoteState,
    SalesOrder,
    SlipCause,
)
from apps.orders.models.change import ORDER_SHIPPED_STATES
from apps.orders.models.rules import can_assess_change, can_sell, margin_needs_manager
from apps.orders.pricing import LinePrice, margin_floor, price_from_list
from apps.orders.promise import LineRequest, PromiseEngine
from apps.orders.services.orders import _explode, _full_bom, order_line_reforecast

change_request_applied = Signal()  # sender=ChangeRequest, change_request, actor

ASSESSMENT_FIELDS = (
    "engineering_assessment",
    "manufacturing_assessment",
    "cost_delta",
    "price_delta",
    "date_delta_days",
    "proposed_changes",
)
LINE_CHANGE_KEYS = {"line", "quantity", "configuration", "scope_statement"}
# A margin beyond this cannot be stored (and means a price of almost nothing).
MARGIN_BOUND = Decimal("-9999999.99")


def _target_url(target: Quote | SalesOrder) -> str:
    # The staff page of what the request changes; change requests have no page of their own.
    name = "sales:order-detail" if isinstance(target, SalesOrder) else "sales:quote-detail"
    return reverse(name, args=[target.pk])


def _portal_url(target: Quote | SalesOrder) -> str:
    name = "customers:order-detail" if isinstance(target, SalesOrder) else "customers:quote-detail"
    return reverse(name, args=[target.pk])


def _role_holders(*roles: str):
    return get_user_model().objects.filter(groups__name__in=roles, is_active=True).distinct()


def _customer_contacts(cr: ChangeRequest) -> list:
    contact = cr.target.contact
    if contact is not None and contact.is_active:
        return [contact]
    return [m.user for m in cr.customer.memberships.select_related("user") if m.user.is_active]


def _notify_next(cr: ChangeRequest, actor, recipients, title: str, *, portal: bool = False) -> None:
    """Tell the people who must act next, never the person who just acted."""
    target = cr.target
    notify(
        recipients=[u for u in recipients if u.pk != getattr(actor, "pk", None)],
        title=title,
        body=cr.title,
        url=_portal_url(target) if portal else _target_url(target),
    )


# -- create ------------------------------------------------------------------


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
    # Staff requests are shared with the customer only when proposed.
    audience = Audience.INTERNAL
    if origin == ChangeOrigin.CUSTOMER:
        grant_org_access(cr, customer)
        audience = Audience.CUSTOMER
    activity_record(target=cr, actor=actor, verb="submitted", audience=audience, text=cr.title)
    activity_record(
        target=target,
        actor=actor,
        verb="change_requested",
        audience=audience,
        text=f"{cr.number}: {cr.title}",
    )
    # The owner triages: starting the assessment is the next step.
    _notify_next(cr, actor, [target.owner], f"Change request {cr.number} on {target.number}")
    return cr


# -- the impact of the proposed line changes ------------------------------------


@dataclass
class LinePlan:
    line: OrderLine
    quantity: int
    configuration: Configuration | None  # set when the line is re-priced
    price: LinePrice | None
    feasible_date: dt.date | None
    critical_path: str
    scope_statement: str | None

    @property
    def total_delta(self) -> Decimal:
        return self.price.line_total - self.line.line_total if self.price else Decimal("0")

    @property
    def cost_delta(self) -> Decimal:
        if self.price is None:
            return Decimal("0")
        return self.price.unit_cost * self.quantity - self.line.unit_cost * self.line.quantity


def plan_line_changes(cr: ChangeRequest, *, today: dt.date | None = None) -> list[LinePlan]:
    """Re-validate, re-price (quantity break, then the line's discount) and re-promise
    every line the request changes. Raises ValidationError naming the line."""
    if cr.order_id is None or not cr.proposed_changes:
        return []
    lines = {
        str(line.pk): line
        for line in OrderLine.objects.filter(order_id=cr.order_id).select_related(
            "product", "order"
        )
    }
    currency = next(iter(lines.values())).order.currency if lines else ""
    plans: list[LinePlan] = []
    requests: list[LineRequest] = []
    errors: list[str] = []
    for change in cr.proposed_changes:
        line = lines.get(str(change.get("line")))
        if line is None:
            errors.append("A changed line is no longer on the order.")
            continue
        quantity = change.get("quantity") or line.quantity
        selections = change.get("configuration", line.configuration)
        config = price = None
        if quantity != line.quantity or selections != line.configuration:
            try:
                # The price list in the order's currency: quantity break, then the discount.
                config, price = price_from_list(
                    product=line.product,
                    selections=selections,
                    quantity=quantity,
                    discount_percent=line.discount_percent,
                    currency=currency,
                )
            except ValidationError as exc:
                problems = " ".join(m for msgs in exc.message_dict.values() for m in msgs)
                errors.append(f"Line {line.position}: {problems}")
                continue
            requests.append(
                LineRequest(
                    key=str(line.pk),
                    product=line.product,
                    quantity=quantity,
                    options=config.options,
                    requested_date=line.requested_date,
                )
            )
        scope = change.get("scope_statement")
        plans.append(
            LinePlan(line, quantity, config, price, None, "", None if scope is None else str(scope))
        )
    if errors:
        raise ValidationError({"proposed_changes": errors})
    if requests:
        try:
            # The changed lines' own bookings are released when the change applies.
            promise = PromiseEngine(
                today=today or timezone.localdate(),
                own_bookings=[f"order-line:{r.key}" for r in requests],
            ).promise(requests)
        except ValueError as exc:
            # e.g. no free capacity within the planning horizon for this quantity.
            raise ValidationError({"proposed_changes": [f"Cannot promise a date: {exc}"]}) from None
        by_key = {p.key: p for p in promise.lines}
        for plan in plans:
            found = by_key.get(str(plan.line.pk))
            if found is not None:
                plan.feasible_date = found.feasible_date
                plan.critical_path = found.critical_path
    return plans


def _refresh_impact(cr: ChangeRequest) -> None:
    plans = plan_line_changes(cr)
    priced = [p for p in plans if p.price is not None]
    cr.line_price_delta = sum((p.total_delta for p in priced), Decimal("0"))
    cr.line_cost_delta = sum((p.cost_delta for p in priced), Decimal("0"))
    if abs(cr.line_price_delta) >= MONEY_LIMIT or abs(cr.line_cost_delta) >= MONEY_LIMIT:
        raise ValidationError({"proposed_changes": ["These changes move the price too far."]})
    cr.lowest_margin_percent = (
        max(min(p.price.margin_percent for p in priced), MARGIN_BOUND) if priced else None
    )
    cr.moves_agreed_dates = any(
        p.feasible_date is not None and p.feasible_date > p.line.forecast_date for p in plans
    )
    cr.line_dates = [
        {
            "position": p.line.position,
            "from": p.line.forecast_date.isoformat() if p.line.forecast_date else None,
            "to": p.feasible_date.isoformat(),
        }
        for p in plans
        if p.feasible_date is not None
    ]


# -- assess ------------------------------------------------------------------


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
    was_assessed = locked.is_assessed()
    for key, value in fields.items():
        setattr(locked, key, value)
    _refresh_impact(locked)
    save_versioned(
        locked,
        expected_version=locked.version,
        update_fields=[
            *fields,
            "line_price_delta",
            "line_cost_delta",
            "line_dates",
            "lowest_margin_percent",
            "moves_agreed_dates",
        ],
    )
    activity_record(
        target=locked,
        actor=actor,
        verb="assessed",
        text="Updated " + ", ".join(sorted(f.replace("_", " ") for f in fields)),
    )
    if locked.is_assessed() and not was_assessed:
        # Both notes are in: sales can propose now.
        _notify_next(locked, actor, [locked.target.owner], f"{locked.number} is ready to propose")
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
    seen = set()
    for i, change in enumerate(changes):
        if not isinstance(change, dict) or str(change.get("line")) not in line_ids:
            errors.append(f"Item {i + 1}: name a line of {cr.order.number}.")
            continue
        if str(change["line"]) in seen:
            errors.append(f"Item {i + 1}: the line is changed twice.")
        seen.add(str(change["line"]))
        unknown = set(change) - LINE_CHANGE_KEYS
        if unknown:
            errors.append(f"Item {i + 1}: unknown keys {', '.join(sorted(map(str, unknown)))}.")
        qty = change.get("quantity")
        if qty is not None and (
            not isinstance(qty, int) or isinstance(qty, bool) or not 1 <= qty <= QUANTITY_MAX
        ):
            errors.append(
                f"Item {i + 1}: quantity must be a whole number from 1 to {QUANTITY_MAX:,}."
            )
        if "configuration" in change and not isinstance(change["configuration"], dict):
            errors.append(f"Item {i + 1}: configuration must map option groups to options.")
        scope = change.get("scope_statement")
        if scope is not None and (
            not isinstance(scope, str) or len(scope) > DESCRIPTION_MAX_LENGTH
        ):
            errors.append(
                f"Item {i + 1}: the scope statement is text of at most "
                f"{DESCRIPTION_MAX_LENGTH:,} characters."
            )
    if errors:
        raise ValidationError({"proposed_changes": errors})
    # Re-validate configurations and prices now, so a bad change is refused where it is made.
    probe = ChangeRequest(order_id=cr.order_id, proposed_changes=changes)
    plan_line_changes(probe)


# -- transitions -----------------------------------------------------------------


def _entry_audience(cr: ChangeRequest, name: str, actor, comment_audience: str | None) -> str:
    """The audience of the transition's entry: the customer sees transitions of requests
    it may see; a staff comment goes with the entry only when its author marked it
    customer-visible (run_transition records it apart otherwise)."""
    comment_audience = comment_audience or Audience.INTERNAL
    if comment_audience not in (Audience.INTERNAL, Audience.CUSTOMER):
        raise ValidationError({"comment_audience": ["Choose internal or customer."]})
    visible = cr.is_customer_visible or name == "propose"
    if getattr(actor, "is_external", False):
        return Audience.CUSTOMER
    if comment_audience == Audience.CUSTOMER and not visible:
        raise ValidationError(
            {
                "comment_audience": [
                    "The customer does not see this request until it is proposed; "
                    "comments on it stay internal."
                ]
            }
        )
    return Audience.CUSTOMER if visible else Audience.INTERNAL


def change_request_transition(
    *,
    change_request: ChangeRequest,
    name: str,
    actor,
    comment: str = "",
    comment_audience: str | None = None,
    expected_version: int | None = None,
) -> ChangeRequest:
    if name == "apply":
        return change_request_apply(
            change_request=change_request,
            actor=actor,
            comment=comment,
            comment_audience=comment_audience,
            expected_version=expected_version,
        )
    audience = _entry_audience(change_request, name, actor, comment_audience)

    def stamp(locked: ChangeRequest) -> None:
        if name == "propose":
            locked.proposed_at = timezone.now()
            locked.decider = (
                ChangeDecider.CUSTOMER
                if locked.changes_price_or_agreed_dates
                else ChangeDecider.SALES_MANAGER
            )
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
            audience=audience,
            comment_audience=comment_audience,
            before=stamp,
        )
        target = cr.target
        if name == "start_assessment":
            _notify_next(
                cr,
                actor,
                _role_holders(Role.ENGINEER, Role.PLANNER),
                f"Assess change request {cr.number} on {target.number}",
            )
        elif name == "propose":
            if cr.origin == ChangeOrigin.INTERNAL:
                grant_org_access(cr, cr.customer)
                activity_record(
                    target=target,
                    actor=actor,
                    verb="change_proposed",
                    audience=Audience.CUSTOMER,
                    text=f"{cr.number}: {cr.title}",
                )
            if cr.decider == ChangeDecider.CUSTOMER:
                _notify_next(
                    cr,
                    actor,
                    _customer_contacts(cr),
                    f"Please decide on change {cr.number} to {target.number}",
                    portal=True,
                )
            else:
                _notify_next(
                    cr,
                    actor,
                    _role_holders(Role.SALES_MANAGER),
                    f"Decide change request {cr.number} on {target.number}",
                )
        elif name == "approve":
            # The owner applies it (or hands it to planning).
            _notify_next(cr, actor, [target.owner], f"{cr.number} approved: apply it")
    return cr


@transaction.atomic
def change_request_apply(
    *,
    change_request: ChangeRequest,
    actor,
    comment: str = "",
    comment_audience: str | None = None,
    expected_version: int | None = None,
) -> ChangeRequest:
    """approved → applied: amend the order lines (a new order revision) and move dates."""
    audience = _entry_audience(change_request, "apply", actor, comment_audience)

    def amend(locked: ChangeRequest) -> None:
        locked.applied_at = timezone.now()
        if locked.order_id is None:
            return
        order = SalesOrder.objects.select_for_update().get(pk=locked.order_id)
        if order.state in ORDER_SHIPPED_STATES:
            raise TransitionNotAllowed(
                f"{order.number} is {order.get_state_display().lower()}; nothing to amend."
            )
        try:
            plans = plan_line_changes(locked)
        except ValidationError as exc:
            raise TransitionNotAllowed(
                "Cannot apply: " + " ".join(exc.message_dict["proposed_changes"])
            ) from None
        _check_margins(plans, actor)
        delta = Decimal("0")
        for plan in plans:
            delta += plan.total_delta
            _amend_line(plan)
        repriced = [plan for plan in plans if plan.price is not None]
        if repriced:
            # The new quantities and options hold what their new promise uses.
            order_lines_book(
                order=order,
                lines=[plan.line for plan in repriced],
                options={plan.line.quote_line_id: plan.configuration.options for plan in repriced},
            )
        # Deltas accumulate: each applied request moves the total by its own amount.
        order.total += delta + locked.price_delta
        if not 0 <= order.total < MONEY_LIMIT:
            raise TransitionNotAllowed(
                f"Cannot apply: {order.number}'s total would become {order.total:,}."
            )
        order.order_revision += 1
        save_versioned(
            order, expected_version=order.version, update_fields=["total", "order_revision"]
        )
        _move_dates(locked, order, plans, actor)
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
        audience=audience,
        comment_audience=comment_audience,
        before=amend,
    )
    transaction.on_commit(
        lambda: change_request_applied.send(sender=ChangeRequest, change_request=cr, actor=actor)
    )
    return cr


def _check_margins(plans: list[LinePlan], actor) -> None:
    floor = margin_floor()
    if actor.has_role(Role.SALES_MANAGER) or actor.is_superuser:
        return
    for plan in plans:
        if plan.price is not None and plan.price.margin_percent < floor:
            raise TransitionNotAllowed(
                f"Cannot apply: line {plan.line.position} would earn a "
                f"{plan.price.margin_percent} % margin, below the {floor} % floor; "
                "a sales manager must apply this change."
            )


def _amend_line(plan: LinePlan) -> None:
    line = OrderLine.objects.select_for_update().get(pk=plan.line.pk)
    if plan.scope_statement is not None:
        line.scope_statement = plan.scope_statement
    if plan.price is not None:
        config = plan.configuration
        line.quantity = plan.quantity
        line.configuration = config.selections
        line.configuration_text = config.description
        line.unit_list_price = plan.price.unit_list_price
        line.unit_price = plan.price.unit_price
        line.unit_cost = plan.price.unit_cost
        line.line_total = plan.price.line_total
        if plan.critical_path:
            line.critical_path = plan.critical_path
    line.save()
    plan.line = line
    if plan.price is not None:
        # The line's BOM follows its new configuration and quantity.
        line.components.all().delete()
        options = plan.configuration.options
        bom, parts = _full_bom({line.product_id}, {o.pk for o in options})
        _explode(line, {line.quote_line_id: options}, bom, parts)


def _move_dates(cr: ChangeRequest, order: SalesOrder, plans: list[LinePlan], actor) -> None:
    feasible = {p.line.pk: p.feasible_date for p in plans if p.feasible_date}
    reason = f"{cr.number}: {cr.title}"
    for line in OrderLine.objects.filter(order=order):
        new_date = line.forecast_date + dt.timedelta(days=cr.date_delta_days)
        if line.pk in feasible and feasible[line.pk] > new_date:
            # The re-promised date of the changed line: recorded as a slip with its cause.
            new_date = feasible[line.pk]
        if new_date != line.forecast_date:
            order_line_reforecast(
                line=line,
                actor=actor,
                new_date=new_date,
                reason=reason,
                cause=SlipCause.CHANGE_REQUEST,
            )


# -- what a page shows next to each button -----------------------------------------


def change_request_refusals(cr: ChangeRequest, user, names) -> dict[str, str]:
    """For each transition name in `names` that `user` cannot fire now, the sentence why:
    the failed conditions (as run_transition says them), or who may do it instead."""
    options = {o.name: o for o in transition_options(cr, user)}
    out: dict[str, str] = {}
    for name in names:
        option = options.get(name)
        if option is None:
            out[name] = f"Not possible while {cr.get_state_display().lower()}."
        elif not option.allowed:
            out[name] = option.reason if option.permitted else _permission_sentence(cr, name)
    return out


def _permission_sentence(cr: ChangeRequest, name: str) -> str:
    if name == "start_assessment":
        return "Engineering, manufacturing or sales start the assessment."
    if name == "propose":
        if margin_needs_manager(cr):
            return (
                f"The re-priced margin of {cr.lowest_margin_percent} % is below the "
                f"{margin_floor()} % floor: a sales manager proposes this change."
            )
        return "Sales propose changes."
    if name in ("approve", "reject"):
        if cr.decider == ChangeDecider.CUSTOMER:
            return f"Waiting for {cr.customer.name} to decide in the customer portal."
        return "A sales manager decides this proposal (it changes neither price nor agreed dates)."
    if name == "apply":
        return "Planning or sales apply approved changes."
    return "Your role may not do this."
