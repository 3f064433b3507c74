"""Sam from sales builds a two-line quote for Acme in the browser and submits it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from apps.accounts.roles import Role
from apps.catalog.models import RuleKind
from apps.orders.models import Quote, QuoteState
from tests.catalog.factories import ConfigurationRuleFactory, OptionFactory, OptionGroupFactory
from tests.factories import UserFactory
from tests.orders.conftest import *  # noqa: F403 - the catalog fixtures
from tests.orders.conftest import in_days

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sam(kestrel):
    return UserFactory(
        username="sam.sales", first_name="Sam", last_name="Sales", organization=kestrel,
        roles=[Role.SALES_REP],
    )  # fmt: skip


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


def _change(locator) -> None:
    # A typed value is sent when the field loses focus (hx-trigger="change").
    locator.press("Tab")


def test_sam_builds_a_configured_quote_for_acme_and_submits_it(
    page, live_server, login, sam, acme, acme_addresses, catalog, motor_rule, screenshot
):
    login(sam)
    page.goto(f"{live_server.url}/sales/quotes/")
    page.get_by_test_id("new-quote").click()

    # The customer comes from the htmx lookup, not a list of every customer.
    page.get_by_placeholder("Find a customer").fill("Acme")
    customer = page.get_by_label("Customer", exact=True)
    expect(customer.locator("option", has_text="Acme Water Utility")).to_have_count(1)
    customer.select_option(label="Acme Water Utility")
    page.get_by_label("Title").fill("Lift station 4 pumps")
    page.get_by_label("Requested delivery").fill(in_days(60).isoformat())
    screenshot("builder-new-quote")
    page.get_by_test_id("create-quote").click()

    quote = Quote.objects.get(title="Lift station 4 pumps")
    expect(page).to_have_url(f"{live_server.url}/sales/quotes/{quote.pk}/builder/")
    expect(page.get_by_test_id("submit-quote")).to_be_disabled()
    expect(page.get_by_test_id("disabled-reason")).to_contain_text("the quote has no lines")

    # Line 1: the pump skid, first with a combination its rules refuse.
    configurator = page.get_by_test_id("configurator")
    configurator.get_by_label("Product").select_option(label="SKID Pump skid")
    preview = page.get_by_test_id("line-preview")
    expect(preview.get_by_test_id("preview-total")).to_have_text("USD 20,000.00")
    page.locator("#opt-motor-11kw").check()
    motor = page.locator('fieldset[data-group="motor"]')
    expect(motor.get_by_test_id("rule-error")).to_have_text(
        "The 11 kW motor needs the variable frequency drive."
    )
    expect(preview.get_by_test_id("preview-blocked")).to_be_visible()
    screenshot("builder-rule-violation")
    page.locator("#opt-drive-vfd").check()
    expect(motor.get_by_test_id("rule-error")).to_have_count(0)
    expect(preview.get_by_test_id("preview-total")).to_have_text("USD 25,700.00")
    margin_one = preview.get_by_test_id("preview-margin").inner_text()
    quantity = page.get_by_label("Quantity")
    quantity.fill("2")
    _change(quantity)
    expect(preview.get_by_test_id("preview-total")).to_have_text("USD 51,400.00")
    expect(preview.get_by_test_id("preview-margin")).not_to_have_text(margin_one)
    expect(preview.get_by_test_id("preview-feasible")).to_be_visible()
    expect(preview.get_by_test_id("date-check")).to_contain_text("it can be promised")
    expect(preview.get_by_test_id("preview-explanation")).to_contain_text("Why this date")
    page.get_by_label("Scope statement (customer-visible)").fill(
        "Skid delivered pre-wired; commissioning and one day of operator training included."
    )
    screenshot("builder-line-preview")
    page.get_by_test_id("save-line").click()
    expect(page.get_by_test_id("builder-notice")).to_contain_text("Line 10 added: 2 × Pump skid.")
    expect(page.locator('tr[data-line="10"]')).to_contain_text("commissioning and one day")

    # Line 2: a control cabinet, discounted beyond Sam's limit and wanted sooner than feasible.
    page.get_by_test_id("configurator").get_by_label("Product").select_option(
        label="CAB Control cabinet"
    )
    expect(preview.get_by_test_id("preview-total")).to_have_text("USD 8,000.00")
    discount = page.get_by_label("Discount %")
    discount.fill("15")
    _change(discount)
    expect(preview.get_by_test_id("discount-warning")).to_contain_text(
        "A 15 % discount is above the 10 % limit"
    )
    expect(preview.get_by_test_id("preview-total")).to_have_text("USD 6,800.00")
    requested = page.get_by_test_id("configurator").get_by_label("Requested delivery")
    requested.fill(in_days(1).isoformat())
    _change(requested)
    expect(preview.get_by_test_id("date-check")).to_contain_text(
        "needs a manufacturing review, which submitting will ask for"
    )
    screenshot("builder-second-line")
    page.get_by_test_id("save-line").click()
    expect(page.get_by_test_id("builder-notice")).to_contain_text(
        "submitting the quote will ask a sales manager for a pricing review"
    )
    reviews = page.get_by_test_id("upcoming-reviews")
    expect(reviews).to_contain_text("Pricing")
    expect(reviews).to_contain_text("Manufacturing")
    expect(page.get_by_test_id("builder-total")).to_have_text("USD 58,200.00")
    screenshot("builder-two-lines")

    page.get_by_test_id("submit-quote").click()
    expect(page).to_have_url(f"{live_server.url}/sales/quotes/{quote.pk}/")
    expect(page.get_by_test_id("quote-state")).to_contain_text("In review")
    screenshot("builder-submitted")
    quote.refresh_from_db()
    assert quote.state == QuoteState.IN_REVIEW
    assert set(quote.reviews.values_list("department", flat=True)) == {
        "pricing",
        "manufacturing",
    }
