"""The front of the flow through the real pages, one chain (issue 8's "done when"):
an anonymous inquiry; sales qualify it, open an opportunity and build a configured
two-line quote (a rule violation shown and corrected); the required reviewers approve
in their inboxes; the quote is sent and its PDF downloads; the buyer signs it in the
portal; the order exists and the customer sees it; a change is raised, assessed with
computed deltas, proposed, approved by the customer and applied."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from apps.catalog.models import RuleKind
from apps.orders.models import Quote, QuoteState, SalesOrder
from apps.sales.models import Inquiry, Opportunity, OpportunityState
from tests.browser.conftest import ARTIFACTS
from tests.catalog.factories import ConfigurationRuleFactory, OptionFactory, OptionGroupFactory
from tests.orders.conftest import *  # noqa: F403 - catalog and addresses
from tests.orders.conftest import in_days

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def motor_rule(catalog):
    """The demo skid's rule on the test catalog: the 11 kW motor needs the VFD."""
    motor = OptionGroupFactory(product=catalog["skid"], code="motor", name="Motor", position=0)
    OptionFactory(group=motor, code="5_5kw", name="5.5 kW", is_default=True, position=1)
    big = OptionFactory(
        group=motor, code="11kw", name="11 kW", price_delta=Decimal("3200"),
        cost_delta=Decimal("600"), position=2,
    )  # fmt: skip
    ConfigurationRuleFactory(
        product=catalog["skid"],
        kind=RuleKind.REQUIRES,
        option=big,
        other=catalog["vfd"],
        message="The 11 kW motor needs the variable frequency drive.",
    )


def _as(page, login, user) -> None:
    page.context.clear_cookies()
    login(user)


def _change(locator) -> None:
    locator.press("Tab")  # a typed value is sent when the field loses focus


