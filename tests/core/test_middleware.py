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


# -- Cache-Control: no-store for signed-in users ------------------------------------


def _no_store(res) -> bool:
    return "no-store" in res.get("Cache-Control", "")


@pytest.mark.parametrize(
    ("user", "path"),
    [
        ("sales_rep", "/"),
        ("sales_rep", "/sales/customers/"),
        ("sales_rep", "/notifications/"),
        ("sales_rep", "/accounts/"),
        ("acme_contact", "/portal/"),
        ("delta_contact", "/supplier/"),
        ("sales_rep", "/api/v1/me/"),
        ("sales_rep", "/api/v1/organizations/"),
        # Refusals carry no-store too: they are answers to one person.
        ("acme_contact", "/sales/customers/"),
    ],
)
def test_signed_in_pages_and_api_answers_are_not_stored(request, client_for, user, path):
    res = client_for(request.getfixturevalue(user)).get(path)
    assert res.status_code in (200, 404)
    assert _no_store(res), res.get("Cache-Control")
    assert "private" in res["Cache-Control"]


def test_token_authenticated_api_answers_are_not_stored(sales_rep):
    from rest_framework.test import APIClient

    from tests.factories import api_token_key

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_key(sales_rep)}")
    res = client.get("/api/v1/me/")
    assert res.status_code == 200
    assert _no_store(res)


def test_an_htmx_partial_is_not_stored(client_for, sales_rep):
    res = client_for(sales_rep).get("/notifications/", HTTP_HX_REQUEST="true")
    assert res.status_code == 200
    assert _no_store(res)


def test_anonymous_pages_are_left_alone(client):
    # (The login page is never cached by Django itself; the reset page has no such header.)
    res = client.get("/accounts/password/reset/")
    assert res.status_code == 200
    assert not _no_store(res)


def test_static_files_stay_cacheable_for_signed_in_users(client_for, sales_rep):
    from django.contrib.staticfiles import finders

    assert finders.find("css/tandem.css")
    res = client_for(sales_rep).get("/static/css/tandem.css")
    assert res.status_code == 200
    assert not _no_store(res)
