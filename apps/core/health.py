"""The checks behind /healthz: database, cache and broker, each bounded in time.

A check returns a short status ("ok") or raises; `run_checks` turns an
exception into "error: <ExceptionType>" (details go to the log, not to the
anonymous caller) and the whole answer into 503.
"""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from kombu import Connection

logger = logging.getLogger(__name__)

# A load balancer polls this every few seconds: a dead dependency must answer
# quickly, not hold a web worker for the operating system's TCP timeout.
BROKER_TIMEOUT_SECONDS = 2.0


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def check_cache() -> str:
    key = f"healthz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=5)
    if cache.get(key) != "1":
        raise RuntimeError("cache did not return what was stored")
    cache.delete(key)
    return "ok"


def check_broker() -> str:
    url = settings.CELERY_BROKER_URL
    if url.startswith("memory://"):
        # The embedded demo runs tasks eagerly in the web process: no broker to reach.
        return "eager"
    transport_options = {
        **getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}),
        # The Redis transport ignores Connection(connect_timeout=...); these reach redis-py.
        "socket_connect_timeout": BROKER_TIMEOUT_SECONDS,
        "socket_timeout": BROKER_TIMEOUT_SECONDS,
    }
    # One attempt, no retry loop; the context manager closes the connection
    # (and its pool) whatever happens, so polling does not leak sockets.
    with Connection(
        url, connect_timeout=BROKER_TIMEOUT_SECONDS, transport_options=transport_options
    ) as conn:
        conn.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT_SECONDS)
    return "ok"


CHECKS = {"database": check_database, "cache": check_cache, "broker": check_broker}


def run_checks() -> tuple[bool, dict[str, str]]:
    results: dict[str, str] = {}
    healthy = True
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as exc:
            # A health check must report any failure, whatever its type.
            logger.warning("healthz: %s check failed", name, exc_info=True)
            healthy = False
            results[name] = f"error: {type(exc).__name__}"
    return healthy, results
