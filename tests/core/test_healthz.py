"""/healthz: what a load balancer and an operator rely on."""

from __future__ import annotations

import os
import socket
import time
from unittest import mock

import pytest
from django.db import OperationalError

from apps.core import health

pytestmark = pytest.mark.django_db

URL = "/healthz"
DEAD_BROKER = "redis://127.0.0.1:1/0"


@pytest.fixture
def real_broker(settings):
    """The conftest runs tasks eagerly; /healthz must still reach the real broker,
    the Redis that `make test` starts and names in CELERY_BROKER_URL."""
    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith("redis://"):
        if os.environ.get("CI") or os.environ.get("DATABASE_URL"):
            pytest.fail("make test must point CELERY_BROKER_URL at a real Redis")
        pytest.skip("no Redis broker configured (the embedded demo's settings)")
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = url
    return settings


def test_healthy_answers_200_with_every_check_ok(client, real_broker):
    res = client.get(URL)
    assert res.status_code == 200
    assert res.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok"},
    }
    assert "no-cache" in res["Cache-Control"]


def test_anonymous_callers_get_it_without_a_login(client, real_broker):
    # A load balancer has no session; it must not be redirected to the login page.
    assert client.get(URL).status_code == 200


def test_broker_down_answers_503(client, real_broker):
    real_broker.CELERY_BROKER_URL = DEAD_BROKER
    res = client.get(URL)
    assert res.status_code == 503
    body = res.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["broker"].startswith("error")
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["cache"] == "ok"


def test_a_broker_that_never_answers_fails_within_seconds(real_broker):
    # A socket that accepts connections and never replies: without timeouts the
    # check would hang a web worker until the OS gives up.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    try:
        real_broker.CELERY_BROKER_URL = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
        started = time.monotonic()
        healthy, checks = health.run_checks()
        elapsed = time.monotonic() - started
    finally:
        silent.close()
    assert not healthy
    assert checks["broker"].startswith("error")
    assert elapsed < health.BROKER_TIMEOUT_SECONDS + 3


def test_the_broker_check_does_not_leak_connections(real_broker):
    import redis

    broker = redis.Redis.from_url(real_broker.CELERY_BROKER_URL)

    def ours() -> int:
        # Other test processes share the Redis server: count only this process's clients.
        clients = broker.client_list()
        ports = _own_tcp_ports()
        return sum(1 for c in clients if int(c["addr"].rsplit(":", 1)[1]) in ports)

    before = ours()
    for _ in range(20):
        assert health.check_broker() == "ok"
    # Only our own inspection connection may remain.
    assert ours() <= before
    broker.close()


def _own_tcp_ports() -> set[int]:
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        with open(table) as rows:
            for row in list(rows)[1:]:
                fields = row.split()
                if fields[9] in inodes:
                    ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def test_the_demo_reports_its_in_process_broker_without_connecting(settings, client):
    settings.CELERY_BROKER_URL = "memory://"
    with mock.patch.object(health, "Connection") as connection:
        res = client.get(URL)
    connection.assert_not_called()
    assert res.json()["checks"]["broker"] == "eager"


def test_database_down_answers_503(client, real_broker):
    broken = mock.MagicMock()
    broken.cursor.side_effect = OperationalError("connection refused")
    with mock.patch.object(health, "connection", broken):
        res = client.get(URL)
    assert res.status_code == 503
    assert res.json()["checks"]["database"] == "error: OperationalError"
    assert res.json()["checks"]["broker"] == "ok"


def test_cache_down_answers_503(client, real_broker):
    broken = mock.MagicMock()
    broken.set.side_effect = ConnectionError("cache unreachable")
    with mock.patch.object(health, "cache", broken):
        res = client.get(URL)
    assert res.status_code == 503
    assert res.json()["checks"]["cache"] == "error: ConnectionError"


def test_a_cache_that_loses_writes_answers_503(client, real_broker):
    forgetful = mock.MagicMock()
    forgetful.get.return_value = None
    with mock.patch.object(health, "cache", forgetful):
        res = client.get(URL)
    assert res.status_code == 503
    assert res.json()["checks"]["cache"] == "error: RuntimeError"


def test_errors_do_not_reveal_details_to_the_anonymous_caller(client, real_broker):
    real_broker.CELERY_BROKER_URL = "redis://:s3cret@127.0.0.1:1/0"
    body = client.get(URL).content.decode()
    assert "s3cret" not in body
    assert "127.0.0.1" not in body


def test_only_get_is_allowed(client):
    assert client.post(URL).status_code == 405
