"""What staff see of slips and risk: the order page's holds and slip history with the
release button, the order list's badge, the at-risk page and the dashboard panel."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils.html import escape

from apps.orders import selectors
from apps.orders.forecasts import line_forecast_move
from apps.orders.models import OrderLine, SlipCause
from apps.orders.services import releases
from apps.orders.services.orders import order_refresh_totals, order_transition
from tests.explain import explain
from tests.orders.slips import replan_slip
from tests.query_counts import queries

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
REASON = "Delta Motors moved PO-000123 by two weeks"
AT_RISK = reverse("sales:at-risk")


@pytest.fixture
def slipped(order):
    line = order.lines.get()
    replan_slip(line, 8, reason=REASON)
    return line


def _detail(order) -> str:
    return reverse("sales:order-detail", args=[order.pk])


def _release(line) -> str:
    return reverse("sales:order-line-release", args=[line.order_id, line.pk])


# --- the staff order page -----------------------------------------------------------


def test_order_page_shows_what_each_line_holds(client_for, order, planner):
    page = client_for(planner).get(_detail(order), {"sections": "all"}).content.decode()
    holds = page[page.index('data-testid="line-holds"') :]
    holds = holds[: holds.index('data-testid="slip-history"')]
    # The skid's motor and frame from stock and its assembly hours, soft while pending.
    assert "MTR-55" in holds and "FRM-1" in holds and "ASSY" in holds
    assert "Stock on hand" in holds and "Work-center hours" in holds and "soft" in holds


def test_order_page_shows_the_slip_history_with_cause_reason_and_release_time(
    client_for, slipped, sales_rep
):
    page = client_for(sales_rep).get(_detail(slipped.order), {"sections": "all"}).content.decode()
    history = page[page.index('data-testid="slip-history"') :]
    assert "Supplier receipt moved" in history and REASON in history
    due = slipped.forecast_release_due
    assert "Not yet told — released automatically on" in history
    assert f"{due:%b} {due.day}, {due.year}" in history
    assert 'data-testid="at-risk"' in page and "At risk +8 d" in page
    assert 'data-testid="release-line"' in history
    assert 'disabled data-testid="release-line"' not in history


def test_planner_sees_the_release_button_disabled_with_the_reason(client_for, slipped, planner):
    page = client_for(planner).get(_detail(slipped.order)).content.decode()
    assert 'disabled data-testid="release-line"' in page
    assert releases.NOT_SALES in page


def test_rep_confirms_from_the_order_page_and_the_history_says_when(client_for, slipped, sales_rep):
    client = client_for(sales_rep)
    response = client.post(_release(slipped), {"comment": ""}, **HX)
    assert response.status_code == 200
    body = response.content.decode()
    assert "the customer was told line" in body and "Told to customer on" in body
    assert "Confirm new date to customer" not in body
    slipped.refresh_from_db()
    assert slipped.customer_date == slipped.forecast_date
    # Again: nothing to tell, answered in place (422 for htmx), nothing changes.
    again = client.post(_release(slipped), {}, **HX)
    assert again.status_code == 422 and releases.NOTHING_PENDING in again.content.decode()


def test_release_refusals_on_the_order_page(client_for, slipped, planner, sales_rep, acme_contact):
    assert client_for(planner).post(_release(slipped), {}).status_code == 403
    assert client_for(acme_contact).post(_release(slipped), {}).status_code == 404
    too_long = client_for(sales_rep).post(_release(slipped), {"comment": "x" * 4001}, **HX)
    assert too_long.status_code == 422 and "too long" in too_long.content.decode()
    slipped.refresh_from_db()
    assert slipped.customer_forecast_date is None


def test_release_all_confirms_every_pending_line(client_for, slipped, sales_manager):
    url = reverse("sales:order-release-all", args=[slipped.order_id])
    response = client_for(sales_manager).post(url, {})
    assert response.status_code == 302
    slipped.refresh_from_db()
    assert slipped.forecast_release_due is None


def test_order_list_shows_the_stored_at_risk_count(client_for, slipped, sales_rep):
    page = client_for(sales_rep).get(reverse("sales:order-list")).content.decode()
    assert 'data-testid="order-at-risk"' in page and "1 at risk" in page


# --- the at-risk page -------------------------------------------------------------------


def _at_risk_lines(order, n: int, *, cause=SlipCause.RECEIPT_MOVED, start: int = 0) -> None:
    """n more lines on `order` (copies of its first), each moved 4 days after its
    promise by `cause` through line_forecast_move."""
    template = order.lines.first()
    for i in range(start, start + n):
        line = OrderLine.objects.get(pk=template.pk)
        line.pk, line.quote_line, line.position = None, None, 500 + i
        line.first_promised_date = template.first_promised_date + dt.timedelta(days=i + 1)
        line.forecast_date = line.first_promised_date
        line.at_risk, line.risk_open, line.risk_owner = False, False, None
        line.slip_cause, line.forecast_release_due = "", None
        line.save()
        line_forecast_move(
            line=line,
            new_date=line.first_promised_date + dt.timedelta(days=4),
            cause=cause,
            reason="internal",
        )
    order_refresh_totals(order=order)


def _rows(response) -> list[str]:
    return [r.split('"')[0] for r in response.content.decode().split('data-line="')[1:]]


def test_at_risk_lists_open_lines_after_their_promise_soonest_promise_first(
    client_for, slipped, sales_manager
):
    _at_risk_lines(slipped.order, 2, cause=SlipCause.CLOSURE)
    response = client_for(sales_manager).get(AT_RISK)
    assert response.status_code == 200
    number = slipped.order.number
    assert _rows(response) == [f"{number}/{slipped.position}", f"{number}/500", f"{number}/501"]
    page = response.content.decode()
    assert "Supplier receipt moved" in page and "Work-center closure" in page
    assert "Not yet" in page and "Confirm new date to customer" in page
    assert REASON not in page  # the reason is on the order page; the cause is enough here


def test_at_risk_leaves_out_finished_orders_and_on_time_lines(client_for, order, sales_manager):
    assert _rows(client_for(sales_manager).get(AT_RISK)) == []
    line = order.lines.get()
    replan_slip(line, 3)
    assert len(_rows(client_for(sales_manager).get(AT_RISK))) == 1
    order_transition(order=order, name="cancel", actor=sales_manager)
    page = client_for(sales_manager).get(AT_RISK)
    assert _rows(page) == [] and page.context["summary"]["total"] == 0


def test_a_rep_starts_on_their_own_orders_and_may_see_all(
    client_for, slipped, sales_rep, sales_manager, kestrel
):
    from tests.factories import UserFactory

    other = UserFactory(organization=kestrel, roles=["sales_rep"])
    client = client_for(other)
    page = client.get(AT_RISK)
    assert _rows(page) == [] and "Showing your orders" in page.content.decode()
    assert len(_rows(client.get(AT_RISK + "?rep="))) == 1
    # The owner sees it by default; a manager sees everyone's without the note.
    assert len(_rows(client_for(sales_rep).get(AT_RISK))) == 1
    manager_page = client_for(sales_manager).get(AT_RISK)
    assert len(_rows(manager_page)) == 1 and "Showing your orders" not in (
        manager_page.content.decode()
    )


def test_at_risk_filters_by_rep_customer_and_cause(client_for, slipped, planner, borealis):
    _at_risk_lines(slipped.order, 2, cause=SlipCause.CAPACITY)
    client = client_for(planner)
    assert len(_rows(client.get(AT_RISK + "?cause=capacity"))) == 2
    assert len(_rows(client.get(AT_RISK + "?cause=receipt_moved"))) == 1
    assert len(_rows(client.get(AT_RISK + f"?customer={slipped.order.customer_id}"))) == 3
    assert _rows(client.get(AT_RISK + f"?customer={borealis.pk}")) == []
    assert len(_rows(client.get(AT_RISK + f"?rep={slipped.order.owner_id}"))) == 3
    # Unknown values are filter errors, never a 500.
    assert client.get(AT_RISK + "?cause=teleport&rep=abc").status_code == 200


def test_at_risk_summary_counts_by_cause_and_rep(client_for, slipped, planner):
    _at_risk_lines(slipped.order, 2, cause=SlipCause.CAPACITY)
    response = client_for(planner).get(AT_RISK)
    summary = response.context["summary"]
    assert summary["total"] == 3
    assert {c["key"]: c["count"] for c in summary["causes"]} == {
        "capacity": 2,
        "receipt_moved": 1,
    }
    assert [r["count"] for r in summary["reps"]] == [3]


def test_the_memoised_summary_shows_the_next_slip(client_for, slipped, planner):
    """The chips are memoised under everything they show: a slip through the service
    shows on the next request."""
    client = client_for(planner)
    assert "Supplier receipt moved · 1</a>" in client.get(AT_RISK).content.decode()
    _at_risk_lines(slipped.order, 1)
    _at_risk_lines(slipped.order, 1, cause=SlipCause.CAPACITY, start=1)
    page = client.get(AT_RISK).content.decode()
    assert "Supplier receipt moved · 2</a>" in page and "3 at risk" in page, page
    assert "Work-center capacity changed · 1</a>" in page, page


@pytest.mark.parametrize("role", ["engineer", "quality", "buyer", "warehouse", "finance"])
def test_at_risk_is_404_for_other_departments(client_for, role, request):
    assert client_for(request.getfixturevalue(role)).get(AT_RISK).status_code == 404


def test_at_risk_is_404_for_contacts(client_for, acme_contact, delta_contact):
    assert client_for(acme_contact).get(AT_RISK).status_code == 404
    assert client_for(delta_contact).get(AT_RISK).status_code == 404


@pytest.mark.parametrize("who", ["planner", "sales_rep"])
def test_at_risk_query_count_is_the_same_for_2_and_30_lines(
    client_for, order, who, request, django_assert_num_queries
):
    """Everyone's lines for a planner, the rep's own (their default) for the order's rep."""
    _at_risk_lines(order, 2)
    client = client_for(request.getfixturevalue(who))
    client.get(AT_RISK)  # warm-up (content types, session)
    expected = queries("sales:at-risk", who)
    # session, user and the user's roles; the capped count, the page's ids, its
    # rows (order, customer and owner joined); the summary's stored tally; the rep
    # filter's choices.
    with django_assert_num_queries(expected):
        assert len(_rows(client.get(AT_RISK))) == 2
    _at_risk_lines(order, 28, start=2)
    with django_assert_num_queries(expected):
        response = client.get(AT_RISK)
    assert len(_rows(response)) == 25 and 'rel="next"' in response.content.decode()


