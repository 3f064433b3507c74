from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.contenttypes.models import ContentType
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
    if not (user.is_authenticated and user.is_active):
        return qs.none()
    if not user.is_external:
        return qs
    if user.is_customer_contact:
        return qs.filter(audience=Audience.CUSTOMER)
    if user.is_supplier_contact:
        return qs.filter(audience=Audience.SUPPLIER)
    return qs.none()


def notifications_for(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user)


def unread_notification_count(*, user: User) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
