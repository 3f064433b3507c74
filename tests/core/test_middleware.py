"""The outer fence: contacts reach only their portal and the shared areas."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    ["/sales/", "/sales/customers/", "/purchasing/suppliers/", "/admin/", "/supplier/"],
)
def test_customer_contact_gets_404_outside_the_customer_portal(client_for, acme_contact, path):
    assert client_for(acme_contact).get(path).status_code == 404


def test_customer_contact_gets_404_for_a_customer_page_even_of_its_own_org(
    client_for, acme_contact, acme
):
    assert client_for(acme_contact).get(f"/sales/customers/{acme.pk}/").status_code == 404


@pytest.mark.parametrize("path", ["/portal/", "/portal/organization/", "/sales/customers/"])
def test_supplier_contact_gets_404_outside_the_supplier_portal(client_for, delta_contact, path):
    assert client_for(delta_contact).get(path).status_code == 404


@pytest.mark.parametrize("path", ["/portal/", "/portal/organization/", "/supplier/"])
def test_internal_user_gets_404_for_the_portals(client_for, sales_rep, path):
    assert client_for(sales_rep).get(path).status_code == 404


def test_contacts_reach_their_portal_and_the_shared_areas(client_for, acme_contact, delta_contact):
    client = client_for(acme_contact)
    assert client.get("/portal/").status_code == 200
    assert client.get("/notifications/").status_code == 200
    assert client.get("/healthz").status_code in {200, 503}
    client = client_for(delta_contact)
    assert client.get("/supplier/").status_code == 200
    assert client.get("/supplier/organization/").status_code == 200


def test_anonymous_visitor_is_asked_to_sign_in_not_fenced(client):
    response = client.get("/sales/customers/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_views_refuse_contacts_even_without_the_middleware(
    settings, client_for, acme_contact, acme
):
    # Defence in depth: the directory views check the user themselves, so a
    # route mounted outside the fence still leaks nothing.
    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if m != "apps.core.middleware.AreaAccessMiddleware"
    ]
    client = client_for(acme_contact)
    assert client.get("/sales/customers/").status_code == 404
    assert client.get(f"/sales/customers/{acme.pk}/").status_code == 404
    assert client.post(f"/sales/customers/{acme.pk}/invite/", {}).status_code == 404
