from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_internal_user_signs_in_and_sees_the_role_dashboard(
    page, live_server, login, sales_rep, acme, screenshot
):
    login(sales_rep)

    expect(page).to_have_url(f"{live_server.url}/")
    nav = page.get_by_role("navigation", name="Main navigation")
    expect(nav.get_by_role("link", name="Customers")).to_be_visible()
    expect(nav.get_by_role("link", name="Suppliers")).to_have_count(0)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dashboard")
    screenshot("dashboard-sales-rep")

    # A normal link keeps working: the customer directory lists Acme.
    nav.get_by_role("link", name="Customers").click()
    expect(page.get_by_role("link", name=re.compile("Acme Water Utility"))).to_be_visible()


def test_customer_contact_lands_on_the_portal_and_cannot_open_sales(
    page, live_server, login, acme_contact, screenshot
):
    login(acme_contact)

    expect(page).to_have_url(f"{live_server.url}/portal/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Acme Water Utility")
    nav = page.get_by_role("navigation", name="Main navigation")
    expect(nav.get_by_role("link", name="Customers")).to_have_count(0)
    screenshot("portal-customer")

    response = page.goto(f"{live_server.url}/sales/")
    assert response is not None and response.status == 404


def test_wrong_password_shows_an_inline_error(page, live_server, sales_rep):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(sales_rep.username)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("correct username and password")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
