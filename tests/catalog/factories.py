from __future__ import annotations

from decimal import Decimal

import factory

from apps.accounts.models import OrganizationKind
from apps.catalog.models import (
    BOMLine,
    ConfigurationRule,
    FulfillmentMode,
    Option,
    OptionGroup,
    Part,
    PartKind,
    Product,
    RoutingOperation,
    RuleKind,
    StockEntry,
    StockEntryKind,
    SupplierPart,
    SupplierPriceBreak,
    WorkCenter,
)
from tests.factories import OrganizationFactory


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        django_get_or_create = ("sku",)

    sku = factory.Sequence(lambda n: f"PRD-{n:03d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    fulfillment_mode = FulfillmentMode.ATO
    base_price = Decimal("10000.00")
    base_cost = Decimal("6000.00")
    inspection_days = 1
    transit_days = 3


class OptionGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OptionGroup

    product = factory.SubFactory(ProductFactory)
    code = factory.Sequence(lambda n: f"group-{n}")
    name = factory.Sequence(lambda n: f"Group {n}")


class OptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Option

    group = factory.SubFactory(OptionGroupFactory)
    code = factory.Sequence(lambda n: f"opt-{n}")
    name = factory.Sequence(lambda n: f"Option {n}")
    price_delta = Decimal("0")
    cost_delta = Decimal("0")


class PartFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Part
        django_get_or_create = ("number",)

    number = factory.Sequence(lambda n: f"P-{n:05d}")
    name = factory.Sequence(lambda n: f"Part {n}")
    kind = PartKind.BUY
    unit_cost = Decimal("100.00")


class BOMLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BOMLine

    component = factory.SubFactory(PartFactory)
    quantity = Decimal("1")


class WorkCenterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkCenter
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"WC{n}")
    name = factory.Sequence(lambda n: f"Work center {n}")
    daily_capacity_hours = Decimal("8")


class RoutingOperationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoutingOperation

    sequence = 10
    name = "Assembly"
    work_center = factory.SubFactory(WorkCenterFactory)
    setup_hours = Decimal("2")
    run_hours = Decimal("6")


class SupplierPartFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupplierPart
        skip_postgeneration_save = True

    supplier = factory.SubFactory(OrganizationFactory, kind=OrganizationKind.SUPPLIER)
    part = factory.SubFactory(PartFactory)
    lead_time_days = 14
    is_preferred = True

    @factory.post_generation
    def price(obj, create, extracted, **kwargs):
        if create and extracted is not None:
            SupplierPriceBreak.objects.create(
                supplier_part=obj, min_quantity=Decimal("1"), unit_price=Decimal(extracted)
            )


def stock(part, quantity, kind=StockEntryKind.ON_HAND, date=None, reference=""):
    kwargs = {"date": date} if date else {}
    return StockEntry.objects.create(
        part=part, kind=kind, quantity=Decimal(quantity), reference=reference, **kwargs
    )


class ConfigurationRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConfigurationRule

    product = factory.SubFactory(ProductFactory)
    kind = RuleKind.REQUIRES


def configurable_product(**kwargs) -> Product:
    """A pump skid with three option groups and one rule of each kind.

    motor (required, default m5): m5 +0 / m10 +1500 (cost +900)
    voltage (required, no default): v230 +0 / v460 +200 (cost +120) / v575 inactive
    extras (optional, several): heater +300 (cost +150) / coating +400 (cost +250) /
    custom (engineering)
    Rules: m10 requires v460; coating excludes heater; m10 at most 5 units;
    every skid at most 10 units.
    """
    product = ProductFactory(**kwargs)
    motor = OptionGroupFactory(product=product, code="motor", name="Motor", position=1)
    voltage = OptionGroupFactory(product=product, code="voltage", name="Voltage", position=2)
    extras = OptionGroupFactory(
        product=product,
        code="extras",
        name="Extras",
        position=3,
        is_required=False,
        allow_multiple=True,
    )
    OptionFactory(group=motor, code="m5", name="5 kW motor", is_default=True)
    m10 = OptionFactory(
        group=motor,
        code="m10",
        name="10 kW motor",
        price_delta=Decimal("1500"),
        cost_delta=Decimal("900"),
    )
    OptionFactory(group=voltage, code="v230", name="230 V")
    v460 = OptionFactory(
        group=voltage,
        code="v460",
        name="460 V",
        price_delta=Decimal("200"),
        cost_delta=Decimal("120"),
    )
    OptionFactory(group=voltage, code="v575", name="575 V", is_active=False)
    heater = OptionFactory(
        group=extras,
        code="heater",
        name="Heater",
        price_delta=Decimal("300"),
        cost_delta=Decimal("150"),
    )
    coating = OptionFactory(
        group=extras,
        code="coating",
        name="Epoxy coating",
        price_delta=Decimal("400"),
        cost_delta=Decimal("250"),
    )
    OptionFactory(group=extras, code="custom", name="Custom flange", requires_engineering=True)
    ConfigurationRuleFactory(product=product, kind=RuleKind.REQUIRES, option=m10, other=v460)
    ConfigurationRuleFactory(product=product, kind=RuleKind.EXCLUDES, option=coating, other=heater)
    ConfigurationRuleFactory(product=product, kind=RuleKind.QUANTITY, option=m10, max_quantity=5)
    ConfigurationRuleFactory(
        product=product,
        kind=RuleKind.QUANTITY,
        max_quantity=10,
        message="Skids ship at most 10 per order.",
    )
    return product
