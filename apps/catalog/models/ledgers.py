"""The two ledgers the promise-date engine reads.

Purchasing writes expected receipts (and on-hand receipts) to the stock ledger;
manufacturing writes capacity reservations. `orders` reads both through
`apps.catalog.selectors`, so it never imports the apps that write them.
"""

from __future__ import annotations

from collections import defaultdict

from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from apps.catalog.models.parts import QTY, Part, WorkCenter


class StockEntryKind(models.TextChoices):
    ON_HAND = "on_hand", "On hand"
    RESERVED = "reserved", "Reserved"
    # Promised out of supply still to come (an expected receipt or a purchase to
    # place): served by the next receipts, never out of what is on hand.
    ALLOCATED = "allocated", "Allocated from incoming supply"
    EXPECTED = "expected", "Expected receipt"


class BookingKind(models.TextChoices):
    STOCK = "stock", "Stock on hand"
    RECEIPT = "receipt", "Expected receipt"
    PURCHASE = "purchase", "Purchase to place"
    CAPACITY = "capacity", "Work-center hours"


BOOKING_STOCK_KINDS = (BookingKind.STOCK, BookingKind.RECEIPT, BookingKind.PURCHASE)


class PromiseBooking(models.Model):
    """What one quote or order line's promise holds in the ledgers, per kind.

    The ledger rows themselves (reserved stock entries, capacity reservations)
    point here, so the engine keeps reading only the two ledgers. `line_key`
    names the line ("quote-line:<uuid>", "order-line:<uuid>") without the
    catalog importing orders. Soft while the line is a quote's, firm once the
    order is confirmed.
    """

    id = models.BigAutoField(primary_key=True)
    line_key = models.CharField(max_length=60)
    kind = models.CharField(max_length=16, choices=BookingKind.choices)
    reference = models.CharField(max_length=60, help_text="e.g. Q-000123/1, SO-000045/2")
    firm = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["line_key", "kind"]
        constraints = [
            # A line's promise is booked once per kind: re-booking adjusts this row's entries.
            models.UniqueConstraint(fields=["line_key", "kind"], name="one_booking_per_line_kind")
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.kind} ({'firm' if self.firm else 'soft'})"


class StockEntryQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        with transaction.atomic():
            created = super().bulk_create(objs, *args, **kwargs)
            stock_position_apply(objs)
        return created

    def delete(self):
        # The ledger is append-only in the product; a script or test that
        # deletes entries gets the positions of those parts recomputed.
        with transaction.atomic():
            part_ids = set(self.values_list("part_id", flat=True))
            deleted = super().delete()
            stock_position_rebuild(part_ids)
        return deleted


