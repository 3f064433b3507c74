"""Pricing from the price list, the rolled-up BOM cost, and the currency of price lists."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from apps.catalog.costing import rolled_up_unit_cost
from apps.catalog.models import PartKind, ProductPriceBreak, SupplierPriceBreak
from apps.orders.pricing import reprice_line
from apps.orders.services import quotes as svc
from tests.catalog.factories import (
    BOMLineFactory,
    OptionFactory,
    OptionGroupFactory,
    PartFactory,
    ProductFactory,
    RoutingOperationFactory,
    SupplierPartFactory,
    WorkCenterFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_level(delta):
    """Product TL: a made frame (bought plate + welding) and a bought motor, plus assembly.

    TL  ← 1 × FRAME (make)   ← 4 × PLATE (buy: 25.00 each, 20.00 from 40 pieces)
                             welding at WELD: 2 h setup + 1.5 h per frame, 60 /h
        ← 2 × MOTOR (buy: 300.00)
        assembly at ASM: 1 h setup + 0.5 h per unit, 80 /h
    Option "guard" adds 1 × GUARD (buy, no supplier price: its catalog cost 45.00).
    """
    weld = WorkCenterFactory(code="WELD", hourly_rate=Decimal("60"))
    asm = WorkCenterFactory(code="ASM", hourly_rate=Decimal("80"))
    # The frame's own unit_cost (999) must NOT count: it is made, from its BOM.
    frame = PartFactory(number="FRAME", kind=PartKind.MAKE, unit_cost=Decimal("999"))
    plate = PartFactory(number="PLATE", kind=PartKind.BUY, unit_cost=Decimal("1"))
    motor = PartFactory(number="MOTOR", kind=PartKind.BUY, unit_cost=Decimal("1"))
    guard = PartFactory(number="GUARD", kind=PartKind.BUY, unit_cost=Decimal("45"))
    plate_supply = SupplierPartFactory(supplier=delta, part=plate, price=Decimal("25"))
    SupplierPriceBreak.objects.create(
        supplier_part=plate_supply, min_quantity=Decimal("40"), unit_price=Decimal("20")
    )
    SupplierPartFactory(supplier=delta, part=motor, price=Decimal("300"))
    BOMLineFactory(parent_part=frame, component=plate, quantity=Decimal("4"))
    RoutingOperationFactory(
        part=frame, work_center=weld, setup_hours=Decimal("2"), run_hours=Decimal("1.5")
    )
    product = ProductFactory(
        sku="TL", base_price=Decimal("5000"), base_cost=Decimal("4321"), currency="USD"
    )
    BOMLineFactory(product=product, component=frame, quantity=Decimal("1"))
    BOMLineFactory(product=product, component=motor, quantity=Decimal("2"))
    RoutingOperationFactory(
        product=product, work_center=asm, setup_hours=Decimal("1"), run_hours=Decimal("0.5")
    )
    group = OptionGroupFactory(product=product, code="extras", name="Extras", is_required=False)
    option = OptionFactory(group=group, code="guard", name="Guard", cost_delta=Decimal("777"))
    BOMLineFactory(option=option, component=guard)
    return {"product": product, "guard": option}


def test_rolled_up_cost_of_a_two_level_bom_by_hand(two_level):
    product = two_level["product"]
    # 1 unit: frame = 4 × 25 + (2 + 1.5) h × 60 = 100 + 210 = 310;
    # motors 2 × 300 = 600; assembly (1 + 0.5) h × 80 = 120.  Total 1 030.
    assert rolled_up_unit_cost(product=product, options=[], quantity=1) == Decimal("1030.00")
    # 10 units: plates 40 → 20 each, frame = 80 + (2 + 15) h × 60 / 10 = 80 + 102 = 182;
    # motors 600; assembly (1 + 5) h × 80 / 10 = 48.  Total 830.
    assert rolled_up_unit_cost(product=product, options=[], quantity=10) == Decimal("830.00")
    # The guard option adds its BOM (45, no supplier price), not its cost_delta (777).
    guard = two_level["guard"]
    assert rolled_up_unit_cost(product=product, options=[guard], quantity=1) == Decimal("1075.00")


def test_quote_line_cost_and_margin_use_the_rolled_up_cost(make_quote, two_level):
    quote = make_quote(lines=[("skid", 1, {}, 0)])
    line = svc.quote_line_add(
        quote=quote, actor=quote.owner, product=two_level["product"], quantity=1
    )
    # Not the product's base cost (4 321): the BOM's 1 030.
    assert line.unit_cost == Decimal("1030.00")
    assert line.margin_percent == Decimal("79.40")  # (5 000 − 1 030) / 5 000


def test_quantity_edit_reprices_from_the_list_and_reruns_the_margin_check(
    make_quote, two_level, sales_rep, settings
):
    """Quantity 1 → 10: the list's 10 % break, the line's discount, the cost for 10, the review."""
    settings.TANDEM_MARGIN_FLOOR_PERCENT = 20.0
    product = two_level["product"]
    ProductPriceBreak.objects.create(
        product=product, min_quantity=10, discount_percent=Decimal("10")
    )
    quote = make_quote(lines=())
    line = svc.quote_line_add(
        quote=quote,
        actor=sales_rep,
        product=product,
        quantity=1,
        discount_percent=Decimal("80"),
    )
    # 5 000 less 80 % = 1 000, below the cost of 1 030: pricing must review.
    assert line.unit_price == Decimal("1000.00") and line.margin_percent < 0
    assert "pricing" in svc.required_reviews(quote)

    line = svc.quote_line_update(line=line, actor=sales_rep, quantity=10)
    # 5 000 less the 10 % break = 4 500 list; less the line's 80 % = 900; cost at 10 is 830.
    assert line.unit_list_price == Decimal("4500.00")
    assert line.unit_price == Decimal("900.00")
    assert line.unit_cost == Decimal("830.00")
    assert line.line_total == Decimal("9000.00")
    assert line.margin_percent == Decimal("7.78")
    reasons = svc.required_reviews(quote)["pricing"]
    assert any("margin 7.78 %" in r for r in reasons)

    # And back down: the break no longer applies.
    line = svc.quote_line_update(line=line, actor=sales_rep, quantity=2, discount_percent=0)
    assert line.unit_list_price == Decimal("5000.00") and line.unit_price == Decimal("5000.00")
    assert "pricing" not in svc.required_reviews(quote)


def test_reprice_line_works_on_an_order_line(order, catalog):
    ProductPriceBreak.objects.create(
        product=catalog["skid"], min_quantity=5, discount_percent=Decimal("10")
    )
    line = order.lines.get()
    price = reprice_line(line, currency=order.currency, quantity=5)
    assert line.quantity == 5 and line.unit_list_price == Decimal("18000.00")
    assert line.line_total == Decimal("90000.00") == price.line_total


# -- currency ----------------------------------------------------------------


def test_a_quote_in_a_currency_without_a_price_list_is_refused(sales_rep, acme, catalog):
    with pytest.raises(ValidationError) as err:
        svc.quote_create(actor=sales_rep, customer=acme, currency="EUR")
    assert err.value.message_dict["currency"] == [
        "There is no price list in EUR; quotes can be made in USD."
    ]


def test_a_customer_currency_without_a_price_list_is_refused_too(sales_rep, acme, catalog):
    acme.currency = "CHF"
    acme.save()
    with pytest.raises(ValidationError) as err:
        svc.quote_create(actor=sales_rep, customer=acme)
    assert "no price list in CHF" in err.value.message_dict["currency"][0]


def test_a_line_is_never_priced_with_another_currencys_numbers(make_quote, sales_rep, catalog):
    ProductFactory(sku="EU-SKID", base_price=Decimal("18000"), currency="EUR")
    quote = make_quote(lines=(), currency="EUR")  # EUR has a price list now
    with pytest.raises(ValidationError) as err:
        svc.quote_line_add(quote=quote, actor=sales_rep, product=catalog["skid"], quantity=1)
    assert err.value.message_dict["product"] == [
        "Pump skid has a price list in USD only; it cannot be priced in EUR."
    ]
    assert not quote.lines.exists()


def test_changing_the_currency_reprices_or_is_refused(make_quote, sales_rep, catalog):
    ProductFactory(sku="EU-SKID", base_price=Decimal("18000"), currency="EUR")
    ProductFactory(sku="EU-PUMP", base_price=Decimal("1"), currency="EUR")
    quote = make_quote()
    with pytest.raises(ValidationError) as err:
        svc.quote_update(quote=quote, actor=sales_rep, expected_version=None, currency="EUR")
    assert err.value.message_dict["currency"] == [
        "Line 10: Pump skid has a price list in USD only; it cannot be priced in EUR."
    ]
    quote.refresh_from_db()
    assert quote.currency == "USD"
    # A quote whose lines all have a list in the new currency is priced again from it.
    eur_skid = ProductFactory(sku="EU-SKID")
    other = make_quote(lines=(), currency="EUR")
    svc.quote_line_add(quote=other, actor=sales_rep, product=eur_skid, quantity=1)
    eur_skid.currency = "USD"
    eur_skid.save()
    other = svc.quote_update(quote=other, actor=sales_rep, expected_version=None, currency="USD")
    assert other.lines.get().unit_price == Decimal("18000.00")


def test_api_answers_400_with_a_currency_field_error(sales_rep, acme, catalog):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(sales_rep)
    res = client.post(
        "/api/v1/quotes/", {"customer": str(acme.pk), "currency": "EUR"}, format="json"
    )
    assert res.status_code == 400
    assert res.json()["currency"] == ["There is no price list in EUR; quotes can be made in USD."]
