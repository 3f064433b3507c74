"""Done-when for the order dead end: an accepted quote is converted, the missing
order data is filled in on the staff order page, and the order is confirmed."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from apps.orders.models import OrderState, SalesOrder
from tests.orders.conftest import *  # noqa: F403 - the order fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_convert_complete_and_confirm_an_order(
    page, live_server, login, accepted_quote, sales_manager, acme_contact, screenshot
):
    login(sales_manager)
    page.goto(f"{live_server.url}/sales/quotes/{accepted_quote.pk}/")
    expect(page.get_by_test_id("quote-state")).to_have_text("Accepted")
    screenshot("order-confirm-1-accepted-quote")

    page.get_by_role("button", name="Convert to order").click()
    expect(page).to_have_url(re.compile(r"/sales/orders/[0-9a-f-]{36}/$"))
    order = SalesOrder.objects.get(quote=accepted_quote)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Order {order.number}")
    expect(page.get_by_test_id("order-state")).to_have_text("Pending")

    # The page says what confirmation still needs, and Confirm says why it cannot yet.
    missing = (
        "Cannot confirm yet: order data is incomplete "
        "(missing: customer PO reference, delivery contact)."
    )
    expect(page.get_by_test_id("missing-data")).to_have_text(missing)
    confirm = page.locator('form[data-transition="confirm"]')
    expect(confirm.get_by_role("button", name="Confirm order")).to_be_disabled()
    expect(confirm.get_by_test_id("disabled-reason")).to_have_text(missing)
    screenshot("order-confirm-2-pending-order-missing-data")

    data = page.get_by_test_id("order-data")
    data.get_by_label("Customer PO").fill("ACME-PO-4411")
    data.get_by_label("Delivery contact name").fill("Dana Dock, receiving")
    data.get_by_label("Delivery contact phone").fill("+1 555 0100")
    data.get_by_label("Delivery window").fill("Weekdays 7:00-15:00")
    data.get_by_label("Site requirements").fill("Forklift on site; 3 m door.")
    data.get_by_label("Installation needed").check()
    data.get_by_role("button", name="Save order data").click()
    expect(page.get_by_test_id("workflow-notice")).to_have_text(
        f"{order.number}: order data saved."
    )
    expect(page.get_by_test_id("missing-data")).to_have_count(0)
    confirm = page.locator('form[data-transition="confirm"]')
    expect(confirm.get_by_role("button", name="Confirm order")).to_be_enabled()
    screenshot("order-confirm-3-data-complete")

    confirm.get_by_role("textbox").fill("PO and delivery checked")
    # The customer sees the confirmation; the comment only when the box is ticked.
    confirm.get_by_label("Customer sees the comment").check()
    screenshot("order-confirm-3b-comment-for-the-customer")
    confirm.get_by_role("button", name="Confirm order").click()
    expect(page.get_by_test_id("order-state")).to_have_text("Confirmed")
    expect(page.get_by_test_id("order-data")).to_have_count(0)  # frozen once confirmed
    timeline = page.locator("#order-timeline")
    expect(timeline).to_contain_text("Confirmed")
    expect(timeline).to_contain_text("PO and delivery checked")
    expect(timeline).to_contain_text("Order data updated")
    screenshot("order-confirm-4-confirmed")

    order.refresh_from_db()
    assert order.state == OrderState.CONFIRMED
    assert order.delivery_contact_name == "Dana Dock, receiving" and order.installation_needed

    # The customer reads the confirmation with the comment that was marked for it.
    page.context.clear_cookies()
    login(acme_contact)
    page.goto(f"{live_server.url}/portal/orders/{order.pk}/")
    expect(page.get_by_text("PO and delivery checked")).to_be_visible()
    screenshot("order-confirm-5-customer-sees-the-marked-comment")
