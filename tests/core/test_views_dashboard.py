"""The role dashboard: panels per role, redirects for contacts, htmx refresh."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from apps.accounts.models import Invitation
from apps.core.services import activity_record, notify

pytestmark = pytest.mark.django_db

PANEL = re.compile(r'data-panel="([^"]+)"')


def _panels(response_or_html) -> set[str]:
    html = getattr(response_or_html, "content", response_or_html)
    return set(PANEL.findall(html.decode() if isinstance(html, bytes) else html))


# Roles with work queues see them instead of everyone's recent activity.
@pytest.mark.parametrize(
    ("role", "expected", "absent"),
    [
        (
            "sales_rep",
            {
                "notifications",
                "my-drafts",
                "awaiting-customer",
                "pending-orders",
                "customer-without-contact",
                "customer-invitations",
            },
            {"activity", "pricing-reviews", "awaiting-approval", "overview"},
        ),
        (
            "sales_manager",
            {
                "notifications",
                "pricing-reviews",
                "awaiting-approval",
                "customer-without-contact",
                "customer-invitations",
            },
            {"activity", "my-drafts", "supplier-invitations", "overview"},
        ),
        (
            "buyer",
            {
                "notifications",
                "purchasing-reviews",
                "supplier-without-contact",
                "supplier-invitations",
                "receipts-due",
            },
            {"activity", "customer-without-contact", "overview"},
        ),
        ("ops_admin", {"notifications", "activity", "overview"}, {"customer-invitations"}),
        (
            "engineer",
            {"notifications", "engineering-reviews"},
            {"activity", "manufacturing-reviews", "customer-invitations", "overview"},
        ),
        (
            "planner",
            {"notifications", "manufacturing-reviews"},
            {"activity", "engineering-reviews", "supplier-invitations", "receipts-due"},
        ),
        ("quality", {"notifications", "activity"}, {"customer-without-contact"}),
        ("warehouse", {"notifications", "activity"}, {"overview"}),
        ("finance", {"notifications", "activity"}, {"customer-invitations"}),
    ],
)
def test_each_internal_role_gets_its_panels(request, client_for, role, expected, absent):
    user = request.getfixturevalue(role)
    response = client_for(user).get("/")
    assert response.status_code == 200
    panels = _panels(response)
    assert expected <= panels
    assert not panels & absent


def test_greeting_names_the_users_roles(client_for, sales_manager):
    html = client_for(sales_manager).get("/").content.decode()
    greeting = html.split('data-testid="greeting"', 1)[1].split("</p>", 1)[0]
    assert sales_manager.first_name in greeting
    assert "Sales manager" in greeting


def test_customer_contact_is_sent_to_the_portal(client_for, acme_contact):
    response = client_for(acme_contact).get("/")
    assert response.status_code == 302
    assert response["Location"] == "/portal/"


def test_supplier_contact_is_sent_to_the_supplier_portal(client_for, delta_contact):
    response = client_for(delta_contact).get("/")
    assert response.status_code == 302
    assert response["Location"] == "/supplier/"


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/")


def test_htmx_refresh_returns_only_the_panels(client_for, sales_rep):
    client = client_for(sales_rep)
    full = client.get("/").content.decode()
    partial = client.get("/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" in full and 'aria-label="Main navigation"' in full
    assert "<html" not in partial
    assert 'aria-label="Main navigation"' not in partial
    assert partial.lstrip().startswith('<div id="dashboard-panels"')
    assert _panels(full) == _panels(partial)


def test_sales_panels_list_customers_without_contact_and_pending_invitations(
    client_for, sales_rep, acme, borealis, borealis_contact, delta
):
    Invitation.objects.create(
        organization=acme, email="ada@acme.example", first_name="Ada", invited_by=sales_rep
    )
    expired = Invitation.objects.create(
        organization=acme, email="old@acme.example", first_name="Olaf", invited_by=sales_rep
    )
    Invitation.objects.filter(pk=expired.pk).update(
        created_at=timezone.now() - timezone.timedelta(days=30)
    )
    html = client_for(sales_rep).get("/").content.decode()
    without = html.split('data-panel="customer-without-contact"', 1)[1].split("</section>", 1)[0]
    assert "Acme Water Utility" in without
    assert f"/sales/customers/{acme.pk}/" in without
    assert "1 pending invitation" in without
    assert "Borealis" not in without  # has a contact
    assert "Delta" not in without  # a supplier
    invitations = html.split('data-panel="customer-invitations"', 1)[1].split("</section>", 1)[0]
    assert "ada@acme.example" in invitations
    assert f"invited by {sales_rep}" in invitations
    assert "expires" in invitations
    assert "old@acme.example" not in invitations  # expired links wait for nobody


def test_buyer_panels_list_suppliers_without_contact(client_for, buyer, delta, evergreen_contact):
    html = client_for(buyer).get("/").content.decode()
    without = html.split('data-panel="supplier-without-contact"', 1)[1].split("</section>", 1)[0]
    assert "Delta Motors" in without
    assert "Evergreen" not in without


def test_recent_activity_and_notifications_panels(client_for, quality, acme, sales_rep):
    activity_record(target=acme, actor=sales_rep, verb="contact_invited", text="Invited Ada")
    notify(recipients=[quality], title="Work order released", url="/x/")
    notify(recipients=[sales_rep], title="Someone else's news")
    html = client_for(quality).get("/").content.decode()
    activity = html.split('data-panel="activity"', 1)[1].split("</section>", 1)[0]
    assert "contact invited" in activity and "Acme Water Utility" in activity
    assert f'href="/sales/customers/{acme.pk}/"' in activity
    notifications = html.split('data-panel="notifications"', 1)[1].split("</section>", 1)[0]
    assert "Work order released" in notifications
    assert "Someone else" not in notifications


def test_ops_overview_counts_organizations_and_users(client_for, ops_admin, acme, borealis, delta):
    html = client_for(ops_admin).get("/").content.decode()
    overview = html.split('data-panel="overview"', 1)[1].split("</section>", 1)[0]
    values = dict(
        re.findall(
            r'>([A-Z][a-z ]+)(?:</a>)?</span>\s*<span [^>]*data-testid="row-value">(\d+)<', overview
        )
    )
    assert values["Customers"] == "2"
    assert values["Suppliers"] == "1"
    assert values["Internal organizations"] == "1"


def _dashboard_queries(client) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get("/")  # warm the per-process caches
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/").status_code == 200
    return len(ctx.captured_queries)


def test_the_sales_dashboard_reads_as_many_queries_for_6_and_30_customers(
    client_for, sales_rep, acme
):
    """(Below five rows a panel counts the rows it shows: one query fewer.)"""
    from tests.factories import OrganizationFactory

    def customers(numbers):
        for i in numbers:
            org = OrganizationFactory(name=f"Aardvark {i:02d}", code=f"AAR{i:02d}")
            Invitation.objects.create(
                organization=org, email=f"a{i}@aar.example", first_name="A", invited_by=sales_rep
            )

    client = client_for(sales_rep)
    customers(range(6))
    small = _dashboard_queries(client)
    customers(range(6, 30))
    assert _dashboard_queries(client) == small
    html = client.get("/").content.decode()
    without = html.split('data-panel="customer-without-contact"', 1)[1].split("</section>", 1)[0]
    # The first five by name, each with its own pending invitations, and how many in all.
    assert re.findall(r"Aardvark (\d+)", without) == ["00", "01", "02", "03", "04"]
    assert without.count("1 pending invitation") == 5
    assert 'data-testid="panel-count">31</span>' in without  # 30 and Acme
