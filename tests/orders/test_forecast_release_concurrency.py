"""The beat task and a rep telling the customer the same new date at the same moment:
the customer is told once (real transactions and threads on PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.core.models import Activity
from apps.orders.models import OrderLine
from apps.orders.services import releases
from tests.orders.slips import replan_slip
from tests.orders.test_concurrency import race

pytestmark = pytest.mark.django_db(transaction=True)


def _told(order) -> int:
    return Activity.objects.filter(object_id=str(order.pk), verb="forecast_released").count()


def test_two_beat_runs_at_once_tell_the_customer_once(order):
    line = order.lines.get()
    replan_slip(line, 6)
    later = timezone.now() + dt.timedelta(hours=49)
    results = race(
        lambda: releases.forecasts_release_due(now=later),
        lambda: releases.forecasts_release_due(now=later),
    )
    assert sorted(results) == [0, 1], results
    assert _told(order) == 1


def test_the_rep_and_the_beat_task_at_once_tell_the_customer_once(order, sales_rep):
    line = order.lines.get()
    replan_slip(line, 6)
    later = timezone.now() + dt.timedelta(hours=49)
    results = race(
        lambda: releases.order_line_forecast_release(
            line=OrderLine.objects.select_related("order").get(pk=line.pk), actor=sales_rep
        ),
        lambda: releases.forecasts_release_due(now=later),
    )
    # Either the rep wins (the task finds nothing due) or the task wins (the rep is told
    # there is nothing left to tell, 409).
    rep, task = results
    assert (isinstance(rep, OrderLine) and task == 0) or (
        isinstance(rep, releases.TransitionNotAllowed) and task == 1
    ), results
    assert _told(order) == 1
