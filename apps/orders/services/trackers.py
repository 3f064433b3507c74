"""Read-only tracker links of an order: created and revoked by the customer or sales.

The token is 32 random bytes, URL-safe; only its SHA-256 is stored, so the link is
shown once (when created) and looked up by its hash (a unique index: the lookup
compares digests, never the secret itself).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from apps.core.models import Audience
from apps.core.services import activity_record
from apps.orders.models import OrderState, OrderTrackerLink, SalesOrder
from apps.orders.models.rules import can_decide_for_customer

TOKEN_BYTES = 32
DEFAULT_DAYS = 30
# The choices offered on both pages; the service accepts any number of days in range.
EXPIRY_CHOICES = (7, 30, 90)
MAX_DAYS = 365


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def tracker_refusal(order: SalesOrder, actor) -> str:
    """Why `actor` may not create or revoke links of `order` ("" when they may)."""
    if not can_decide_for_customer(order, actor):
        return "Only the customer's contacts and sales may share this order."
    if order.state == OrderState.CANCELLED:
        return "A cancelled order has nothing to track."
    return ""


def _require(order: SalesOrder, actor) -> None:
    refusal = tracker_refusal(order, actor)
    if refusal:
        raise PermissionDenied(refusal)


@transaction.atomic
def tracker_link_create(
    *, order: SalesOrder, actor, days: int = DEFAULT_DAYS
) -> tuple[OrderTrackerLink, str]:
    """A new link and its token (the only time the token exists outside the visitor's URL)."""
    _require(order, actor)
    if not 1 <= days <= MAX_DAYS:
        raise ValidationError({"days": f"Choose between 1 and {MAX_DAYS} days."})
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = timezone.now()
    link = OrderTrackerLink.objects.create(
        order=order,
        token_hash=token_hash(token),
        created_by=actor,
        created_at=now,
        expires_at=now + dt.timedelta(days=days),
    )
    activity_record(
        target=order,
        actor=actor,
        verb="tracker_link_created",
        text=f"Read-only tracker link, valid until {link.expires_at:%b %d, %Y}.",
        audience=Audience.CUSTOMER,
    )
    return link, token


@transaction.atomic
def tracker_link_revoke(*, link: OrderTrackerLink, actor) -> OrderTrackerLink:
    link = OrderTrackerLink.objects.select_for_update().select_related("order").get(pk=link.pk)
    if not can_decide_for_customer(link.order, actor):
        raise PermissionDenied("Only the customer's contacts and sales may revoke this link.")
    if link.revoked_at is not None:
        return link  # revoking twice changes nothing
    link.revoked_at = timezone.now()
    link.revoked_by = actor
    link.save(update_fields=["revoked_at", "revoked_by"])
    activity_record(
        target=link.order,
        actor=actor,
        verb="tracker_link_revoked",
        text=f"Tracker link created {link.created_at:%b %d, %Y} revoked.",
        audience=Audience.CUSTOMER,
    )
    return link


def tracker_link_open(token: str) -> OrderTrackerLink | None:
    """The active link of `token`, or None (unknown, expired, revoked, closed order)."""
    if not token or len(token) > 100:
        return None
    link = (
        OrderTrackerLink.objects.select_related("order")
        .filter(token_hash=token_hash(token), revoked_at__isnull=True)
        .filter(expires_at__gt=timezone.now())
        .first()
    )
    if link is None or link.order.state == OrderState.CANCELLED:
        return None
    return link
