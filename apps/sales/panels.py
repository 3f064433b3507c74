"""The sales desk's dashboard queues: a rep's own drafts, quotes waiting for the
customer and pending orders; a manager's quotes waiting for approval. Each queue
is two queries (the counts, then the five rows shown), whatever its size."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from apps.accounts.roles import Role
from apps.core.dashboards import Panel, PanelRow
from apps.core.permissions import is_internal
from apps.orders import selectors
from apps.orders.models import OrderState, QuoteState

ROWS = 5
# A sent quote this close to its validity date is flagged: the rep should chase it.
EXPIRING_DAYS = 7


def _list_url(name: str, **query: str) -> str:
    return reverse(name) + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def _queue(
    qs: QuerySet,
    *,
    row,
    alert_when: Q | None = None,
    alert_label: str = "",
    counts: dict | None = None,
    **panel,
) -> Panel:
    """`counts` ({"n", "alert"}) when they are stored; else counted over `qs`."""
    if counts is None:
        wanted = {"n": Count("pk")}
        if alert_when is not None:
            wanted["alert"] = Count("pk", filter=alert_when)
        counts = qs.aggregate(**wanted)
    alerts = counts.get("alert", 0)
    return Panel(
        count=counts["n"],
        alert=f"{alerts} {alert_label}" if alerts else "",
        rows=[row(obj) for obj in qs[:ROWS]],
        queue=True,
        **panel,
    )


def _quote_row(today: dt.date, *, expiring: bool = False):
    def row(quote) -> PanelRow:
        soon = expiring and quote.valid_until <= today + dt.timedelta(days=EXPIRING_DAYS)
        return PanelRow(
            label=f"{quote.number} · {quote.customer.name}",
            url=reverse("sales:quote-detail", args=[quote.pk]),
            detail=quote.title,
            value=f"valid until {quote.valid_until:%b %d}" if expiring else "",
            state=quote.state,
            alert=soon,
        )

    return row


def _quotes_panel(role: str, *, where, order_by: tuple[str, ...], expiring: bool = False, **panel):
    """A queue of quotes for holders of `role`; `where(user)` gives the filter."""

    def provider(user) -> Panel | None:
        if not is_internal(user) or not user.has_role(role):
            return None
        today = timezone.localdate()
        # Filtered to the queue's state; reversed here, not at import (AppConfig.ready).
        more_url = _list_url("sales:quote-list", state=panel["more_state"])
        soon = Q(valid_until__lte=today + dt.timedelta(days=EXPIRING_DAYS))
        return _queue(
            selectors.quote_list(user).filter(**where(user)).order_by(*order_by),
            row=_quote_row(today, expiring=expiring),
            alert_when=soon if expiring else None,
            alert_label="expiring",
            more_url=more_url,
            **{k: v for k, v in panel.items() if k != "more_state"},
        )

    provider.__name__ = f"{panel['key'].replace('-', '_')}_panel"
    return provider


my_drafts_panel = _quotes_panel(
    Role.SALES_REP,
    where=lambda user: {"owner": user, "state": QuoteState.DRAFT},
    order_by=("-created_at", "-pk"),
    key="my-drafts",
    title="My draft quotes",
    icon="pencil-square",
    empty_text="No draft is waiting for you.",
    more_state=QuoteState.DRAFT,
    order=6,
)
awaiting_customer_panel = _quotes_panel(
    Role.SALES_REP,
    where=lambda user: {"owner": user, "state": QuoteState.SENT},
    order_by=("valid_until", "pk"),
    expiring=True,
    key="awaiting-customer",
    title="Sent, awaiting the customer",
    icon="hourglass-split",
    empty_text="No sent quote is waiting for an answer.",
    more_state=QuoteState.SENT,
    order=7,
)
awaiting_approval_panel = _quotes_panel(
    Role.SALES_MANAGER,
    where=lambda user: {"state": QuoteState.IN_REVIEW},
    order_by=("created_at", "pk"),
    key="awaiting-approval",
    title="Quotes awaiting approval",
    icon="clipboard-check",
    empty_text="No quote is in review.",
    more_state=QuoteState.IN_REVIEW,
    order=6,
)


def pending_orders_panel(user) -> Panel | None:
    if not is_internal(user) or not user.has_role(Role.SALES_REP):
        return None
    qs = selectors.order_list(user).filter(owner=user, state=OrderState.PENDING)

    def row(order) -> PanelRow:
        return PanelRow(
            label=f"{order.number} · {order.customer.name}",
            url=reverse("sales:order-detail", args=[order.pk]),
            detail=f"from {order.quote.number}" if order.quote_id else "",
            state=order.state,
            when=order.created_at,
        )

    return _queue(
        qs.order_by("created_at", "pk"),
        row=row,
        key="pending-orders",
        title="My pending orders",
        icon="box-seam",
        empty_text="No order is waiting for its data.",
        more_url=_list_url("sales:order-list", state=OrderState.PENDING),
        order=8,
    )


def open_inquiries_panel(user) -> Panel | None:
    """The qualification queue: inquiries waiting for sales, by state (one GROUP BY)."""
    from apps.sales.models import InquiryState
    from apps.sales.selectors import open_inquiry_counts

    if not is_internal(user) or not user.has_role(Role.SALES_REP, Role.SALES_MANAGER):
        return None
    counts = open_inquiry_counts(user)
    queue = (InquiryState.NEW, InquiryState.QUALIFYING, InquiryState.QUALIFIED)
    return Panel(
        key="inquiries",
        title="Inquiries to work on",
        icon="inbox",
        count=sum(counts.values()),
        rows=[
            PanelRow(
                label=InquiryState(state).label,
                value=str(counts.get(state, 0)),
                url=_list_url("sales:inquiry-list", state=state),
                state=str(state),
            )
            for state in queue
        ],
        empty_text="No inquiries waiting.",
        more_url=reverse("sales:inquiry-list"),
        order=5,
        queue=True,
    )


def at_risk_panel(user) -> Panel | None:
    """Lines whose forecast is after their promise: a rep's own, everyone's for a
    manager or planner, with how many the customer has not been told yet."""
    if not is_internal(user) or not user.has_role(Role.SALES_REP, Role.SALES_MANAGER, Role.PLANNER):
        return None
    qs = selectors.at_risk_lines(user).select_related("order__customer")
    tally = selectors.at_risk_tally(user)
    mine = user.has_role(Role.SALES_REP) and not user.has_role(Role.SALES_MANAGER, Role.PLANNER)
    if mine:
        qs = qs.filter(risk_owner=user)
        tally = tally.filter(owner=user)
    # The counts are stored (apps.orders.risk): the panel reads five rows, never every line.
    counts = tally.aggregate(n=Coalesce(Sum("lines"), 0), alert=Coalesce(Sum("not_told"), 0))

    def row(line) -> PanelRow:
        return PanelRow(
            label=f"{line.order.number}/{line.position} · {line.order.customer.name}",
            url=reverse("sales:order-detail", args=[line.order_id]),
            detail=line.product_name,
            value=f"+{line.slip_days} d",
            alert=line.forecast_release_due is not None,
        )

    return _queue(
        qs,
        row=row,
        counts=counts,
        alert_label="not yet told",
        key="at-risk",
        title="My lines at risk" if mine else "Lines at risk",
        icon="exclamation-triangle",
        empty_text="No open line is forecast after its promise.",
        more_url=reverse("sales:at-risk"),
        order=4,
    )


PANELS = (
    at_risk_panel,
    open_inquiries_panel,
    my_drafts_panel,
    awaiting_customer_panel,
    pending_orders_panel,
    awaiting_approval_panel,
)
