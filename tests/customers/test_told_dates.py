"""A forecast moved by a re-plan is invisible to the customer until it is released.

Every customer surface: the portal order page, order list and dashboard, the
customer API, the shareable tracker and e-mail. Staff keep seeing the real forecast.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient

from apps.orders.services import releases, trackers
from tests.orders.slips import replan_slip

pytestmark = pytest.mark.django_db

REASON = "Delta Motors moved PO-000123 by two weeks"


def _fmt(d: dt.date) -> str:
    return f"{d:%b} {d.day}, {d.year}"


@pytest.fixture
def slipped(order):
    line = order.lines.get()
    mail.outbox.clear()
    replan_slip(line, 8, reason=REASON)
    return line


def _surfaces(client, api, order, token) -> dict[str, str]:
    return {
        "portal order page": client.get(reverse("customers:order-detail", args=[order.pk])),
        "portal order list": client.get(reverse("customers:order-list")),
        "portal dashboard": client.get(reverse("customers:dashboard")),
        "tracker": client.get(reverse("tracker:order", args=[token])),
        "api": api.get(f"/api/v1/orders/{order.pk}/"),
    }


def _texts(client, api, order, token) -> dict[str, str]:
    out = {}
    for name, response in _surfaces(client, api, order, token).items():
        assert response.status_code == 200, name
        out[name] = response.content.decode()
    return out


def test_every_customer_surface_hides_an_unreleased_forecast_then_shows_it(
    slipped, acme_contact, sales_rep, client, django_capture_on_commit_callbacks
):
    order = slipped.order
    _link, token = trackers.tracker_link_create(order=order, actor=acme_contact)
    client.force_login(acme_contact)
    api = APIClient()
    api.force_authenticate(acme_contact)
    promised, forecast = slipped.first_promised_date, slipped.forecast_date
    assert forecast > promised

    before = _texts(client, api, order, token)
    for name, text in before.items():
        # Neither the new date nor a trace of why it moved.
        assert _fmt(forecast) not in text and forecast.isoformat() not in text, name
        assert "Delta" not in text and "receipt" not in text.lower(), name
    for name in ("portal order page", "portal order list", "portal dashboard", "tracker"):
        assert _fmt(promised) in before[name], name
    line = _api_line(before["api"])
    assert line["customer_date"] == promised.isoformat() and "forecast_date" not in line
    assert line["date_changes"] == [] and line["slip_days"] == 0
    assert "at_risk" not in line and "forecast_release_due" not in line
    assert not any(_fmt(forecast) in m.body for m in mail.outbox)

    with django_capture_on_commit_callbacks(execute=True):
        releases.order_line_forecast_release(line=slipped, actor=sales_rep)

    after = _texts(client, api, order, token)
    for name in ("portal order page", "portal order list", "portal dashboard", "tracker"):
        assert _fmt(forecast) in after[name], name
    page = after["portal order page"]
    assert f"(was {promised:%b} {promised.day})" in page
    assert "the expected delivery date is now" in page and REASON not in page
    line = _api_line(after["api"])
    assert line["customer_date"] == forecast.isoformat() and line["slip_days"] == 8
    (change,) = line["date_changes"]
    assert set(change) == {"old_date", "new_date", "customer_text", "released_at"}
    assert any(_fmt(forecast) in m.body for m in mail.outbox)


def _api_line(text: str) -> dict:
    import json

    (line,) = json.loads(text)["lines"]
    return line


def test_staff_keep_seeing_the_real_forecast(slipped, planner, client):
    client.force_login(planner)
    # The slip history is in the line's details (read when opened; `?sections=all` inline).
    page = client.get(
        reverse("sales:order-detail", args=[slipped.order_id]), {"sections": "all"}
    ).content.decode()
    assert _fmt(slipped.forecast_date) in page and REASON in page


def test_the_portal_dashboard_orders_by_the_told_date(slipped, acme_contact, client):
    client.force_login(acme_contact)
    response = client.get(reverse("customers:dashboard"))
    (shown,) = response.context["open_orders"]
    assert shown.customer_last_date == slipped.first_promised_date