def test_the_page_is_read_in_order_from_the_open_risk_indexes(order, planner, sales_rep):
    """Everyone's page from orderline_risk_open_idx, a rep's from orderline_risk_owner_idx:
    no join of the orders, no subquery of the moves, no sort."""
    _at_risk_lines(order, 3)
    everyone = explain(selectors.at_risk_lines(planner).values("pk")[:25], no_sort=True)
    assert "orderline_risk_open_idx" in everyone and "Sort" not in everyone, everyone
    assert "salesorder" not in everyone and "datechange" not in everyone, everyone
    rows = selectors.at_risk_lines(planner).filter(risk_owner=sales_rep).values("pk")[:25]
    mine = explain(rows, no_sort=True)
    assert "orderline_risk_owner_idx" in mine and "Sort" not in mine, mine


def test_the_customer_filter_reads_its_partial_index(client_for, order, planner):
    """A customer's lines from orderline_risk_customer_idx (the line's stored customer):
    no join of the orders, which read every order of a large customer."""
    _at_risk_lines(order, 3)
    page = client_for(planner).get(AT_RISK + f"?customer={order.customer_id}")
    assert len(_rows(page)) == 3
    filtered = page.context["filter"].qs.values("pk")[:25]
    plan = explain(filtered, no_sort=True)
    assert "orderline_risk_customer_idx" in plan and "Sort" not in plan, plan
    assert "salesorder" not in plan, plan


