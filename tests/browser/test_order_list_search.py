"""The staff order list's filter bar (memoised per values sent): a number typed without
its padding finds the order over htmx, and a chosen customer is shown on reload."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.orders.conftest import *  # noqa: F403 - the order fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_search_an_order_by_its_unpadded_number_and_filter_by_customer(
    page, live_server, login, order, sales_rep, acme, screenshot
):
    login(sales_rep)
    page.goto(f"{live_server.url}/sales/orders/")
    table = page.get_by_test_id("order-table")
    expect(table.locator(f'tr[data-order="{order.number}"]')).to_have_count(1)

    digits = order.number.split("-")[1].lstrip("0")
    page.locator("#filter-q").fill(digits[:2])
    expect(page).to_have_url(re.compile(rf"[?&]q={digits[:2]}(&|$)"))  # htmx pushed the search
    expect(table.locator(f'tr[data-order="{order.number}"]')).to_have_count(1)
    screenshot("order-list-search-unpadded-number")

    page.locator("#filter-q").fill("no-such-order")
    expect(page.get_by_text("No orders match these filters")).to_be_visible()

    # Reloaded with a customer chosen: the memoised bar shows this request's choice.
    page.goto(f"{live_server.url}/sales/orders/?customer={acme.pk}")
    expect(page.get_by_label("Customer", exact=True)).to_have_value(str(acme.pk))
    expect(page.locator("#filter-q")).to_have_value("")
    expect(table.locator(f'tr[data-order="{order.number}"]')).to_have_count(1)
    screenshot("order-list-filtered-by-customer")
