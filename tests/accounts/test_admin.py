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
