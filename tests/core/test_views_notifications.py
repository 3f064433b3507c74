"""The notifications page: own notifications only, mark read, htmx partials."""

from __future__ import annotations

import pytest

from apps.core.models import Notification
from apps.core.services import notify

pytestmark = pytest.mark.django_db


@pytest.fixture
def mine(sales_rep):
    return notify(recipients=[sales_rep], title="Quote Q-000123 approved", body="By the manager")[0]


@pytest.fixture
def theirs(planner):
    return notify(recipients=[planner], title="Work order WO-000001 released")[0]


def test_lists_only_own_notifications(client_for, sales_rep, mine, theirs):
    html = client_for(sales_rep).get("/notifications/").content.decode()
    assert "Quote Q-000123 approved" in html
    assert "WO-000001" not in html


def test_unread_filter_hides_read_notifications(client_for, sales_rep, mine):
    read = notify(recipients=[sales_rep], title="Old news")[0]
    Notification.objects.filter(pk=read.pk).update(read_at="2024-01-01T00:00:00Z")
    client = client_for(sales_rep)
    assert "Old news" in client.get("/notifications/").content.decode()
    unread = client.get("/notifications/?filter=unread").content.decode()
    assert "Old news" not in unread
    assert "Quote Q-000123 approved" in unread


def test_unknown_filter_falls_back_to_all(client_for, sales_rep, mine):
    response = client_for(sales_rep).get("/notifications/?filter=<script>")
    assert response.status_code == 200
    assert "Quote Q-000123 approved" in response.content.decode()


def test_mark_one_read_marks_only_own_and_ignores_other_ids(client_for, sales_rep, mine, theirs):
    other = notify(recipients=[sales_rep], title="Second")[0]
    response = client_for(sales_rep).post(
        "/notifications/read/", {"id": [mine.pk, theirs.pk]}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    mine.refresh_from_db()
    theirs.refresh_from_db()
    other.refresh_from_db()
    assert mine.read_at is not None
    assert theirs.read_at is None
    assert other.read_at is None


def test_mark_all_read_leaves_other_users_alone(client_for, sales_rep, mine, theirs):
    client_for(sales_rep).post("/notifications/read/")
    assert not Notification.objects.filter(recipient=sales_rep, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_malformed_id_marks_nothing(client_for, sales_rep, mine):
    client_for(sales_rep).post("/notifications/read/", {"id": "x"})
    mine.refresh_from_db()
    assert mine.read_at is None


def test_mark_read_without_htmx_redirects_back_with_the_filter(client_for, sales_rep, mine):
    response = client_for(sales_rep).post("/notifications/read/?filter=unread", {"id": mine.pk})
    assert response.status_code == 302
    assert response["Location"] == "/notifications/?filter=unread"


def test_mark_read_via_htmx_returns_list_and_updated_badge(client_for, sales_rep, mine):
    notify(recipients=[sales_rep], title="Still unread")
    client = client_for(sales_rep)
    page = client.get("/").content.decode()
    assert 'data-testid="unread-count">2<' in page
    html = client.post(
        "/notifications/read/?filter=unread", {"id": mine.pk}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "<html" not in html
    assert html.lstrip().startswith('<div id="notification-list"')
    assert "Still unread" in html and "Quote Q-000123" not in html
    assert '<span id="unread-badge" hx-swap-oob="true">' in html
    assert 'data-testid="unread-count">1<' in html


def test_htmx_tab_switch_returns_the_list_partial(client_for, sales_rep, mine):
    html = (
        client_for(sales_rep)
        .get("/notifications/?filter=unread", HTTP_HX_REQUEST="true")
        .content.decode()
    )
    assert "<html" not in html
    assert html.lstrip().startswith('<div id="notification-list"')
    assert "hx-swap-oob" not in html


def test_paginates_25_per_page_and_keeps_the_filter(client_for, sales_rep):
    notify(recipients=[sales_rep], title="first")
    for i in range(30):
        Notification.objects.create(recipient=sales_rep, title=f"Note {i}")
    client = client_for(sales_rep)
    page1 = client.get("/notifications/?filter=unread").content.decode()
    assert "1–25 of 31" in page1
    assert 'href="?filter=unread&amp;page=2"' in page1
    page2 = client.get("/notifications/?filter=unread&page=2").content.decode()
    assert "26–31 of 31" in page2


def test_empty_state_when_nothing_unread(client_for, sales_rep):
    html = client_for(sales_rep).get("/notifications/?filter=unread").content.decode()
    assert "No unread notifications" in html


def test_anonymous_is_sent_to_login(client):
    assert client.get("/notifications/").status_code == 302
