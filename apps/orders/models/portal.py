"""What the customer's side of a quote and an order leaves behind: the signed
acceptance of a quote and the read-only tracker links of an order."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from apps.orders.models.order import SalesOrder
from apps.orders.models.quote import Quote

CUSTOMER_PO_MAX_LENGTH = 60  # SalesOrder.customer_po
SIGNER_MAX_LENGTH = 150


class QuoteAcceptance(models.Model):
    """Who accepted which revision of a quote, with which PO, when and from where.

    Written once by quote_accept in the same transaction as the transition; shown on
    the order (staff and portal). The PO number becomes the order's customer PO.
    """

    id = models.BigAutoField(primary_key=True)
    quote = models.OneToOneField(Quote, on_delete=models.CASCADE, related_name="acceptance")
    revision = models.PositiveIntegerField()
    customer_po = models.CharField("customer PO", max_length=CUSTOMER_PO_MAX_LENGTH, blank=True)
    signer_name = models.CharField(max_length=SIGNER_MAX_LENGTH, blank=True)
    terms_accepted = models.BooleanField(default=False)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField(default=timezone.now)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.quote.number} accepted by {self.signer_name or self.accepted_by}"


class OrderTrackerLink(models.Model):
    """A read-only, expiring, revocable link to an order's progress (/track/<token>/).

    Only the SHA-256 of the token is stored: the link is shown once, when created, and
    a leaked database row does not open the tracker.
    """

    id = models.BigAutoField(primary_key=True)
    order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="tracker_links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["order", "-created_at"], name="tracker_link_order_idx")]

    def __str__(self) -> str:
        return f"Tracker link of {self.order.number}"

    def is_active(self, now=None) -> bool:
        return self.revoked_at is None and self.expires_at > (now or timezone.now())

    @property
    def status(self) -> str:
        if self.revoked_at:
            return "revoked"
        return "active" if self.is_active() else "expired"
