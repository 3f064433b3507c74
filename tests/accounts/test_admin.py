from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/admin/accounts/organization/",
        "/admin/accounts/user/",
        "/admin/accounts/invitation/",
        "/admin/core/activity/",
        "/admin/core/notification/",
        "/admin/accounts/organization/add/",
    ],
)
def test_ops_admin_opens_the_admin(client, ops_admin, acme, path):
    client.force_login(ops_admin)
    assert client.get(path).status_code == 200


def test_activity_admin_is_read_only(client, ops_admin, acme, sales_rep):
    from apps.core.services import activity_record

    entry = activity_record(target=acme, actor=sales_rep, verb="note", text="x")
    client.force_login(ops_admin)
    assert client.get("/admin/core/activity/add/").status_code == 403
    page = client.get(f"/admin/core/activity/{entry.pk}/change/")
    assert page.status_code == 200 and b'name="text"' not in page.content
    assert (
        client.post(f"/admin/core/activity/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    )


def test_non_staff_are_sent_to_the_admin_login(client, sales_rep):
    client.force_login(sales_rep)
    res = client.get("/admin/")
    assert res.status_code == 302 and "/admin/login/" in res.url


def test_admin_organization_gets_its_access_group(client, ops_admin):
    from apps.accounts.models import Organization

    client.force_login(ops_admin)
    res = client.post(
        "/admin/accounts/organization/add/",
        {
            "name": "Gamma Foods",
            "kind": "customer",
            "code": "GAMMA",
            "currency": "USD",
            "payment_terms": "net30",
            "is_active": "on",
            "addresses-TOTAL_FORMS": "0",
            "addresses-INITIAL_FORMS": "0",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert res.status_code == 302, res.content[:2000]
    assert Organization.objects.get(code="GAMMA").group.name == "org:GAMMA"


def test_user_admin_shows_the_organization_and_adds_a_user(client, ops_admin, acme_contact):
    from apps.accounts.models import User

    client.force_login(ops_admin)
    listing = client.get("/admin/accounts/user/?q=" + acme_contact.username)
    assert b"Acme Water Utility" in listing.content
    page = client.get(f"/admin/accounts/user/{acme_contact.pk}/change/")
    assert page.status_code == 200 and b"membership-0-organization" in page.content
    res = client.post(
        "/admin/accounts/user/add/",
        {
            "username": "new.person",
            "password1": "Pumps-and-valves-2026",
            "password2": "Pumps-and-valves-2026",
            "usable_password": "true",
            "membership-TOTAL_FORMS": "0",
            "membership-INITIAL_FORMS": "0",
        },
    )
    assert res.status_code == 302, res.content[:3000]
    assert User.objects.get(username="new.person").check_password("Pumps-and-valves-2026")


def test_invitation_admin_withdraws_pending_and_filters_by_status(
    client, ops_admin, acme, sales_rep
):
    from django.utils import timezone

    from apps.accounts.models import Invitation

    pending = Invitation.objects.create(
        organization=acme, email="p@acme.example", first_name="Pia", invited_by=sales_rep
    )
    accepted = Invitation.objects.create(
        organization=acme,
        email="a@acme.example",
        first_name="Al",
        invited_by=sales_rep,
        accepted_at=timezone.now(),
    )
    client.force_login(ops_admin)
    page = client.get("/admin/accounts/invitation/?status=pending")
    assert b"p@acme.example" in page.content and b"a@acme.example" not in page.content
    assert client.get(f"/admin/accounts/invitation/{pending.pk}/change/").status_code == 200
    res = client.post(
        "/admin/accounts/invitation/",
        {"action": "revoke", "_selected_action": [pending.pk, accepted.pk]},
        follow=True,
    )
    assert b"Withdrew 1 invitation(s)." in res.content
    assert b"An accepted invitation cannot be withdrawn." in res.content
    pending.refresh_from_db()
    accepted.refresh_from_db()
    assert pending.revoked_at is not None and accepted.revoked_at is None
    page = client.get("/admin/accounts/invitation/?status=revoked")
    assert b"p@acme.example" in page.content and b"a@acme.example" not in page.content


def test_sales_rep_cannot_reach_an_admin_changelist(client, sales_rep):
    client.force_login(sales_rep)
    res = client.get("/admin/accounts/organization/")
    assert res.status_code == 302 and "/admin/login/" in res.url


@pytest.mark.parametrize("page", ["change", "delete"])
def test_organization_admin_pages_cost_the_same_queries_whatever_the_members(
    client, ops_admin, acme, page
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import UserFactory

    client.force_login(ops_admin)
    path = f"/admin/accounts/organization/{acme.pk}/{page}/"

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path)
        assert response.status_code == 200
        return len(ctx.captured_queries)

    UserFactory(organization=acme)
    UserFactory(organization=acme)
    few = queries()
    for _ in range(4):
        UserFactory(organization=acme)
    assert queries() == few
    # The members are listed by name, and people join from their user's page.
    html = client.get(path).content.decode()
    assert acme.memberships.first().user.get_full_name() in html
