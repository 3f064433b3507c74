"""What the cost roll-up and the promise engine read of suppliers
(apps.catalog.selectors.supplier_options / supplier_closures): plain values, in one
query each, saying what the models say (current supplier parts, preferred first then
shortest lead time, each priced at its break for a quantity; closures in date order)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.catalog.models import SupplierClosure, SupplierPart, SupplierPriceBreak
from apps.catalog.selectors import supplier_closures, supplier_options
from tests.catalog.factories import PartFactory, SupplierPartFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 7)


def _parts():
    a, b, none = PartFactory(), PartFactory(), PartFactory()
    preferred = SupplierPartFactory(part=a, lead_time_days=30, is_preferred=True, price="9.50")
    for qty, price in (("100", "7.25"), ("10", "8.00")):
        SupplierPriceBreak.objects.create(
            supplier_part=preferred, min_quantity=Decimal(qty), unit_price=Decimal(price)
        )
    SupplierPartFactory(part=a, lead_time_days=5, is_preferred=False, price="12")
    SupplierPartFactory(part=a, lead_time_days=2, is_preferred=False)  # no price
    SupplierPartFactory(part=a, lead_time_days=1, is_preferred=False, valid_until=TODAY)
    SupplierPartFactory(
        part=a, lead_time_days=1, is_preferred=False, valid_until=TODAY - dt.timedelta(days=1)
    )
    SupplierPartFactory(part=b, lead_time_days=9, minimum_order_quantity=Decimal("50"))
    return [a.pk, b.pk, none.pk]


def _as_models(part_ids) -> dict:
    out: dict = {}
    qs = (
        SupplierPart.objects.filter(part_id__in=part_ids)
        .select_related("supplier")
        .prefetch_related("price_breaks")
        .order_by("part_id", "-is_preferred", "lead_time_days")
    )
    for sp in qs:
        if sp.is_current(TODAY):
            out.setdefault(sp.part_id, []).append(_seen(sp))
    return out


def _as_values(options) -> dict:
    return {part_id: [_seen(sp) for sp in rows] for part_id, rows in options.items()}


def _seen(sp) -> tuple:
    """What costing and planning read of a supplier part (model or plain values)."""
    return (
        sp.pk,
        sp.supplier_id,
        sp.supplier.name,
        sp.lead_time_days,
        sp.minimum_order_quantity,
        [sp.unit_price(Decimal(q)) for q in ("1", "10", "99", "100", "1000")],
    )


def test_supplier_options_are_what_the_models_say_in_one_query():
    part_ids = _parts()
    with CaptureQueriesContext(connection) as ctx:
        options = supplier_options(part_ids, on=TODAY)
    assert len(ctx.captured_queries) == 1
    assert _as_values(options) == _as_models(part_ids)
    a = options[part_ids[0]]
    assert [sp.lead_time_days for sp in a] == [30, 1, 2, 5]  # preferred, then lead time
    assert [a[0].unit_price(Decimal(q)) for q in ("1", "10", "150")] == [
        Decimal("9.50"),
        Decimal("8.00"),
        Decimal("7.25"),
    ]
    assert a[2].unit_price(Decimal("5")) is None
    assert part_ids[2] not in options


def test_without_prices_the_engine_reads_the_same_suppliers():
    part_ids = _parts()
    with_prices = supplier_options(part_ids, on=TODAY)
    without = supplier_options(part_ids, on=TODAY, prices=False)
    assert {k: [sp.pk for sp in v] for k, v in without.items()} == {
        k: [sp.pk for sp in v] for k, v in with_prices.items()
    }
    b = without[part_ids[1]][0]
    assert b.minimum_order_quantity == Decimal("50") and b.unit_price(Decimal("1")) is None


def test_a_change_to_a_supplier_price_shows_on_the_next_read():
    part_ids = _parts()
    before = supplier_options(part_ids, on=TODAY)[part_ids[0]][0].unit_price(Decimal("10"))
    SupplierPriceBreak.objects.filter(min_quantity=Decimal("10")).update(unit_price=Decimal("6"))
    after = supplier_options(part_ids, on=TODAY)[part_ids[0]][0].unit_price(Decimal("10"))
    assert (before, after) == (Decimal("8.00"), Decimal("6.00"))


def test_supplier_closures_end_on_or_after_the_start_in_date_order():
    sp = SupplierPartFactory()
    other = SupplierPartFactory()
    for start, end in ((10, 12), (1, 3), (-5, -1)):
        SupplierClosure.objects.create(
            supplier=sp.supplier,
            start_date=TODAY + dt.timedelta(days=start),
            end_date=TODAY + dt.timedelta(days=end),
        )
    SupplierClosure.objects.create(supplier=other.supplier, start_date=TODAY, end_date=TODAY)
    with CaptureQueriesContext(connection) as ctx:
        closures = supplier_closures([sp.supplier_id], start=TODAY)
    assert len(ctx.captured_queries) == 1
    assert list(closures) == [sp.supplier_id]
    assert [(c.start_date - TODAY).days for c in closures[sp.supplier_id]] == [1, 10]
