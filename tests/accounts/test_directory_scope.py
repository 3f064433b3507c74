"""Sales keep to the customer directory, purchasing to the supplier directory.

Every directory route, in both directions: a sales rep or manager on a supplier
and a buyer on a customer get 404 and change nothing; the owners (and ops) act.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.template import Context, Template

from apps.accounts import services
from apps.accounts.models import Invitation
from apps.core.dashboards import target_url

pytestmark = pytest.mark.django_db

DIRECTORIES = {"customer": "/sales/customers/", "supplier": "/purchasing/suppliers/"}
PARTNER = {"customer": "acme", "supplier": "delta"}
OUTSIDERS = {"customer": ["buyer"], "supplier": ["sales_rep", "sales_manager"]}
OWNERS = {
    "customer": ["sales_rep", "sales_manager", "ops_admin"],
    "supplier": ["buyer", "ops_admin"],
}


@pytest.fixture
def pending(request, kestrel, ops_admin):
    """pending(kind): a pending invitation to that kind's partner organization."""

    def _make(kind: str) -> Invitation:
        org = request.getfixturevalue(PARTNER[kind])
        return Invitation.objects.create(
            organization=org,
            email=f"new@{org.code.lower()}.example",
            first_name="New",
            invited_by=ops_admin,
        )

    return _make


def _routes(kind: str, invitation: Invitation) -> list[tuple[str, str, dict]]:
    list_url = DIRECTORIES[kind]
    detail = f"{list_url}{invitation.organization.pk}/"
    return [
        ("get", list_url, {}),
        ("get", detail, {}),
        ("post", f"{detail}invite/", {"invite-first_name": "Eve", "invite-email": "eve@x.example"}),
        ("post", f"{detail}invitations/{invitation.pk}/withdraw/", {}),
    ]


@pytest.mark.parametrize(
    ("kind", "role"),
    [(kind, role) for kind, roles in OUTSIDERS.items() for role in roles],
)
@pytest.mark.parametrize("route", range(4), ids=["list", "detail", "invite", "withdraw"])
def test_the_other_department_gets_404_on_every_route(
    request, client_for, pending, kind, role, route
):
    invitation = pending(kind)
    method, url, data = _routes(kind, invitation)[route]
    client = client_for(request.getfixturevalue(role))
    for htmx in ({}, {"HTTP_HX_REQUEST": "true"}):
        res = getattr(client, method)(url, data, **htmx)
        assert res.status_code == 404, (method, url)
    invitation.refresh_from_db()
    assert invitation.revoked_at is None
    assert list(Invitation.objects.values_list("email", flat=True)) == [invitation.email]


@pytest.mark.parametrize(
    ("kind", "role"),
    [(kind, role) for kind, roles in OWNERS.items() for role in roles],
)
def test_the_owning_department_acts_on_every_route(request, client_for, pending, kind, role):
    invitation = pending(kind)
    (_, list_url, _), (_, detail, _), (_, invite, data), (_, withdraw, _) = _routes(
        kind, invitation
    )
    client = client_for(request.getfixturevalue(role))
    assert client.get(list_url).status_code == 200
    page = client.get(detail)
    assert page.status_code == 200
    assert "Invite a contact" in page.content.decode()
    assert client.post(invite, data).status_code == 302
    assert Invitation.objects.filter(email="eve@x.example").exists()
    assert client.post(withdraw).status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


@pytest.mark.parametrize("kind", ["customer", "supplier"])
def test_a_reader_from_another_department_sees_but_does_not_invite(
    client_for, pending, planner, kind
):
    invitation = pending(kind)
    (_, list_url, _), (_, detail, _), (_, invite, data), (_, withdraw, _) = _routes(
        kind, invitation
    )
    client = client_for(planner)
    assert client.get(list_url).status_code == 200
    assert "Invite a contact" not in client.get(detail).content.decode()
    assert client.post(invite, data).status_code == 403
    assert client.post(withdraw).status_code == 403
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_a_directory_never_serves_the_other_kind(client_for, ops_admin, acme, delta):
    client = client_for(ops_admin)
    assert client.get(f"/sales/customers/{delta.pk}/").status_code == 404
    assert client.get(f"/purchasing/suppliers/{acme.pk}/").status_code == 404


@pytest.mark.parametrize(
    ("role", "kind"),
    [("buyer", "customer"), ("sales_rep", "supplier"), ("sales_manager", "supplier")],
)
def test_the_services_refuse_the_other_department(request, pending, role, kind):
    actor = request.getfixturevalue(role)
    org = request.getfixturevalue(PARTNER[kind])
    with pytest.raises(PermissionDenied):
        services.invitation_create(
            organization=org, email="x@x.example", first_name="X", invited_by=actor
        )
    invitation = pending(kind)
    with pytest.raises(PermissionDenied):
        services.invitation_revoke(invitation=invitation, actor=actor)
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_links_to_a_partner_appear_only_for_those_who_may_open_it(buyer, sales_rep, acme, delta):
    # Recent activity and the quote page link a partner only when it opens.
    assert target_url(acme, sales_rep) == f"/sales/customers/{acme.pk}/"
    assert target_url(acme, buyer) == ""
    assert target_url(delta, buyer) == f"/purchasing/suppliers/{delta.pk}/"
    assert target_url(delta, sales_rep) == ""
    template = Template("{% load organizations %}{{ user|opens_directory_of:org }}")
    assert template.render(Context({"user": buyer, "org": acme})) == "False"
    assert template.render(Context({"user": sales_rep, "org": acme})) == "True"
