"""Token auth: POST /api/v1/auth/token/, then `Authorization: Token <key>`."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from rest_framework.test import APIClient

from apps.accounts.models import ApiToken
from tests.factories import api_token_key

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
ME_URL = "/api/v1/me/"


@pytest.fixture(autouse=True)
def _private_cache(settings, request):
    # The token endpoint is throttled per address in the cache; a cache of this
    # test's own keeps counts from other tests (and a shared Redis) out of it.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"test-api-auth-{request.node.name}",
        }
    }
    settings.AXES_FAILURE_LIMIT = 5


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def _obtain(api: APIClient, username: str, password: str):
    return api.post(TOKEN_URL, {"username": username, "password": password}, format="json")


def test_right_credentials_return_a_new_expiring_token(api, sales_rep, password, settings):
    settings.API_TOKEN_TTL_DAYS = 30
    res = _obtain(api, sales_rep.username, password)
    assert res.status_code == 200
    body = res.json()
    token = ApiToken.objects.get(user=sales_rep)
    assert token.key_hash == ApiToken.hash_key(body["token"])
    assert body["name"] == "API login" == token.name
    assert (token.expires_at - token.created_at).days == 30
    # Asking again issues a second token: each client holds and revokes its own.
    again = _obtain(api, sales_rep.username, password).json()
    assert again["token"] != body["token"]
    assert ApiToken.objects.filter(user=sales_rep).count() == 2


def test_a_customer_contact_can_obtain_a_token_too(api, acme_contact, password):
    res = _obtain(api, acme_contact.username, password)
    assert res.status_code == 200
    assert ApiToken.objects.filter(
        user=acme_contact, key_hash=ApiToken.hash_key(res.json()["token"])
    ).exists()


def test_wrong_password_is_400_and_returns_no_token(api, sales_rep):
    res = _obtain(api, sales_rep.username, "not-the-password")
    assert res.status_code == 400
    assert res.json() == {"non_field_errors": ["Unable to log in with provided credentials."]}
    assert not ApiToken.objects.filter(user=sales_rep).exists()


def test_missing_fields_are_field_errors(api):
    res = api.post(TOKEN_URL, {"username": "someone"}, format="json")
    assert res.status_code == 400
    assert res.json() == {"password": ["This field is required."]}


def test_an_inactive_user_gets_no_token(api, sales_rep, password):
    sales_rep.is_active = False
    sales_rep.save(update_fields=["is_active"])
    assert _obtain(api, sales_rep.username, password).status_code == 400


def test_the_token_authenticates_later_requests(api, sales_rep, password):
    key = _obtain(api, sales_rep.username, password).json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    res = client.get(ME_URL)
    assert res.status_code == 200
    assert res.json()["username"] == sales_rep.username
    assert res.json()["roles"] == ["sales_rep"]


def test_without_credentials_the_api_answers_401_with_a_token_challenge(api, acme):
    res = api.get("/api/v1/organizations/")
    assert res.status_code == 401
    assert res["WWW-Authenticate"] == "Token"
    assert "results" not in res.json()


def test_an_unknown_token_is_401(api, sales_rep):
    api.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    res = api.get(ME_URL)
    assert res.status_code == 401
    assert res.json() == {"detail": "Invalid token."}


def test_the_token_of_a_deactivated_user_stops_working(api, sales_rep):
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token_key(sales_rep)}")
    sales_rep.is_active = False
    sales_rep.save(update_fields=["is_active"])
    assert api.get(ME_URL).status_code == 401


def test_session_auth_still_works_for_the_browser(client_for, acme_contact):
    res = client_for(acme_contact).get(ME_URL)
    assert res.status_code == 200
    body = res.json()
    assert body["organization"]["code"] == "ACME"
    assert body["roles"] == ["customer_contact"]
    assert body["is_internal"] is False


def test_me_describes_an_internal_user(api, sales_manager):
    api.force_authenticate(sales_manager)
    body = api.get(ME_URL).json()
    assert body["is_internal"] is True
    assert body["roles"] == ["sales_manager"]
    assert body["organization"]["kind"] == "internal"


# -- throttling and lockout (django-axes) ---------------------------------------


def test_failed_token_attempts_count_toward_the_lockout(api, sales_rep, password):
    for _ in range(4):
        assert _obtain(api, sales_rep.username, "nope").status_code == 400
    attempt = AccessAttempt.objects.get(username=sales_rep.username)
    assert attempt.failures_since_start == 4
    assert attempt.path_info == TOKEN_URL
    # Below the limit the right password still works and, like a login, resets the count.
    assert _obtain(api, sales_rep.username, password).status_code == 200
    assert not AccessAttempt.objects.filter(username=sales_rep.username).exists()
    for _ in range(4):
        _obtain(api, sales_rep.username, "nope")
    assert _obtain(api, sales_rep.username, password).status_code == 200


def test_obtaining_a_token_records_the_login(api, sales_rep, password):
    assert sales_rep.last_login is None
    _obtain(api, sales_rep.username, password)
    sales_rep.refresh_from_db()
    assert sales_rep.last_login is not None


def test_a_locked_out_user_cannot_obtain_a_token(api, sales_rep, password):
    for _ in range(5):
        _obtain(api, sales_rep.username, "nope")
    res = _obtain(api, sales_rep.username, password)
    assert res.status_code == 429
    assert res["Content-Type"] == "application/json"
    assert res.json() == {"detail": "Too many failed login attempts. Try again later."}
    assert not ApiToken.objects.filter(user=sales_rep).exists()


def test_the_lockout_is_shared_with_the_login_page(api, client, sales_rep, password):
    for _ in range(5):
        _obtain(api, sales_rep.username, "nope")
    res = client.post("/accounts/login/", {"username": sales_rep.username, "password": password})
    assert res.status_code == 429
    assert "_auth_user_id" not in client.session


def test_failures_on_the_login_page_lock_the_token_endpoint(api, client, sales_rep, password):
    for _ in range(5):
        client.post("/accounts/login/", {"username": sales_rep.username, "password": "nope"})
    assert _obtain(api, sales_rep.username, password).status_code == 429


def test_another_user_is_not_locked_out(api, sales_rep, planner, password):
    for _ in range(5):
        _obtain(api, sales_rep.username, "nope")
    assert _obtain(api, planner.username, password).status_code == 200


def test_the_token_endpoint_is_throttled_per_client(api, sales_rep, planner, password):
    # 10 requests a minute per address, whoever they are for.
    for n in range(10):
        user = sales_rep if n % 2 else planner
        assert _obtain(api, user.username, password).status_code == 200
    res = _obtain(api, sales_rep.username, password)
    assert res.status_code == 429
    assert "throttled" in res.json()["detail"].lower()
    assert int(res["Retry-After"]) > 0
