"""The suite runs on the database the environment names: PostgreSQL under `make test` and CI."""

from __future__ import annotations

import os
from urllib.parse import urlparse

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_the_tests_run_on_the_configured_database():
    database_url = os.environ.get("DATABASE_URL", "")
    if os.environ.get("CI") or database_url:
        # `make test` (and so .ci/run) always sets DATABASE_URL to its PostgreSQL
        # cluster; in CI a silent fallback to SQLite would hide real failures.
        assert connection.vendor == "postgresql"
        assert database_url.startswith(("postgres://", "postgresql://"))
        configured = urlparse(database_url).path.lstrip("/")
        # pytest-django's test database: test_<name>, plus _gw<n> under xdist.
        assert connection.settings_dict["NAME"].startswith(f"test_{configured}")
    else:
        # Nothing set: the embedded demo's SQLite.
        assert connection.vendor == "sqlite"


def test_postgresql_is_recent_enough_for_django_5_2():
    if connection.vendor != "postgresql":
        assert not os.environ.get("CI"), "CI must run on PostgreSQL"
        assert not os.environ.get("DATABASE_URL")
        return
    # Django 5.2 supports PostgreSQL 14 and later.
    assert connection.pg_version >= 140000
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_encoding')")
        assert cursor.fetchone()[0] == "UTF8"