def test_inquiry_to_signed_order_and_an_applied_change(
    page, live_server, login, screenshot, sales_rep, sales_manager, planner, acme,
    acme_addresses, acme_contact, catalog, motor_rule,
):  # fmt: skip
    shot = lambda name: screenshot(f"flow-{name}")  # noqa: E731

    # 1. An anonymous visitor asks through the public form.
    page.goto(f"{live_server.url}/inquiry/")
    form = page.get_by_test_id("public-inquiry-form")
    form.get_by_label("Your name").fill("Dana Field")
    form.get_by_label("E-mail").fill("dana@acme-water.example")
    form.get_by_label("Company").fill("Acme Water Utility")
    form.get_by_label("What do you need?").fill("Lift station pumps")
    form.get_by_label("Details").fill("Two pump skids and a control cabinet for lift station 4.")
    form.get_by_role("button", name="Send inquiry").click()
    expect(page.get_by_test_id("inquiry-thanks")).to_be_visible()
    shot("01-inquiry-sent")
    inquiry = Inquiry.objects.get()

    # 2. Sales qualify it and convert it into an opportunity for the matched customer.
    _as(page, login, sales_rep)
    page.goto(f"{live_server.url}/sales/inquiries/")
    page.get_by_role("link", name=inquiry.number).click()
    page.get_by_role("button", name="Start qualifying").click()
    expect(page.get_by_test_id("inquiry-state")).to_have_text("Qualifying")
    edit = page.get_by_test_id("inquiry-edit")
    edit.get_by_label("Estimated value").fill("60000")
    edit.get_by_label("Expected close date").fill(
        (timezone.localdate() + dt.timedelta(days=45)).isoformat()
    )
    edit.get_by_role("button", name="Save").click()
    page.locator('form[data-transition="qualify"]').get_by_role(
        "button", name="Mark qualified"
    ).click()
    expect(page.get_by_test_id("inquiry-state")).to_have_text("Qualified")
    shot("02-inquiry-qualified")
    page.get_by_role("button", name="Convert to opportunity").click()
    expect(page.get_by_test_id("opportunity-customer")).to_have_text("Acme Water Utility")
    opportunity = Opportunity.objects.get()
    shot("03-opportunity")

    # 3. A quote from the opportunity, built in the builder: a rule refused, then corrected.
    page.get_by_test_id("new-quote").click()
    expect(page).to_have_url(re.compile(r"/sales/quotes/[0-9a-f-]{36}/$"))
    quote = Quote.objects.get()
    page.get_by_test_id("open-builder").click()
    expect(page).to_have_url(f"{live_server.url}/sales/quotes/{quote.pk}/builder/")
    configurator = page.get_by_test_id("configurator")
    configurator.get_by_label("Product").select_option(label="SKID Pump skid")
    preview = page.get_by_test_id("line-preview")
    expect(preview.get_by_test_id("preview-total")).to_have_text("USD 20,000.00")
    page.locator("#opt-motor-11kw").check()
    motor = page.locator('fieldset[data-group="motor"]')
    expect(motor.get_by_test_id("rule-error")).to_have_text(
        "The 11 kW motor needs the variable frequency drive."
    )
    shot("04-builder-rule-violation")
    page.locator("#opt-drive-vfd").check()
    expect(motor.get_by_test_id("rule-error")).to_have_count(0)
    quantity = page.get_by_label("Quantity")
    quantity.fill("2")
    _change(quantity)
    expect(preview.get_by_test_id("preview-total")).to_have_text("USD 51,400.00")
    page.get_by_label("Scope statement (customer-visible)").fill(
        "Skids pre-wired; commissioning included."
    )
    page.get_by_test_id("save-line").click()
    expect(page.get_by_test_id("builder-notice")).to_contain_text("Line 10 added")
    # Line 2: discounted beyond the rep's limit and wanted sooner than feasible.
    page.get_by_test_id("configurator").get_by_label("Product").select_option(
        label="CAB Control cabinet"
    )
    expect(preview.get_by_test_id("preview-total")).to_have_text("USD 8,000.00")
    discount = page.get_by_label("Discount %")
    discount.fill("15")
    _change(discount)
    requested = page.get_by_test_id("configurator").get_by_label("Requested delivery")
    requested.fill(in_days(1).isoformat())
    _change(requested)
    expect(preview.get_by_test_id("date-check")).to_contain_text("manufacturing review")
    page.get_by_test_id("save-line").click()
    expect(page.get_by_test_id("builder-total")).to_have_text("USD 58,200.00")
    shot("05-builder-two-lines")
    page.get_by_test_id("submit-quote").click()
    expect(page.get_by_test_id("quote-state")).to_contain_text("In review")
    quote.refresh_from_db()
    assert set(quote.reviews.values_list("department", flat=True)) == {
        "pricing",
        "manufacturing",
    }

    # 4. The required reviewers approve in their inboxes.
    for user, inbox in ((planner, "/manufacturing/reviews/"), (sales_manager, "/sales/reviews/")):
        _as(page, login, user)
        page.goto(f"{live_server.url}{inbox}")
        card = page.locator(f'article[data-review="{quote.number}"]')
        expect(card).to_contain_text("Acme Water Utility")
        card.get_by_label("Comment").fill(f"{user.username} approves")
        card.get_by_role("button", name="Approve").click()
        expect(page.get_by_test_id("inbox-notice")).to_contain_text(
            f"review of {quote.number} approved"
        )
        shot(f"06-inbox-{inbox.strip('/').split('/')[0]}")
    assert Quote.objects.get(pk=quote.pk).state == QuoteState.APPROVED

    # 5. Sales send it; its PDF downloads and says what the customer may read.
    _as(page, login, sales_rep)
    page.goto(f"{live_server.url}/sales/quotes/{quote.pk}/")
    page.get_by_role("button", name="Send to customer").click()
    expect(page.get_by_test_id("quote-state")).to_contain_text("Sent")
    page.reload()
    with page.expect_download() as download:
        page.get_by_test_id("quote-pdf").click()
    pdf = ARTIFACTS / "flow-quote.pdf"
    download.value.save_as(pdf)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.read_bytes())).pages)
    assert quote.number in text and "commissioning included" in text
    shot("07-quote-sent")

    # 6. The buyer signs it in the portal.
    _as(page, login, acme_contact)
    page.goto(f"{live_server.url}/portal/quotes/{quote.pk}/")
    accept = page.locator('form[data-decision="accept"]')
    accept.get_by_label("Your PO number").fill("ACME-PO-LS4")
    accept.get_by_label("Your full name (signature)").fill("Alex Morgan")
    accept.get_by_label("I accept this quote and its terms").check()
    shot("08-portal-signing")
    accept.get_by_role("button", name="Sign and accept").click()
    expect(page.get_by_test_id("quote-state")).to_have_text("Accepted")
    opportunity.refresh_from_db()
    assert opportunity.state == OpportunityState.WON

    # 7. Sales convert it; the customer sees the order with its PO.
    _as(page, login, sales_rep)
    page.goto(f"{live_server.url}/sales/quotes/{quote.pk}/")
    page.get_by_role("button", name="Convert to order").click()
    expect(page).to_have_url(re.compile(r"/sales/orders/[0-9a-f-]{36}/$"))
    order = SalesOrder.objects.get(quote=quote)
    assert order.customer_po == "ACME-PO-LS4"
    _as(page, login, acme_contact)
    page.goto(f"{live_server.url}/portal/orders/")
    expect(page.locator(f'[data-order="{order.number}"]')).to_contain_text("ACME-PO-LS4")
    shot("09-portal-orders")

    # 8. A change: raised, assessed with computed deltas, proposed, approved, applied.
    _as(page, login, sales_rep)
    order_url = f"{live_server.url}/sales/orders/{order.pk}/"
    page.goto(order_url)
    section = page.locator("#change-requests")
    section.get_by_text("Raise a change request").click()
    section.get_by_label("What should change?").fill("A third pump skid")
    section.get_by_label("Details").fill("Lift station 4 gets a standby pump.")
    section.get_by_role("button", name="Raise request").click()
    item = page.locator("#change-requests article").first
    item.get_by_role("button", name="Start assessment").click()
    item = page.locator("#change-requests article").first
    item.get_by_text("Record the assessment").click()
    item.get_by_label("Engineering assessment").fill("Same design")
    item.get_by_label("Manufacturing assessment").fill("One more skid in the same run")
    item.get_by_label("New quantity").first.fill("3")
    item.get_by_role("button", name="Save assessment").click()
    item = page.locator("#change-requests article").first
    # The re-pricing is computed from the price list, not typed.
    expect(item.get_by_test_id("cr-price")).to_contain_text("25,700.00 re-pricing")
    expect(item.get_by_test_id("cr-cost")).to_contain_text(
        re.compile(r"[1-9][\d,]*\.\d\d computed")
    )
    # ...and so is the date: line 10's forecast now against the date re-promised for three.
    expect(item.get_by_test_id("cr-date-move")).to_contain_text(re.compile(r"^Line 10: .+ → "))
    shot("10-change-assessed")
    propose = item.locator('form[data-transition="propose"]')
    propose.get_by_role("button", name="Propose").click()
    item = page.locator("#change-requests article").first
    expect(item).to_contain_text("Proposed to the customer")
    _as(page, login, acme_contact)
    page.goto(f"{live_server.url}/portal/orders/{order.pk}/")
    changes = page.locator("#order-changes")
    expect(changes).to_contain_text("Awaiting your decision")
    expect(changes).not_to_contain_text("One more skid in the same run")
    shot("11-portal-change-decision")
    changes.get_by_role("button", name="Approve change").click()
    expect(page.locator("#order-changes")).to_contain_text("You approved change")
    _as(page, login, sales_rep)
    page.goto(order_url)
    page.locator("#change-requests article").first.get_by_role("button", name="Apply").click()
    expect(page.get_by_test_id("order-total")).to_contain_text("83,900.00")
    shot("12-change-applied")
