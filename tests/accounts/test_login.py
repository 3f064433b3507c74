from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def test_login_page_renders_the_form(client):
    res = client.get(LOGIN)
    assert res.status_code == 200
    body = res.content.decode()
    assert 'name="username"' in body and 'name="password"' in body
    assert reverse("accounts:password-reset") in body


def test_demo_logins_are_listed_only_in_demo_mode(client, settings):
    settings.DEMO_MODE = True
    body = client.get(LOGIN).content
    assert b"sam.sales" in body and b"acme.buyer" in body and b"tandem-demo" in body
    settings.DEMO_MODE = False
    body = client.get(LOGIN).content
    assert b"sam.sales" not in body and b"tandem-demo" not in body


def test_good_login_lands_on_the_dashboard(client, sales_rep, password):
    res = client.post(LOGIN, {"username": sales_rep.username, "password": password})
    assert res.status_code == 302 and res.url == "/"
    assert client.get("/").status_code == 200


def test_customer_contact_is_sent_on_to_the_portal(client, acme_contact, password):
    res = client.post(LOGIN, {"username": acme_contact.username, "password": password}, follow=True)
    assert res.redirect_chain[-1][0] == "/portal/"


def test_bad_password_shows_an_error_and_signs_nobody_in(client, sales_rep):
    res = client.post(LOGIN, {"username": sales_rep.username, "password": "wrong"})
    assert res.status_code == 200
    assert b"correct username and password" in res.content
    assert "_auth_user_id" not in client.session


def test_next_parameter_is_honoured_but_only_on_this_site(client, sales_rep, password):
    res = client.post(
        LOGIN + "?next=/notifications/",
        {"username": sales_rep.username, "password": password, "next": "/notifications/"},
    )
    assert res.url == "/notifications/"
    client.logout()
    res = client.post(
        LOGIN,
        {"username": sales_rep.username, "password": password, "next": "https://evil.example/"},
    )
    assert res.url == "/"


def test_logout_is_post_only(client, sales_rep):
    client.force_login(sales_rep)
    assert client.get("/accounts/logout/").status_code == 405
    assert "_auth_user_id" in client.session
    res = client.post("/accounts/logout/")
    assert res.status_code == 302 and "_auth_user_id" not in client.session


def test_anonymous_visitors_are_sent_to_login(client):
    res = client.get("/")
    assert res.status_code == 302 and res.url.startswith(LOGIN)
