"""The supplier portal: a contact sees its own organization and nothing else."""

from __future__ import annotations

import pytest

from apps.core.services import notify
from tests.factories import AddressFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def delta_data(delta, evergreen):
    delta.internal_notes = "INTERNAL: late twice this quarter"
    delta.payment_terms = "net45"
    delta.save()
    evergreen.internal_notes = "INTERNAL: evergreen note"
    evergreen.save()
    AddressFactory(organization=delta, line1="400 Armature Ave", city="Milwaukee")
    AddressFactory(organization=evergreen, line1="77 Cupola Street", city="Birmingham")
    return delta


def test_supplier_contact_sees_its_portal(client_for, delta_contact, delta_data, evergreen):
    colleague = UserFactory(username="delta.second", first_name="Dora", organization=delta_data)
    notify(recipients=[delta_contact], title="PO-000210 sent to you")
    response = client_for(delta_contact).get("/supplier/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Delta Motors" in html
    assert f"Welcome back, {delta_contact.first_name}" in html
    assert "PO-000210 sent to you" in html
    assert colleague.get_full_name() in html
    assert "No requests for quotation or purchase orders are waiting for you" in html
    assert "Evergreen" not in html
    assert "INTERNAL" not in html


def test_supplier_organization_page_shows_own_data_only(
    client_for, delta_contact, delta_data, evergreen_contact
):
    html = client_for(delta_contact).get("/supplier/organization/").content.decode()
    assert "400 Armature Ave" in html
    assert "Net 45 days" in html
    assert delta_contact.email in html
    assert "INTERNAL" not in html
    assert "Evergreen" not in html and "77 Cupola Street" not in html
    assert evergreen_contact.email not in html


def test_evergreen_contact_sees_evergreen_not_delta(client_for, evergreen_contact, delta_data):
    html = client_for(evergreen_contact).get("/supplier/organization/").content.decode()
    assert "77 Cupola Street" in html
    assert "Delta" not in html and "400 Armature Ave" not in html


def test_notifications_of_others_are_not_shown(client_for, delta_contact, evergreen_contact):
    notify(recipients=[evergreen_contact], title="Evergreen RFQ")
    html = client_for(delta_contact).get("/supplier/").content.decode()
    assert "Evergreen RFQ" not in html
    assert "You are all caught up." in html


@pytest.mark.parametrize("user", ["acme_contact", "buyer", "ops_admin"])
@pytest.mark.parametrize("path", ["/supplier/", "/supplier/organization/"])
def test_everyone_else_gets_404(request, client_for, user, path):
    assert client_for(request.getfixturevalue(user)).get(path).status_code == 404


def test_inactive_supplier_organization_closes_the_portal(client_for, delta_contact, delta):
    delta.is_active = False
    delta.save()
    assert client_for(delta_contact).get("/supplier/").status_code == 404
