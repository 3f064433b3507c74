# ruff: noqa: F811  (the orders fixtures are imported by name and then requested)
"""The re-plan page (/manufacturing/replan/): progress, the start button, runs and moves."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.orders.models import (
    OrderLineDateChange,
    PlanRun,
    PlanRunKind,
    PlanRunState,
    SlipCause,
)
from tests.orders.conftest import (  # noqa: F401  (fixtures used by name)
    accepted_quote,
    acme_addresses,
    catalog,
    make_quote,
    order,
    sent_quote,
)
from tests.query_counts import queries

pytestmark = pytest.mark.django_db

URL = "/manufacturing/replan/"


def _runs(n: int, order) -> PlanRun:
    """n targeted runs, each with one recorded move of the order's line; the last is returned."""
    line = order.lines.get()
    run = None
    for i in range(n):
        run = PlanRun.objects.create(
            kind=PlanRunKind.TARGETED,
            cause=SlipCause.RECEIPT_MOVED,
            cause_text=f"PO-0002{i:02d} motors moved",
            state=PlanRunState.DONE,
            total=1,
            done=1,
            slipped=1,
        )
        OrderLineDateChange.objects.create(
            line=line,
            old_date=line.forecast_date,
            new_date=line.forecast_date + dt.timedelta(days=i + 1),
            reason=f"PO-0002{i:02d} motors moved; critical path: Delta Motors 14 days",
            cause=SlipCause.RECEIPT_MOVED,
            plan_run=run,
        )
    return run


@pytest.mark.parametrize("role", ["planner", "sales_manager", "ops_admin"])
def test_the_replanners_see_the_page_with_its_button(client, request, role):
    client.force_login(request.getfixturevalue(role))
    response = client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Run full re-plan now" in page
    assert "No full re-plan has run yet" in page


@pytest.mark.parametrize("role", ["sales_rep", "engineer", "buyer", "finance", "warehouse"])
def test_other_staff_are_refused_and_contacts_never_see_it(client, request, role, acme_contact):
    client.force_login(request.getfixturevalue(role))
    assert client.get(URL).status_code == 403
    assert client.post(URL + "start/").status_code == 403
    assert not PlanRun.objects.exists()
    client.force_login(acme_contact)
    assert client.get(URL).status_code == 404


def test_the_page_lists_runs_and_the_selected_runs_moves(client, planner, order):
    run = _runs(2, order)
    client.force_login(planner)

    page = client.get(URL).content.decode()

    assert f"Moves recorded by run #{run.pk}" in page
    assert "PO-000201 motors moved; critical path: Delta Motors 14 days" in page
    assert order.number in page
    first = PlanRun.objects.order_by("id").first()
    page = client.get(f"{URL}?run={first.pk}").content.decode()
    assert f"Moves recorded by run #{first.pk}" in page
    assert "PO-000200 motors moved; critical path" in page


@pytest.mark.parametrize("runs", [1, 8])
def test_the_page_reads_a_fixed_number_of_queries(
    client, planner, order, runs, django_assert_num_queries
):
    _runs(runs, order)
    client.force_login(planner)
    client.get(URL)  # warm the session and the user's roles
    # session, user, groups; running run; recent runs; selected run's moves: count, ids, rows
    with django_assert_num_queries(queries("manufacturing:replan", "planner")):
        response = client.get(URL)
    assert response.status_code == 200


def test_starting_a_run_shows_its_bar_at_100_percent(
    client, planner, order, django_capture_on_commit_callbacks
):
    client.force_login(planner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL + "start/")
    assert response.status_code == 302
    run = PlanRun.objects.get(kind=PlanRunKind.FULL)
    assert (run.state, run.done, run.total, run.started_by) == ("done", 1, 1, planner)

    page = client.get(URL).content.decode()
    assert 'value="100"' in page and "100%" in page
    assert f"Last full run #{run.pk}: done" in page


def test_while_a_run_is_going_the_bar_polls_and_a_second_start_is_refused_in_place(
    client, planner, sales_manager, order
):
    running = PlanRun.objects.create(
        kind=PlanRunKind.FULL,
        cause=SlipCause.REPLAN,
        total=4,
        done=1,
        started_by=planner,
        started_at=timezone.now(),
    )
    client.force_login(sales_manager)

    page = client.get(URL).content.decode()
    assert 'hx-trigger="every 1s"' in page
    assert 'value="25"' in page
    assert "disabled" in page and f"by {planner.username}, 25% done." in page

    refused = client.post(URL + "start/", headers={"HX-Request": "true"})
    assert refused.status_code == 422
    started = f"{timezone.localtime(running.started_at):%H:%M}"
    sentence = f"already running, started {started} by {planner.username}, 25% done."
    assert sentence in refused.content.decode()
    assert PlanRun.objects.filter(kind="full").count() == 1

    plain = client.post(URL + "start/")
    assert plain.status_code == 409

    # The poll answers the progress card alone.
    poll = client.get(URL, headers={"HX-Request": "true", "HX-Target": "replan-current"})
    assert poll.content.decode().lstrip().startswith('<section id="replan-current"')
