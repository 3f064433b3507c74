from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from apps.accounts.models import Organization
from apps.catalog.models.products import MONEY, NON_NEGATIVE, Option, Product
from apps.core.models import UUIDModel

QTY = {"max_digits": 12, "decimal_places": 3}
POSITIVE_QTY = [MinValueValidator(Decimal("0.001"))]


class PartKind(models.TextChoices):
    MAKE = "make", "Make"
    BUY = "buy", "Buy"
    SUBCONTRACT = "subcontract", "Subcontract"


class Part(UUIDModel):
    number = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=PartKind.choices)
    uom = models.CharField("unit of measure", max_length=10, default="ea")
    unit_cost = models.DecimalField(**MONEY, default=Decimal("0"), validators=NON_NEGATIVE)
    is_active = models.BooleanField(default=True)
    design_specific = models.BooleanField(
        default=False,
        help_text="Made or bought to a line's own design: on design-to-order lines it is "
        "ordered only after the design is released.",
    )

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class BOMLine(models.Model):
    """One component of a product, of an option (the option's BOM delta) or of a sub-assembly."""

    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.CASCADE, related_name="bom_lines"
    )
    option = models.ForeignKey(
        Option, null=True, blank=True, on_delete=models.CASCADE, related_name="bom_lines"
    )
    parent_part = models.ForeignKey(
        Part, null=True, blank=True, on_delete=models.CASCADE, related_name="bom_lines"
    )
    component = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="used_in")
    quantity = models.DecimalField(**QTY, validators=POSITIVE_QTY)

    class Meta:
        ordering = ["id"]
        verbose_name = "BOM line"
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(product__isnull=False, option__isnull=True, parent_part__isnull=True)
                    | models.Q(product__isnull=True, option__isnull=False, parent_part__isnull=True)
                    | models.Q(product__isnull=True, option__isnull=True, parent_part__isnull=False)
                ),
                name="bom_line_has_exactly_one_parent",
            ),
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="bom_qty_positive"),
        ]

    def __str__(self) -> str:
        parent = self.product or self.option or self.parent_part
        return f"{parent} ← {self.quantity} × {self.component.number}"

    def clean(self) -> None:
        if self.parent_part_id and self.parent_part_id == self.component_id:
            raise ValidationError({"component": "A part cannot contain itself."})


class WorkCenter(UUIDModel):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=100)
    daily_capacity_hours = models.DecimalField(
        max_digits=6, decimal_places=2, validators=[MinValueValidator(Decimal("0.5"))]
    )
    hourly_rate = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
        validators=NON_NEGATIVE,
        help_text="Cost of one hour of this work center (labour and machine); rolls up into "
        "the cost of what is made here.",
    )
    # ISO weekdays the center works, Monday=1 … Sunday=7.
    working_weekdays = models.CharField(
        max_length=13, default="1,2,3,4,5", help_text="ISO weekdays, Monday=1 … Sunday=7"
    )

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def weekdays(self) -> frozenset[int]:
        return frozenset(int(d) for d in self.working_weekdays.split(",") if d.strip())

    def clean(self) -> None:
        try:
            days = self.weekdays
        except ValueError:
            raise ValidationError(
                {"working_weekdays": "Use numbers 1–7 separated by commas."}
            ) from None
        if not days or not days <= set(range(1, 8)):
            raise ValidationError({"working_weekdays": "Use numbers 1–7 separated by commas."})


class WorkCenterClosure(models.Model):
    """A non-working day: for one work center, or the whole plant when work_center is empty."""

    work_center = models.ForeignKey(
        WorkCenter, null=True, blank=True, on_delete=models.CASCADE, related_name="closures"
    )
    date = models.DateField()
    reason = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["work_center", "date"], name="one_closure_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.work_center or 'plant'} closed ({self.reason})"


