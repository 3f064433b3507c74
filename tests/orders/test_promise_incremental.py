"""Re-promising only what changed (DESIGN §5, issue 7).

A line takes what the lines before it left. When a line is added, edited or
removed, the lines a full pass could move are the changed ones and the later ones
that share a part or a work center with them (transitively); they are promised
with the earlier lines they compete with. Everything else keeps its answer and is
neither read nor written.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.catalog.bookings import bookings_release
from apps.catalog.models import (
    BookingKind,
    CapacityReservation,
    PartKind,
    StockEntry,
    StockEntryKind,
    StockPosition,
    WorkCenterClosure,
    WorkCenterLoad,
)
from apps.orders.allocation import quote_line_key
from apps.orders.models import QuoteLine
from apps.orders.promise import LineRequest, PromiseEngine
from apps.orders.services import quotes as quote_services
from tests.catalog.factories import (
    BOMLineFactory,
    OptionFactory,
    OptionGroupFactory,
    PartFactory,
    ProductFactory,
    RoutingOperationFactory,
    SupplierPartFactory,
    WorkCenterFactory,
    stock,
)

pytestmark = pytest.mark.django_db

PROMISE = ("feasible_date", "critical_path", "promise_explanation", "parts_without_price")


def _day(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


@pytest.fixture
def plant(delta):
    """Eight products over four small work centers and nine parts, some shared:
    scarce stock, receipts, a minimum order, a made sub-assembly, closures, an
    option that adds a part, a DTO product."""
    wcs = [WorkCenterFactory(code=f"W{i}", daily_capacity_hours=Decimal("6")) for i in range(4)]
    WorkCenterClosure.objects.create(work_center=wcs[1], date=_day(3))
    WorkCenterClosure.objects.create(work_center=None, date=_day(9))
    parts = [PartFactory(number=f"C-{i}", name=f"Component {i}") for i in range(8)]
    for i, part in enumerate(parts):
        stock(part, 2 + i % 3)
        if i % 2:
            stock(part, 4, kind=StockEntryKind.EXPECTED, date=_day(5 + i))
        SupplierPartFactory(
            supplier=delta,
            part=part,
            lead_time_days=10 + i,
            minimum_order_quantity=Decimal("6") if i == 3 else Decimal("1"),
        )
    sub = PartFactory(number="SUB-1", name="Sub-assembly", kind=PartKind.MAKE)
    BOMLineFactory(parent_part=sub, component=parts[6])
    BOMLineFactory(parent_part=sub, component=parts[7], quantity=Decimal("2"))
    RoutingOperationFactory(part=sub, work_center=wcs[3], setup_hours=1, run_hours=2)
    recipe = [  # components, work center
        ([0, 1], 0),
        ([1, 2], 1),
        ([3], 2),
        ([4, 5], 0),
        ([sub], 3),
        ([2, 6], 2),
        ([5], 1),
        ([0], 3),
    ]
    products = []
    for i, (components, wc) in enumerate(recipe):
        product = ProductFactory(
            sku=f"G-{i}", name=f"Generated {i}", design_days=4 if i == 7 else 0
        )
        if i == 7:
            product.fulfillment_mode = "dto"
            product.save(update_fields=["fulfillment_mode"])
        for c in components:
            BOMLineFactory(product=product, component=c if c == sub else parts[c])
        RoutingOperationFactory(
            product=product, work_center=wcs[wc], setup_hours=1, run_hours=Decimal("2.5")
        )
        products.append(product)
    group = OptionGroupFactory(product=products[0], code="extra", name="Extra", is_required=False)
    option = OptionFactory(group=group, code="heater", name="Heater")
    BOMLineFactory(option=option, component=parts[7])
    return {"products": products, "option": option, "wcs": wcs}


def _request(plant, product: int, qty: int, heater: bool = False) -> LineRequest:
    return LineRequest(
        key=f"k{product}-{qty}-{heater}",
        product=plant["products"][product],
        quantity=qty,
        options=[plant["option"]] if heater and product == 0 else [],
    )


def _engine() -> PromiseEngine:
    return PromiseEngine(today=timezone.localdate())


def _edits(rng: random.Random, plant, requests: list[LineRequest]):
    """A random change: new requests, changed indices, gone [(index, request)], and
    each kept line's old index → new index."""
    n = len(requests)
    kind = rng.choice(["quantity", "option", "add", "remove"])
    if kind == "add" or n < 2:
        new = _request(plant, rng.randrange(8), rng.randint(1, 6))
        return [*requests, new], {n}, [], {i: i for i in range(n)}
    k = rng.randrange(n)
    old = requests[k]
    product = plant["products"].index(old.product)
    if kind == "remove":
        rest = requests[:k] + requests[k + 1 :]
        return rest, set(), [(k, old)], {i: i - (i > k) for i in range(n) if i != k}
    heater = bool(old.options)
    if kind == "option" and product == 0:
        edited = _request(plant, 0, old.quantity, not heater)
        gone = [(k, old)]
    else:
        edited = _request(plant, product, old.quantity % 7 + 1, heater)
        gone = []
    return [*requests[:k], edited, *requests[k + 1 :]], {k}, gone, {i: i for i in range(n)}