class StockEntry(models.Model):
    """Signed quantity movement in one of three buckets.

    On hand and reserved are running sums; an expected receipt is dated (the
    purchase order's promised date) and is reversed with a negative entry when
    it is received or cancelled.
    """

    id = models.BigAutoField(primary_key=True)
    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="stock_entries")
    kind = models.CharField(max_length=16, choices=StockEntryKind.choices)
    quantity = models.DecimalField(**QTY)
    date = models.DateField(default=timezone.localdate, help_text="Expected date for receipts.")
    reference = models.CharField(max_length=60, blank=True, help_text="e.g. PO-000210, SO-000045")
    note = models.CharField(max_length=200, blank=True)
    supplier = models.ForeignKey(
        "accounts.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": "supplier"},
        help_text="Who ships an expected receipt (purchasing's word; never shown to customers).",
    )
    booking = models.ForeignKey(
        PromiseBooking,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="stock_entries",
        help_text="The promise this reservation holds stock for.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = StockEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "stock entries"
        indexes = [
            models.Index(fields=["part", "kind", "date"]),
            # Open expected receipts (purchasing's list, due date first): the few
            # receipt entries only, with what the grouped list sums (index-only).
            models.Index(
                fields=["date", "part", "reference"],
                include=["quantity", "supplier"],
                condition=models.Q(kind="expected"),
                name="stockentry_expected_idx",
            ),
            # A part's holds (its ledger page): per booking and kind, with the
            # quantity summed, the latest date and the reference, index-only.
            models.Index(
                fields=["part", "booking", "kind"],
                include=["quantity", "date", "reference"],
                condition=models.Q(booking__isnull=False, kind__in=["reserved", "allocated"]),
                name="stockentry_part_holds_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.part.number} {self.kind} {self.quantity:+} {self.reference}"

    def save(self, *args, **kwargs):
        adding = self._state.adding
        with transaction.atomic():
            super().save(*args, **kwargs)
            if adding:
                stock_position_apply([self])


class StockPosition(models.Model):
    """On hand and reserved per part: the running sums of the ledger.

    The promise engine reads this row instead of summing every entry ever
    written, so its cost does not grow with history. The ledger is append-only
    (corrections are counter-entries); every entry written through StockEntry.save
    or StockEntry.objects.bulk_create moves the position in the same transaction.
    """

    part = models.OneToOneField(
        Part, primary_key=True, on_delete=models.CASCADE, related_name="running_stock"
    )
    on_hand = models.DecimalField(**QTY, default=0)
    reserved = models.DecimalField(**QTY, default=0)
    allocated = models.DecimalField(**QTY, default=0)

    def __str__(self) -> str:
        return f"{self.part_id}: {self.on_hand} on hand, {self.reserved} reserved"


def stock_position_apply(entries) -> None:
    deltas: dict = defaultdict(lambda: {"on_hand": 0, "reserved": 0, "allocated": 0})
    for entry in entries:
        if entry.kind in (
            StockEntryKind.ON_HAND,
            StockEntryKind.RESERVED,
            StockEntryKind.ALLOCATED,
        ):
            deltas[entry.part_id][entry.kind] += entry.quantity
    # One INSERT for the parts without a position yet (a booking touches several).
    StockPosition.objects.bulk_create(
        [StockPosition(part_id=part_id) for part_id in deltas], ignore_conflicts=True
    )
    for part_id, delta in deltas.items():
        StockPosition.objects.filter(part_id=part_id).update(
            on_hand=F("on_hand") + delta["on_hand"],
            reserved=F("reserved") + delta["reserved"],
            allocated=F("allocated") + delta["allocated"],
        )


class CapacityReservation(models.Model):
    """Hours of a work center booked on a day by planned work (a work order operation)."""

    id = models.BigAutoField(primary_key=True)
    work_center = models.ForeignKey(
        WorkCenter, on_delete=models.CASCADE, related_name="reservations"
    )
    date = models.DateField()
    hours = models.DecimalField(max_digits=7, decimal_places=2)
    reference = models.CharField(max_length=60, help_text="e.g. WO-000012/20")
    booking = models.ForeignKey(
        PromiseBooking,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="capacity_reservations",
        help_text="The promise these hours are held for.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["work_center", "date"]
        indexes = [
            # The engine's free hours per day and the capacity pages' load and holds
            # over a horizon, index-only.
            models.Index(
                fields=["work_center", "date"],
                include=["hours", "reference", "booking"],
                name="capacity_wc_date_cover_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hours__gt=0), name="reservation_hours_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.work_center.code} {self.date}: {self.hours} h ({self.reference})"


def stock_position_rebuild(part_ids) -> None:
    """Recompute the positions of `part_ids` from the whole ledger."""
    sums = {
        row["part_id"]: row
        for row in StockEntry.objects.filter(part_id__in=list(part_ids))
        .values("part_id")
        .annotate(
            on_hand=models.Sum("quantity", filter=models.Q(kind=StockEntryKind.ON_HAND)),
            reserved=models.Sum("quantity", filter=models.Q(kind=StockEntryKind.RESERVED)),
            allocated=models.Sum("quantity", filter=models.Q(kind=StockEntryKind.ALLOCATED)),
        )
    }
    for part_id in part_ids:
        row = sums.get(part_id, {})
        StockPosition.objects.update_or_create(
            part_id=part_id,
            defaults={
                "on_hand": row.get("on_hand") or 0,
                "reserved": row.get("reserved") or 0,
                "allocated": row.get("allocated") or 0,
            },
        )
