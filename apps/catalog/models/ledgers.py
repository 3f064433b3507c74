"""The two ledgers the promise-date engine reads.

Purchasing writes expected receipts (and on-hand receipts) to the stock ledger;
manufacturing writes capacity reservations. `orders` reads both through
`apps.catalog.selectors`, so it never imports the apps that write them.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db import connection, models, transaction
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


HOLD_KINDS = ("reserved", "allocated")  # the entry kinds a promise booking holds stock with


class StockEntryQuerySet(models.QuerySet):
    """Every write keeps StockPosition (per part) and PartHold (per part, booking and
    kind held) in step, in the same transaction."""

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        with transaction.atomic():
            created = super().bulk_create(objs, *args, **kwargs)
            stock_position_apply(objs)
            part_hold_apply(objs)
        return created

    def _hold_keys(self) -> set:
        return set(
            self.filter(booking__isnull=False, kind__in=HOLD_KINDS)
            .order_by()
            .values_list("part_id", "booking_id", "kind")
            .distinct()
        )

    def delete(self):
        # The ledger is append-only in the product; a script or test that
        # deletes entries gets the positions and holds of those parts recomputed.
        with transaction.atomic():
            part_ids = set(self.values_list("part_id", flat=True))
            holds = self._hold_keys()
            deleted = super().delete()
            stock_position_rebuild(part_ids)
            part_hold_rebuild(holds)
        return deleted

    def update(self, **kwargs):
        # A correction by a script or the admin: the holds of the rows before and after.
        with transaction.atomic():
            pks = list(self.values_list("pk", flat=True))
            holds = self._hold_keys()
            updated = super().update(**kwargs)
            part_hold_rebuild(holds | StockEntry.objects.filter(pk__in=pks)._hold_keys())
        return updated


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
            before = set() if adding else StockEntry.objects.filter(pk=self.pk)._hold_keys()
            super().save(*args, **kwargs)
            if adding:
                stock_position_apply([self])
                part_hold_apply([self])
            else:
                part_hold_rebuild(before | StockEntry.objects.filter(pk=self.pk)._hold_keys())

    def delete(self, *args, **kwargs):
        with transaction.atomic():
            holds = StockEntry.objects.filter(pk=self.pk)._hold_keys()
            deleted = super().delete(*args, **kwargs)
            stock_position_rebuild({self.part_id})
            part_hold_rebuild(holds)
        return deleted


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


class CapacityReservationQuerySet(models.QuerySet):
    """Every write keeps WorkCenterLoad (the hours per work center and day) in step."""

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        with transaction.atomic():
            created = super().bulk_create(objs, *args, **kwargs)
            work_center_load_apply(
                (r.work_center_id, r.date, r.hours) for r in objs if r.hours is not None
            )
        return created

    def delete(self):
        with transaction.atomic():
            sums = list(
                self.order_by()
                .values_list("work_center_id", "date")
                .annotate(total=models.Sum("hours"))
            )
            deleted = super().delete()
            work_center_load_apply((wc, day, -total) for wc, day, total in sums if total)
        return deleted

    def update(self, **kwargs):
        with transaction.atomic():
            rows = list(self.values_list("pk", "work_center_id", "date"))
            updated = super().update(**kwargs)
            keys = {(wc, day) for _, wc, day in rows}
            keys |= set(
                CapacityReservation.objects.filter(pk__in=[pk for pk, _, _ in rows]).values_list(
                    "work_center_id", "date"
                )
            )
            work_center_load_rebuild(keys)
        return updated


class CapacityReservation(models.Model):
    """Hours of a work center booked on a day by planned work (a work order operation).

    Every row written through save, delete, bulk_create, delete or update of a
    queryset moves WorkCenterLoad in the same transaction. (A work center's
    deletion cascades to both; promise bookings are never deleted.)
    """

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

    objects = CapacityReservationQuerySet.as_manager()

    class Meta:
        ordering = ["work_center", "date"]
        indexes = [
            # The capacity pages' holds over a horizon, index-only and in the order
            # they are grouped by (day, reference, booking): the sums and the count of
            # the groups stream from the index (GroupAggregate) instead of hashing
            # every reservation's group. Its (work_center, date) prefix serves what
            # the former (work_center, date) INCLUDE (...) index did.
            models.Index(
                fields=["work_center", "date", "reference", "booking"],
                include=["hours"],
                name="capacity_holds_order_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hours__gt=0), name="reservation_hours_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.work_center.code} {self.date}: {self.hours} h ({self.reference})"

    def save(self, *args, **kwargs):
        adding = self._state.adding
        with transaction.atomic():
            before = None
            if not adding:
                before = (
                    CapacityReservation.objects.filter(pk=self.pk)
                    .values_list("work_center_id", "date")
                    .first()
                )
            super().save(*args, **kwargs)
            if adding:
                work_center_load_apply([(self.work_center_id, self.date, self.hours)])
            else:
                work_center_load_rebuild({(self.work_center_id, self.date)} | {before} - {None})

    def delete(self, *args, **kwargs):
        with transaction.atomic():
            deleted = super().delete(*args, **kwargs)
            work_center_load_rebuild({(self.work_center_id, self.date)})
        return deleted


class WorkCenterLoad(models.Model):
    """Hours reserved per work center and day: the running sums of the capacity ledger.

    The promise engine reads these rows (at most one per work center and day of
    its horizon) instead of summing every reservation, so its cost does not grow
    with the number of reservations. Kept by every CapacityReservation write
    (see CapacityReservationQuerySet); a day whose reservations are all released
    keeps a row of 0 hours.
    """

    id = models.BigAutoField(primary_key=True)
    # Indexed by the unique (work center, date) constraint, which leads with it.
    work_center = models.ForeignKey(
        WorkCenter, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    date = models.DateField()
    hours = models.DecimalField(max_digits=12, decimal_places=2, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["work_center", "date"], name="one_load_per_center_day")
        ]

    def __str__(self) -> str:
        return f"{self.work_center_id} {self.date}: {self.hours} h"


def work_center_load_apply(deltas) -> None:
    """Add hours to the stored load of (work center, day): one upsert for all of them.

    The addition happens in the database (ON CONFLICT ... hours + excluded.hours),
    so two transactions booking the same day never lose each other's hours.
    """
    summed: dict = defaultdict(Decimal)
    for wc, day, hours in deltas:
        summed[(wc, day)] += Decimal(str(hours))  # a form or script may pass an int or str
    if not summed:
        return
    meta = WorkCenterLoad._meta
    fields = [meta.get_field(name) for name in ("work_center", "date", "hours")]
    table = connection.ops.quote_name(meta.db_table)
    rows = sorted(summed.items(), key=str)  # one order: concurrent upserts never deadlock
    with connection.cursor() as cursor:
        for at in range(0, len(rows), 1000):
            batch = rows[at : at + 1000]
            params = [
                f.get_db_prep_save(v, connection)
                for (wc, day), hours in batch
                for f, v in zip(fields, (wc, day, hours), strict=True)
            ]
            values = ", ".join(["(%s, %s, %s)"] * len(batch))
            # Only the quoted table name is formatted in; the values are parameters.
            upsert = (
                f"INSERT INTO {table} (work_center_id, date, hours) VALUES {values} "  # noqa: S608
                "ON CONFLICT (work_center_id, date) "
                f"DO UPDATE SET hours = {table}.hours + excluded.hours"
            )
            cursor.execute(upsert, params)


def work_center_load_rebuild(keys) -> None:
    """Recompute the stored load of (work center, day) `keys` from the reservations."""
    keys = {k for k in keys if k is not None}
    if not keys:
        return
    cond = models.Q(pk__in=[])
    for wc, day in keys:
        cond |= models.Q(work_center_id=wc, date=day)
    sums = {
        (wc, day): total
        for wc, day, total in CapacityReservation.objects.filter(cond)
        .order_by()
        .values_list("work_center_id", "date")
        .annotate(total=models.Sum("hours"))
    }
    WorkCenterLoad.objects.bulk_create(
        [
            WorkCenterLoad(work_center_id=wc, date=day, hours=sums.get((wc, day)) or 0)
            for wc, day in keys
        ],
        update_conflicts=True,
        unique_fields=["work_center", "date"],
        update_fields=["hours"],
    )


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


class PartHold(models.Model):
    """What one promise booking holds of one part, per entry kind: the running sums of
    the stock entries that name a booking (reserved or allocated).

    A part's holds page reads a page of these rows from one index (by the reference
    the booking's entries were first written under) instead of grouping every entry
    of the part's history per booking. Kept by every StockEntry write (see
    StockEntryQuerySet); a hold whose entries are all reversed keeps a row of 0.
    `date` is the latest date of its entries, `reference` the least reference: what
    MAX(date) and MIN(reference) over the entries give.
    """

    id = models.BigAutoField(primary_key=True)
    # Indexed by the unique (part, booking, kind) constraint, which leads with it.
    part = models.ForeignKey(Part, on_delete=models.CASCADE, related_name="+", db_index=False)
    # Promise bookings are never deleted (their stock entries protect them): no index.
    booking = models.ForeignKey(
        PromiseBooking, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=16, choices=StockEntryKind.choices)
    quantity = models.DecimalField(**QTY, default=0)
    date = models.DateField()
    reference = models.CharField(max_length=60, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["part", "booking", "kind"], name="one_hold_per_part_booking_kind"
            )
        ]
        indexes = [
            # The holds page: a part's holds still keeping something, by reference,
            # with the ids a page selects and the quantity the total sums (index-only).
            models.Index(
                fields=["part", "reference", "kind", "booking"],
                include=["quantity", "id"],
                condition=~models.Q(quantity=0),
                name="parthold_page_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.part_id} {self.kind} {self.quantity} ({self.booking_id})"


def part_hold_apply(entries) -> None:
    """Add the held entries among `entries` to their PartHold rows: one upsert (more
    only when one hold gets entries under different references in one write).

    The sums happen in the database (ON CONFLICT ... quantity + excluded.quantity, the
    later date, the lesser reference by the database's collation), so two
    transactions writing the same hold never lose each other's entries.
    """
    quantity: dict = defaultdict(Decimal)
    latest: dict = {}
    references: dict = defaultdict(list)
    for entry in entries:
        if entry.booking_id is None or entry.kind not in HOLD_KINDS:
            continue
        key = (entry.part_id, entry.booking_id, str(entry.kind))
        quantity[key] += Decimal(str(entry.quantity))
        day = entry.date
        latest[key] = day if key not in latest else max(latest[key], day)
        if entry.reference not in references[key]:
            references[key].append(entry.reference)
    if not quantity:
        return
    # Round 0 adds the quantities and dates with each hold's first reference; each
    # later round offers one more reference of the holds that have several, adding
    # nothing: the database, not Python, picks the least.
    rounds = max(len(refs) for refs in references.values())
    meta = PartHold._meta
    fields = [
        meta.get_field(name)
        for name in ("part", "booking", "kind", "quantity", "date", "reference")
    ]
    table = connection.ops.quote_name(meta.db_table)
    keys = sorted(quantity, key=str)  # one order: concurrent upserts never deadlock
    with connection.cursor() as cursor:
        for n in range(rounds):
            rows = [
                (*key, quantity[key] if n == 0 else Decimal(0), latest[key], references[key][n])
                for key in keys
                if n < len(references[key])
            ]
            for at in range(0, len(rows), 1000):
                batch = rows[at : at + 1000]
                params = [
                    f.get_db_prep_save(v, connection)
                    for row in batch
                    for f, v in zip(fields, row, strict=True)
                ]
                values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(batch))
                # Only the quoted table name is formatted in; the values are parameters.
                upsert = (
                    f"INSERT INTO {table} (part_id, booking_id, kind, quantity, date, reference) "  # noqa: S608
                    f"VALUES {values} ON CONFLICT (part_id, booking_id, kind) DO UPDATE SET "
                    f"quantity = {table}.quantity + excluded.quantity, "
                    f"date = CASE WHEN excluded.date > {table}.date "
                    f"THEN excluded.date ELSE {table}.date END, "
                    f"reference = CASE WHEN excluded.reference < {table}.reference "
                    f"THEN excluded.reference ELSE {table}.reference END"
                )
                cursor.execute(upsert, params)


def part_holds_recomputed(entries=None) -> models.QuerySet:
    """(part, booking, kind, quantity, date, reference) per hold, summed from the
    stock entries (`entries`: a StockEntry queryset, all of them by default)."""
    entries = StockEntry.objects.all() if entries is None else entries
    return (
        entries.filter(booking__isnull=False, kind__in=HOLD_KINDS)
        .order_by()
        .values_list("part_id", "booking_id", "kind")
        .annotate(
            total=models.Sum("quantity"),
            latest=models.Max("date"),
            first=models.Min("reference"),
        )
    )


def part_hold_rebuild(keys) -> None:
    """Recompute the PartHold rows of (part, booking, kind) `keys` from the entries
    (a key without entries left loses its row)."""
    keys = set(keys)
    if not keys:
        return
    cond = models.Q(pk__in=[])
    for part_id, booking_id, kind in keys:
        cond |= models.Q(part_id=part_id, booking_id=booking_id, kind=kind)
    PartHold.objects.filter(cond).delete()
    PartHold.objects.bulk_create(
        PartHold(
            part_id=part_id,
            booking_id=booking_id,
            kind=kind,
            quantity=total,
            date=latest,
            reference=first,
        )
        for part_id, booking_id, kind, total, latest, first in part_holds_recomputed(
            StockEntry.objects.filter(cond)
        )
    )


def part_holds_fill() -> None:
    """Every part's holds summed from the whole ledger into PartHold: one INSERT ...
    SELECT (after a bulk load that bypassed StockEntry writes, into an empty table)."""
    hold = connection.ops.quote_name(PartHold._meta.db_table)
    entry = connection.ops.quote_name(StockEntry._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {hold} (part_id, booking_id, kind, quantity, date, reference) "  # noqa: S608
            "SELECT part_id, booking_id, kind, SUM(quantity), MAX(date), MIN(reference) "
            f"FROM {entry} WHERE booking_id IS NOT NULL AND kind IN (%s, %s) "
            "GROUP BY part_id, booking_id, kind",
            list(HOLD_KINDS),
        )