def test_the_rep_filter_accepts_only_an_active_sales_person(client_for, slipped, planner):
    from tests.factories import UserFactory

    client = client_for(planner)
    rep = slipped.order.owner
    assert len(_rows(client.get(AT_RISK + f"?rep={rep.pk}"))) == 1
    for other in (planner, UserFactory(roles=["sales_rep"], is_active=False)):
        page = client.get(AT_RISK + f"?rep={other.pk}")
        assert page.status_code == 200 and list(page.context["filter"].errors) == ["rep"]
        assert "Some filters were not understood and were ignored: rep." in (page.content.decode())


def test_the_row_button_confirms_in_place(client_for, slipped, sales_rep, planner):
    url = reverse("sales:at-risk-release", args=[slipped.pk])
    refused = client_for(planner).post(url, {}, **HX)
    assert refused.status_code == 422 and releases.NOT_SALES in refused.content.decode()
    response = client_for(sales_rep).post(url, {}, **HX)
    assert response.status_code == 200
    row = response.content.decode()
    assert row.strip().startswith(f'<tr id="at-risk-{slipped.pk}"') and "Told" in row
    again = client_for(sales_rep).post(url, {}, **HX)
    assert again.status_code == 422 and releases.NOTHING_PENDING in again.content.decode()
    # Without htmx: back to the list with the message.
    assert client_for(sales_rep).post(url, {}).status_code == 302


