"""A re-plan's move of a line's forecast, as the re-plan task makes it (not yet told)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from apps.orders.forecasts import line_forecast_move
from apps.orders.models import OrderLine, OrderLineDateChange, SlipCause
from apps.orders.services.orders import order_refresh_totals


def replan_slip(
    line: OrderLine,
    days: int,
    *,
    cause: str = SlipCause.RECEIPT_MOVED,
    reason: str = "Delta Motors moved PO-000123 by two weeks",
    release: bool = False,
) -> OrderLineDateChange:
    with transaction.atomic():
        locked = OrderLine.objects.select_for_update().select_related("order").get(pk=line.pk)
        change = line_forecast_move(
            line=locked,
            new_date=locked.forecast_date + dt.timedelta(days=days),
            cause=cause,
            reason=reason,
            release=release,
        )
        order_refresh_totals(order=locked.order)
    line.refresh_from_db()
    return change
