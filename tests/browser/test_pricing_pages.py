"""Cancelling an order in production on the staff page, and a revised quote in the portal."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from apps.orders.services import quotes as quote_services
from tests.orders.conftest import *  # noqa: F403 - the order fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sales_manager_cancels_an_order_in_production(
    page, live_server, login, in_production, sales_manager, planner, screenshot
):
    order = in_production
    url = f"{live_server.url}/sales/orders/{order.pk}/"

    login(planner)
    page.goto(url)
    form = page.get_by_test_id("cancel-in-production")
    expect(form.get_by_role("button", name="Cancel order")).to_be_disabled()
    expect(form).to_contain_text("Only a sales manager may cancel an order in production.")
    screenshot("order-cancel-in-production-planner")

    page.context.clear_cookies()
    login(sales_manager)
    page.goto(url)
    form = page.get_by_test_id("cancel-in-production")
    form.get_by_label("Cancellation charges").fill("99999999")
    form.get_by_role("button", name="Cancel order").click()
    expect(page.get_by_test_id("workflow-error")).to_contain_text("Check the reason and charges")
    form = page.get_by_test_id("cancel-in-production")
    expect(form).to_contain_text("This field is required.")
    form.get_by_label("Reason").fill("The customer's plant closed.")
    form.get_by_label("Cancellation charges").fill("3200")
    form.get_by_label("Customer sees it too").check()
    form.get_by_role("button", name="Cancel order").click()
    expect(page.get_by_test_id("order-state")).to_contain_text("Cancelled")
    expect(page.get_by_test_id("cancellation")).to_contain_text("USD 3,200.00")
    screenshot("order-cancelled-in-production")


def test_customer_sees_the_last_sent_version_of_a_revised_quote(
    page, live_server, login, sent_quote, sales_rep, acme_contact, screenshot
):
    quote = quote_services.quote_revise(quote=sent_quote, actor=sales_rep)
    quote_services.quote_line_update(line=quote.lines.get(), actor=sales_rep, quantity=4)
    login(acme_contact)
    page.goto(f"{live_server.url}/portal/quotes/")
    expect(page.locator(f'[data-quote="{quote.number}"]')).to_contain_text("Being revised")
    page.get_by_role("link", name=quote.number).click()
    expect(page.get_by_test_id("being-revised")).to_be_visible()
    expect(page.get_by_test_id("quote-total")).to_contain_text("USD 20,000.00")
    expect(page.get_by_role("button", name="Sign and accept")).to_have_count(0)
    screenshot("portal-quote-being-revised")