def test_re_promising_what_changed_equals_a_full_pass(plant):
    left_out = kinds = 0
    seen: set = set()
    for seed in range(8):
        rng = random.Random(seed)
        requests = [
            _request(plant, rng.randrange(8), rng.randint(1, 5), rng.random() < 0.3)
            for _ in range(rng.randint(3, 12))
        ]
        for _ in range(4):
            before = _engine().promise(requests).lines
            requests, changed, gone, kept = _edits(rng, plant, requests)
            full = _engine().promise(requests).lines
            partial = _engine().promise_changed(requests, changed, gone)
            assert changed <= set(partial)
            for j, promise in enumerate(full):
                if j in partial:
                    # Same date, explanation, critical path and the same quantities held.
                    assert partial[j] == promise
                    assert partial[j].allocations == promise.allocations
            # A line left out keeps its answer: a full pass gives it exactly that again.
            for i, j in kept.items():
                if j not in partial:
                    assert before[i] == full[j], (seed, i, j)
                    left_out += 1
            seen |= {a.kind for p in full for a in p.allocations}
            seen |= {p.driver for p in full}
            kinds += sum(p.capacity_wait_days > 0 for p in full)
    # The quotes were worth checking: lines were left out, capacity was contended,
    # stock, receipts and purchases (minimum orders) were all used, design set dates.
    assert left_out > 20
    assert kinds > 0
    assert {"stock", "receipt", "purchase", "capacity", "design"} <= seen


def test_lines_on_other_parts_and_work_centers_are_not_re_promised(plant):
    p = plant["products"]
    # Products 2 (C-3 on W2), 3 (C-4, C-5 on W0) and 4 (the sub-assembly on W3)
    # share nothing with each other.
    requests = [_request(plant, 2, 2), _request(plant, 3, 1), _request(plant, 4, 1)]
    edited = [_request(plant, 2, 5), *requests[1:]]
    assert set(_engine().promise_changed(edited, {0})) == {0}
    # Product 6 (C-5 on W1) shares C-5 with the second line: it moves with it, and
    # the first line, which competes with neither, is left alone.
    requests.append(LineRequest(key="x", product=p[6], quantity=1))
    assert set(_engine().promise_changed(requests, {1})) == {1, 3}


def _recalculate_full(quote):
    """The stored promise after a full pass (quote_recalculate), and whether it wrote."""
    with CaptureQueriesContext(connection) as ctx:
        quote_services.quote_recalculate(quote=quote)
    wrote = [
        q["sql"] for q in ctx.captured_queries if q["sql"].startswith('UPDATE "orders_quoteline"')
    ]
    return wrote


def _stored(quote):
    quote.refresh_from_db()
    lines = list(QuoteLine.objects.filter(quote=quote).order_by("position").values_list(*PROMISE))
    return lines, quote.feasible_date, quote.critical_path


