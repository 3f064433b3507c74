"""Shareable order tracker: links created and revoked on the portal and staff order pages,
and the public page /track/<token>/ that shows progress and dates only."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from apps.core.models import Activity
from apps.orders.models import OrderTrackerLink
from apps.orders.services import orders as order_services
from apps.orders.services import trackers
from tests.query_counts import queries

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def _track(token: str) -> str:
    return reverse("tracker:order", args=[token])


def _created_token(html: str) -> str:
    return re.search(r'id="tracker-url" type="text" readonly value="[^"]*/track/([^/"]+)/"', html)[
        1
    ]


# --- services --------------------------------------------------------------------


def test_a_link_stores_only_the_hash_of_a_long_random_token(order, acme_contact):
    link, token = trackers.tracker_link_create(order=order, actor=acme_contact)
    assert len(token) >= 43  # 32 random bytes, URL-safe
    assert token not in link.token_hash and link.token_hash == trackers.token_hash(token)
    assert trackers.tracker_link_open(token) == link
    assert (link.expires_at - link.created_at) == dt.timedelta(days=30)


def test_create_and_revoke_are_audited_for_the_customer(order, acme_contact, sales_rep):
    link, _ = trackers.tracker_link_create(order=order, actor=sales_rep, days=7)
    trackers.tracker_link_revoke(link=link, actor=acme_contact)
    entries = Activity.objects.filter(object_id=str(order.pk), verb__startswith="tracker_link")
    assert sorted((e.verb, e.actor, e.audience) for e in entries) == [
        ("tracker_link_created", sales_rep, "customer"),
        ("tracker_link_revoked", acme_contact, "customer"),
    ]


def test_who_may_share(order, borealis_contact, planner):
    for outsider in (borealis_contact, planner):
        with pytest.raises(PermissionDenied):
            trackers.tracker_link_create(order=order, actor=outsider)
    with pytest.raises(ValidationError):
        trackers.tracker_link_create(order=order, actor=order.owner, days=0)


# --- the pages that create and revoke --------------------------------------------


def test_the_customer_creates_a_link_sees_it_once_and_it_opens_logged_out(
    client_for, client, acme_contact, order
):
    response = client_for(acme_contact).post(
        reverse("customers:order-tracker-create", args=[order.pk]), {"days": "90"}, **HX
    )
    assert response.status_code == 200
    html = response.content.decode()
    token = _created_token(html)
    link = OrderTrackerLink.objects.get(order=order)
    assert (link.expires_at - link.created_at).days == 90 and link.created_by == acme_contact
    assert 'data-status="active"' in html
    client.logout()
    assert client.get(_track(token)).status_code == 200
    # The page lists the link afterwards, never the token again.
    page = client_for(acme_contact).get(
        reverse("customers:order-detail", args=[order.pk]) + "?sections=all"
    )
    assert token not in page.content.decode() and 'data-status="active"' in page.content.decode()


def test_staff_revoke_and_the_link_stops_working(client_for, client, sales_rep, order):
    link, token = trackers.tracker_link_create(order=order, actor=order.owner)
    response = client_for(sales_rep).post(
        reverse("sales:order-tracker-revoke", args=[order.pk, link.pk]), **HX
    )
    assert response.status_code == 200 and 'data-status="revoked"' in response.content.decode()
    client.logout()
    assert client.get(_track(token)).status_code == 404


def test_a_planner_sees_the_links_but_the_buttons_say_why_not(client_for, planner, order):
    trackers.tracker_link_create(order=order, actor=order.owner)
    # The links read when revealed (`?section=trackers`), the section the page loads.
    html = (
        client_for(planner)
        .get(reverse("sales:order-detail", args=[order.pk]), {"section": "trackers"})
        .content.decode()
    )
    section = html.split('data-testid="tracker-links"', 1)[1].split("</section>", 1)[0]
    assert 'data-status="active"' in section and 'data-testid="tracker-revoke"' not in section
    assert "Only the customer&#x27;s contacts and sales may share this order." in section
    response = client_for(planner).post(
        reverse("sales:order-tracker-create", args=[order.pk]), {"days": "30"}, **HX
    )
    assert response.status_code == 422
    assert OrderTrackerLink.objects.count() == 1


def test_another_customer_cannot_touch_the_links(client_for, borealis_contact, order):
    link, _ = trackers.tracker_link_create(order=order, actor=order.owner)
    client = client_for(borealis_contact)
    assert (
        client.post(reverse("customers:order-tracker-create", args=[order.pk])).status_code == 404
    )
    url = reverse("customers:order-tracker-revoke", args=[order.pk, link.pk])
    assert client.post(url).status_code == 404
    link.refresh_from_db()
    assert link.revoked_at is None


def test_a_bad_expiry_is_a_form_error(client_for, acme_contact, order):
    response = client_for(acme_contact).post(
        reverse("customers:order-tracker-create", args=[order.pk]), {"days": "3650"}, **HX
    )
    assert response.status_code == 422
    assert "Choose how long the link stays valid." in response.content.decode()
    assert not OrderTrackerLink.objects.exists()


# --- the public page -------------------------------------------------------------


def test_the_tracker_shows_progress_and_dates_and_nothing_else(client, order, planner):
    line = order.lines.first()
    order_services.order_line_reforecast(
        line=line,
        actor=planner,
        new_date=line.forecast_date + dt.timedelta(days=5),
        reason="CANARY-TRACKER-SLIP supplier Delta late",
    )
    _, token = trackers.tracker_link_create(order=order, actor=order.owner)
    response = client.get(_track(token))
    assert response.status_code == 200
    html = response.content.decode()
    line.refresh_from_db()
    assert order.number in html and 'data-testid="order-progress"' in html
    assert f"{line.first_promised_date:%b} {line.first_promised_date.day}," in html
    assert f"{line.forecast_date:%b} {line.forecast_date.day}," in html and "+5 days" in html
    for secret in (
        "USD",
        f"{order.total:,.2f}",
        "CANARY-TRACKER-SLIP",
        "Delta",
        order.customer_po,
        order.customer.name,
        order.owner.get_full_name(),
        "<form",
    ):
        assert secret not in html, secret
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert response["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize("how", ["expired", "revoked", "cancelled", "unknown"])
def test_dead_links_answer_404(client, order, sales_manager, how):
    link, token = trackers.tracker_link_create(order=order, actor=order.owner)
    if how == "expired":
        OrderTrackerLink.objects.filter(pk=link.pk).update(
            expires_at=timezone.now() - dt.timedelta(seconds=1)
        )
    elif how == "revoked":
        trackers.tracker_link_revoke(link=link, actor=order.owner)
    elif how == "cancelled":
        order_services.order_transition(order=order, name="cancel", actor=sales_manager)
    else:
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(_track(token)).status_code == 404


def test_the_tracker_is_throttled_per_address(client, order, monkeypatch):
    from apps.customers import views_tracker

    monkeypatch.setattr(views_tracker, "LIMIT", 3)
    _, token = trackers.tracker_link_create(order=order, actor=order.owner)
    statuses = [client.get(_track(token)).status_code for _ in range(3)]
    statuses.append(client.get(_track("guess" * 9)).status_code)
    assert statuses == [200, 200, 200, 429]
    other = client.get(_track(token), REMOTE_ADDR="198.51.100.4")
    assert other.status_code == 200


def test_the_tracker_makes_two_queries_for_2_and_200_lines(client, order):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.sales.test_views_list_queries import _more_lines

    _, token = trackers.tracker_link_create(order=order, actor=order.owner)
    counts = []
    for more in (1, 198):
        _more_lines(more, order=order)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(_track(token)).status_code == 200
        counts.append(len(ctx.captured_queries))
    # the link with its order (one join), the order's lines
    assert counts == [queries("tracker:order", "anon")] * 2
