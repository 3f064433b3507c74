from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models

from apps.core.models import UUIDModel

MONEY = {"max_digits": 14, "decimal_places": 2}
NON_NEGATIVE = [MinValueValidator(Decimal("0"))]


class FulfillmentMode(models.TextChoices):
    ATO = "ato", "Assemble to order"
    MTO = "mto", "Make to order"
    DTO = "dto", "Design to order"


class Product(UUIDModel):
    sku = models.CharField("SKU", max_length=40, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    fulfillment_mode = models.CharField(max_length=3, choices=FulfillmentMode.choices)
    base_price = models.DecimalField(**MONEY, validators=NON_NEGATIVE)
    base_cost = models.DecimalField(
        **MONEY,
        default=Decimal("0"),
        validators=NON_NEGATIVE,
        help_text="Cost of the base configuration when the BOM does not give it.",
    )
    currency = models.CharField(
        max_length=3,
        default="USD",
        help_text="Currency of this product's price list (base price, option prices and "
        "quantity breaks). Quotes in another currency cannot use it.",
    )
    is_active = models.BooleanField(default=True)
    # Lead-time defaults used by the promise-date engine.
    design_days = models.PositiveIntegerField(
        default=0, help_text="Working days of engineering design (DTO)."
    )
    inspection_days = models.PositiveIntegerField(default=1)
    transit_days = models.PositiveIntegerField(
        default=3, help_text="Calendar days to the customer."
    )
    min_quantity = models.PositiveIntegerField(default=1)
    max_quantity = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"

    @property
    def is_configurable(self) -> bool:
        return self.option_groups.exists()


class ProductPriceBreak(models.Model):
    """Quantity discount: from `min_quantity` units on, the list price drops by a percentage."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="price_breaks")
    min_quantity = models.PositiveIntegerField(validators=[MinValueValidator(2)])
    discount_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )

    class Meta:
        ordering = ["product", "min_quantity"]
        constraints = [
            models.UniqueConstraint(fields=["product", "min_quantity"], name="one_break_per_qty"),
            models.CheckConstraint(
                condition=models.Q(discount_percent__lt=100), name="price_break_below_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.sku} ≥{self.min_quantity}: −{self.discount_percent}%"


class OptionGroup(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="option_groups")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=100)
    is_required = models.BooleanField(default=True, help_text="A choice must be made.")
    allow_multiple = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["product", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["product", "code"], name="option_group_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.product.sku}/{self.code}"


class Option(models.Model):
    group = models.ForeignKey(OptionGroup, on_delete=models.CASCADE, related_name="options")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=150)
    price_delta = models.DecimalField(**MONEY, default=Decimal("0"))
    cost_delta = models.DecimalField(**MONEY, default=Decimal("0"))
    is_default = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    requires_engineering = models.BooleanField(
        default=False, help_text="A custom specification: engineering must review the quote."
    )
    extra_lead_days = models.PositiveIntegerField(default=0)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["group", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["group", "code"], name="option_code_unique_in_group")
        ]

    def __str__(self) -> str:
        return f"{self.group.code}={self.code}"


class RuleKind(models.TextChoices):
    REQUIRES = "requires", "Requires"
    EXCLUDES = "excludes", "Excludes"
    QUANTITY = "quantity", "Allowed quantity range"


class ConfigurationRule(models.Model):
    """`option` REQUIRES / EXCLUDES `other`, or limits the quantity when `option` is chosen.

    A quantity rule without an option applies to every configuration of the product.
    """

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="rules")
    kind = models.CharField(max_length=16, choices=RuleKind.choices)
    option = models.ForeignKey(
        Option, null=True, blank=True, on_delete=models.CASCADE, related_name="rules"
    )
    other = models.ForeignKey(
        Option, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    min_quantity = models.PositiveIntegerField(null=True, blank=True)
    max_quantity = models.PositiveIntegerField(null=True, blank=True)
    message = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["product", "kind", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind="quantity")
                    | (models.Q(option__isnull=False) & models.Q(other__isnull=False))
                ),
                name="rule_requires_excludes_have_two_options",
            ),
            models.CheckConstraint(
                condition=(
                    ~models.Q(kind="quantity")
                    | models.Q(min_quantity__isnull=False)
                    | models.Q(max_quantity__isnull=False)
                ),
                name="quantity_rule_has_a_bound",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == RuleKind.QUANTITY:
            scope = self.option or self.product.sku
            return f"{scope}: qty {self.min_quantity}–{self.max_quantity}"
        return f"{self.option} {self.kind} {self.other}"
