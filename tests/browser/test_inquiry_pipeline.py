"""The front of the flow in a browser: an anonymous visitor sends the inquiry form,
sales qualifies and converts it, opens a quote from the opportunity, and moves
cards on the pipeline board (a refused drag says why; a drag to Lost asks why)
without a page reload."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.orders.models import Quote, QuoteState
from apps.sales.models import Inquiry, InquiryState, Opportunity, OpportunityState
from tests.orders.conftest import *  # noqa: F403 - catalog and addresses for the quote
from tests.sales.sales_helpers import opportunity

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_inquiry_to_opportunity_to_quote_and_the_board(
    page, live_server, login, sales_rep, acme, acme_addresses, catalog, screenshot
):
    # 1. Anyone asks through the public form; a mistake is explained next to the field.
    page.goto(f"{live_server.url}/inquiry/")
    form = page.get_by_test_id("public-inquiry-form")
    form.get_by_label("Your name").fill("Dana Field")
    form.get_by_label("E-mail").fill("dana@acme-water")
    form.get_by_label("Company").fill("Acme Water Utility")
    form.get_by_label("What do you need?").fill("Backwash pumps for plant 3")
    form.get_by_label("Details").fill("Three backwash pumps with VFDs, delivery in spring.")
    form.get_by_role("button", name="Send inquiry").click()
    expect(page.get_by_test_id("form-errors")).to_be_visible()
    expect(page.locator("#id_contact_email-errors")).to_have_text("Enter a valid email address.")
    screenshot("inquiry-1-public-form-error")
    page.get_by_label("E-mail").fill("dana@acme-water.example")
    page.get_by_role("button", name="Send inquiry").click()
    expect(page.get_by_test_id("inquiry-thanks")).to_be_visible()
    screenshot("inquiry-2-thanks")
    inquiry = Inquiry.objects.get()
    assert inquiry.state == InquiryState.NEW

    # 2. Sales qualify it: the button says what is missing until the inquiry is sized.
    login(sales_rep)
    page.goto(f"{live_server.url}/sales/inquiries/")
    page.get_by_role("link", name=inquiry.number).click()
    expect(page.get_by_test_id("inquiry-state")).to_have_text("New")
    page.get_by_role("button", name="Start qualifying").click()
    expect(page.get_by_test_id("inquiry-state")).to_have_text("Qualifying")
    qualify = page.locator('form[data-transition="qualify"]')
    expect(qualify.get_by_role("button", name="Mark qualified")).to_be_disabled()
    expect(qualify.get_by_test_id("disabled-reason")).to_contain_text(
        "it has no estimated value yet"
    )
    expect(page.get_by_test_id("customer-match")).to_contain_text("Acme Water Utility")
    screenshot("inquiry-3-qualifying")
    edit = page.get_by_test_id("inquiry-edit")
    edit.get_by_label("Estimated value").fill("96000")
    close = timezone.localdate() + dt.timedelta(days=60)
    edit.get_by_label("Expected close date").fill(close.isoformat())
    edit.get_by_role("button", name="Save").click()
    qualify = page.locator('form[data-transition="qualify"]')
    expect(qualify.get_by_role("button", name="Mark qualified")).to_be_enabled()
    qualify.get_by_role("button", name="Mark qualified").click()
    expect(page.get_by_test_id("inquiry-state")).to_have_text("Qualified")
    screenshot("inquiry-4-qualified")

    # 3. Converting opens the opportunity for the matched customer.
    page.get_by_role("button", name="Convert to opportunity").click()
    expect(page).to_have_url(re.compile(r"/sales/opportunities/[0-9a-f-]{36}/$"))
    opp = Opportunity.objects.get()
    expect(page.get_by_test_id("opportunity-state")).to_have_text("Open")
    expect(page.get_by_test_id("opportunity-customer")).to_have_text("Acme Water Utility")
    screenshot("inquiry-5-opportunity")

    # 4. A quote from the opportunity: a draft for Acme, and the opportunity is quoting.
    page.get_by_test_id("new-quote").click()
    expect(page).to_have_url(re.compile(r"/sales/quotes/[0-9a-f-]{36}/$"))
    quote = Quote.objects.get()
    assert (quote.state, quote.customer) == (QuoteState.DRAFT, acme)
    opp.refresh_from_db()
    assert opp.state == OpportunityState.QUOTING

    # 5. The board: a refused drag says why; a drag to Lost asks why and moves the card.
    other = opportunity(sales_rep, acme, title="Standby pumps", amount=Decimal("47000"))
    page.goto(f"{live_server.url}/sales/pipeline/")
    page.evaluate("window.__sameDocument = true")
    board = page.locator("#pipeline-board")
    quoting = board.locator('.pipeline-dropzone[data-stage="quoting"]')
    expect(quoting.locator(f'[data-opportunity="{opp.number}"]')).to_be_visible()
    screenshot("inquiry-6-board")
    card = board.locator(f'[data-opportunity="{opp.number}"]')
    card.drag_to(board.locator('.pipeline-dropzone[data-stage="won"]'))
    expect(page.get_by_test_id("workflow-error")).to_have_text(
        f"{opp.number}: Cannot win yet: none of its quotes is accepted."
    )
    screenshot("inquiry-7-refused-move")

    page.once("dialog", lambda dialog: dialog.accept("They repaired the old pumps."))
    card = board.locator(f'[data-opportunity="{other.number}"]')
    card.drag_to(board.locator('.pipeline-dropzone[data-stage="lost"]'))
    lost = page.locator('.pipeline-dropzone[data-stage="lost"]')
    expect(lost.locator(f'[data-opportunity="{other.number}"]')).to_be_visible()
    expect(page.get_by_test_id("workflow-notice")).to_contain_text(other.number)
    assert page.evaluate("window.__sameDocument") is True  # swapped, not reloaded
    screenshot("inquiry-8-moved-to-lost")
    other.refresh_from_db()
    assert other.state == OpportunityState.LOST

    # 6. The forecast counts the quoting opportunity at its probability.
    page.get_by_role("link", name="Forecast").first.click()
    expect(page.get_by_test_id("forecast-table")).to_be_visible()
    screenshot("inquiry-9-forecast")
