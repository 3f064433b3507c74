from __future__ import annotations

from decimal import Decimal

import factory

from apps.accounts.models import OrganizationKind
from apps.catalog.models import (
    BOMLine,
    FulfillmentMode,
    Option,
    OptionGroup,
    Part,
    PartKind,
    Product,
    RoutingOperation,
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
