"""The one cost of a configured product: rolled up from its bill of materials.

Bought and subcontracted parts cost their preferred current supplier's price at
the break for the quantity needed (the part's own `unit_cost` only when no
supplier price is known); made parts cost their components plus their routing
hours at the work centers' hourly rates. A made sub-assembly is therefore
counted once, through what it is made of, never also at its own `unit_cost`.
A product (or option) without BOM lines falls back to its catalog
`base_cost` (`cost_delta`) for material, as their help texts say; the
product's own routing (final assembly) is added at the work-center rates.

Routing setup hours are spread over the quantity of the lot, so the unit cost
of a made part falls as the quantity grows, like the supplier price breaks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from apps.catalog.models import Option, PartKind, Product
from apps.catalog.selectors import supplier_options
from apps.catalog.structure import MAX_DEPTH, structure

ZERO = Decimal("0")
CENT = Decimal("0.01")


class CostingError(ValueError):
    pass


@dataclass(frozen=True)
class _Data:
    bom: dict
    routing: dict
    suppliers: dict
    parts: dict


def _load(product: Product, options: Iterable[Option], on: dt.date) -> _Data:
    tree = structure(product_ids=[product.pk], option_ids=[o.pk for o in options])
    if not tree.complete:
        raise CostingError(f"The BOM of {product.name} is nested too deep.")
    return _Data(
        bom=tree.bom,
        routing=tree.routing,
        suppliers=supplier_options(tree.parts, on=on),
        parts=tree.parts,
    )


def _routing_cost(ops, quantity: Decimal) -> Decimal:
    """Cost of making `quantity` units (setup once, run per unit) at the work-center rates."""
    return sum((op.hours_for(quantity) * op.work_center.hourly_rate for op in ops), ZERO)


def _part_unit_cost(data: _Data, part_id, quantity: Decimal, depth: int) -> Decimal:
    if depth > MAX_DEPTH:
        raise CostingError("A bill of materials is nested too deep (or contains itself).")
    part = data.parts[part_id]
    children = data.bom.get(("part", part_id), [])
    ops = data.routing.get(("part", part_id), [])
    made = sum(
        (
            bl.quantity * _part_unit_cost(data, bl.component_id, bl.quantity * quantity, depth + 1)
            for bl in children
        ),
        ZERO,
    )
    if ops:
        made += _routing_cost(ops, quantity) / quantity
    if part.kind == PartKind.MAKE:
        return made if (children or ops) else part.unit_cost
    # Bought or subcontracted: the supplier's price, plus any material we free-issue to it.
    for sp in data.suppliers.get(part_id, []):
        price = sp.unit_price(quantity)
        if price is not None:
            return price + made
    return part.unit_cost + made


def _lines_cost(data: _Data, lines, quantity: Decimal) -> Decimal:
    return sum(
        (
            bl.quantity * _part_unit_cost(data, bl.component_id, bl.quantity * quantity, 1)
            for bl in lines
        ),
        ZERO,
    )


def rolled_up_unit_cost(
    *, product: Product, options: Iterable[Option], quantity: int, on: dt.date | None = None
) -> Decimal:
    """Cost of one unit of `product` configured with `options`, made in a lot of `quantity`."""
    options = list(options)
    qty = Decimal(max(int(quantity), 1))
    data = _load(product, options, on or timezone.localdate())
    own_bom = data.bom.get(("product", product.pk), [])
    own_ops = data.routing.get(("product", product.pk), [])
    # Material from the BOM when it has one, else the catalog base cost; labour always.
    cost = _lines_cost(data, own_bom, qty) if own_bom else product.base_cost
    cost += _routing_cost(own_ops, qty) / qty
    for option in options:
        option_bom = data.bom.get(("option", option.pk), [])
        cost += _lines_cost(data, option_bom, qty) if option_bom else option.cost_delta
    return cost.quantize(CENT, rounding=ROUND_HALF_UP)
