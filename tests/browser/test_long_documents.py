"""A 60-line order: the staff and portal pages show 25 lines, and "Show all 60 lines"
brings in the other 35 in place (htmx), the same rows the full page has."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.orders.conftest import *  # noqa: F403 - the order fixtures
from tests.sales.test_views_list_queries import _more_lines

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_show_all_lines_on_staff_and_portal_pages(
    page, live_server, login, order, sales_rep, acme_contact, screenshot
):
    _more_lines(59, order=order)
    for user, url, table, row, shot in (
        (sales_rep, f"/sales/orders/{order.pk}/", "order-lines", "[data-line]", "long-order-staff"),
        (
            acme_contact,
            f"/portal/quotes/{order.quote_id}/",
            "quote-lines",
            ":not([data-testid])",
            "long-quote-portal",
        ),
    ):
        page.context.clear_cookies()
        login(user)
        page.goto(f"{live_server.url}{url}")
        rows = page.get_by_test_id(table).locator(f":scope > tbody > tr{row}")
        expect(rows).to_have_count(25)
        more = page.get_by_role("link", name="Show all 60 lines (35 more)")
        expect(more).to_be_visible()
        screenshot(f"{shot}-25")
        more.click()
        expect(rows).to_have_count(60)
        expect(page.get_by_test_id("more-lines")).to_have_count(0)
        # In place: the page did not navigate, the rows came over htmx.
        assert page.url == f"{live_server.url}{url}"
        screenshot(f"{shot}-60")
