"""Converting an accepted quote into a sales order, and every write on orders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, Min, Q, Sum
from django.db.models.functions import Coalesce
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone

from apps.accounts.roles import Role
from apps.catalog.models import CapacityReservation, StockEntry, StockEntryKind
from apps.catalog.selectors import bom_children, parts_by_id
from apps.core.concurrency import lock_for_update, refuse_unknown_fields, save_versioned
from apps.core.models import Audience, next_number
from apps.core.permissions import grant_org_access
from apps.core.services import activity_record, notify
from apps.core.transitions import (
    TransitionForbidden,
    TransitionNotAllowed,
    available_transitions,
    comment_goes_apart,
    record_comment_apart,
    run_transition,
)
from apps.orders.allocation import (
    order_bookings_firm,
    order_bookings_release,
    order_lines_book,
    quote_line_key,
)
from apps.orders.forecasts import line_forecast_move
from apps.orders.models import (
    ORDER_CANCELLABLE_IN_PRODUCTION,
    OrderLine,
    OrderLineComponent,
    OrderState,
    Quote,
    QuoteAcceptance,
    SalesOrder,
    SlipCause,
)
from apps.orders.models.rules import can_cancel_order, can_engineer, can_override_credit, can_sell
from apps.orders.risk import AT_RISK_DONE_STATES, order_risk_refresh
from apps.orders.services.quotes import _options_for, quote_recalculate

# Role apps listen to these instead of `orders` importing them.
order_cancelled = Signal()  # sender=SalesOrder, order, actor
order_state_changed = Signal()  # sender=SalesOrder, order, transition, actor

CUSTOMER_VISIBLE_TRANSITIONS = {
    "confirm",
    "start_design",
    "plan",
    "plan_after_design",
    "start_production",
    "mark_ready_to_ship",
    "ship_partially",
    "ship",
    "deliver",
    "close",
    "cancel",
}
PENDING_FIELDS = (
    "customer_po",
    "shipping_address",
    "billing_address",
    "delivery_contact_name",
    "delivery_contact_phone",
    "delivery_window",
    "site_requirements",
    "installation_needed",
    "internal_notes",
    "terms",
    "contact",
)


def _explode(line: OrderLine, option_ids: dict, bom: dict, parts: dict) -> list:
    """Flatten the configured BOM of one line into component requirements, level by level."""
    rows: list[OrderLineComponent] = []

    def walk(children, multiplier: Decimal, parent, level: int, from_option: str) -> None:
        if level > 12:
            raise ValidationError(f"The BOM of {line.product_name} is nested too deep.")
        for bl in children:
            part = parts.get(bl.component_id) or bl.component
            row = OrderLineComponent(
                line=line,
                parent=parent,
                level=level,
                part=part,
                part_number=part.number,
                part_name=part.name,
                part_kind=part.kind,
                uom=part.uom,
                quantity_per=bl.quantity,
                quantity=bl.quantity * multiplier,
                unit_cost=part.unit_cost,
                from_option=from_option,
            )
            row.save()
            rows.append(row)
            walk(
                bom.get(("part", part.pk), []),
                bl.quantity * multiplier,
                row,
                level + 1,
                from_option,
            )

    qty = Decimal(line.quantity)
    walk(bom.get(("product", line.product_id), []), qty, None, 1, "")
    for option in option_ids.get(line.quote_line_id, []):
        walk(bom.get(("option", option.pk), []), qty, None, 1, f"{option.group.code}={option.code}")
    return rows


def _full_bom(product_ids, option_ids) -> tuple[dict, dict]:
    bom = bom_children(product_ids=product_ids, option_ids=option_ids)
    seen: set = set()
    frontier = {bl.component_id for lines in bom.values() for bl in lines}
    while frontier:
        seen |= frontier
        sub = bom_children(part_ids=frontier)
        bom.update(sub)
        frontier = {bl.component_id for lines in sub.values() for bl in lines} - seen
    return bom, parts_by_id(seen)


def _conversion_slips(order: SalesOrder, quote_lines, order_lines, promises, actor) -> None:
    """Keep the accepted date as first promise; a later booked date becomes the forecast.

    The customer accepted `first_promised_date`; if what the conversion could book
    lands later (another order took the stock or hours meanwhile), the line is
    created at risk with the booked date as forecast and a recorded slip, which
    waits for staff (or the release delay) before the customer is told, and the
    rep hears of it at once. An expedite manufacturing approved stays the forecast.
    """
    slipped = []
    for ql, line, promise in zip(quote_lines, order_lines, promises, strict=True):
        if ql.sent_expedited or promise.feasible_date <= line.first_promised_date:
            continue
        # What the booking found drives the line now, not the quote's earlier answer.
        line.critical_path = promise.critical_path
        OrderLine.objects.filter(pk=line.pk).update(critical_path=line.critical_path)
        line_forecast_move(
            line=line,
            new_date=promise.feasible_date,
            cause=SlipCause.CONVERSION,
            reason=(
                f"Booked at conversion: feasible {promise.feasible_date:%b %d, %Y}, "
                f"after the accepted {line.first_promised_date:%b %d, %Y}. "
                f"Critical path: {promise.critical_path}"
            ),
            actor=actor,
        )
        slipped.append(line)
    if slipped:
        notify(
            recipients=[order.owner],
            title=f"{order.number}: {len(slipped)} line{'s' if len(slipped) > 1 else ''} "
            "at risk at conversion",
            body="\n".join(
                f"Line {line.position} ({line.product_name}): promised "
                f"{line.first_promised_date:%b %d}, now expected {line.forecast_date:%b %d}."
                for line in slipped
            ),
            url=reverse("sales:order-detail", args=[order.pk]),
        )


@transaction.atomic
def quote_convert(
    *,
    quote: Quote,
    actor,
    customer_po: str = "",
    comment: str = "",
    expected_version: int | None = None,
    comment_audience: str | None = None,
) -> SalesOrder:
    """accepted → converted: freeze the quote into a pending sales order."""
    quote = quote_recalculate(quote=Quote.objects.select_for_update().get(pk=quote.pk))
    created: dict[str, SalesOrder] = {}

    def build(locked: Quote) -> None:
        lines = list(locked.lines.select_related("product").order_by("position"))
        order = SalesOrder.objects.create(
            number=next_number("order", "SO"),
            quote=locked,
            quote_revision=locked.revision,
            customer=locked.customer,
            contact=locked.contact,
            owner=locked.owner,
            currency=locked.currency,
            # The PO the customer typed when accepting, unless staff give another.
            customer_po=customer_po.strip()
            or QuoteAcceptance.objects.filter(quote=locked)
            .values_list("customer_po", flat=True)
            .first()
            or locked.customer_reference,
            shipping_address="\n".join(locked.shipping_address.lines)
            if locked.shipping_address
            else "",
            billing_address="\n".join(locked.billing_address.lines)
            if locked.billing_address
            else "",
            terms=locked.terms,
            payment_terms=locked.customer.payment_terms,
            total=sum((line.line_total for line in lines), Decimal("0")),
        )
        options = _options_for(lines)
        order_lines = []
        for ql in lines:
            promised = ql.sent_promised_date
            if promised is None:  # sent before promises were frozen at send
                promised = ql.feasible_date
                if locked.promised_date and promised and locked.promised_date > promised:
                    promised = locked.promised_date
            order_lines.append(
                OrderLine(
                    order=order,
                    quote_line=ql,
                    position=ql.position,
                    product=ql.product,
                    product_sku=ql.product.sku,
                    product_name=ql.product.name,
                    fulfillment_mode=ql.product.fulfillment_mode,
                    configuration=ql.configuration,
                    configuration_text=ql.configuration_text,
                    quantity=ql.quantity,
                    unit_list_price=ql.unit_list_price,
                    discount_percent=ql.discount_percent,
                    unit_price=ql.unit_price,
                    unit_cost=ql.unit_cost,
                    line_total=ql.line_total,
                    scope_statement=ql.scope_statement,
                    custom_spec=ql.custom_spec,
                    requested_date=ql.requested_date or locked.requested_date,
                    first_promised_date=promised,
                    forecast_date=promised,
                    critical_path=ql.critical_path,
                )
            )
        OrderLine.objects.bulk_create(order_lines)
        # The quote lines' bookings become the order lines' (adjusted to today's promise).
        booked = order_lines_book(
            order=order,
            lines=order_lines,
            options=options,
            receiving=locked.shipping_address.receiving_days if locked.shipping_address else None,
            moved_from=[quote_line_key(ql) for ql in lines],
        )
        _conversion_slips(order, lines, order_lines, booked.lines, actor)
        order_refresh_totals(order=order)
        bom, parts = _full_bom(
            {ql.product_id for ql in lines}, {o.pk for opts in options.values() for o in opts}
        )
        for ol in order_lines:
            _explode(ol, options, bom, parts)
        grant_org_access(order, locked.customer)
        created["order"] = order

    run_transition(
        obj=quote,
        name="convert",
        actor=actor,
        comment=comment,
        expected_version=expected_version,
        audience=Audience.CUSTOMER,
        comment_audience=comment_audience,
        before=build,
    )
    order = created["order"]
    activity_record(
        target=order,
        actor=actor,
        verb="created",
        audience=Audience.CUSTOMER,
        text=f"Order {order.number} created from quote {quote.number}"
        + (f", revision {quote.revision}" if quote.revision else ""),
    )
    return order


@transaction.atomic
def order_update(
    *, order: SalesOrder, actor, expected_version: int | None, **fields: Any
) -> SalesOrder:
    if not can_sell(order, actor) and not actor.has_role(Role.FINANCE):
        raise PermissionDenied("Only sales and finance may edit order data.")
    refuse_unknown_fields(fields, PENDING_FIELDS)
    locked = lock_for_update(order, expected_version=expected_version)
    if locked.state != OrderState.PENDING:
        raise TransitionNotAllowed(
            f"{locked.number} is {locked.get_state_display().lower()}; order data is frozen "
            "after confirmation (use a change request)."
        )
    contact = fields.get("contact")
    if contact is not None and (
        contact.organization is None or contact.organization.pk != locked.customer_id
    ):
        raise ValidationError({"contact": ["The contact must belong to the customer."]})
    for key, value in fields.items():
        setattr(locked, key, value)
    save_versioned(locked, expected_version=locked.version, update_fields=list(fields))
    activity_record(
        target=locked,
        actor=actor,
        verb="updated",
        text="Updated "
        + ", ".join(sorted(str(SalesOrder._meta.get_field(f).verbose_name) for f in fields)),
    )
    return locked


def _ask(*, order: SalesOrder, title: str, body: str = "", roles=(), users=()) -> None:
    """Notify the people a step asks something of (holders of `roles`, and `users`)."""
    User = get_user_model()
    recipients = list(users)
    if roles:
        recipients += User.objects.filter(groups__name__in=list(roles), is_active=True).distinct()
    notify(
        recipients=recipients,
        title=title,
        body=body,
        url=reverse("sales:order-detail", args=[order.pk]),
    )


def _notify_asked(order: SalesOrder, name: str, actor, comment: str) -> None:
    """One notification per step that hands work to someone; every step is on the timeline.

    Confirming asks engineering (design-to-order) or planning to start, a ready
    order asks the warehouse to ship, a delivered one asks finance to close;
    a hold or a cancel asks the owner to talk to the customer. Everything else
    only concerns whoever did it and is read in the timeline.
    """
    number = order.number
    if name == "confirm":
        if order.has_design_lines():
            _ask(order=order, roles=[Role.ENGINEER], title=f"{number} confirmed: start the design")
        else:
            _ask(order=order, roles=[Role.PLANNER], title=f"{number} confirmed: plan it")
    elif name == "mark_ready_to_ship":
        _ask(order=order, roles=[Role.WAREHOUSE], title=f"{number} is ready to ship")
    elif name == "deliver":
        _ask(order=order, roles=[Role.FINANCE], title=f"{number} delivered: invoice and close")
    elif name in ("hold", "cancel") and order.owner_id != getattr(actor, "pk", None):
        verb = "put on hold" if name == "hold" else "cancelled"
        _ask(order=order, users=[order.owner], title=f"{number} was {verb}", body=comment)


@transaction.atomic
def order_transition(
    *,
    order: SalesOrder,
    name: str,
    actor,
    comment: str = "",
    expected_version: int | None = None,
    comment_audience: str | None = None,
) -> SalesOrder:
    if name == "cancel":
        # The comment is the reason; charges, if any, go through order_cancel directly.
        return order_cancel(
            order=order,
            actor=actor,
            reason=comment,
            expected_version=expected_version,
            comment_audience=comment_audience,
        )
    return _order_transition(
        order=order,
        name=name,
        actor=actor,
        comment=comment,
        expected_version=expected_version,
        comment_audience=comment_audience,
    )


def _order_transition(
    *,
    order: SalesOrder,
    name: str,
    actor,
    comment: str = "",
    expected_version: int | None = None,
    comment_audience: str | None = None,
    before=None,
) -> SalesOrder:
    audience = Audience.CUSTOMER if name in CUSTOMER_VISIBLE_TRANSITIONS else Audience.INTERNAL
    order = run_transition(
        obj=order,
        name=name,
        actor=actor,
        comment=comment,
        expected_version=expected_version,
        audience=audience,
        comment_audience=comment_audience,
        before=before,
    )
    if name == "confirm":
        order_bookings_firm(order)
    if order.state in AT_RISK_DONE_STATES:
        # Delivered or cancelled: its lines at risk leave the at-risk page and tally.
        order_risk_refresh(order)
    transaction.on_commit(
        lambda: order_state_changed.send(
            sender=SalesOrder, order=order, transition=name, actor=actor
        )
    )
    if name == "cancel":
        transaction.on_commit(
            lambda: order_cancelled.send(sender=SalesOrder, order=order, actor=actor)
        )
    _notify_asked(order, name, actor, comment)
    return order


def _release_bookings(order: SalesOrder) -> tuple[int, Decimal]:
    """Release the stock and capacity booked for `order`: (stock rows reversed, hours freed).

    Bookings are tagged with the order number as their reference (alone or as
    "SO-000045/…"). Reserved stock is reversed with a negative entry so the
    ledger keeps its history; capacity reservations are deleted, as a work
    center's load is a booking, not a movement.
    """
    booked, booked_hours = order_bookings_release(order, note=f"Released: {order.number} cancelled")
    # Entries written by hand or before bookings existed carry only the reference.
    tagged = (Q(reference=order.number) | Q(reference__startswith=f"{order.number}/")) & Q(
        booking__isnull=True
    )
    reserved = (
        StockEntry.objects.filter(tagged, kind=StockEntryKind.RESERVED)
        .values("part_id")
        .annotate(total=Sum("quantity"))
    )
    reversals = [
        StockEntry(
            part_id=row["part_id"],
            kind=StockEntryKind.RESERVED,
            quantity=-row["total"],
            reference=order.number,
            note=f"Released: {order.number} cancelled",
        )
        for row in reserved
        if row["total"]
    ]
    StockEntry.objects.bulk_create(reversals)
    capacity = CapacityReservation.objects.filter(tagged)
    hours = capacity.aggregate(h=Sum("hours"))["h"] or Decimal("0")
    capacity.delete()
    return len(reversals) + booked, hours + booked_hours


def _money_text(order: SalesOrder, amount: Decimal) -> str:
    return f"{order.currency} {amount:,.2f}"


@transaction.atomic
def order_cancel(
    *,
    order: SalesOrder,
    actor,
    reason: str = "",
    charges: Decimal | int | str = 0,
    expected_version: int | None = None,
    comment_audience: str | None = None,
) -> SalesOrder:
    """Cancel an order and release what was booked for it.

    Before production any sales manager may cancel (the reason is optional);
    once in production only a sales manager, with a reason and cancellation
    charges between zero and the order total.
    """
    reason = (reason or "").strip()
    try:
        charges = Decimal(str(charges))
    except (InvalidOperation, ValueError):
        raise ValidationError({"charges": ["Enter the charges as an amount."]}) from None
    current = SalesOrder.objects.get(pk=order.pk)
    in_production = current.state in ORDER_CANCELLABLE_IN_PRODUCTION
    # Who may act comes before what they sent: a planner hears "not you", not "bad charges".
    if not can_cancel_order(current, actor):
        raise TransitionForbidden(
            "Only a sales manager may cancel an order that is in production."
            if in_production
            else "Only a sales manager may cancel an order.",
            allowed=available_transitions(current, actor),
        )
    errors: dict[str, list[str]] = {}
    if in_production and not reason:
        errors["reason"] = ["Say why an order in production is cancelled."]
    if not charges.is_finite() or charges < 0:
        errors["charges"] = ["Cancellation charges cannot be negative."]
    elif charges > current.total:
        errors["charges"] = [
            f"Cancellation charges cannot exceed the order total "
            f"({_money_text(current, current.total)})."
        ]
    elif charges and not in_production:
        errors["charges"] = ["Charges apply only to orders cancelled in production."]
    if errors:
        raise ValidationError(errors)
    charges = charges.quantize(Decimal("0.01"))

    def stamp(locked: SalesOrder) -> None:
        locked.cancellation_reason = reason
        locked.cancellation_charges = charges

    cancelled = _order_transition(
        order=current,
        name="cancel",
        actor=actor,
        comment=reason,
        expected_version=expected_version,
        comment_audience=comment_audience,
        before=stamp,
    )
    if charges:
        # The customer is charged: the amount is theirs to see, whoever reads the reason.
        activity_record(
            target=cancelled,
            actor=actor if getattr(actor, "pk", None) else None,
            verb="cancellation_charges",
            audience=Audience.CUSTOMER,
            text=f"Cancellation charges: {_money_text(current, charges)}.",
        )
    released, hours = _release_bookings(cancelled)
    if released or hours:
        activity_record(
            target=cancelled,
            actor=actor if getattr(actor, "pk", None) else None,
            verb="bookings_released",
            text=f"Released {released} stock reservation{'s' if released != 1 else ''} "
            f"and {hours:g} h of capacity booked for {cancelled.number}.",
        )
    return cancelled


def _require_reason(comment: str, why: str) -> None:
    if not comment.strip():
        raise ValidationError({"comment": [why]})


@transaction.atomic
def order_override_credit(
    *, order: SalesOrder, actor, comment: str, expected_version: int | None = None
) -> SalesOrder:
    """Finance lets a pending order past the credit check, saying why (audited)."""
    if not can_override_credit(order, actor):
        raise PermissionDenied("Only finance may approve a credit override.")
    _require_reason(comment, "Say why the credit limit may be exceeded.")
    locked = lock_for_update(order, expected_version=expected_version)
    if locked.state != OrderState.PENDING:
        raise TransitionNotAllowed(
            f"{locked.number} is {locked.get_state_display().lower()}; the credit check "
            "happens before confirmation."
        )
    if locked.credit_override_by_id:
        raise TransitionNotAllowed(f"{locked.number} already has a credit override.")
    locked.credit_override_by = actor
    save_versioned(locked, expected_version=locked.version, update_fields=["credit_override_by"])
    activity_record(
        target=locked,
        actor=actor,
        verb="credit_override",
        text=f"Credit limit override approved: {comment.strip()}",
    )
    return locked


@transaction.atomic
def order_design_approve(
    *,
    order: SalesOrder,
    actor,
    comment: str = "",
    expected_version: int | None = None,
    comment_audience: str | None = None,
) -> SalesOrder:
    """Engineering records the customer's approval of the design, so planning may start."""
    if not can_engineer(order, actor):
        raise PermissionDenied("Only engineering may record the design approval.")
    locked = lock_for_update(order, expected_version=expected_version)
    if locked.state != OrderState.IN_DESIGN:
        raise TransitionNotAllowed(
            f"{locked.number} is {locked.get_state_display().lower()}; a design is approved "
            "while the order is in design."
        )
    if locked.design_approved_at is not None:
        raise TransitionNotAllowed(f"The design of {locked.number} is already approved.")
    comment = comment.strip()
    apart = comment_goes_apart(actor, comment, Audience.CUSTOMER, comment_audience)
    locked.design_approved_at = timezone.now()
    save_versioned(locked, expected_version=locked.version, update_fields=["design_approved_at"])
    activity_record(
        target=locked,
        actor=actor,
        verb="design_approved",
        audience=Audience.CUSTOMER,
        text="Design approved by the customer" + (f": {comment}" if comment and not apart else ""),
    )
    if apart:
        record_comment_apart(locked, actor, comment)
    _ask(
        roles=[Role.PLANNER],
        order=locked,
        title=f"{locked.number}: design approved, ready to plan",
    )
    return locked