@pytest.mark.parametrize("seed", range(4))
def test_line_services_store_what_a_full_recalculation_stores(plant, sales_rep, acme, seed):
    rng = random.Random(seed)
    quote = quote_services.quote_create(actor=sales_rep, customer=acme)
    for _ in range(6):
        quote_services.quote_line_add(
            quote=quote,
            actor=sales_rep,
            product=plant["products"][rng.randrange(8)],
            quantity=rng.randint(1, 4),
        )
    for _ in range(5):
        lines = list(quote.lines.order_by("position"))
        line = rng.choice(lines)
        action = rng.choice(["quantity", "option", "add", "remove"])
        if action == "add":
            quote_services.quote_line_add(
                quote=quote,
                actor=sales_rep,
                product=plant["products"][rng.randrange(8)],
                quantity=2,
            )
        elif action == "remove" and len(lines) > 2:
            quote_services.quote_line_delete(line=line, actor=sales_rep)
        elif action == "option" and line.product == plant["products"][0]:
            config = {} if line.configuration else {"extra": "heater"}
            quote_services.quote_line_update(line=line, actor=sales_rep, configuration=config)
        else:
            quote_services.quote_line_update(
                line=line, actor=sales_rep, quantity=line.quantity % 6 + 1
            )
        incremental = _stored(quote)
        # A full pass finds nothing to change.
        assert _recalculate_full(quote) == []
        assert _stored(quote) == incremental


def _quote_of(plant, sales_rep, acme, products):
    quote = quote_services.quote_create(actor=sales_rep, customer=acme)
    for i in products:
        quote_services.quote_line_add(
            quote=quote, actor=sales_rep, product=plant["products"][i], quantity=1
        )
    return quote


def _counted(monkeypatch):
    promised = []
    original = PromiseEngine._promise_line

    def counting(self, req):
        promised.append(req.key)
        return original(self, req)

    monkeypatch.setattr(PromiseEngine, "_promise_line", counting)
    return promised


def test_editing_a_line_re_promises_and_writes_it_alone(plant, sales_rep, acme, monkeypatch):
    # Lines on products 2, 3, 4: no part or work center in common.
    quote = _quote_of(plant, sales_rep, acme, [2, 3, 4])
    lines = list(quote.lines.order_by("position"))
    before = {line.pk: line.updated_at for line in lines}
    promised = _counted(monkeypatch)
    with CaptureQueriesContext(connection) as ctx:
        quote_services.quote_line_update(line=lines[0], actor=sales_rep, quantity=5)
    assert promised == [str(lines[0].pk)]
    after = dict(QuoteLine.objects.filter(quote=quote).values_list("pk", "updated_at"))
    assert [pk for pk in after if after[pk] != before[pk]] == [lines[0].pk]
    # The engine read the load of W2 alone (product 2's work center), not W0 or W3.
    load = [q["sql"] for q in ctx.captured_queries if "catalog_workcenterload" in q["sql"]]
    assert len(load) == 1
    assert str(plant["wcs"][2].pk).replace("-", "") in load[0].replace("-", "")
    assert str(plant["wcs"][0].pk).replace("-", "") not in load[0].replace("-", "")


def test_adding_a_21st_line_does_a_constant_small_amount_of_work(
    plant, sales_rep, acme, monkeypatch
):
    def add_last(quote) -> tuple[int, list]:
        promised = _counted(monkeypatch)
        with CaptureQueriesContext(connection) as ctx:
            quote_services.quote_line_add(
                quote=quote, actor=sales_rep, product=plant["products"][2], quantity=1
            )
        monkeypatch.undo()
        return len(ctx.captured_queries), promised

    # 20 lines on products sharing nothing with product 2 (C-3 on W2), and 2 such lines.
    others = [0, 1, 3, 4, 6]
    big = _quote_of(plant, sales_rep, acme, [others[i % 5] for i in range(20)])
    small = _quote_of(plant, sales_rep, acme, [4, 0])
    big_queries, big_promised = add_last(big)
    small_queries, small_promised = add_last(small)
    assert len(big_promised) == len(small_promised) == 1
    assert big_queries == small_queries


