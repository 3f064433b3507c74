"""An order line's three dates: requested, first promised, forecast (DESIGN §5).

Every move of a forecast goes through `line_forecast_move`: it records the
change with its cause (internal words in `reason`, customer words in
`customer_text`), keeps `at_risk` (forecast after first promise) and tracks
what the customer has been told. A move found by a re-plan is not shown to the
customer at once: it waits until staff confirm it or until
`settings.PROMISE_CUSTOMER_NOTICE_HOURS` have passed (`forecast_release_due`).
A move made by staff themselves (a manual reforecast, an applied change the
customer agreed to) is released at once.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from apps.orders.models import OrderLine, OrderLineDateChange, SlipCause
from apps.orders.risk import LINE_RISK_FIELDS, line_risk_refresh, risk_key, risk_tally_apply

LINE_FORECAST_FIELDS = [
    "forecast_date",
    "at_risk",
    "customer_forecast_date",
    "forecast_release_due",
    "updated_at",
    *LINE_RISK_FIELDS,
]


def customer_words(line: OrderLine, new_date: dt.date) -> str:
    """What the customer reads about a new forecast: the date, never the internal cause."""
    return (
        f"Line {line.position} ({line.product_name}): "
        f"the expected delivery date is now {new_date:%b %d, %Y}."
    )


def line_forecast_move(
    *,
    line: OrderLine,
    new_date: dt.date,
    cause: str,
    reason: str,
    actor=None,
    plan_run=None,
    release: bool = False,
    customer_text: str = "",
) -> OrderLineDateChange | None:
    """Move `line`'s forecast to `new_date` (the caller holds the line's lock).

    Returns the recorded change, or None when the date does not move. The
    caller refreshes the order's stored totals (`order_refresh_totals`); the
    line's stored risk and the at-risk tally are kept here (apps.orders.risk).
    """
    if new_date == line.forecast_date:
        return None
    before = risk_key(line)
    now = timezone.now()
    change = OrderLineDateChange.objects.create(
        line=line,
        old_date=line.forecast_date,
        new_date=new_date,
        reason=reason,
        cause=cause or SlipCause.MANUAL,
        customer_text=(customer_text or customer_words(line, new_date))[:300],
        released_at=now if release else None,
        plan_run=plan_run,
        changed_by=actor if getattr(actor, "pk", None) else None,
    )
    line.forecast_date = new_date
    line.at_risk = new_date > line.first_promised_date
    if release:
        line.customer_forecast_date = None if new_date == line.first_promised_date else new_date
        line.forecast_release_due = None
    elif new_date == line.customer_date:
        # Back to what the customer already knows: nothing to tell.
        line.forecast_release_due = None
    elif line.forecast_release_due is None:
        line.forecast_release_due = now + dt.timedelta(hours=settings.PROMISE_CUSTOMER_NOTICE_HOURS)
    line.slip_cause = change.cause
    line_risk_refresh(line, line.order)
    line.save(update_fields=LINE_FORECAST_FIELDS)
    risk_tally_apply([before], [risk_key(line)])
    return change
