"""The buyer's side in a real browser: the diff to the previous revision, signing the
acceptance (first without the required fields), the order with its acceptance record,
a tracker link opened logged out; desktop and 390 px wide screenshots."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from apps.orders.models import Quote, SalesOrder
from apps.orders.services import orders as order_services
from apps.orders.services import quotes as quote_services
from tests.browser.conftest import ARTIFACTS
from tests.orders.conftest import *  # noqa: F403 - the order fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


@pytest.fixture
def resent_quote(sent_quote, sales_rep):
    """Sent, revised to three pumps, sent again: revision 1 against revision 0."""
    quote = quote_services.quote_revise(quote=sent_quote, actor=sales_rep, comment="More pumps")
    quote_services.quote_line_update(line=quote.lines.get(), actor=sales_rep, quantity=3)
    quote = quote_services.quote_submit(quote=Quote.objects.get(pk=quote.pk), actor=sales_rep)
    return quote_services.quote_send(quote=quote, actor=sales_rep)


def _no_horizontal_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide at 390 px"


def test_buyer_accepts_the_revised_quote_and_shares_the_order(
    page, browser, live_server, login, resent_quote, acme_contact, sales_rep, screenshot
):
    quote = resent_quote
    login(acme_contact)
    page.goto(f"{live_server.url}/portal/quotes/{quote.pk}/")
    history = page.get_by_test_id("revision-history")
    expect(history.locator('[data-revision="1"]')).to_contain_text("Current")
    diff = history.get_by_test_id("revision-diff")
    quantity = diff.locator(".diff-row", has_text="Quantity")
    expect(quantity.locator("del")).to_have_text("1")
    expect(quantity.locator("ins")).to_have_text("3")
    screenshot("portal-accept-1-quote-with-diff")
    page.set_viewport_size(PHONE)
    _no_horizontal_scroll(page)
    screenshot("portal-accept-1-quote-with-diff-390")
    page.set_viewport_size(DESKTOP)

    # Signing without the PO, the name and the terms: each field says what it needs.
    accept = page.locator('form[data-decision="accept"]')
    accept.get_by_role("button", name="Sign and accept").click()
    expect(page.get_by_test_id("decision-error")).to_contain_text("Check the marked fields")
    expect(page.get_by_text("Enter your purchase order number.")).to_be_visible()
    expect(page.get_by_text("Type your full name to sign.")).to_be_visible()
    expect(page.get_by_text("Tick the box to accept the terms.")).to_be_visible()
    screenshot("portal-accept-2-required-fields")
    assert Quote.objects.get(pk=quote.pk).state == "sent"

    accept = page.locator('form[data-decision="accept"]')
    accept.get_by_label("Your PO number").fill("ACME-PO-2026-118")
    accept.get_by_label("Your full name (signature)").fill("Alex Morgan")
    accept.get_by_label("I accept this quote and its terms").check()
    accept.get_by_role("button", name="Sign and accept").click()
    expect(page.get_by_test_id("quote-state")).to_have_text("Accepted")
    expect(page.get_by_test_id("acceptance-signer")).to_have_text("Alex Morgan")
    screenshot("portal-accept-3-accepted")

    order = order_services.quote_convert(quote=Quote.objects.get(pk=quote.pk), actor=sales_rep)
    page.goto(f"{live_server.url}/portal/orders/")
    expect(page.locator(f'[data-order="{order.number}"]')).to_contain_text("ACME-PO-2026-118")
    page.get_by_role("link", name=order.number).click()
    expect(page.get_by_test_id("acceptance-po")).to_have_text("ACME-PO-2026-118")
    expect(page.get_by_test_id("acceptance-signer")).to_have_text("Alex Morgan")

    trackers = page.get_by_test_id("tracker-links")
    trackers.get_by_label("Valid for").select_option("7")
    trackers.get_by_role("button", name="Create link").click()
    url_box = page.locator("#tracker-url")
    expect(url_box).to_have_value(re.compile(r"/track/[A-Za-z0-9_-]{43,}/$"))
    tracker_url = url_box.input_value()
    expect(trackers.locator('[data-status="active"]')).to_have_count(1)
    screenshot("portal-accept-4-order-with-acceptance-and-link")
    page.set_viewport_size(PHONE)
    _no_horizontal_scroll(page)
    screenshot("portal-accept-4-order-390")
    page.goto(f"{live_server.url}/portal/quotes/")
    _no_horizontal_scroll(page)
    screenshot("portal-accept-5-quote-list-390")
    page.goto(f"{live_server.url}/portal/orders/")
    _no_horizontal_scroll(page)
    screenshot("portal-accept-5-order-list-390")

    # Logged out, in a fresh browser: the milestones and dates, nothing else.
    for name, viewport in (("desktop", DESKTOP), ("390", PHONE)):
        context = browser.new_context(viewport=viewport)
        anon = context.new_page()
        response = anon.goto(tracker_url)
        assert response.status == 200
        expect(anon.get_by_test_id("order-progress")).to_be_visible()
        expect(anon.get_by_role("heading", level=1)).to_have_text(f"Order {order.number}")
        expect(anon.get_by_test_id("tracker-lines")).to_contain_text("Promised")
        body = anon.locator("body").inner_text()
        for secret in ("USD", "ACME-PO-2026-118", "Alex Morgan", "Acme"):
            assert secret not in body
        if name == "390":
            assert anon.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        anon.screenshot(path=str(ARTIFACTS / f"portal-accept-6-tracker-{name}.png"), full_page=True)
        context.close()
    assert SalesOrder.objects.filter(pk=order.pk, customer_po="ACME-PO-2026-118").exists()
