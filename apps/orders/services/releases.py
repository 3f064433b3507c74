"""Telling the customer a new forecast date (DESIGN §5: warn before the customer asks).

A re-plan moves a line's forecast without telling the customer
(`apps.orders.forecasts.line_forecast_move(release=False)`): sales check the
new date first. "Confirm new date to customer" releases it at once; otherwise
`release_due_forecasts` (Celery beat) releases it when
`OrderLine.forecast_release_due` passes. Either way the customer reads the
change's customer words (`OrderLineDateChange.customer_text`) on the order's
timeline and in an e-mail, never the internal reason or cause.

Who confirms: sales (sales_rep, sales_manager). The customer relationship is
theirs (DESIGN §3: sales write on orders); a planner sees the same at-risk lines
but a date told to the customer is a promise made by sales, so a planner asks the
rep (the button shows that sentence, disabled).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from apps.core.limits import COMMENT_MAX_LENGTH
from apps.core.models import Audience
from apps.core.services import activity_record, email_send_after_commit, notify
from apps.core.transitions import TransitionNotAllowed
from apps.orders.forecasts import customer_words
from apps.orders.models import OrderLine, OrderLineDateChange, OrderState, SalesOrder
from apps.orders.models.rules import can_sell
from apps.orders.risk import risk_key, risk_tally_apply
from apps.orders.services.orders import order_refresh_totals

# Orders whose dates no longer matter to the customer: nothing is told any more.
ORDER_DONE_STATES = frozenset({OrderState.CLOSED, OrderState.CANCELLED, OrderState.DELIVERED})

RELEASE_BATCH = 200

NOT_SALES = "Only sales (the rep or a sales manager) tell the customer a new date."
NOTHING_PENDING = "The customer already knows this date: nothing is waiting to be told."


def line_release_pending(line: OrderLine) -> bool:
    """A forecast the customer has not been told (what the release button acts on)."""
    return line.forecast_release_due is not None or line.customer_date != line.forecast_date


def line_release_refusal(
    line: OrderLine, user, order: SalesOrder | None = None, *, order_refusal: str | None = None
) -> str:
    """Why `user` may not confirm `line`'s new date now; "" when they may.
    `order_refusal`: order_release_refusal(order, user), when a page has it already."""
    order = order or line.order
    refusal = order_release_refusal(order, user) if order_refusal is None else order_refusal
    if refusal:
        return refusal
    if not line_release_pending(line):
        return NOTHING_PENDING
    return ""


def order_release_refusal(order: SalesOrder, user) -> str:
    """Why `user` may not confirm new dates of `order`'s pending lines now; "" when
    they may (what line_release_refusal says of a pending line)."""
    if not can_sell(order, user):
        return NOT_SALES
    if order.state in ORDER_DONE_STATES:
        return _done_refusal(order)
    return ""


def _check(order: SalesOrder, actor) -> None:
    if not can_sell(order, actor):
        raise PermissionDenied(NOT_SALES)


def _customer_recipients(order: SalesOrder) -> list[str]:
    contact = order.contact
    if contact is not None and contact.is_active and contact.email:
        return [contact.email]
    return [
        m.user.email
        for m in order.customer.memberships.select_related("user")
        if m.user.is_active and m.user.email
    ]


def _tell(order: SalesOrder, lines: list[OrderLine], actor, comment: str) -> None:
    """Mark `lines`' untold changes released, store what the customer now knows, and tell them.

    The caller holds the lines' locks and checked they are pending.
    """
    now = timezone.now()
    pending = defaultdict(list)
    for change in OrderLineDateChange.objects.filter(
        line__in=lines, released_at__isnull=True
    ).order_by("created_at", "pk"):
        pending[change.line_id].append(change)
    OrderLineDateChange.objects.filter(line__in=lines, released_at__isnull=True).update(
        released_at=now
    )
    told = []
    before = [risk_key(line) for line in lines]
    for line in lines:
        line.customer_forecast_date = (
            None if line.forecast_date == line.first_promised_date else line.forecast_date
        )
        line.forecast_release_due = None
        line.save(update_fields=["customer_forecast_date", "forecast_release_due", "updated_at"])
        changes = pending.get(line.pk)
        # The latest change's customer words say where the date is now; never `reason`.
        text = changes[-1].customer_text if changes else ""
        told.append((line, text or customer_words(line, line.forecast_date)))
    risk_tally_apply(before, [risk_key(line) for line in lines])
    order_refresh_totals(order=order)
    who = actor if getattr(actor, "pk", None) else None
    note = comment.strip()[:COMMENT_MAX_LENGTH]
    activity_record(
        target=order,
        actor=who,
        verb="forecast_released",
        audience=Audience.CUSTOMER,
        text=" ".join(text for _line, text in told) + (f" {note}" if note else ""),
    )
    email_send_after_commit(
        to=_customer_recipients(order),
        template_prefix="orders/email/forecast_released",
        context={
            "order": order,
            "told": told,
            "note": note,
            "site_url": settings.SITE_URL,
        },
        target=order,
        audience=Audience.CUSTOMER,
    )


def _lock_order_lines(
    order: SalesOrder, line_ids=None, only: Q | None = None
) -> tuple[SalesOrder, list[OrderLine]]:
    # The order row first, then its lines in position order, so two releases of one
    # order (a person and the beat task) queue behind each other. PostgreSQL re-checks
    # `only` after waiting for a lock: a line released meanwhile drops out.
    locked = (
        SalesOrder.objects.select_for_update(of=("self",))
        .select_related("customer", "contact")
        .get(pk=order.pk)
    )
    qs = OrderLine.objects.select_for_update().filter(order=locked).order_by("position")
    if line_ids is not None:
        qs = qs.filter(pk__in=line_ids)
    if only is not None:
        qs = qs.filter(only)
    return locked, list(qs)


def _done_refusal(order: SalesOrder) -> str:
    return f"{order.number} is {order.get_state_display().lower()}: its dates are final."


@transaction.atomic
def order_line_forecast_release(*, line: OrderLine, actor, comment: str = "") -> OrderLine:
    """ "Confirm new date to customer" for one line (403 not sales, 409 nothing to tell)."""
    _check(line.order, actor)
    order, lines = _lock_order_lines(line.order, [line.pk])
    if not lines:
        raise TransitionNotAllowed("This line is no longer on the order.")
    locked = lines[0]
    refusal = line_release_refusal(locked, actor, order)
    if refusal:
        raise TransitionNotAllowed(refusal)
    _tell(order, [locked], actor, comment)
    return locked


@transaction.atomic
def order_forecasts_release(*, order: SalesOrder, actor, comment: str = "") -> list[OrderLine]:
    """Confirm every line's untold date of `order` at once: one timeline entry, one e-mail."""
    _check(order, actor)
    order, lines = _lock_order_lines(order)
    if order.state in ORDER_DONE_STATES:
        raise TransitionNotAllowed(_done_refusal(order))
    pending = [line for line in lines if line_release_pending(line)]
    if not pending:
        raise TransitionNotAllowed(NOTHING_PENDING)
    _tell(order, pending, actor, comment)
    return pending


