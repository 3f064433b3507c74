from __future__ import annotations

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from apps.core.navigation import nav_for, nav_key
from apps.core.selectors import unread_notification_count


def shell(request) -> dict:
    user = request.user
    # Lazy so htmx partials that never render the navbar cost no queries.
    return {
        "nav_items": SimpleLazyObject(lambda: nav_for(user, request.path)),
        # What the navbar's entries show (base.html renders them once per key).
        "nav_key": SimpleLazyObject(lambda: nav_key(user, request.path)),
        "unread_count": SimpleLazyObject(lambda: unread_notification_count(user=user)),
        "demo_mode": settings.DEMO_MODE,
    }
