"""The four review inboxes in the browser, then the sent quote's PDF.

erin.engineer, pat.planner, bob.buyer and maria.manager each approve their review
from their inbox (a refusal without a comment is shown first); the quote becomes
approved; sam.sales sends it and downloads the PDF, and so does acme.buyer."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from apps.accounts.roles import Role
from apps.orders.models import Quote, QuoteState
from apps.orders.services import quotes as quote_services
from tests.browser.conftest import ARTIFACTS
from tests.catalog.factories import BOMLineFactory, ProductFactory
from tests.factories import UserFactory
from tests.orders.conftest import *  # noqa: F403 - the order fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REVIEWERS = (
    ("erin.engineer", Role.ENGINEER, "engineering", "/engineering/reviews/"),
    ("pat.planner", Role.PLANNER, "manufacturing", "/manufacturing/reviews/"),
    ("bob.buyer", Role.BUYER, "purchasing", "/purchasing/reviews/"),
    ("maria.manager", Role.SALES_MANAGER, "pricing", "/sales/reviews/"),
)


def _pdf_text(path) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(path.read_bytes())).pages)


def test_reviewers_approve_from_their_inboxes_and_the_sent_quote_downloads_as_pdf(
    page, live_server, login, screenshot, kestrel, make_quote, sales_rep, acme_contact, catalog
):
    controller = ProductFactory(
        sku="CTRL", name="Dosing controller", base_price=Decimal("4000"), base_cost=Decimal("1500")
    )
    BOMLineFactory(product=controller, component=catalog["pcb"])
    quote = make_quote(
        lines=(("dosing", 1, {}, 15),),
        title="Brewhouse dosing",
        contact=acme_contact,
        internal_notes="CANARY-BROWSER-NOTE",
    )
    quote_services.quote_line_add(quote=quote, actor=sales_rep, product=controller, quantity=2)
    quote = quote_services.quote_submit(quote=quote, actor=sales_rep)
    assert quote.reviews.count() == 4

    for username, role, department, url in REVIEWERS:
        user = UserFactory(username=username, organization=kestrel, roles=[role])
        page.context.clear_cookies()
        login(user)
        # The dashboard shows the department's queue with its count.
        panel = page.locator(f'[data-panel="{department}-reviews"]')
        expect(panel.get_by_test_id("panel-count")).to_have_text("1")
        expect(panel).to_contain_text(quote.number)
        screenshot(f"review-dashboard-{department}")
        panel.get_by_role("link", name="Open the inbox").click()
        expect(page).to_have_url(f"{live_server.url}{url}")
        card = page.locator(f'article[data-review="{quote.number}"]')
        expect(card).to_contain_text("Acme Water Utility")
        expect(card.get_by_test_id("review-reasons")).not_to_be_empty()
        if department == "engineering":
            # Rejecting without a comment: the comment box says why, nothing is decided.
            card.get_by_role("button", name="Reject").click()
            expect(card.get_by_test_id("comment-error")).to_contain_text("Say why")
            expect(card.get_by_label("Comment")).to_have_class(
                "form-control form-control-sm mb-1 is-invalid"
            )
            screenshot("review-inbox-comment-required")
        if department == "pricing":
            expect(card).to_contain_text("Margin floor 20 %")
        screenshot(f"review-inbox-{department}")
        card = page.locator(f'article[data-review="{quote.number}"]')
        card.get_by_label("Comment").fill(f"{username} approves")
        card.get_by_role("button", name="Approve").click()
        expect(page.get_by_test_id("inbox-notice")).to_contain_text(
            f"review of {quote.number} approved"
        )
        expect(page.locator(f'article[data-review="{quote.number}"]')).to_have_count(0)
        expect(page.get_by_test_id("inbox-counts")).to_contain_text("0 waiting")
        expect(page.get_by_test_id("empty-state")).to_contain_text("Nothing waiting")
        screenshot(f"review-inbox-{department}-decided")

    quote = Quote.objects.get(pk=quote.pk)
    assert quote.state == QuoteState.APPROVED

    page.context.clear_cookies()
    login(sales_rep)
    page.goto(f"{live_server.url}/sales/quotes/{quote.pk}/")
    page.get_by_role("button", name="Send to customer").click()
    expect(page.get_by_test_id("quote-state")).to_contain_text("Sent")
    page.reload()
    with page.expect_download() as download:
        page.get_by_test_id("quote-pdf").click()
    staff_pdf = ARTIFACTS / "quote-staff.pdf"
    download.value.save_as(staff_pdf)
    assert download.value.suggested_filename == f"{quote.number}-rev0.pdf"
    text = _pdf_text(staff_pdf)
    assert quote.number in text and "Acme Water Utility" in text and "Dosing system" in text
    assert "CANARY-BROWSER-NOTE" not in text
    screenshot("quote-sent-with-pdf")

    page.context.clear_cookies()
    login(acme_contact)
    page.goto(f"{live_server.url}/portal/quotes/{quote.pk}/")
    with page.expect_download() as download:
        page.get_by_test_id("quote-pdf").click()
    portal_pdf = ARTIFACTS / "quote-portal.pdf"
    download.value.save_as(portal_pdf)
    assert _pdf_text(portal_pdf) == text
    screenshot("portal-quote-with-pdf")