def forecasts_release_due(*, now: dt.datetime | None = None, limit: int = RELEASE_BATCH) -> int:
    """Release the lines whose `forecast_release_due` passed (the Celery beat task).

    Bounded (`limit` lines a run; the next run takes the rest) and idempotent: each
    order is released in its own transaction after re-reading its lines under lock,
    so a line confirmed by staff meanwhile, or by a second run, is not told twice.
    Lines of finished orders are only cleared. Returns the number of lines told.
    """
    now = now or timezone.now()
    due = Q(forecast_release_due__isnull=False, forecast_release_due__lte=now)
    # The partial index orderline_release_due_idx: only lines waiting to be told.
    rows = list(
        OrderLine.objects.filter(due)
        .order_by("forecast_release_due", "pk")
        .values_list("order_id", "pk")[:limit]
    )
    by_order: dict = defaultdict(list)
    for order_id, line_id in rows:
        by_order[order_id].append(line_id)
    told = 0
    for order_id, line_ids in by_order.items():
        told += _release_due_order(order_id, line_ids, due)
    return told


@transaction.atomic
def _release_due_order(order_id, line_ids, due: Q) -> int:
    order, lines = _lock_order_lines(SalesOrder(pk=order_id), line_ids, only=due)
    if not lines:
        return 0
    if order.state in ORDER_DONE_STATES:
        OrderLine.objects.filter(pk__in=[line.pk for line in lines]).update(
            forecast_release_due=None
        )
        # Lines of a finished order are not open at risk: nothing in the tally moves.
        return 0
    _tell(order, lines, None, "")
    notify(
        recipients=[order.owner] if order.owner_id else [],
        title=f"{order.number}: new date told to the customer",
        body="Nobody confirmed it within the notice period, so it was released automatically.",
        url=reverse("sales:order-detail", args=[order.pk]),
    )
    return len(lines)