# -- holds: booking again writes only what moved ---------------------------------------


def _held():
    """Net units per (line, kind, part, day) and hours per (line, work center, day, id)."""
    stock = {
        (r["booking__line_key"], r["booking__kind"], r["part_id"], r["date"]): r["total"]
        for r in StockEntry.objects.filter(booking__isnull=False)
        .values("booking__line_key", "booking__kind", "part_id", "date")
        .annotate(total=Sum("quantity"))
        if r["total"]
    }
    hours = set(
        CapacityReservation.objects.values_list(
            "booking__line_key", "work_center_id", "date", "hours"
        )
    )
    load = set(
        WorkCenterLoad.objects.filter(hours__gt=0).values_list("work_center_id", "date", "hours")
    )
    return stock, hours, load


def _ids(quote):
    keys = [quote_line_key(line) for line in quote.lines.order_by("position")]
    return [
        (
            set(StockEntry.objects.filter(booking__line_key=key).values_list("pk", flat=True)),
            set(
                CapacityReservation.objects.filter(booking__line_key=key).values_list(
                    "pk", flat=True
                )
            ),
        )
        for key in keys
    ]


LEDGER_WRITES = re.compile(
    r'^(INSERT INTO|UPDATE|DELETE FROM) "catalog_(stockentry|capacityreservation|workcenterload)"'
)


def test_booking_again_leaves_the_holds_that_did_not_move(plant, sales_rep, acme):
    # Lines on products 2, 3, 4: no part or work center in common.
    quote = _quote_of(plant, sales_rep, acme, [2, 3, 4])
    quote_services.quote_recalculate(quote=quote, book=True)
    ids = _ids(quote)
    assert all(stock and hours for stock, hours in ids)

    # The same promise booked again (a sent quote held, then accepted): nothing written.
    with CaptureQueriesContext(connection) as ctx:
        quote_services.quote_recalculate(quote=quote, book=True)
    assert [q["sql"] for q in ctx.captured_queries if LEDGER_WRITES.match(q["sql"])] == []
    assert _ids(quote) == ids

    # The first line needs more: its holds move, the others' rows stay as they were.
    first = quote.lines.order_by("position").first()
    QuoteLine.objects.filter(pk=first.pk).update(quantity=5)
    quote_services.quote_recalculate(quote=quote, book=True)
    after = _ids(quote)
    assert after[1:] == ids[1:]
    assert after[0] != ids[0]
    incremental = _held()

    # What the lines hold is what booking them from nothing holds.
    bookings_release([quote_line_key(line) for line in quote.lines.all()], note="test")
    quote_services.quote_recalculate(quote=quote, book=True)
    assert _held() == incremental


def test_a_hold_that_shrinks_is_reversed_by_its_difference(plant, sales_rep, acme):
    quote = _quote_of(plant, sales_rep, acme, [2])
    line = quote.lines.get()
    QuoteLine.objects.filter(pk=line.pk).update(quantity=5)
    quote_services.quote_recalculate(quote=quote, book=True)
    big = _held()
    QuoteLine.objects.filter(pk=line.pk).update(quantity=1)
    quote_services.quote_recalculate(quote=quote, book=True)
    small = _held()
    # C-3: 2 on hand; 5 took the 2 and 3 of the receipt, 1 takes one from stock.
    key = quote_line_key(line)
    part = plant["products"][2].bom_lines.get().component_id
    assert sum(q for (k, _, p, _), q in big[0].items() if k == key and p == part) == 5
    assert {(kind, q) for (k, kind, p, _), q in small[0].items() if p == part} == {
        (BookingKind.STOCK, Decimal("1"))
    }
    assert StockPosition.objects.get(part_id=part).reserved == Decimal("1")
    assert StockPosition.objects.get(part_id=part).allocated == 0
    bookings_release([key], note="test")
    quote_services.quote_recalculate(quote=quote, book=True)
    assert _held() == small
