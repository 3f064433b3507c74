"""Demo slips: lines a re-plan moved after their promise, one told to the customer
and two waiting, so the at-risk page, the staff order page and the portal show them."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from apps.orders.forecasts import line_forecast_move
from apps.orders.models import OrderLine, SlipCause
from apps.orders.services import orders as so
from apps.orders.services import releases

# Lines a re-plan moved after their promise, so the at-risk page and the order pages
# show slips: (order state, days, cause, internal reason, told to the customer).
DEMO_SLIPS = (
    (
        "in_production",
        9,
        SlipCause.RECEIPT_MOVED,
        "Delta Motors moved the MTR-55 receipt by nine days (PO acknowledgement revised).",
        True,
    ),
    ("confirmed", 6, SlipCause.CLOSURE, "ASSY closed two days for the crane inspection.", False),
    ("planned", 4, SlipCause.CAPACITY, "Welding cell down to one shift this month.", False),
)


def seed(orders: dict, users: dict) -> None:
    """Idempotent: a line that already moved is left alone."""
    for state, days, cause, reason, told in DEMO_SLIPS:
        order = orders.get(state)
        line = order.lines.order_by("position").first() if order else None
        if line is None or line.date_changes.exists():
            continue
        with transaction.atomic():
            locked = OrderLine.objects.select_for_update().get(pk=line.pk)
            line_forecast_move(
                line=locked,
                new_date=locked.forecast_date + dt.timedelta(days=days),
                cause=cause,
                reason=reason,
            )
            so.order_refresh_totals(order=order)
        if told:
            releases.order_line_forecast_release(
                line=locked,
                actor=users["sam.sales"],
                comment="We are sorry for the delay; everything else is on track.",
            )
