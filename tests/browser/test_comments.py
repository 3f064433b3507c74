"""Comments on a quote: an internal note with a mention, a customer-visible file, both sides."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from apps.accounts.roles import Role
from apps.orders.services import quotes as quote_services
from tests.factories import UserFactory
from tests.orders.conftest import *  # noqa: F403 - the order fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_internal_mention_and_customer_visible_file(
    page, live_server, login, make_quote, kestrel, acme, screenshot, tmp_path
):
    sam, erin, buyer = (
        UserFactory(username=name, first_name=first, last_name=last, organization=org, roles=roles)
        for name, first, last, org, roles in (
            ("sam.sales", "Sam", "Sales", kestrel, [Role.SALES_REP]),
            ("erin.engineer", "Erin", "Engineer", kestrel, [Role.ENGINEER]),
            ("acme.buyer", "Ada", "Buyer", acme, []),
        )
    )
    quote = quote_services.quote_send(
        quote=quote_services.quote_submit(quote=make_quote(owner=sam), actor=sam), actor=sam
    )
    datasheet = tmp_path / "PS-200 datasheet.pdf"
    datasheet.write_bytes(PDF)

    login(sam)
    page.goto(f"{live_server.url}/sales/quotes/{quote.pk}/")
    # The card says how many comments there are; the thread loads when scrolled into view.
    expect(page.get_by_test_id("comments-count")).to_have_text("0")
    page.locator("#comments").scroll_into_view_if_needed()
    thread = page.get_by_test_id("comment-thread")
    expect(thread).to_contain_text("No comments yet.")
    expect(page.get_by_test_id("comment-thread-lazy")).to_have_count(0)
    # An empty comment is refused inline, without a reload.
    thread.get_by_role("button", name="Post comment").click()
    expect(page.get_by_test_id("comment-thread")).to_contain_text(
        "Write a comment or attach a file."
    )
    thread = page.get_by_test_id("comment-thread")
    expect(thread.get_by_label("Internal (Kestrel staff only)")).to_be_checked()
    thread.get_by_label("Add a comment").fill(
        "@erin.engineer can the frame sit in Acme's 2.4 m pit?"
    )
    thread.get_by_role("button", name="Post comment").click()
    thread = page.get_by_test_id("comment-thread")
    expect(thread.get_by_test_id("comment-result")).to_contain_text("Notified @erin.engineer.")
    thread.get_by_label("Add a comment").fill("The datasheet with the frame dimensions.")
    thread.get_by_label("Visible to the customer").check()
    thread.get_by_label("Files (optional)").set_input_files(str(datasheet))
    thread.get_by_role("button", name="Post comment").click()
    thread = page.get_by_test_id("comment-thread")
    expect(thread.get_by_test_id("attachment")).to_have_text("PS-200_datasheet.pdf")
    expect(thread.locator('[data-audience="internal"]')).to_contain_text("Internal")
    expect(thread.locator('[data-audience="customer"]')).to_contain_text("Visible to customer")
    screenshot("comments-staff-quote")

    page.context.clear_cookies()
    login(buyer)
    page.goto(f"{live_server.url}/portal/quotes/{quote.pk}/")
    # The customer's count leaves out the internal comment.
    expect(page.get_by_test_id("comments-count")).to_have_text("1")
    page.locator("#comments").scroll_into_view_if_needed()
    thread = page.get_by_test_id("comment-thread")
    expect(thread).to_contain_text("The datasheet with the frame dimensions.")
    expect(thread).not_to_contain_text("2.4 m pit")
    expect(thread.locator(".comment")).to_have_count(1)
    with page.expect_download() as info:
        thread.get_by_test_id("attachment").click()
    download = info.value
    assert download.suggested_filename == "PS-200_datasheet.pdf"
    assert Path(download.path()).read_bytes() == PDF
    thread.scroll_into_view_if_needed()
    screenshot("comments-portal-quote")

    page.context.clear_cookies()
    login(erin)
    expect(page.get_by_test_id("unread-count")).to_contain_text("1")
    page.goto(f"{live_server.url}/notifications/")
    note = page.get_by_role("link", name=f"Sam Sales mentioned you on {quote.number}")
    expect(note).to_be_visible()
    screenshot("comments-erin-notification")
    note.click()
    expect(page).to_have_url(f"{live_server.url}/sales/quotes/{quote.pk}/#comments")
    expect(page.get_by_test_id("comment-thread")).to_contain_text("2.4 m pit")
