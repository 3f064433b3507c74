"""Done-when for warnings: a re-planned line shows at risk on the at-risk page, the rep
confirms the new date to the customer there, and the customer's portal page shows it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from apps.orders.models import SlipCause
from tests.orders.conftest import *  # noqa: F403 - the order fixtures
from tests.orders.slips import replan_slip

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REASON = "Delta Motors moved the MTR-55 receipt by nine days"


def _fmt(d) -> str:
    return f"{d:%b} {d.day}, {d.year}"


def test_rep_confirms_a_replanned_date_and_the_customer_sees_it(
    page, live_server, login, order, sales_rep, acme_contact, screenshot
):
    line = order.lines.get()
    replan_slip(line, 9, cause=SlipCause.RECEIPT_MOVED, reason=REASON)
    promised, forecast = line.first_promised_date, line.forecast_date

    # Before anyone confirms it, the customer still sees the first promise.
    login(acme_contact)
    page.goto(f"{live_server.url}/portal/orders/{order.pk}/")
    expect(page.get_by_test_id("customer-date")).to_have_text(_fmt(promised))
    expect(page.get_by_test_id("date-notes")).to_have_count(0)
    page.context.clear_cookies()

    login(sales_rep)
    page.goto(f"{live_server.url}/sales/at-risk/")
    expect(page.get_by_test_id("mine-note")).to_be_visible()
    row = page.locator(f"#at-risk-{line.pk}")
    expect(row).to_contain_text(order.number)
    expect(row).to_contain_text("+9 d")
    expect(row).to_contain_text("Supplier receipt moved")
    expect(row.get_by_test_id("told")).to_contain_text("Not yet")
    expect(page.get_by_test_id("at-risk-summary")).to_contain_text("Supplier receipt moved · 1")
    screenshot("at-risk-1-line-waiting-to-be-told")

    row.get_by_role("button", name="Confirm new date to customer").click()
    row = page.locator(f"#at-risk-{line.pk}")
    expect(row.get_by_test_id("row-notice")).to_contain_text(
        f"Told the customer {order.number} line {line.position}'s new date."
    )
    expect(row.get_by_test_id("told")).to_contain_text("Told")
    expect(row.get_by_role("button", name="Confirm new date to customer")).to_have_count(0)
    screenshot("at-risk-2-told")

    # The staff order page: what the line holds, and its slip history, told (read
    # when the line's row is opened).
    page.goto(f"{live_server.url}/sales/orders/{order.pk}/")
    expect(page.get_by_test_id("line-holds")).to_have_count(0)
    page.get_by_test_id("line-details-lazy").first.locator("summary").click()
    expect(page.get_by_test_id("line-holds")).to_contain_text("MTR-55")
    history = page.get_by_test_id("slip-history")
    expect(history).to_contain_text(REASON)
    expect(history).to_contain_text("Told to customer on")
    page.get_by_test_id("slip-history").scroll_into_view_if_needed()
    screenshot("at-risk-3-staff-order-page")
    page.context.clear_cookies()

    login(acme_contact)
    page.goto(f"{live_server.url}/portal/orders/{order.pk}/")
    expect(page.get_by_test_id("customer-date")).to_have_text(_fmt(forecast))
    notes = page.get_by_test_id("date-notes")
    expect(notes).to_contain_text("the expected delivery date is now")
    expect(page.locator("body")).not_to_contain_text("Delta Motors")
    screenshot("at-risk-4-portal-shows-the-new-date")
