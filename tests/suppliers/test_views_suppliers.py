"""Purchasing's supplier directory (the shared directory configured for suppliers)."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from apps.accounts.models import Invitation
from tests.factories import AddressFactory, OrganizationFactory
from tests.query_counts import queries

pytestmark = pytest.mark.django_db

LIST = "/purchasing/suppliers/"
ROW = re.compile(r'<tr data-org="([^"]+)">')


def _codes(response) -> list[str]:
    return ROW.findall(response.content.decode())


def _detail(org) -> str:
    return f"{LIST}{org.pk}/"


def test_purchasing_home_redirects_to_the_supplier_list(client_for, buyer):
    response = client_for(buyer).get("/purchasing/")
    assert response.status_code == 302
    assert response["Location"] == LIST


def test_list_shows_suppliers_and_never_customers(client_for, buyer, delta, evergreen, acme):
    response = client_for(buyer).get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert _codes(response) == ["DELTA", "EVERGREEN"]
    assert "Acme" not in html
    assert "Credit limit" not in html  # a customer-only field


def test_filters_and_ordering(client_for, buyer, delta, evergreen, delta_contact):
    client = client_for(buyer)
    assert _codes(client.get(LIST, {"q": "cast"})) == ["EVERGREEN"]
    assert _codes(client.get(LIST, {"has_contacts": "true"})) == ["DELTA"]
    assert _codes(client.get(LIST, {"ordering": "-code"})) == ["EVERGREEN", "DELTA"]
    response = client.get(LIST, {"ordering": "tax_id", "is_active": "perhaps"})
    assert response.status_code == 200
    assert _codes(response) == ["DELTA", "EVERGREEN"]


def test_htmx_search_returns_only_the_results(client_for, buyer, delta, evergreen):
    html = client_for(buyer).get(LIST, {"q": "delta"}, HTTP_HX_REQUEST="true").content.decode()
    assert html.lstrip().startswith('<div id="directory-results"')
    assert ROW.findall(html) == ["DELTA"]


@pytest.mark.parametrize("size", [5, 30])
def test_list_paginates_with_a_constant_query_count(
    client_for, buyer, django_assert_num_queries, size
):
    for i in range(size):
        org = OrganizationFactory(code=f"S{i:03d}", name=f"Supplier {i:03d}", kind="supplier")
        Invitation.objects.create(
            organization=org, email=f"s{i}@s.example", first_name="S", invited_by=buyer
        )
    client = client_for(buyer)
    client.get(LIST)  # warm process-wide caches (content types) so only the page counts
    # session, user with organization, roles and permissions (one query), then
    # the fast list pattern: capped count, the page's ids, the page's rows with
    # their contact and invitation counts; the unread badge is cached.
    with django_assert_num_queries(queries("suppliers:supplier-list", "buyer")) as captured:
        response = client.get(LIST)
    assert len(_codes(response)) == min(size, 25)
    # Only the page's rows are aggregated: one GROUP BY, restricted to their ids.
    grouped = [q["sql"] for q in captured.captured_queries if "GROUP BY" in q["sql"]]
    assert len(grouped) == 1 and " IN (" in grouped[0]
    assert f"1–{min(size, 25)} of {size}" in response.content.decode()


def test_detail_for_the_buyer(client_for, buyer, delta, delta_contact):
    delta.internal_notes = "Second source for motors only."
    delta.save()
    AddressFactory(organization=delta, line1="400 Armature Ave", city="Milwaukee")
    html = client_for(buyer).get(_detail(delta)).content.decode()
    assert "Delta Motors" in html
    assert "400 Armature Ave" in html
    assert delta_contact.email in html
    assert "Second source for motors only." in html
    assert "Invite a contact" in html
    assert 'href="/purchasing/suppliers/"' in html  # breadcrumb back to this directory


def test_customer_is_not_found_in_the_supplier_directory(client_for, buyer, acme):
    assert client_for(buyer).get(_detail(acme)).status_code == 404


@pytest.mark.parametrize("contact", ["delta_contact", "evergreen_contact"])
def test_supplier_contacts_cannot_open_directory_pages(request, client_for, delta, contact):
    client = client_for(request.getfixturevalue(contact))
    assert client.get(LIST).status_code == 404
    assert client.get(_detail(delta)).status_code == 404


def test_buyer_invites_a_supplier_contact(
    client_for, buyer, delta, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(buyer).post(
            f"{_detail(delta)}invite/",
            {"invite-first_name": "Dana", "invite-email": "dana@delta.example"},
            HTTP_HX_REQUEST="true",
        )
    assert response.status_code == 200
    invitation = Invitation.objects.get()
    assert (invitation.organization, invitation.invited_by) == (delta, buyer)
    assert [m.to for m in mailoutbox] == [["dana@delta.example"]]
    assert "dana@delta.example" in response.content.decode()


def test_invalid_supplier_invite_creates_nothing(client_for, buyer, delta):
    response = client_for(buyer).post(
        f"{_detail(delta)}invite/", {"invite-email": "nope"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    assert "Enter a valid email address." in response.content.decode()
    assert not Invitation.objects.exists()


def test_engineer_sees_no_form_and_cannot_invite(client_for, engineer, delta):
    client = client_for(engineer)
    assert "Invite a contact" not in client.get(_detail(delta)).content.decode()
    response = client.post(
        f"{_detail(delta)}invite/", {"invite-first_name": "X", "invite-email": "x@d.example"}
    )
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_buyer_withdraws_a_pending_invitation(client_for, buyer, delta):
    invitation = Invitation.objects.create(
        organization=delta, email="w@delta.example", first_name="W", invited_by=buyer
    )
    response = client_for(buyer).post(f"{_detail(delta)}invitations/{invitation.pk}/withdraw/")
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert invitation.revoked_at <= timezone.now()


def test_buyer_dashboard_links_suppliers_to_this_directory(client_for, buyer, delta):
    html = client_for(buyer).get("/").content.decode()
    assert f'href="{_detail(delta)}"' in html
