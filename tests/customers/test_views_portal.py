"""The customer portal: a contact sees its own organization, never internal data."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.core.services import notify
from tests.factories import AddressFactory, UserFactory

pytestmark = pytest.mark.django_db

ACME_NOTE = "INTERNAL-ACME: slow payer, watch the limit"
BOREALIS_NOTE = "INTERNAL-BOREALIS: expanding in spring"


@pytest.fixture
def customer_data(acme, borealis):
    acme.internal_notes = ACME_NOTE
    acme.credit_limit = Decimal("750000")
    acme.payment_terms = "net45"
    acme.save()
    borealis.internal_notes = BOREALIS_NOTE
    borealis.credit_limit = Decimal("150000")
    borealis.save()
    AddressFactory(organization=acme, line1="88 Reservoir Way", city="Springfield")
    AddressFactory(organization=borealis, line1="5 Malthouse Lane", city="Duluth")
    return acme, borealis


def _never_internal(html: str) -> None:
    assert "INTERNAL-" not in html
    assert "Internal notes" not in html
    assert "Credit limit" not in html
    assert "750,000" not in html and "750000" not in html
    assert "150,000" not in html and "150000" not in html


@pytest.mark.parametrize("path", ["/portal/", "/portal/organization/"])
def test_acme_contact_sees_acme_and_no_internal_data(
    client_for, acme_contact, borealis_contact, customer_data, path
):
    response = client_for(acme_contact).get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Acme Water Utility" in html
    assert "Borealis" not in html and "5 Malthouse Lane" not in html
    assert borealis_contact.email not in html
    _never_internal(html)


@pytest.mark.parametrize("path", ["/portal/", "/portal/organization/"])
def test_borealis_contact_sees_borealis_and_no_internal_data(
    client_for, borealis_contact, acme_contact, customer_data, path
):
    html = client_for(borealis_contact).get(path).content.decode()
    assert "Borealis Brewing" in html
    assert "Acme" not in html and "88 Reservoir Way" not in html
    assert acme_contact.email not in html
    _never_internal(html)


def test_portal_dashboard_greets_and_lists_colleagues_and_notifications(
    client_for, acme_contact, acme, borealis_contact
):
    colleague = UserFactory(username="acme.second", first_name="Ann", organization=acme)
    notify(recipients=[acme_contact], title="Quote Q-000123 is ready")
    notify(recipients=[borealis_contact], title="Borealis quote")
    html = client_for(acme_contact).get("/portal/").content.decode()
    assert f"Welcome back, {acme_contact.first_name}" in html
    assert '<h1 class="h3 mb-1">Acme Water Utility</h1>' in html
    assert "Quote Q-000123 is ready" in html
    assert "Borealis quote" not in html
    colleagues = html.split('data-testid="colleagues"', 1)[1].split("</ul>", 1)[0]
    assert colleague.get_full_name() in colleagues
    assert acme_contact.get_full_name() not in colleagues  # the visitor is not a colleague


def test_portal_says_clearly_that_nothing_waits(client_for, acme_contact):
    html = client_for(acme_contact).get("/portal/").content.decode()
    assert "No quotes or approvals are waiting for you" in html
    assert "You are the only contact of Acme Water Utility so far." in html


def test_organization_page_shows_addresses_terms_and_contacts(
    client_for, acme_contact, customer_data
):
    html = client_for(acme_contact).get("/portal/organization/").content.decode()
    assert "88 Reservoir Way" in html
    assert "Net 45 days" in html
    assert acme_contact.email in html


@pytest.mark.parametrize("user", ["delta_contact", "sales_rep", "ops_admin"])
@pytest.mark.parametrize("path", ["/portal/", "/portal/organization/"])
def test_everyone_else_gets_404(request, client_for, user, path):
    assert client_for(request.getfixturevalue(user)).get(path).status_code == 404


def test_anonymous_is_sent_to_login(client):
    response = client.get("/portal/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
