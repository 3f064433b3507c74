"""Purchasing's writes to the stock ledger: expected receipts (DESIGN §5).

An expected receipt is the net of the `expected` entries of one part, purchase
order reference and date. Every action is a counter-entry, never an edit, so
the ledger keeps its history. Each takes the part's ledger lock first, like a
promise does, so a receipt moving under a promise being booked waits for it.

What changes the supply a promise counts on (a receipt moved or cancelled, one
arriving early) announces it with `supply_changed` after commit; `orders`
re-plans the open lines that use the part.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.formats import date_format

from apps.accounts.models import Organization, OrganizationKind
from apps.catalog.bookings import ledgers_lock
from apps.catalog.models import Part, PromiseBooking, StockEntry, StockEntryKind
from apps.catalog.signals import supply_changed
from apps.core.permissions import is_internal
from apps.core.services import activity_record

ZERO = Decimal("0")
# The ledger's columns hold 12 digits with 3 decimals.
QTY_MAX = Decimal("999999999")
RECEIPT_PERM = "catalog.add_stockentry"

# SlipCause values (apps.orders.models.SlipCause): the catalog cannot import orders.
CAUSE_MOVED = "receipt_moved"
CAUSE_CANCELLED = "receipt_cancelled"


@dataclass(frozen=True)
class Receipt:
    """One open expected receipt: what is still due of `part` on `reference` at `date`."""

    part: Part
    reference: str
    date: dt.date
    quantity: Decimal
    supplier_id: object | None

    def describe(self) -> str:
        return f"{self.reference}: {self.part.number} {_qty(self.quantity)} {self.part.uom}"


def _qty(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _day(value: dt.date) -> str:
    return date_format(value, "M j, Y")


def may_manage_receipts(user) -> bool:
    return is_internal(user) and user.has_perm(RECEIPT_PERM)


def _require_buyer(actor) -> None:
    if not may_manage_receipts(actor):
        raise PermissionDenied("Only purchasing records expected receipts.")


def _announce(part_ids, cause: str, text: str) -> None:
    ids = set(part_ids)
    transaction.on_commit(
        lambda: supply_changed.send(sender=None, part_ids=ids, cause=cause, text=text)
    )


def receipt_open(*, part: Part, reference: str, date: dt.date) -> Receipt:
    """The open receipt of `part` on `reference` at `date`, or a ValidationError."""
    entries = StockEntry.objects.filter(
        part=part, kind=StockEntryKind.EXPECTED, reference=reference, date=date
    )
    total = entries.aggregate(total=Sum("quantity"))["total"]
    if not total or total <= 0:
        raise ValidationError(
            {"reference": [f"{reference} has nothing of {part.number} due on {_day(date)}."]}
        )
    supplier_id = (
        entries.filter(quantity__gt=0).order_by("-pk").values_list("supplier_id", flat=True)[:1]
    )
    return Receipt(part, reference, date, total, next(iter(supplier_id), None))


def _check_quantity(quantity, *, most: Decimal = QTY_MAX) -> Decimal:
    if quantity is None or quantity <= 0:
        raise ValidationError({"quantity": ["Enter a quantity above zero."]})
    if quantity > most:
        raise ValidationError({"quantity": [f"Enter at most {_qty(most)}."]})
    return quantity


def _check_future(date: dt.date, field: str = "date") -> dt.date:
    if date is None or date < timezone.localdate():
        raise ValidationError({field: ["Choose today or a later date."]})
    return date


def _entry(receipt: Receipt, quantity: Decimal, date: dt.date, note: str) -> StockEntry:
    return StockEntry(
        part=receipt.part,
        kind=StockEntryKind.EXPECTED,
        quantity=quantity,
        date=date,
        reference=receipt.reference,
        supplier_id=receipt.supplier_id,
        note=note[:200],
    )


@transaction.atomic
def receipt_add(
    *,
    part: Part,
    quantity: Decimal,
    date: dt.date,
    reference: str,
    supplier: Organization,
    actor,
) -> Receipt:
    _require_buyer(actor)
    reference = (reference or "").strip()
    errors: dict[str, list[str]] = {}
    for check in (lambda: _check_quantity(quantity), lambda: _check_future(date)):
        try:
            check()
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if not reference:
        errors["reference"] = ["Enter the purchase order reference."]
    if supplier is None or supplier.kind != OrganizationKind.SUPPLIER:
        errors["supplier"] = ["Choose a supplier."]
    if part is None or not part.is_active:
        errors["part"] = ["Choose an active part."]
    if errors:
        raise ValidationError(errors)
    ledgers_lock([part.pk], [])
    receipt = Receipt(part, reference, date, quantity, supplier.pk)
    _entry(receipt, quantity, date, f"Expected from {supplier.name}").save()
    text = f"{receipt.describe()} expected {_day(date)} from {supplier.name}"
    activity_record(target=part, actor=actor, verb="receipt_added", text=text)
    # New supply can only bring promises forward: the re-plan finds what improves.
    _announce([part.pk], CAUSE_MOVED, text)
    return receipt_open(part=part, reference=reference, date=date)


@transaction.atomic
def receipt_move(*, part: Part, reference: str, date: dt.date, new_date: dt.date, actor) -> Receipt:
    """Move what is still due of `part` on `reference` at `date` to `new_date`."""
    _require_buyer(actor)
    _check_future(new_date, "new_date")
    if new_date == date:
        raise ValidationError({"new_date": ["Choose a date other than the current one."]})
    ledgers_lock([part.pk], [])
    receipt = receipt_open(part=part, reference=reference, date=date)
    note = f"Moved {_day(date)} → {_day(new_date)}"
    StockEntry.objects.bulk_create(
        [
            _entry(receipt, -receipt.quantity, date, note),
            _entry(receipt, receipt.quantity, new_date, note),
        ]
    )
    direction = "later" if new_date > date else "earlier"
    text = f"{receipt.describe()} moved {direction}: {_day(date)} → {_day(new_date)}"
    activity_record(target=part, actor=actor, verb="receipt_moved", text=text)
    _announce([part.pk], CAUSE_MOVED, text)
    return Receipt(part, reference, new_date, receipt.quantity, receipt.supplier_id)


@transaction.atomic
def receipt_cancel(
    *, part: Part, reference: str, date: dt.date, actor, reason: str = ""
) -> Decimal:
    """Cancel what is still due; answers the quantity cancelled."""
    _require_buyer(actor)
    ledgers_lock([part.pk], [])
    receipt = receipt_open(part=part, reference=reference, date=date)
    reason = (reason or "").strip()
    note = f"Cancelled{': ' + reason if reason else ''}"
    _entry(receipt, -receipt.quantity, date, note).save()
    text = f"{receipt.describe()} due {_day(date)} cancelled{': ' + reason if reason else ''}"
    activity_record(target=part, actor=actor, verb="receipt_cancelled", text=text)
    _announce([part.pk], CAUSE_CANCELLED, text)
    return receipt.quantity


@transaction.atomic
def receipt_receive(
    *, part: Part, reference: str, date: dt.date, actor, quantity: Decimal | None = None
) -> Decimal:
    """Goods in: the expected receipt becomes stock on hand (all of it, or `quantity`).

    The promises that counted on incoming supply (`allocated` entries) are served
    by it, oldest booking first: their allocation turns into a reservation of
    the stock now on the shelf, so on hand − reserved and the allocated backlog
    stay what the engine expects. Answers the quantity received.
    """
    _require_buyer(actor)
    ledgers_lock([part.pk], [])
    receipt = receipt_open(part=part, reference=reference, date=date)
    quantity = receipt.quantity if quantity is None else quantity
    _check_quantity(quantity, most=receipt.quantity)
    today = timezone.localdate()
    note = f"Received {reference}"
    entries = [
        _entry(receipt, -quantity, date, note),
        StockEntry(
            part=part,
            kind=StockEntryKind.ON_HAND,
            quantity=quantity,
            date=today,
            reference=reference,
            supplier_id=receipt.supplier_id,
            note=note,
        ),
    ]
    entries += _serve_allocations(part, quantity, today=today, note=note)
    StockEntry.objects.bulk_create(entries)
    text = f"{receipt.describe()} due {_day(date)}: received {_qty(quantity)} {part.uom}"
    activity_record(target=part, actor=actor, verb="receipt_received", text=text)
    if date > today:
        # Early: stock the promises did not expect until `date` is here now.
        _announce([part.pk], CAUSE_MOVED, f"{text} (early)")
    return quantity


def _serve_allocations(part: Part, quantity: Decimal, *, today: dt.date, note: str) -> list:
    """Counter-entries turning up to `quantity` allocated units into reserved ones, per
    booking in booking order (first promised, first served)."""
    held = (
        StockEntry.objects.filter(part=part, kind=StockEntryKind.ALLOCATED, booking__isnull=False)
        .values("booking_id")
        .annotate(total=Sum("quantity"))
        .filter(total__gt=0)
    )
    totals = {row["booking_id"]: row["total"] for row in held}
    entries: list[StockEntry] = []
    left = quantity
    for booking in PromiseBooking.objects.filter(pk__in=totals).order_by("created_at", "pk"):
        if left <= 0:
            break
        take = min(left, totals[booking.pk])
        left -= take
        for kind, signed in ((StockEntryKind.ALLOCATED, -take), (StockEntryKind.RESERVED, take)):
            entries.append(
                StockEntry(
                    part=part,
                    kind=kind,
                    quantity=signed,
                    date=today,
                    reference=booking.reference,
                    booking=booking,
                    note=note,
                )
            )
    return entries
