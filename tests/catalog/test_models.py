from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.catalog.models import (
    BOMLine,
    CapacityReservation,
    ConfigurationRule,
    ProductPriceBreak,
    RoutingOperation,
    RuleKind,
    SupplierPart,
    SupplierPriceBreak,
    WorkCenter,
)
from tests.catalog.factories import (
    OptionFactory,
    PartFactory,
    ProductFactory,
    SupplierPartFactory,
    WorkCenterFactory,
)

pytestmark = pytest.mark.django_db


def rejected_by_database(create) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def test_bom_line_with_two_parents_is_rejected_by_the_database():
    product, part, component = ProductFactory(), PartFactory(), PartFactory()
    rejected_by_database(
        lambda: BOMLine.objects.create(
            product=product, parent_part=part, component=component, quantity=1
        )
    )
    rejected_by_database(lambda: BOMLine.objects.create(component=component, quantity=1))
    assert not BOMLine.objects.exists()


def test_bom_line_with_one_parent_of_each_kind_is_accepted():
    component = PartFactory()
    BOMLine.objects.create(product=ProductFactory(), component=component, quantity=2)
    BOMLine.objects.create(option=OptionFactory(), component=component, quantity=1)
    BOMLine.objects.create(parent_part=PartFactory(), component=component, quantity="0.5")
    assert component.used_in.count() == 3


def test_bom_quantity_must_be_positive():
    rejected_by_database(
        lambda: BOMLine.objects.create(
            product=ProductFactory(), component=PartFactory(), quantity=0
        )
    )


def test_part_cannot_contain_itself():
    part = PartFactory()
    line = BOMLine(parent_part=part, component=part, quantity=1)
    with pytest.raises(ValidationError) as exc:
        line.full_clean()
    assert exc.value.message_dict["component"] == ["A part cannot contain itself."]


def test_routing_operation_needs_exactly_one_parent():
    wc = WorkCenterFactory()
    rejected_by_database(
        lambda: RoutingOperation.objects.create(
            product=ProductFactory(), part=PartFactory(), name="Weld", work_center=wc
        )
    )
    rejected_by_database(lambda: RoutingOperation.objects.create(name="Weld", work_center=wc))


def test_one_preferred_supplier_per_part():
    part = PartFactory()
    SupplierPartFactory(part=part, is_preferred=True)
    # A second, non-preferred source is fine; a second preferred one is not.
    SupplierPartFactory(part=part, is_preferred=False)
    rejected_by_database(lambda: SupplierPartFactory(part=part, is_preferred=True))
    assert SupplierPart.objects.filter(part=part, is_preferred=True).count() == 1


def test_one_supplier_part_per_supplier_and_part():
    sp = SupplierPartFactory(is_preferred=False)
    rejected_by_database(
        lambda: SupplierPartFactory(supplier=sp.supplier, part=sp.part, is_preferred=False)
    )


def test_supplier_part_must_come_from_a_supplier(acme):
    sp = SupplierPart(supplier=acme, part=PartFactory(), lead_time_days=5)
    with pytest.raises(ValidationError) as exc:
        sp.full_clean()
    assert "Choose a supplier organization." in exc.value.message_dict["supplier"]


@pytest.mark.parametrize("days", ["1,2,8", "mon,tue", "", " , ", "0,1"])
def test_work_center_refuses_bad_weekdays(days):
    wc = WorkCenter(code="WELD", name="Welding", daily_capacity_hours=8, working_weekdays=days)
    with pytest.raises(ValidationError) as exc:
        wc.full_clean()
    messages = exc.value.message_dict["working_weekdays"]
    assert "Use numbers 1–7 separated by commas." in messages or days == ""


def test_work_center_accepts_a_six_day_week():
    wc = WorkCenter(
        code="WELD", name="Welding", daily_capacity_hours=8, working_weekdays="1,2,3,4,5,6"
    )
    wc.full_clean()
    assert wc.weekdays == frozenset({1, 2, 3, 4, 5, 6})


def test_supplier_unit_price_picks_the_highest_break_at_or_below_the_quantity():
    sp = SupplierPartFactory(price="10.00")
    SupplierPriceBreak.objects.create(supplier_part=sp, min_quantity=100, unit_price="8.00")
    SupplierPriceBreak.objects.create(supplier_part=sp, min_quantity=10, unit_price="9.00")
    sp = SupplierPart.objects.prefetch_related("price_breaks").get(pk=sp.pk)
    assert sp.unit_price(Decimal("0.5")) is None
    assert sp.unit_price(Decimal("1")) == Decimal("10.00")
    assert sp.unit_price(Decimal("9.999")) == Decimal("10.00")
    assert sp.unit_price(Decimal("10")) == Decimal("9.00")
    assert sp.unit_price(Decimal("99")) == Decimal("9.00")
    assert sp.unit_price(Decimal("250")) == Decimal("8.00")


def test_supplier_part_currency_by_date():
    sp = SupplierPartFactory(valid_until=dt.date(2030, 6, 30))
    assert sp.is_current(dt.date(2030, 6, 30))
    assert not sp.is_current(dt.date(2030, 7, 1))


def test_requires_and_excludes_rules_need_two_options():
    option = OptionFactory()
    rejected_by_database(
        lambda: ConfigurationRule.objects.create(
            product=option.group.product, kind=RuleKind.REQUIRES, option=option
        )
    )


def test_quantity_rule_needs_a_bound():
    product = ProductFactory()
    rejected_by_database(
        lambda: ConfigurationRule.objects.create(product=product, kind=RuleKind.QUANTITY)
    )
    ConfigurationRule.objects.create(product=product, kind=RuleKind.QUANTITY, min_quantity=2)


def test_product_price_break_below_100_percent():
    product = ProductFactory()
    rejected_by_database(
        lambda: ProductPriceBreak.objects.create(
            product=product, min_quantity=5, discount_percent=100
        )
    )


def test_capacity_reservation_hours_positive():
    wc = WorkCenterFactory()
    rejected_by_database(
        lambda: CapacityReservation.objects.create(
            work_center=wc, date=dt.date(2030, 1, 7), hours=0, reference="WO-1/10"
        )
    )
