"""Fixed-window request counting in the shared cache (Redis in production)."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import caches


def rate_limit_hit(scope: str, identity: str, *, limit: int, window_seconds: int) -> bool:
    """Count one request of `identity` in `scope`; False once it is over `limit` this window.

    The identity is hashed, so e-mail addresses and IPs never sit in the cache in clear.
    """
    cache = caches[getattr(settings, "RATE_LIMIT_CACHE", "default")]
    digest = hashlib.sha256(identity.strip().lower().encode()).hexdigest()
    key = f"ratelimit:{scope}:{digest}"
    # add() starts the window only if none is running; incr() is atomic in Redis
    # and in the local-memory cache, so concurrent requests each get their own count.
    cache.add(key, 0, timeout=window_seconds)
    try:
        count = cache.incr(key)
    except ValueError:
        # The window expired between add() and incr(): this request opens a new one.
        cache.set(key, 1, timeout=window_seconds)
        count = 1
    return count <= limit