@transaction.atomic
def order_line_reforecast(
    *,
    line: OrderLine,
    actor,
    new_date: dt.date,
    reason: str,
    cause: str = SlipCause.MANUAL,
) -> OrderLine:
    """Move a line's forecast date, keeping the slip and its reason.

    A move made by staff is told to the customer at once (without the reason,
    which may name suppliers or internal problems).
    """
    if not reason.strip():
        raise ValidationError({"reason": ["Say why the date moves."]})
    locked = OrderLine.objects.select_for_update().select_related("order").get(pk=line.pk)
    if locked.order.state in (OrderState.CLOSED, OrderState.CANCELLED, OrderState.DELIVERED):
        raise TransitionNotAllowed(f"{locked.order.number} is {locked.order.state}.")
    old = locked.forecast_date
    if not line_forecast_move(
        line=locked, new_date=new_date, cause=cause, reason=reason, actor=actor, release=True
    ):
        return locked
    order_refresh_totals(order=locked.order)
    who = actor if getattr(actor, "pk", None) else None
    moved = (
        f"Line {locked.position} ({locked.product_name}): forecast {old:%b %d} → {new_date:%b %d}"
    )
    # The reason may name suppliers or internal problems: staff only.
    activity_record(
        target=locked.order, actor=who, verb="forecast_moved", text=f"{moved}. {reason}"
    )
    activity_record(
        target=locked.order,
        actor=who,
        verb="forecast_moved",
        audience=Audience.CUSTOMER,
        text=f"{moved}.",
    )
    return locked


def order_refresh_totals(*, order: SalesOrder) -> SalesOrder:
    """Store the line count and the earliest and latest forecast, which lists show and sort by.

    Called by every service that adds lines or moves their forecast dates
    (conversion, reforecast, change-request apply).
    """
    told = Coalesce("customer_forecast_date", "first_promised_date")
    agg = OrderLine.objects.filter(order=order).aggregate(
        n=Count("pk"),
        first=Min("forecast_date"),
        last=Max("forecast_date"),
        at_risk=Count("pk", filter=Q(at_risk=True)),
        told_first=Min(told),
        told_last=Max(told),
    )
    fields = {
        "line_count": agg["n"],
        "next_forecast_date": agg["first"],
        "last_forecast_date": agg["last"],
        "at_risk_count": agg["at_risk"],
        # What the customer's lists show: only dates released to them.
        "customer_next_date": agg["told_first"],
        "customer_last_date": agg["told_last"],
    }
    SalesOrder.objects.filter(pk=order.pk).update(**fields)
    for key, value in fields.items():
        setattr(order, key, value)
    return order
