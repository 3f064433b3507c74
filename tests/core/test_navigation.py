"""Each role sees its own navigation entries and none of the others'."""

from __future__ import annotations

import re

import pytest

from apps.core.navigation import nav_for

pytestmark = pytest.mark.django_db

NAV_LINK = re.compile(
    r'class="nav-link[^"]*"[^>]*href="([^"]+)"[^>]*>(?:<i [^>]*></i>)?\s*([^<]+)<'
)


def _labels(user) -> set[str]:
    return {item["label"] for item in nav_for(user, "/")}


@pytest.mark.parametrize(
    ("role", "sees", "does_not_see"),
    [
        ("sales_rep", {"Dashboard", "Customers"}, {"Suppliers", "Admin", "My portal"}),
        ("sales_manager", {"Dashboard", "Customers"}, {"Suppliers", "Admin"}),
        ("buyer", {"Dashboard", "Suppliers", "Receipts", "Parts"}, {"Customers", "Admin"}),
        ("planner", {"Dashboard", "Work centers", "Parts"}, {"Receipts", "Admin"}),
        ("finance", {"Dashboard", "Customers"}, {"Suppliers", "Admin"}),
        ("engineer", {"Dashboard"}, {"Customers", "Suppliers", "Admin", "Receipts"}),
        ("warehouse", {"Dashboard"}, {"Customers", "Suppliers", "Admin"}),
        ("ops_admin", {"Dashboard", "Customers", "Suppliers", "Admin"}, {"My portal"}),
        ("acme_contact", {"My portal", "Organization"}, {"Dashboard", "Customers", "Suppliers"}),
        ("delta_contact", {"My portal", "Organization"}, {"Dashboard", "Customers", "Suppliers"}),
    ],
)
def test_each_role_sees_its_own_navigation(request, role, sees, does_not_see):
    user = request.getfixturevalue(role)
    labels = _labels(user)
    assert sees <= labels
    assert not labels & does_not_see


def test_portal_links_point_to_the_contacts_own_portal(acme_contact, delta_contact):
    customer = {i["label"]: i["url"] for i in nav_for(acme_contact, "/portal/")}
    supplier = {i["label"]: i["url"] for i in nav_for(delta_contact, "/supplier/")}
    assert customer == {
        "My portal": "/portal/",
        "Quotes": "/portal/quotes/",
        "Orders": "/portal/orders/",
        "Organization": "/portal/organization/",
    }
    assert supplier == {"My portal": "/supplier/", "Organization": "/supplier/organization/"}


def test_rendered_navbar_marks_the_current_area_active(client_for, sales_rep):
    html = client_for(sales_rep).get("/sales/customers/").content.decode()
    nav = html.split('aria-label="Main navigation"', 1)[1].split("</nav>", 1)[0]
    links = {label.strip(): href for href, label in NAV_LINK.findall(nav)}
    assert links["Customers"] == "/sales/customers/"
    assert "Suppliers" not in links
    assert 'class="nav-link active" aria-current="page" href="/sales/customers/"' in nav


def test_anonymous_visitor_gets_no_navigation(client):
    from django.contrib.auth.models import AnonymousUser

    assert nav_for(AnonymousUser(), "/") == []
