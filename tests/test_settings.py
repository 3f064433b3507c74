"""config/settings.py from the environment: the demo with nothing set, production
with DATABASE_URL, loud failures on missing or weak production values.

Each case runs manage.py in a subprocess, since settings are read once per process.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import string
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_SOURCE = (ROOT / "config" / "settings.py").read_text()
# Every variable settings.py reads, so none leaks in from the shell running the tests.
SETTINGS_VARIABLES = set(re.findall(r'env\.\w+\(\s*"([A-Z0-9_]+)"', SETTINGS_SOURCE))


def strong_secret() -> str:
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    return "".join(secrets.choice(alphabet) for _ in range(60))


def production_env(**overrides: str | None) -> dict[str, str | None]:
    env: dict[str, str | None] = {
        "DATABASE_URL": "postgres://u:p@127.0.0.1:5432/x",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        "SECRET_KEY": strong_secret(),
        "ALLOWED_HOSTS": "tandem.example",
    }
    env.update(overrides)
    return env


def manage(*args: str, env: dict[str, str | None]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    # Test-only switches of our own process (tests/conftest.py) are not production's.
    for name in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        clean.pop(name, None)
    clean.update({k: v for k, v in env.items() if v is not None})
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


PROBE = """
import json
from django.conf import settings
print("SETTINGS=" + json.dumps({
    "DEBUG": settings.DEBUG,
    "ENGINE": settings.DATABASES["default"]["ENGINE"],
    "DB_NAME": str(settings.DATABASES["default"]["NAME"]),
    "DB_OPTIONS": settings.DATABASES["default"].get("OPTIONS", {}),
    "PREPARED_STATEMENTS": settings.PREPARED_STATEMENTS,
    "EAGER": settings.CELERY_TASK_ALWAYS_EAGER,
    "BROKER": settings.CELERY_BROKER_URL,
    "EMAIL_BACKEND": settings.EMAIL_BACKEND,
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "CSRF_COOKIE_SECURE": settings.CSRF_COOKIE_SECURE,
    "HSTS": settings.SECURE_HSTS_SECONDS,
    "SSL_REDIRECT": settings.SECURE_SSL_REDIRECT,
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
}))
"""


def effective_settings(env: dict[str, str | None]) -> dict:
    result = manage("shell", "--no-imports", "-c", PROBE, env=env)
    assert result.returncode == 0, result.stderr
    (line,) = [x for x in result.stdout.splitlines() if x.startswith("SETTINGS=")]
    return json.loads(line.removeprefix("SETTINGS="))


def test_the_settings_variables_were_found():
    assert {"DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY", "ALLOWED_HOSTS"} <= (
        SETTINGS_VARIABLES
    )


# -- the embedded demo -------------------------------------------------------------


def test_with_nothing_set_it_is_the_demo():
    demo = effective_settings({})
    assert demo["DEBUG"] is True
    assert demo["ENGINE"] == "django.db.backends.sqlite3"
    assert demo["DB_NAME"].endswith("db.sqlite3")
    assert demo["EAGER"] is True
    assert demo["BROKER"] == "memory://"
    assert demo["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert demo["SESSION_COOKIE_SECURE"] is False
    assert "*" not in demo["ALLOWED_HOSTS"]


# -- production ------------------------------------------------------------------


def test_production_variables_turn_on_postgresql_redis_and_secure_cookies():
    prod = effective_settings(production_env())
    assert prod["DEBUG"] is False
    assert prod["ENGINE"] == "django.db.backends.postgresql"
    assert prod["EAGER"] is False
    assert prod["BROKER"] == "redis://127.0.0.1:6379/0"
    assert prod["SESSION_COOKIE_SECURE"] is True
    assert prod["CSRF_COOKIE_SECURE"] is True
    assert prod["HSTS"] >= 60 * 60 * 24 * 365
    assert prod["SSL_REDIRECT"] is True
    assert prod["ALLOWED_HOSTS"] == ["tandem.example"]


def test_production_prepares_only_the_compiled_shapes_on_the_server():
    prod = effective_settings(production_env())
    # Django binds parameters on the client, so each query is planned for its values;
    # apps.core.prepared.run_prepared prepares the SQL compiled once per shape.
    assert prod["PREPARED_STATEMENTS"] is True
    assert "server_side_binding" not in prod["DB_OPTIONS"]
    assert "prepare_threshold" not in prod["DB_OPTIONS"]


def test_a_pooler_in_transaction_mode_can_turn_prepared_statements_off():
    prod = effective_settings(production_env(DB_PREPARED_STATEMENTS="false"))
    assert prod["PREPARED_STATEMENTS"] is False


def test_production_passes_the_deploy_check_without_warnings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output
    assert "WARNING" not in output
    assert "?: (security." not in output


def test_the_deploy_check_does_catch_a_weakened_production():
    # The check above is meaningful only if it fails on a real problem.
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env=production_env(SECURE_HSTS_SECONDS="0"),
    )
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY"),
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"SECRET_KEY": "too-short-to-be-a-secret"}, "SECRET_KEY"),
        ({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS"),
        ({"CELERY_BROKER_URL": None}, "CELERY_BROKER_URL"),
    ],
    ids=[
        "no-secret",
        "empty-secret",
        "short-secret",
        "no-hosts",
        "empty-hosts",
        "no-broker",
    ],
)
def test_production_fails_loudly_on_a_missing_or_weak_value(overrides, message):
    result = manage("check", env=production_env(**overrides))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr
