"""Planning's work-center pages: load chart, capacity, closures and the hours held."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.catalog.bookings import bookings_write
from apps.catalog.models import CapacityReservation, WorkCenter, WorkCenterClosure
from tests.catalog.factories import WorkCenterFactory
from tests.query_counts import queries

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
LIST = reverse("manufacturing:work-center-list")


def _next_weekday(offset: int) -> dt.date:
    day = TODAY + dt.timedelta(days=offset)
    while day.isoweekday() > 5:
        day += dt.timedelta(days=1)
    return day


DAY = _next_weekday(3)


@pytest.fixture
def asm():
    return WorkCenterFactory(code="ASM", name="Assembly", daily_capacity_hours=Decimal("8"))


def _detail(wc) -> str:
    return reverse("manufacturing:work-center-detail", args=[wc.pk])


def test_detail_shows_load_chart_holds_and_closures(client_for, planner, asm):
    bookings_write(
        [
            (
                "order-line:00000000-0000-0000-0000-000000000009",
                "SO-000009/1",
                {},
                {(asm.pk, DAY): Decimal("6")},
            )
        ],
        firm=True,
    )
    CapacityReservation.objects.create(
        work_center=asm, date=DAY, hours=Decimal("5"), reference="WO-1"
    )
    WorkCenterClosure.objects.create(work_center=None, date=_next_weekday(10), reason="Inventory")
    html = client_for(planner).get(_detail(asm)).content.decode()
    assert 'data-testid="load-chart"' in html
    assert len(re.findall(r"<g transform=", html)) == 8
    monday = DAY - dt.timedelta(days=DAY.weekday())
    week = re.search(rf'data-week="{monday.isoformat()}">(.*?)</g>', html, re.S).group(1)
    # 11 h booked that week; one closed plant day may fall into it.
    assert "11 / " in week
    # Over capacity that day: the bar is red only if the week is over (it is not).
    assert "bar-booked" in week
    holds = re.findall(r'<tr data-hold="([^"]+)">(.*?)</tr>', html, re.S)
    assert [ref for ref, _ in holds] == ["SO-000009/1", "WO-1"]
    assert "Firm" in holds[0][1] and "Planned work" in holds[1][1]
    assert "Whole plant" in html and "Inventory" in html


def test_capacity_change_over_htmx(client_for, planner, asm):
    url = reverse("manufacturing:work-center-capacity", args=[asm.pk])
    response = client_for(planner).post(url, {"hours": "12"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith('<div id="capacity"')
    assert "ASM now has 12 h a working day." in html
    assert WorkCenter.objects.get(pk=asm.pk).daily_capacity_hours == Decimal("12")


@pytest.mark.parametrize("hours", ["0", "1000", "abc", ""])
def test_bad_capacity_is_a_field_error(client_for, planner, asm, hours):
    url = reverse("manufacturing:work-center-capacity", args=[asm.pk])
    response = client_for(planner).post(url, {"hours": hours}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert 'id="id_hours-errors"' in response.content.decode()
    assert WorkCenter.objects.get(pk=asm.pk).daily_capacity_hours == Decimal("8")


def test_closure_add_twice_then_remove(client_for, planner, asm):
    client = client_for(planner)
    url = reverse("manufacturing:work-center-closure-add", args=[asm.pk])
    data = {"date": DAY.isoformat(), "reason": "Crane inspection", "scope": "work_center"}
    response = client.post(url, data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "ASM is closed on" in response.content.decode()
    response = client.post(url, data, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert "ASM is already closed on" in response.content.decode()
    assert 'value="Crane inspection"' in response.content.decode()
    closure = WorkCenterClosure.objects.get()
    remove = reverse("manufacturing:work-center-closure-remove", args=[asm.pk, closure.pk])
    response = client.post(remove, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Open again on" in response.content.decode()
    assert not WorkCenterClosure.objects.exists()


def test_plant_closure_from_a_work_center_page(client_for, planner, asm):
    url = reverse("manufacturing:work-center-closure-add", args=[asm.pk])
    response = client_for(planner).post(
        url, {"date": DAY.isoformat(), "scope": "plant"}, HTTP_HX_REQUEST="true"
    )
    assert "The plant is closed on" in response.content.decode()
    assert WorkCenterClosure.objects.get().work_center is None


def test_another_centers_closure_is_404(client_for, planner, asm):
    other = WorkCenterFactory(code="TST")
    closure = WorkCenterClosure.objects.create(work_center=other, date=DAY)
    remove = reverse("manufacturing:work-center-closure-remove", args=[asm.pk, closure.pk])
    assert client_for(planner).post(remove).status_code == 404


def test_closure_in_the_past_is_a_field_error(client_for, planner, asm):
    url = reverse("manufacturing:work-center-closure-add", args=[asm.pk])
    response = client_for(planner).post(
        url,
        {"date": (TODAY - dt.timedelta(days=1)).isoformat(), "scope": "work_center"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert "Choose today or a later date." in response.content.decode()


@pytest.mark.parametrize("role", ["buyer", "sales_rep", "quality"])
def test_other_staff_read_with_disabled_buttons_and_are_refused(client_for, request, role, asm):
    client = client_for(request.getfixturevalue(role))
    html = client.get(_detail(asm)).content.decode()
    assert "Only planning changes capacity and closures." in html
    assert "disabled" in html
    url = reverse("manufacturing:work-center-capacity", args=[asm.pk])
    response = client.post(url, {"hours": "9"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert "Only planning changes capacity and closures." in response.content.decode()


@pytest.mark.parametrize("contact", ["acme_contact", "delta_contact"])
def test_contacts_get_404(client_for, request, contact, asm):
    client = client_for(request.getfixturevalue(contact))
    assert client.get(LIST).status_code == 404
    assert client.get(_detail(asm)).status_code == 404


@pytest.mark.parametrize("size", [2, 20])
def test_list_query_count_is_constant(client_for, planner, django_assert_num_queries, size):
    for i in range(size):
        wc = WorkCenterFactory(code=f"W{i:02d}")
        CapacityReservation.objects.create(work_center=wc, date=DAY, hours=1, reference="WO")
    client = client_for(planner)
    client.get(LIST)
    # session, user, roles and permissions; capped count, page ids, rows; the
    # page's booked hours and its closures (one GROUP BY each).
    with django_assert_num_queries(queries("manufacturing:work-center-list", "planner")):
        html = client.get(LIST).content.decode()
    assert len(re.findall(r"data-work-center=", html)) == size


@pytest.mark.parametrize("size", [2, 30])
def test_detail_query_count_is_constant(client_for, planner, asm, django_assert_num_queries, size):
    keys = [f"order-line:00000000-0000-0000-0000-{i:012d}" for i in range(size)]
    bookings_write(
        [(k, f"SO-{i:03d}/1", {}, {(asm.pk, DAY): Decimal("0.5")}) for i, k in enumerate(keys)]
    )
    client = client_for(planner)
    client.get(_detail(asm))
    # session, user, roles and permissions; the work center; hours by day and the
    # closures from Monday on (one UNION); holds: capped count, the page, the page's
    # order lines (their quote lines: none here).
    with django_assert_num_queries(queries("manufacturing:work-center-detail", "planner")):
        html = client.get(_detail(asm)).content.decode()
    assert len(re.findall(r'<tr data-hold="', html)) == min(size, 25)
    summary = re.search(r'data-testid="holds-summary">([^<]+)<', html).group(1)
    assert summary == f"{size} holds keep {size * 0.5:g} h"
    assert ('rel="next"' in html) == (size > 25)


def test_detail_holds_next_page_swaps_the_holds_region(client_for, planner, asm):
    keys = [f"order-line:00000000-0000-0000-0000-{i:012d}" for i in range(30)]
    bookings_write(
        [(k, f"SO-{i:03d}/1", {}, {(asm.pk, DAY): Decimal("1")}) for i, k in enumerate(keys)]
    )
    client = client_for(planner)
    first = re.findall(r'<tr data-hold="([^"]+)">', client.get(_detail(asm)).content.decode())
    response = client.get(f"{_detail(asm)}?page=2", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="holds")
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="card" aria-labelledby="holds-heading"')
    assert 'data-testid="load-chart"' not in html
    second = re.findall(r'<tr data-hold="([^"]+)">', html)
    assert first == [f"SO-{i:03d}/1" for i in range(25)]
    assert second == [f"SO-{i:03d}/1" for i in range(25, 30)]
    assert "26–30 of 30" in html and 'hx-target="#holds"' in html


def _list_row(html: str, code: str) -> list[str]:
    row = re.search(rf'<tr data-work-center="{code}">(.*?)</tr>', html, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td.*?</td>", row, re.S)]


def test_a_list_row_changed_through_the_services_shows_at_once(client_for, planner, asm):
    """The list's rows are memoised by their values (apps.core.rows): capacity, hours
    held and closures changed through their services show on the next request."""
    from apps.catalog import capacity
    from tests.sales.test_list_rows import _names_read, _partial_source

    names = _names_read(_partial_source("manufacturing/work_centers.html#row"))
    assert names and all(n.startswith("row.") for n in names), names
    client = client_for(planner)
    assert _list_row(client.get(LIST).content.decode(), "ASM") == [
        "ASM Assembly",
        "8",
        "1,2,3,4,5",
        "0 h",
        "0",
    ]
    capacity.work_center_set_capacity(work_center=asm, hours=Decimal("7.5"), actor=planner)
    key = "order-line:00000000-0000-0000-0000-000000000001"
    bookings_write([(key, "SO-1/1", {}, {(asm.pk, DAY): Decimal("3")})])
    capacity.closure_add(work_center=asm, date=_next_weekday(12), reason="", actor=planner)
    assert _list_row(client.get(LIST).content.decode(), "ASM") == [
        "ASM Assembly",
        "7.50",
        "1,2,3,4,5",
        "3 h",
        "1",
    ]
    capacity.closure_add(work_center=None, date=_next_weekday(20), reason="", actor=planner)
    assert _list_row(client.get(LIST).content.decode(), "ASM")[4] == "2"
