"""The stored at-risk facts (apps.orders.risk) stay equal to what the lines say,
through every service that moves a forecast, releases it, re-plans, or moves an order.

After each step: the tally equals the one recounted from the lines, and each line's
`risk_open`, `risk_owner`, `risk_customer` and `slip_cause` equal what its order and
moves say.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.orders import replan
from apps.orders.models import AtRiskTally, OrderLine, OrderState, SalesOrder, SlipCause
from apps.orders.risk import (
    AT_RISK_DONE_STATES,
    order_risk_refresh,
    risk_lines_fill,
    risk_tally_from_lines,
    risk_tally_recompute,
    risk_tally_stored,
)
from apps.orders.services import releases
from apps.orders.services.orders import order_cancel, order_line_reforecast, order_transition
from tests.orders.slips import replan_slip
from tests.orders.test_replan import _last_motor, _sent, two_orders  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def _expected(line: OrderLine) -> tuple:
    open_ = line.at_risk and line.order.state not in AT_RISK_DONE_STATES
    latest = line.date_changes.order_by("-created_at", "-id").first()
    owner, customer = (line.order.owner_id, line.order.customer_id) if open_ else (None, None)
    return (open_, owner, customer, latest.cause if latest else "")


def assert_consistent() -> dict:
    for line in OrderLine.objects.select_related("order"):
        stored = (line.risk_open, line.risk_owner_id, line.risk_customer_id, line.slip_cause)
        assert stored == _expected(line), line
    stored = risk_tally_stored()
    assert stored == risk_tally_from_lines()
    return stored


def _tally(owner) -> tuple[int, int]:
    rows = [v for (o, _cause), v in assert_consistent().items() if o == owner.pk]
    return sum(n for n, _ in rows), sum(u for _, u in rows)


def test_every_service_keeps_the_stored_risk_and_the_tally(
    two_orders,  # noqa: F811
    catalog,
    sales_rep,
    sales_manager,
    warehouse,
):
    a, b = two_orders["a"], two_orders["b"]
    # A slipped at conversion, not yet told.
    assert _tally(sales_rep) == (1, 1)
    line_a = a.lines.get()
    assert line_a.slip_cause == SlipCause.CONVERSION and line_a.risk_owner == sales_rep
    assert line_a.risk_customer_id == a.customer_id

    # A re-plan: A back on its promise, B slips (not told).
    replan.replan_affected(part_ids=[catalog["motor"].pk], cause=SlipCause.RECEIPT_MOVED)
    line_b = b.lines.get()
    assert line_b.risk_open and line_b.slip_cause == SlipCause.RECEIPT_MOVED
    assert not a.lines.get().risk_open
    assert _tally(sales_rep) == (1, 1)

    # A line the re-plan cannot promise is marked at risk without a move.
    OrderLine.objects.filter(order=a).update(quantity=10000)
    replan.replan_affected(part_ids=[catalog["motor"].pk], cause=SlipCause.RECEIPT_MOVED)
    assert a.lines.get().risk_open
    assert_consistent()
    OrderLine.objects.filter(order=a).update(quantity=1)

    # B slips again; the rep tells the customer: still at risk, told.
    replan_slip(b.lines.get(), 8)
    lines, untold = _tally(sales_rep)
    releases.order_line_forecast_release(line=b.lines.get(), actor=sales_rep)
    assert b.lines.get().risk_open and not b.lines.get().forecast_release_due
    assert _tally(sales_rep) == (lines, untold - 1)

    # A manual reforecast (released at once) with its own cause.
    order_line_reforecast(
        line=b.lines.get(),
        actor=sales_rep,
        new_date=b.lines.get().forecast_date + dt.timedelta(days=2),
        reason="Paint shop",
        cause=SlipCause.CAPACITY,
    )
    assert b.lines.get().slip_cause == SlipCause.CAPACITY
    assert_consistent()

    # A slip nobody confirms is released by the beat task.
    replan_slip(a.lines.get(), 5, cause=SlipCause.CLOSURE)
    untold_before = _tally(sales_rep)[1]
    assert untold_before >= 1
    releases.forecasts_release_due(now=timezone.now() + dt.timedelta(days=30))
    assert _tally(sales_rep)[1] == 0

    # The owner changes (no service does today; whoever adds one calls order_risk_refresh).
    SalesOrder.objects.filter(pk=b.pk).update(owner=sales_manager)
    b.refresh_from_db()
    order_risk_refresh(b)
    assert b.lines.get().risk_owner == sales_manager
    assert _tally(sales_manager)[0] == 1

    # Cancelled and delivered orders leave the tally.
    order_cancel(order=a, actor=sales_manager, reason="Customer withdrew")
    assert _tally(sales_rep) == (0, 0)
    SalesOrder.objects.filter(pk=b.pk).update(state=OrderState.SHIPPED)  # setup: shipped
    order_transition(order=SalesOrder.objects.get(pk=b.pk), name="deliver", actor=warehouse)
    assert assert_consistent() == {}
    assert b.lines.get().at_risk  # the slip stays on the line's record


def test_recompute_rebuilds_what_is_stored(two_orders, sales_rep):  # noqa: F811
    stored = assert_consistent()
    assert stored
    AtRiskTally.objects.update(lines=99, not_told=99)
    OrderLine.objects.update(risk_open=False, risk_owner=None, risk_customer=None, slip_cause="")
    risk_lines_fill()
    risk_tally_recompute()
    assert assert_consistent() == stored
