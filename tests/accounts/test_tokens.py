"""API tokens expire, end with a password change, reset or deactivation, and
their owner lists and revokes them on the account page."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.tokens import default_token_generator
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.test import APIClient

from apps.accounts import services
from apps.accounts.authentication import token_with_user
from apps.accounts.models import ApiToken, User
from tests.factories import api_token_key
from tests.test_settings import manage

pytestmark = pytest.mark.django_db

ME_URL = "/api/v1/me/"
ACCOUNT_URL = "/accounts/"
NEW_PASSWORD = "Valves-and-pumps-2026"


def _api(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


# -- expiry ------------------------------------------------------------------------


def test_a_token_lives_for_the_configured_number_of_days(sales_rep, settings):
    settings.API_TOKEN_TTL_DAYS = 7
    token, _ = services.api_token_issue(user=sales_rep, name="ERP sync")
    assert token.expires_at - token.created_at == timezone.timedelta(days=7)


def test_an_expired_token_is_401(sales_rep):
    key = api_token_key(sales_rep)
    client = _api(key)
    assert client.get(ME_URL).status_code == 200
    ApiToken.objects.filter(user=sales_rep).update(expires_at=timezone.now())
    res = client.get(ME_URL)
    assert res.status_code == 401
    assert res.json() == {"detail": "Token has expired."}
    assert res["WWW-Authenticate"] == "Token"


def test_a_token_records_when_it_was_last_used_at_most_once_a_minute(
    sales_rep, django_assert_num_queries
):
    token, key = services.api_token_issue(user=sales_rep, name="ERP sync")
    assert token.last_used_at is None
    client = _api(key)
    client.get(ME_URL)
    token.refresh_from_db()
    first_use = token.last_used_at
    assert first_use is not None
    # Within the minute: one query (token, user, organization, roles); no write.
    with django_assert_num_queries(1):
        client.get(ME_URL)
    token.refresh_from_db()
    assert token.last_used_at == first_use


# -- the one-query lookup ---------------------------------------------------------


def _orm_view(user):
    """What the ORM reads of a user: organization, roles, model permissions."""
    fresh = User.objects.get(pk=user.pk)
    return fresh.organization, fresh.role_names, fresh.permission_names


@pytest.mark.parametrize("who", ["sales_rep", "acme_contact", "superuser_without_org"])
def test_the_token_query_reads_what_the_orm_reads(who, request, django_assert_num_queries):
    if who == "superuser_without_org":
        user = User.objects.create_superuser("root", "root@example.com", "x")
    else:
        user = request.getfixturevalue(who)
    if who == "sales_rep":
        # Direct permissions come too, and a group without permissions is still a role.
        user.user_permissions.add(Permission.objects.get(codename="view_apitoken"))
        user.groups.add(Group.objects.create(name="empty group"))
    token, key = services.api_token_issue(user=user, name="ERP sync")
    with django_assert_num_queries(1):
        found = token_with_user(ApiToken.hash_key(key))
        organization = found.user.organization
        roles, perms = found.user.role_names, found.user.permission_names
    assert found.pk == token.pk and found.expires_at == token.expires_at
    assert found.user.pk == user.pk and found.user.username == user.username
    assert (organization, roles, perms) == _orm_view(user)
    if who == "sales_rep":
        assert "empty group" in roles and "accounts.view_apitoken" in perms
        assert found.user.has_perm("accounts.view_apitoken")
    if who == "superuser_without_org":
        assert organization is None and roles == frozenset()
    assert token_with_user(ApiToken.hash_key("no such key")) is None


def test_an_unknown_token_is_401():
    res = _api("0" * 40).get(ME_URL)
    assert res.status_code == 401
    assert res.json() == {"detail": "Invalid token."}


def test_the_ttl_setting_refuses_a_value_below_one_day():
    result = manage("check", env={"API_TOKEN_TTL_DAYS": "0"})
    assert result.returncode != 0
    assert "API_TOKEN_TTL_DAYS must be at least 1" in result.stderr


# -- revocation --------------------------------------------------------------------


def test_changing_the_password_revokes_every_token(client, sales_rep, planner, password):
    keys = [api_token_key(sales_rep, name=n) for n in ("one", "two")]
    other = api_token_key(planner)
    client.force_login(sales_rep)
    res = client.post(
        "/accounts/password/change/",
        {"old_password": password, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert res.status_code == 302
    for key in keys:
        assert _api(key).get(ME_URL).status_code == 401
    assert not ApiToken.objects.filter(user=sales_rep).exists()
    # Someone else's tokens are untouched.
    assert _api(other).get(ME_URL).status_code == 200


def test_resetting_the_password_revokes_every_token(client, sales_rep):
    key = api_token_key(sales_rep)
    uid = urlsafe_base64_encode(force_bytes(sales_rep.pk))
    link = f"/accounts/password/reset/{uid}/{default_token_generator.make_token(sales_rep)}/"
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    res = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert res.status_code == 302
    assert _api(key).get(ME_URL).status_code == 401
    assert not ApiToken.objects.filter(user=sales_rep).exists()


def test_deactivating_the_user_revokes_every_token(sales_rep):
    key = api_token_key(sales_rep)
    sales_rep.is_active = False
    sales_rep.save()
    assert not ApiToken.objects.filter(user=sales_rep).exists()
    # Reactivated, the old key stays dead.
    sales_rep.is_active = True
    sales_rep.save()
    assert _api(key).get(ME_URL).status_code == 401


def test_a_password_hash_upgrade_at_login_is_not_a_password_change(sales_rep, password, settings):
    # The stored hash is MD5 (tests/conftest.py); with a stronger hasher first,
    # Django re-hashes on the next successful login. The password is the same,
    # so the tokens stay.
    key = api_token_key(sales_rep)
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    assert sales_rep.check_password(password)
    sales_rep.refresh_from_db()
    assert sales_rep.password.startswith("pbkdf2_sha256$")
    assert _api(key).get(ME_URL).status_code == 200


def test_issuing_beyond_the_cap_drops_the_oldest(sales_rep):
    first = api_token_key(sales_rep, name="first")
    for n in range(services.MAX_API_TOKENS_PER_USER):
        api_token_key(sales_rep, name=f"token {n}")
    assert ApiToken.objects.filter(user=sales_rep).count() == services.MAX_API_TOKENS_PER_USER
    assert not ApiToken.objects.filter(name="first").exists()
    assert _api(first).get(ME_URL).status_code == 401


def test_issuing_removes_the_users_expired_tokens(sales_rep):
    api_token_key(sales_rep, name="old")
    ApiToken.objects.filter(user=sales_rep).update(expires_at=timezone.now())
    api_token_key(sales_rep, name="new")
    assert list(ApiToken.objects.filter(user=sales_rep).values_list("name", flat=True)) == ["new"]


def test_only_the_hash_of_a_key_is_stored(sales_rep):
    token, key = services.api_token_issue(user=sales_rep, name="ERP sync")
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert key not in {str(v) for v in stored.values()}
    assert stored["prefix"] == key[:8]


# -- the account page ----------------------------------------------------------------


@pytest.mark.parametrize("role", ["sales_rep", "warehouse", "acme_contact", "delta_contact"])
def test_everyone_reaches_the_account_page_from_the_user_menu(request, client_for, role):
    user = request.getfixturevalue(role)
    client = client_for(user)
    home = client.get("/", follow=True)
    assert home.status_code == 200
    assert 'href="/accounts/"' in home.content.decode()
    res = client.get(ACCOUNT_URL)
    assert res.status_code == 200
    assert user.username in res.content.decode()


def test_the_account_page_needs_a_login(client):
    res = client.get(ACCOUNT_URL)
    assert res.status_code == 302
    assert res.url.startswith("/accounts/login/")


def test_the_account_page_lists_only_the_users_own_tokens(client_for, sales_rep, acme_contact):
    api_token_key(sales_rep, name="ERP sync")
    api_token_key(acme_contact, name="Acme's script")
    html = client_for(sales_rep).get(ACCOUNT_URL).content.decode()
    assert "ERP sync" in html
    assert "Acme&#x27;s script" not in html and "Acme's script" not in html


def test_creating_a_token_shows_its_key_once_and_it_works(client_for, acme_contact):
    client = client_for(acme_contact)
    res = client.post("/accounts/tokens/", {"name": "Purchasing bot"})
    assert res.status_code == 200
    html = res.content.decode()
    key = re.search(r'data-testid="new-token".*?<code[^>]*>([0-9a-f]{40})</code>', html, re.S)
    assert key, html
    assert _api(key.group(1)).get(ME_URL).json()["username"] == acme_contact.username
    # The next visit lists the token but no longer shows the key.
    again = client.get(ACCOUNT_URL).content.decode()
    assert "Purchasing bot" in again
    assert key.group(1) not in again


def test_a_token_needs_a_name(client_for, sales_rep):
    res = client_for(sales_rep).post("/accounts/tokens/", {"name": "  "})
    assert res.status_code == 422
    assert "is-invalid" in res.content.decode()
    assert not ApiToken.objects.filter(user=sales_rep).exists()


def test_revoking_a_token_on_the_account_page(client_for, sales_rep):
    key = api_token_key(sales_rep, name="ERP sync")
    token = ApiToken.objects.get(user=sales_rep)
    client = client_for(sales_rep)
    res = client.post(f"/accounts/tokens/{token.pk}/revoke/")
    assert res.status_code == 302 and res.url == ACCOUNT_URL
    assert _api(key).get(ME_URL).status_code == 401
    assert "revoked" in client.get(ACCOUNT_URL).content.decode()


def test_nobody_revokes_someone_elses_token(client_for, sales_rep, ops_admin):
    key = api_token_key(sales_rep)
    token = ApiToken.objects.get(user=sales_rep)
    res = client_for(ops_admin).post(f"/accounts/tokens/{token.pk}/revoke/")
    assert res.status_code == 404
    assert _api(key).get(ME_URL).status_code == 200


def test_revoking_is_a_post(client_for, sales_rep):
    api_token_key(sales_rep)
    token = ApiToken.objects.get(user=sales_rep)
    assert client_for(sales_rep).get(f"/accounts/tokens/{token.pk}/revoke/").status_code == 405
    assert ApiToken.objects.filter(pk=token.pk).exists()
