from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Model
from django.template.loader import render_to_string
from django.utils import timezone

from apps.core.models import Activity, ActivityKind, Audience, Notification
from apps.core.selectors import unread_count_forget

if TYPE_CHECKING:
    from apps.core.types import UserLike as User


def activity_record(
    *,
    target: Model,
    actor: User | None,
    verb: str,
    kind: str = ActivityKind.EVENT,
    text: str = "",
    from_state: str = "",
    to_state: str = "",
    audience: str = Audience.INTERNAL,
) -> Activity:
    return Activity.objects.create(
        content_type=ContentType.objects.get_for_model(target),
        object_id=str(target.pk),
        actor=actor if actor is not None and actor.is_authenticated else None,
        kind=kind,
        verb=verb,
        text=text,
        from_state=from_state,
        to_state=to_state,
        audience=audience,
    )


def activity_record_transition(
    *,
    target: Model,
    actor: User | None,
    transition: str,
    from_state: str,
    to_state: str,
    comment: str = "",
    audience: str = Audience.INTERNAL,
) -> Activity:
    return activity_record(
        target=target,
        actor=actor,
        verb=transition,
        kind=ActivityKind.TRANSITION,
        text=comment,
        from_state=from_state,
        to_state=to_state,
        audience=audience,
    )


def email_send_after_commit(
    *,
    to: Iterable[str],
    template_prefix: str,
    context: dict,
    target: Model | None = None,
    audience: str = Audience.INTERNAL,
) -> None:
    """Render `<prefix>_subject.txt`, `_body.txt` and `_body.html`; send via Celery on commit.

    Rendering happens now, inside the caller's permission context, so the worker
    only delivers what the caller was allowed to say to these recipients.
    """
    from apps.core.tasks import send_email

    recipients = sorted({address for address in to if address})
    if not recipients:
        return
    subject = " ".join(render_to_string(f"{template_prefix}_subject.txt", context).split())
    body = render_to_string(f"{template_prefix}_body.txt", context)
    html = render_to_string(f"{template_prefix}_body.html", context)
    transaction.on_commit(
        lambda: send_email.delay(to=recipients, subject=subject, body=body, html=html)
    )
    if target is not None:
        activity_record(
            target=target,
            actor=None,
            verb="email_sent",
            kind=ActivityKind.EMAIL,
            text=f"“{subject}” to {', '.join(recipients)}",
            audience=audience,
        )


def notify(
    *,
    recipients: Iterable[User],
    title: str,
    body: str = "",
    url: str = "",
    activity: Activity | None = None,
) -> list[Notification]:
    users = list({u.pk: u for u in recipients if u.is_active}.values())
    created = Notification.objects.bulk_create(
        Notification(recipient=user, title=title, body=body, url=url, activity=activity)
        for user in users
    )
    unread_count_forget(users)
    return created


def notification_mark_read(*, user: User, notification_ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=list(notification_ids))
    marked = qs.update(read_at=timezone.now())
    unread_count_forget([user])
    return marked