def test_the_row_button_is_404_for_a_line_not_at_risk(client_for, order, sales_rep):
    url = reverse("sales:at-risk-release", args=[order.lines.get().pk])
    assert client_for(sales_rep).post(url, {}, **HX).status_code == 404


def test_dashboard_panel_counts_lines_at_risk_and_untold(client_for, slipped, sales_rep, planner):
    from apps.sales.panels import at_risk_panel

    panel = at_risk_panel(sales_rep)
    assert panel.count == 1 and panel.alert == "1 not yet told"
    assert panel.title == "My lines at risk" and panel.more_url == AT_RISK
    assert at_risk_panel(planner).title == "Lines at risk"
    page = client_for(planner).get(reverse("core:dashboard")).content.decode()
    assert "Lines at risk" in page and 'href="/sales/at-risk/"' in page


def test_cached_rows_hold_no_csrf_token_and_differ_by_who_may_release(
    client_for, slipped, sales_rep, planner
):
    from apps.core.rows import CSRF_PLACEHOLDER, row_cache

    row_cache.clear()
    page = client_for(sales_rep).get(AT_RISK).content.decode()
    assert CSRF_PLACEHOLDER not in page
    token = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    assert token and 'data-testid="release-row"' in page
    cached = list(row_cache._rows.values())
    assert cached and all(CSRF_PLACEHOLDER in html and token not in html for html in cached)
    # The planner's row (warm cache) has the button disabled with the reason.
    planner_page = client_for(planner).get(AT_RISK + "?rep=").content.decode()
    assert 'disabled data-testid="release-row"' in planner_page
    assert releases.NOT_SALES in planner_page


# --- the memoised filter bar (rendered once per everything it shows) -----------------


def _filter_bar(response) -> str:
    html = response.content.decode()
    start = html.index('<form class="directory-filters')
    return html[start : html.index("</form>", start)]


def test_the_filter_bar_shows_a_new_rep_and_a_renamed_customer_on_the_next_request(
    client_for, slipped, planner
):
    from tests.factories import UserFactory

    client = client_for(planner)
    customer = slipped.order.customer
    url = AT_RISK + f"?customer={customer.pk}"
    assert f"selected>{escape(customer.name)}</option>" in _filter_bar(client.get(url))
    assert "Newcomer Rep" not in _filter_bar(client.get(url))
    UserFactory(roles=["sales_rep"], first_name="Newcomer", last_name="Rep")
    customer.name = "Renamed Customer Ltd"
    customer.save(update_fields=["name"])
    bar = _filter_bar(client.get(url))
    assert "Newcomer Rep</option>" in bar
    assert "selected>Renamed Customer Ltd</option>" in bar


def test_the_filter_bar_shows_the_chosen_values_and_errors_of_each_request(
    client_for, slipped, planner
):
    client = client_for(planner)
    chosen = _filter_bar(client.get(AT_RISK + "?cause=capacity&rep="))
    assert '<option value="capacity" selected>' in chosen
    other = _filter_bar(client.get(AT_RISK + "?cause=receipt_moved&rep="))
    assert '<option value="receipt_moved" selected>' in other
    assert '<option value="capacity" selected>' not in other
    # A rep that is not a sales person is a filter error: its select says so, the
    # next request without it does not.
    wrong = _filter_bar(client.get(AT_RISK + f"?rep={planner.pk}"))
    assert 'aria-invalid="true"' in wrong
    assert 'aria-invalid="true"' not in _filter_bar(client.get(AT_RISK + "?rep="))


def test_an_unknown_customer_renders_the_bar_without_the_memo(client_for, slipped, planner):
    import uuid

    page = client_for(planner).get(AT_RISK + f"?customer={uuid.uuid4()}")
    assert page.status_code == 200 and page.context["filter"].bar_key is None
    assert "Any customer" in _filter_bar(page)
