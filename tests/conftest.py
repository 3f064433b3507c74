"""Shared fixtures: one user per role at Kestrel, and contacts of two customers
and two suppliers, so every view test can check the allowed and the refused."""

from __future__ import annotations

import os

import pytest

from apps.accounts.models import OrganizationKind
from apps.accounts.roles import Role
from tests.factories import PASSWORD, OrganizationFactory, UserFactory

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _fast_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Stored files (quote PDFs) of this test alone, never in the checkout's media/.
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _private_rate_limits(settings, request):
    # Rate-limit counters of this test alone: in the shared Redis they would
    # carry over from other tests and earlier runs (apps/core/ratelimit.py).
    settings.CACHES = {
        **settings.CACHES,
        "ratelimit": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"ratelimit-{request.node.nodeid}",
        },
    }
    settings.RATE_LIMIT_CACHE = "ratelimit"


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def kestrel(db):
    return OrganizationFactory(
        code="KESTREL", name="Kestrel Pump & Control", kind=OrganizationKind.INTERNAL
    )


@pytest.fixture
def acme(db):
    return OrganizationFactory(
        code="ACME", name="Acme Water Utility", kind=OrganizationKind.CUSTOMER
    )


@pytest.fixture
def borealis(db):
    return OrganizationFactory(
        code="BOREALIS", name="Borealis Brewing", kind=OrganizationKind.CUSTOMER
    )


@pytest.fixture
def delta(db):
    return OrganizationFactory(code="DELTA", name="Delta Motors", kind=OrganizationKind.SUPPLIER)


@pytest.fixture
def evergreen(db):
    return OrganizationFactory(
        code="EVERGREEN", name="Evergreen Castings", kind=OrganizationKind.SUPPLIER
    )


def _internal(kestrel, role: str):
    return UserFactory(username=role.replace("_", "."), organization=kestrel, roles=[role])


@pytest.fixture
def sales_rep(kestrel):
    return _internal(kestrel, Role.SALES_REP)


@pytest.fixture
def sales_manager(kestrel):
    return _internal(kestrel, Role.SALES_MANAGER)


@pytest.fixture
def engineer(kestrel):
    return _internal(kestrel, Role.ENGINEER)


@pytest.fixture
def planner(kestrel):
    return _internal(kestrel, Role.PLANNER)


@pytest.fixture
def quality(kestrel):
    return _internal(kestrel, Role.QUALITY)


@pytest.fixture
def buyer(kestrel):
    return _internal(kestrel, Role.BUYER)


@pytest.fixture
def warehouse(kestrel):
    return _internal(kestrel, Role.WAREHOUSE)


@pytest.fixture
def finance(kestrel):
    return _internal(kestrel, Role.FINANCE)


@pytest.fixture
def ops_admin(kestrel):
    user = _internal(kestrel, Role.OPS_ADMIN)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


@pytest.fixture
def acme_contact(acme):
    return UserFactory(username="acme.contact", organization=acme)


@pytest.fixture
def borealis_contact(borealis):
    return UserFactory(username="borealis.contact", organization=borealis)


@pytest.fixture
def delta_contact(delta):
    return UserFactory(username="delta.contact", organization=delta)


@pytest.fixture
def evergreen_contact(evergreen):
    return UserFactory(username="evergreen.contact", organization=evergreen)


@pytest.fixture
def client_for(client):
    """client_for(user) -> a test client logged in as user."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def token_api():
    """token_api(user) -> an API client sending a working key of the user."""
    from rest_framework.test import APIClient

    from tests.factories import api_token_key

    def _client(user):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_key(user)}")
        return client

    return _client
