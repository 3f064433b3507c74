"""A staff change request from raising to applying, across the staff page and the portal."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.orders.conftest import *  # noqa: F403 - the order fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_propose_customer_approves_staff_applies(
    page, live_server, login, order, sales_rep, acme_contact, screenshot
):
    order_url = f"{live_server.url}/sales/orders/{order.pk}/"
    login(sales_rep)
    page.goto(order_url)
    section = page.locator("#change-requests")
    section.get_by_text("Raise a change request").click()
    section.get_by_label("What should change?").fill("Stainless base frame")
    section.get_by_label("Details").fill("For the wash-down area")
    section.get_by_role("button", name="Raise request").click()
    item = page.locator("#change-requests article").first
    expect(item).to_contain_text("Internal until proposed")
    # Sales may start the assessment; proposing must wait for both notes.
    item.get_by_role("button", name="Start assessment").click()
    item = page.locator("#change-requests article").first
    expect(item.get_by_role("button", name="Propose")).to_be_disabled()
    expect(item).to_contain_text("engineering and manufacturing assessments are both needed")
    item.get_by_text("Record the assessment").click()
    item.get_by_label("Engineering assessment").fill("Same footprint")
    item.get_by_label("Manufacturing assessment").fill("Two more days of welding")
    item.get_by_label("Price delta").fill("1450")
    item.get_by_role("button", name="Save assessment").click()
    item = page.locator("#change-requests article").first
    expect(item.get_by_role("button", name="Propose")).to_be_enabled()
    propose = item.locator('form[data-transition="propose"]')
    propose.get_by_placeholder("Comment (optional)").fill("Ready for Acme")
    propose.get_by_label("Customer sees the comment").check()
    propose.get_by_role("button", name="Propose").click()
    item = page.locator("#change-requests article").first
    expect(item).to_contain_text("Proposed to the customer")
    expect(item.get_by_role("button", name="Approve")).to_be_disabled()
    expect(item).to_contain_text("Waiting for Acme Water Utility to decide in the customer portal.")
    screenshot("change-request-staff-proposed")

    page.context.clear_cookies()
    login(acme_contact)
    page.goto(f"{live_server.url}/portal/orders/{order.pk}/")
    changes = page.locator("#order-changes")
    expect(changes).to_contain_text("Awaiting your decision")
    expect(changes).to_contain_text("Price change: +")
    expect(changes).not_to_contain_text("Two more days of welding")
    screenshot("change-request-portal-decision")
    changes.get_by_role("button", name="Approve change").click()
    expect(page.locator("#order-changes")).to_contain_text("You approved change")

    page.context.clear_cookies()
    login(sales_rep)
    page.goto(order_url)
    item = page.locator("#change-requests article").first
    item.get_by_role("button", name="Apply").click()
    expect(page.get_by_test_id("order-total")).to_contain_text("21,450.00")
    expect(page.locator("#change-requests article").first).to_contain_text("nothing more to do")
    screenshot("change-request-staff-applied")
