"""Telling the customer a new forecast: the release services, the beat task and the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from apps.core.models import Activity, Audience, Notification
from apps.core.transitions import TransitionNotAllowed
from apps.orders.models import OrderLineDateChange, OrderState, SalesOrder, SlipCause
from apps.orders.services import releases
from apps.orders.tasks import release_due_forecasts
from tests.orders.slips import replan_slip

pytestmark = pytest.mark.django_db

REASON = "Delta Motors moved PO-000123 by two weeks"


@pytest.fixture
def slipped(order):
    line = order.lines.get()
    replan_slip(line, 8, reason=REASON)
    return line


@pytest.fixture
def three_lines(make_quote, sales_rep, acme_contact):
    from apps.orders.services import quotes as q
    from apps.orders.services.orders import quote_convert

    quote = make_quote(
        lines=[("skid", 1, {}, 0), ("skid", 1, {"drive": "vfd"}, 0), ("skid", 2, {}, 0)]
    )
    quote = q.quote_send(quote=q.quote_submit(quote=quote, actor=sales_rep), actor=sales_rep)
    q.quote_accept(quote=quote, actor=acme_contact)
    return quote_convert(quote=quote, actor=sales_rep)


def _customer_entries(order):
    return list(
        Activity.objects.filter(
            object_id=str(order.pk), audience=Audience.CUSTOMER, verb="forecast_released"
        )
    )


def test_a_replan_slip_waits_untold_with_its_release_time(slipped, settings):
    order = slipped.order
    order.refresh_from_db()
    assert slipped.at_risk and slipped.customer_forecast_date is None
    assert slipped.customer_date == slipped.first_promised_date
    due = slipped.forecast_release_due - timezone.now()
    assert dt.timedelta(hours=settings.PROMISE_CUSTOMER_NOTICE_HOURS - 1) < due
    # The customer's stored dates stay on the promise; staff's move.
    assert order.customer_last_date == slipped.first_promised_date
    assert order.last_forecast_date == slipped.forecast_date
    assert order.at_risk_count == 1


def test_sales_rep_confirms_the_new_date_to_the_customer(
    slipped, sales_rep, acme_contact, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        line = releases.order_line_forecast_release(
            line=slipped, actor=sales_rep, comment="Sorry for the wait."
        )
    assert line.customer_forecast_date == slipped.forecast_date
    assert line.forecast_release_due is None
    change = OrderLineDateChange.objects.get(line=slipped)
    assert change.released_at is not None
    order = SalesOrder.objects.get(pk=slipped.order_id)
    assert order.customer_last_date == slipped.forecast_date
    (entry,) = _customer_entries(order)
    assert entry.actor == sales_rep
    assert change.customer_text in entry.text and "Sorry for the wait." in entry.text
    assert REASON not in entry.text and "Delta" not in entry.text
    (message,) = mail.outbox
    assert message.to == [acme_contact.email]
    assert order.number in message.subject
    body = message.body + message.alternatives[0][0]
    assert f"{slipped.forecast_date:%b %d, %Y}" in body
    assert "Delta" not in body and "receipt" not in body.lower()


def test_sales_manager_may_confirm_too(slipped, sales_manager):
    releases.order_line_forecast_release(line=slipped, actor=sales_manager)
    slipped.refresh_from_db()
    assert slipped.customer_date == slipped.forecast_date


@pytest.mark.parametrize("role", ["planner", "engineer", "buyer", "finance", "ops_admin"])
def test_other_roles_are_refused_with_the_reason(slipped, role, request):
    user = request.getfixturevalue(role)
    assert releases.line_release_refusal(slipped, user) == releases.NOT_SALES
    with pytest.raises(releases.PermissionDenied):
        releases.order_line_forecast_release(line=slipped, actor=user)
    slipped.refresh_from_db()
    assert slipped.customer_forecast_date is None and slipped.forecast_release_due


def test_a_customer_contact_cannot_release(slipped, acme_contact):
    with pytest.raises(releases.PermissionDenied):
        releases.order_line_forecast_release(line=slipped, actor=acme_contact)


def test_nothing_pending_is_refused_409(order, sales_rep):
    line = order.lines.get()
    assert releases.line_release_refusal(line, sales_rep) == releases.NOTHING_PENDING
    with pytest.raises(TransitionNotAllowed) as exc:
        releases.order_line_forecast_release(line=line, actor=sales_rep)
    assert exc.value.status == 409


def test_releasing_twice_tells_once(slipped, sales_rep):
    releases.order_line_forecast_release(line=slipped, actor=sales_rep)
    with pytest.raises(TransitionNotAllowed):
        releases.order_line_forecast_release(line=slipped, actor=sales_rep)
    assert len(_customer_entries(slipped.order)) == 1


def test_back_on_the_first_promise_clears_the_told_date(slipped, sales_rep):
    releases.order_line_forecast_release(line=slipped, actor=sales_rep)
    replan_slip(slipped, -8, cause=SlipCause.CAPACITY, reason="ASSY overtime approved")
    assert not slipped.at_risk and slipped.forecast_release_due is not None
    line = releases.order_line_forecast_release(line=slipped, actor=sales_rep)
    assert line.customer_forecast_date is None
    assert line.customer_date == line.first_promised_date


def test_a_cancelled_order_is_refused(slipped, sales_manager):
    SalesOrder.objects.filter(pk=slipped.order_id).update(state=OrderState.CANCELLED)
    slipped.refresh_from_db()
    assert "cancelled" in releases.line_release_refusal(slipped, sales_manager)
    with pytest.raises(TransitionNotAllowed):
        releases.order_line_forecast_release(line=slipped, actor=sales_manager)


def test_order_level_release_tells_every_pending_line_in_one_entry_and_mail(
    three_lines, sales_rep, django_capture_on_commit_callbacks
):
    order = three_lines
    first, second, third = order.lines.order_by("position")
    replan_slip(first, 5)
    replan_slip(third, 9, cause=SlipCause.CLOSURE, reason="ASSY closed for maintenance")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        told = releases.order_forecasts_release(order=order, actor=sales_rep)
    assert {line.pk for line in told} == {first.pk, third.pk}
    assert len(_customer_entries(order)) == 1
    assert len(mail.outbox) == 1
    second.refresh_from_db()
    assert second.customer_forecast_date is None
    with pytest.raises(TransitionNotAllowed):
        releases.order_forecasts_release(order=order, actor=sales_rep)


# --- the beat task ----------------------------------------------------------------


def test_the_task_releases_lines_whose_notice_passed_as_the_system(
    slipped, django_capture_on_commit_callbacks
):
    assert release_due_forecasts() == 0  # not yet due
    later = timezone.now() + dt.timedelta(hours=49)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert releases.forecasts_release_due(now=later) == 1
    slipped.refresh_from_db()
    assert slipped.customer_forecast_date == slipped.forecast_date
    assert slipped.forecast_release_due is None
    (entry,) = _customer_entries(slipped.order)
    assert entry.actor is None and REASON not in entry.text
    assert len(mail.outbox) == 1
    # The rep learns that the customer was told without them.
    told = Notification.objects.filter(
        recipient=slipped.order.owner, title__contains="new date told to the customer"
    )
    assert told.count() == 1
    # Idempotent: a second run (or a run racing the first) tells nobody again.
    assert releases.forecasts_release_due(now=later) == 0
    assert len(_customer_entries(slipped.order)) == 1


def test_the_task_is_bounded_and_takes_the_oldest_first(three_lines):
    order = three_lines
    lines = list(order.lines.order_by("position"))
    for i, line in enumerate(lines):
        replan_slip(line, 3)
        type(line).objects.filter(pk=line.pk).update(
            forecast_release_due=timezone.now() - dt.timedelta(hours=3 - i)
        )
    assert releases.forecasts_release_due(limit=2) == 2
    told = set(
        type(lines[0])
        .objects.filter(order=order, forecast_release_due__isnull=True)
        .values_list("position", flat=True)
    )
    assert told == {lines[0].position, lines[1].position}
    assert releases.forecasts_release_due(limit=2) == 1


def test_the_task_only_clears_lines_of_finished_orders(slipped):
    SalesOrder.objects.filter(pk=slipped.order_id).update(state=OrderState.CANCELLED)
    later = timezone.now() + dt.timedelta(hours=49)
    assert releases.forecasts_release_due(now=later) == 0
    slipped.refresh_from_db()
    assert slipped.forecast_release_due is None and slipped.customer_forecast_date is None
    assert _customer_entries(slipped.order) == []


def test_the_task_is_on_the_beat_schedule(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "apps.orders.tasks.release_due_forecasts" in tasks


# --- API -----------------------------------------------------------------------------


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _release_url(line):
    return f"/api/v1/orders/{line.order_id}/lines/{line.pk}/release-forecast/"


def test_api_release_line_answers_the_staff_order(slipped, sales_rep):
    response = _api(sales_rep).post(_release_url(slipped), {"comment": "Thanks"}, format="json")
    assert response.status_code == 200, response.content
    (line,) = response.json()["lines"]
    assert line["customer_date"] == line["forecast_date"] == slipped.forecast_date.isoformat()
    assert line["forecast_release_due"] is None and line["at_risk"] is True
    assert response.json()["at_risk_count"] == 1


def test_api_release_refusals(slipped, planner, sales_rep, acme_contact, borealis_contact):
    assert _api(planner).post(_release_url(slipped)).status_code == 403
    assert (
        _api(acme_contact).post(_release_url(slipped)).status_code == 403
    )  # may read the order, may not act (DESIGN §6)
    assert _api(borealis_contact).post(_release_url(slipped)).status_code == 404
    bad = _api(sales_rep).post(_release_url(slipped), {"comment": "x" * 4001}, format="json")
    assert bad.status_code == 400 and "comment" in bad.json()
    other = f"/api/v1/orders/{slipped.order_id}/lines/{'0' * 8}-0000-0000-0000-{'0' * 12}/"
    assert _api(sales_rep).post(other + "release-forecast/").status_code == 404
    assert _api(sales_rep).post(_release_url(slipped)).status_code == 200
    again = _api(sales_rep).post(_release_url(slipped))
    assert again.status_code == 409 and "already knows" in again.json()["detail"]


def test_api_release_whole_order(slipped, sales_manager, acme_contact):
    url = f"/api/v1/orders/{slipped.order_id}/release-forecasts/"
    assert _api(acme_contact).post(url).status_code == 403
    assert _api(sales_manager).post(url).status_code == 200
    assert _api(sales_manager).post(url).status_code == 409


def test_api_staff_line_shows_risk_and_pending_release(slipped, planner):
    data = _api(planner).get(f"/api/v1/orders/{slipped.order_id}/").json()
    (line,) = data["lines"]
    assert line["at_risk"] is True and line["forecast_release_due"]
    assert line["customer_date"] == slipped.first_promised_date.isoformat()
    assert line["date_changes"][0]["reason"] == REASON
    assert line["date_changes"][0]["released_at"] is None
