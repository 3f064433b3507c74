"""A customer contact opens the account page from the user menu, creates an API
token, uses it, and revokes it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from rest_framework.test import APIClient

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_contact_creates_uses_and_revokes_a_token(
    page, live_server, login, acme_contact, screenshot
):
    login(acme_contact)
    page.get_by_role("button", name=re.compile(acme_contact.get_full_name())).click()
    page.get_by_role("link", name="Your account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    expect(page.get_by_test_id("no-tokens")).to_be_visible()

    page.get_by_label("Token name").fill("Purchasing bot")
    page.get_by_role("button", name="Create token").click()
    key = page.get_by_test_id("new-token").locator("code").inner_text().strip()
    assert re.fullmatch(r"[0-9a-f]{40}", key)
    expect(page.get_by_test_id("tokens")).to_contain_text("Purchasing bot")
    screenshot("account-token-created")

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/me/").status_code == 200

    page.get_by_role("button", name="Revoke Purchasing bot").click()
    expect(page.locator("#messages")).to_contain_text("revoked")
    expect(page.get_by_test_id("no-tokens")).to_be_visible()
    screenshot("account-token-revoked")
    assert api.get("/api/v1/me/").status_code == 401
