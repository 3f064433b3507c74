"""The structure the promise engine and the cost roll-up walk (apps.catalog.structure):
the same BOM lines, parts and routings as the models say, in their order, in one query
per BOM level and one for the routings, and read anew on every call (nothing cached)
except inside a `structure_reuse()` scope (one service action), where each product,
option and part is read once and the answers are what a read would give."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.catalog.models import BOMLine, PartKind, RoutingOperation
from apps.catalog.structure import MAX_DEPTH, structure, structure_reuse
from tests.catalog.factories import (
    BOMLineFactory,
    OptionFactory,
    OptionGroupFactory,
    PartFactory,
    ProductFactory,
    RoutingOperationFactory,
    WorkCenterFactory,
)

pytestmark = pytest.mark.django_db


def _tree(wide: int):
    """A product with `wide` bought parts and a made sub-assembly (itself of a bought
    part), an option adding a part, routings on the product and the sub-assembly."""
    assy = WorkCenterFactory(code="ASSY", daily_capacity_hours=Decimal("16"))
    weld = WorkCenterFactory(code="WELD", working_weekdays="1,2,3,4,5,6")
    product = ProductFactory()
    sub = PartFactory(kind=PartKind.MAKE, design_specific=True)
    BOMLineFactory(product=product, component=sub, quantity=Decimal("2"))
    for _ in range(wide):
        BOMLineFactory(product=product, quantity=Decimal("1.5"))
    BOMLineFactory(parent_part=sub, quantity=Decimal("4"))
    option = OptionFactory(group=OptionGroupFactory(product=product))
    BOMLineFactory(option=option)
    RoutingOperationFactory(product=product, work_center=assy, sequence=20, name="Final")
    RoutingOperationFactory(product=product, work_center=weld, sequence=10, name="Frame")
    RoutingOperationFactory(part=sub, work_center=weld, run_hours=Decimal("0.25"))
    return product, option, sub


def _as_models(product, option) -> tuple[dict, dict]:
    """The same structure read through the models, as comparable values."""
    bom: dict = {}
    frontier, seen = None, set()
    lines = list(BOMLine.objects.filter(product=product)) + list(
        BOMLine.objects.filter(option=option)
    )
    while lines:
        frontier = []
        for bl in lines:
            parent = (
                ("product", bl.product_id)
                if bl.product_id
                else ("option", bl.option_id)
                if bl.option_id
                else ("part", bl.parent_part_id)
            )
            c = bl.component
            bom.setdefault(parent, []).append(
                (c.pk, bl.quantity, c.number, c.name, c.kind, c.uom, c.unit_cost, c.design_specific)
            )
            if c.pk not in seen:
                seen.add(c.pk)
                frontier.append(c.pk)
        lines = list(BOMLine.objects.filter(parent_part_id__in=frontier))
    routing: dict = {}
    ops = RoutingOperation.objects.filter(product=product) | RoutingOperation.objects.filter(
        part_id__in=seen
    )
    for op in ops.select_related("work_center"):
        key = ("product", op.product_id) if op.product_id else ("part", op.part_id)
        wc = op.work_center
        routing.setdefault(key, []).append(
            (op.sequence, op.name, wc.pk, op.hours_for(Decimal("3")), wc.code, wc.weekdays)
        )
    return bom, routing


def _as_values(tree) -> tuple[dict, dict]:
    bom = {
        key: [
            (
                r.component_id,
                r.quantity,
                r.component.number,
                r.component.name,
                r.component.kind,
                r.component.uom,
                r.component.unit_cost,
                r.component.design_specific,
            )
            for r in rows
        ]
        for key, rows in tree.bom.items()
    }
    routing = {
        key: [
            (
                op.sequence,
                op.name,
                op.work_center_id,
                op.hours_for(Decimal("3")),
                op.work_center.code,
                op.work_center.weekdays,
            )
            for op in ops
        ]
        for key, ops in tree.routing.items()
    }
    return bom, routing


def test_the_structure_is_what_the_models_say_in_their_order():
    product, option, sub = _tree(wide=3)
    tree = structure(product_ids=[product.pk], option_ids=[option.pk])
    assert _as_values(tree) == _as_models(product, option)
    assert tree.complete
    # Operations in sequence order (the routing's), whatever order they were added in.
    assert [op.name for op in tree.routing[("product", product.pk)]] == ["Frame", "Final"]
    assert str(tree.parts[sub.pk]) == str(sub)


@pytest.mark.parametrize("wide", [1, 30])
def test_one_query_per_bom_level_and_one_for_the_routings(wide):
    product, option, _ = _tree(wide=wide)
    with CaptureQueriesContext(connection) as ctx:
        structure(product_ids=[product.pk], option_ids=[option.pk])
    # Product and option lines, the sub-assembly's lines, its component's (none), routings.
    assert len(ctx.captured_queries) == 4


def test_a_change_to_a_bom_or_routing_shows_on_the_next_read():
    product, option, sub = _tree(wide=1)
    before = structure(product_ids=[product.pk], option_ids=[option.pk])
    added = BOMLineFactory(parent_part=sub, quantity=Decimal("7"))
    op = RoutingOperation.objects.get(part=sub)
    op.run_hours = Decimal("1")
    op.save()
    after = structure(product_ids=[product.pk], option_ids=[option.pk])
    assert len(after.bom[("part", sub.pk)]) == len(before.bom[("part", sub.pk)]) + 1
    assert after.bom[("part", sub.pk)][-1].component_id == added.component_id
    assert after.routing[("part", sub.pk)][0].run_hours == Decimal("1")
    assert _as_values(after) == _as_models(product, option)


def test_a_bom_deeper_than_the_limit_is_incomplete():
    # (Costing refuses it; the engine's walk refuses it where it goes too deep.)
    product = ProductFactory()
    parent = PartFactory(kind=PartKind.MAKE)
    BOMLineFactory(product=product, component=parent)
    for _ in range(MAX_DEPTH - 1):
        child = PartFactory(kind=PartKind.MAKE)
        BOMLineFactory(parent_part=parent, component=child)
        parent = child
    assert structure(product_ids=[product.pk]).complete  # MAX_DEPTH levels of parts
    BOMLineFactory(parent_part=parent)
    assert not structure(product_ids=[product.pk]).complete


def _second_product(shared):
    """Another product whose BOM shares the sub-assembly `shared` one level deeper."""
    other = ProductFactory()
    middle = PartFactory(kind=PartKind.MAKE)
    BOMLineFactory(product=other, component=middle)
    BOMLineFactory(parent_part=middle, component=shared)
    BOMLineFactory(product=other)
    RoutingOperationFactory(product=other, work_center=WorkCenterFactory(code="PAINT"))
    return other


def test_inside_a_scope_each_root_is_read_once_and_answers_as_a_read():
    product, option, sub = _tree(wide=2)
    other = _second_product(sub)
    alone = structure(product_ids=[product.pk], option_ids=[option.pk])
    both = structure(product_ids=[product.pk, other.pk], option_ids=[option.pk])
    with (
        CaptureQueriesContext(connection) as ctx,
        structure_reuse(product_ids=[product.pk, other.pk]),
    ):
        read = len(ctx.captured_queries)
        # A subset of what was read (the line being priced): no query, only its part.
        subset = structure(product_ids=[product.pk])
        assert len(ctx.captured_queries) == read
        assert _as_values(subset) == _as_values(structure(product_ids=[product.pk]))
        assert len(ctx.captured_queries) == read
        # The option is new: read alone (its BOM level and the routings of its parts).
        grown = structure(product_ids=[product.pk], option_ids=[option.pk])
        assert len(ctx.captured_queries) == read + 3
        assert _as_values(grown) == _as_values(alone)
        assert grown.parts.keys() == alone.parts.keys() and grown.complete
        # Everything (the re-promise of the quote): nothing more to read.
        again = structure(product_ids=[product.pk, other.pk], option_ids=[option.pk])
        assert len(ctx.captured_queries) == read + 3
        assert _as_values(again) == _as_values(both)
        assert again.parts.keys() == both.parts.keys()
    # The scope is over: the next call reads (a change made meanwhile shows).
    BOMLineFactory(parent_part=sub, quantity=Decimal("9"))
    with CaptureQueriesContext(connection) as ctx:
        after = structure(product_ids=[product.pk], option_ids=[option.pk])
    assert len(ctx.captured_queries) == 4
    assert _as_values(after) == _as_models(product, option)


def test_a_scope_counts_the_depth_from_the_roots_asked_for():
    # A chain of MAX_DEPTH parts under `top`; a product reaching it one level deeper
    # is too deep, even though the scope read the chain whole from `top`'s product.
    top = PartFactory(kind=PartKind.MAKE)
    near = ProductFactory()
    BOMLineFactory(product=near, component=top)
    parent = top
    for _ in range(MAX_DEPTH - 1):
        child = PartFactory(kind=PartKind.MAKE)
        BOMLineFactory(parent_part=parent, component=child)
        parent = child
    far = ProductFactory()
    middle = PartFactory(kind=PartKind.MAKE)
    BOMLineFactory(product=far, component=middle)
    BOMLineFactory(parent_part=middle, component=top)
    assert structure(product_ids=[near.pk]).complete
    assert not structure(product_ids=[far.pk]).complete
    with structure_reuse(product_ids=[near.pk]):
        assert structure(product_ids=[near.pk]).complete
        assert not structure(product_ids=[far.pk]).complete
    with structure_reuse(product_ids=[near.pk, far.pk]):
        assert structure(product_ids=[near.pk]).complete
        assert not structure(product_ids=[far.pk]).complete
