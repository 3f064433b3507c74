from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import transaction
from django.db.models import Model, QuerySet

from apps.core.models import Activity, Audience, Notification

if TYPE_CHECKING:
    from apps.core.types import UserLike as User


def activities_for(*, user: User, target: Model) -> QuerySet[Activity]:
    """The timeline of `target` as `user` may read it.

    The caller has already authorized `target` itself (through its own
    selector); this only filters entries by audience.
    """
    qs = Activity.objects.filter(
        content_type=ContentType.objects.get_for_model(target), object_id=str(target.pk)
    ).select_related("actor")
    audiences = readable_audiences(user)
    if audiences is None:
        return qs
    return qs.filter(audience__in=audiences) if audiences else qs.none()


def readable_audiences(user: User) -> tuple[str, ...] | None:
    """The audiences of entries `user` reads (None: every one). The one rule for
    timelines, comments, their files and whom a comment may notify."""
    if not (user.is_authenticated and user.is_active):
        return ()
    if not user.is_external:
        return None
    if user.is_customer_contact:
        return (Audience.CUSTOMER,)
    if user.is_supplier_contact:
        return (Audience.SUPPLIER,)
    return ()


def audience_visible(user: User, audience: str) -> bool:
    audiences = readable_audiences(user)
    return audiences is None or audience in audiences


def notifications_for(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user)


UNREAD_TTL = 300


def unread_cache_key(user: User) -> str:
    # date_joined tells apart two users with the same id in different databases
    # sharing one cache (test workers, a re-created database).
    return f"unread:{user.pk}:{user.date_joined.timestamp():.6f}"


def unread_notification_count(*, user: User) -> int:
    """The navbar badge on every page: cached, dropped by notify and mark-read."""
    if not user.is_authenticated:
        return 0
    key = unread_cache_key(user)
    count = cache.get(key)
    if count is None:
        count = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
        cache.set(key, count, UNREAD_TTL)
    return count


def unread_count_forget(users) -> None:
    keys = [unread_cache_key(u) for u in users]
    if keys:
        cache.delete_many(keys)
        # Again after commit: a page rendered meanwhile may have cached the old count.
        transaction.on_commit(lambda: cache.delete_many(keys))