class RoutingOperation(models.Model):
    """Shop-floor work for a product (final assembly) or a make part (sub-assembly)."""

    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.CASCADE, related_name="operations"
    )
    part = models.ForeignKey(
        Part, null=True, blank=True, on_delete=models.CASCADE, related_name="operations"
    )
    sequence = models.PositiveIntegerField(default=10)
    name = models.CharField(max_length=100)
    work_center = models.ForeignKey(WorkCenter, on_delete=models.PROTECT, related_name="operations")
    setup_hours = models.DecimalField(
        max_digits=7, decimal_places=2, default=Decimal("0"), validators=NON_NEGATIVE
    )
    run_hours = models.DecimalField(
        max_digits=7,
        decimal_places=3,
        default=Decimal("0"),
        validators=NON_NEGATIVE,
        help_text="Hours per unit.",
    )

    class Meta:
        ordering = ["sequence", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(product__isnull=False, part__isnull=True)
                    | models.Q(product__isnull=True, part__isnull=False)
                ),
                name="routing_has_exactly_one_parent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sequence} {self.name} @ {self.work_center.code}"

    def hours_for(self, quantity: Decimal) -> Decimal:
        return self.setup_hours + self.run_hours * quantity


class SupplierPart(UUIDModel):
    supplier = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="supplier_parts",
        limit_choices_to={"kind": "supplier"},
    )
    part = models.ForeignKey(Part, on_delete=models.CASCADE, related_name="supplier_parts")
    supplier_part_number = models.CharField(max_length=60, blank=True)
    lead_time_days = models.PositiveIntegerField(help_text="Calendar days from order to receipt.")
    minimum_order_quantity = models.DecimalField(
        **QTY, default=Decimal("1"), validators=POSITIVE_QTY
    )
    is_preferred = models.BooleanField(default=False)
    currency = models.CharField(max_length=3, default="USD")
    valid_until = models.DateField(null=True, blank=True, help_text="Empty: no expiry.")

    class Meta:
        ordering = ["part", "-is_preferred", "lead_time_days"]
        constraints = [
            models.UniqueConstraint(fields=["supplier", "part"], name="one_supplier_part"),
            models.UniqueConstraint(
                fields=["part"],
                condition=models.Q(is_preferred=True),
                name="one_preferred_supplier_per_part",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.part.number} from {self.supplier}"

    def is_current(self, on: dt.date) -> bool:
        return self.valid_until is None or self.valid_until >= on

    def unit_price(self, quantity: Decimal) -> Decimal | None:
        """Price for `quantity`: the highest break at or below it (breaks must be prefetched)."""
        best = None
        for pb in sorted(self.price_breaks.all(), key=lambda b: b.min_quantity):
            if pb.min_quantity <= quantity:
                best = pb.unit_price
        return best

    def clean(self) -> None:
        if self.supplier_id and self.supplier.kind != "supplier":
            raise ValidationError({"supplier": "Choose a supplier organization."})


class SupplierClosure(models.Model):
    """Days a supplier does not work (holidays, shutdowns): its lead time stretches over them."""

    supplier = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="supplier_closures",
        limit_choices_to={"kind": "supplier"},
    )
    start_date = models.DateField()
    end_date = models.DateField()
    reason = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["supplier", "start_date"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="supplier_closure_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.supplier} closed {self.start_date} – {self.end_date}"

    @property
    def days(self) -> int:
        return (self.end_date - self.start_date).days + 1

    def clean(self) -> None:
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": "The closure cannot end before it starts."})


class SupplierPriceBreak(models.Model):
    supplier_part = models.ForeignKey(
        SupplierPart, on_delete=models.CASCADE, related_name="price_breaks"
    )
    min_quantity = models.DecimalField(**QTY, validators=POSITIVE_QTY)
    unit_price = models.DecimalField(**MONEY, validators=NON_NEGATIVE)

    class Meta:
        ordering = ["supplier_part", "min_quantity"]
        constraints = [
            models.UniqueConstraint(
                fields=["supplier_part", "min_quantity"], name="one_supplier_break_per_qty"
            ),
        ]

    def __str__(self) -> str:
        return f"≥{self.min_quantity}: {self.unit_price}"
