"""What products are made of, as plain values: BOM lines at every level with their
parts, routing operations with their work centers. What the promise engine and the
cost roll-up walk.

Read with `values()` queries compiled once per shape (`apps.core.prepared`): the ORM's
compiling and the model instances of the same three queries were most of a 20-line
promise's Python (23,000 calls). Nothing is kept between calls (only SQL is): each call
reads the catalog as it is now, so there is nothing to invalidate.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet

from apps.catalog.models import BOMLine, RoutingOperation
from apps.core.prepared import prepared_values

MAX_DEPTH = 12


@dataclass(frozen=True, slots=True)
class PartInfo:
    """A part as a BOM line's component: what planning and costing read of it."""

    pk: object
    number: str
    name: str
    kind: str
    uom: str
    unit_cost: Decimal
    design_specific: bool

    def __str__(self) -> str:  # as Part.__str__
        return f"{self.number} {self.name}"


@dataclass(frozen=True, slots=True)
class BomRow:
    component_id: object
    quantity: Decimal
    component: PartInfo


@dataclass(frozen=True, slots=True)
class WorkCenterInfo:
    pk: object
    code: str
    name: str
    daily_capacity_hours: Decimal
    hourly_rate: Decimal
    weekdays: frozenset[int]


@dataclass(frozen=True, slots=True)
class OperationRow:
    sequence: int
    name: str
    work_center_id: object
    work_center: WorkCenterInfo
    setup_hours: Decimal
    run_hours: Decimal

    def hours_for(self, quantity: Decimal) -> Decimal:  # as RoutingOperation.hours_for
        return self.setup_hours + self.run_hours * quantity


@dataclass(frozen=True)
class Structure:
    """`bom`: BOM lines keyed by ("product"|"option"|"part", parent id), in id order;
    `routing`: operations keyed by ("product"|"part", id), in sequence order;
    `parts`: every component by id; `complete`: False when a BOM goes deeper than
    MAX_DEPTH levels of parts (or contains itself): the levels below are not read."""

    bom: dict
    routing: dict
    parts: dict
    complete: bool = True


_PART_FIELDS = ("number", "name", "kind", "uom", "unit_cost", "design_specific")
_WC_FIELDS = ("code", "name", "daily_capacity_hours", "hourly_rate", "working_weekdays")


def _any_of(**lookups: list) -> Q:
    """`a__in=[…] OR b__in=[…]`, leaving out the empty lists (in that order: the
    slots' order in the compiled SQL)."""
    cond = Q(pk__in=[])
    for lookup, values in lookups.items():
        if values:
            cond |= Q(**{lookup: values})
    return cond


def _bom_query(n_products: int, n_options: int, slots: list) -> QuerySet:
    cond = _any_of(
        product_id__in=slots[:n_products],
        option_id__in=slots[n_products : n_products + n_options],
        parent_part_id__in=slots[n_products + n_options :],
    )
    return BOMLine.objects.filter(cond).values(
        "product_id",
        "option_id",
        "parent_part_id",
        "component_id",
        "quantity",
        *(f"component__{name}" for name in _PART_FIELDS),
    )


def _routing_query(n_products: int, slots: list) -> QuerySet:
    cond = _any_of(product_id__in=slots[:n_products], part_id__in=slots[n_products:])
    return RoutingOperation.objects.filter(cond).values(
        "product_id",
        "part_id",
        "sequence",
        "name",
        "work_center_id",
        "setup_hours",
        "run_hours",
        *(f"work_center__{name}" for name in _WC_FIELDS),
    )


def _weekdays(text: str) -> frozenset[int]:  # as WorkCenter.weekdays
    return frozenset(int(d) for d in text.split(",") if d.strip())


def structure(*, product_ids=(), option_ids=()) -> Structure:
    """BOMs (every level) of `product_ids` and `option_ids`, their parts, and the
    routings of the products and of every part: one query per BOM level and one for
    the routings."""
    product_ids, option_ids = list(dict.fromkeys(product_ids)), list(dict.fromkeys(option_ids))
    bom: dict = {}
    parts: dict = {}
    shape = (len(product_ids), len(option_ids))
    rows = prepared_values(_bom_query, shape, product_ids + option_ids)
    depth, complete = 0, True
    while rows:
        frontier = []
        for row in rows:
            pk = row["component_id"]
            part = parts.get(pk)
            if part is None:
                part = parts[pk] = PartInfo(pk, *(row[f"component__{n}"] for n in _PART_FIELDS))
                frontier.append(pk)
            if row["product_id"]:
                key = ("product", row["product_id"])
            elif row["option_id"]:
                key = ("option", row["option_id"])
            else:
                key = ("part", row["parent_part_id"])
            bom.setdefault(key, []).append(BomRow(pk, row["quantity"], part))
        if not frontier:
            break
        if depth == MAX_DEPTH:
            complete = False
            break
        depth += 1
        rows = prepared_values(_bom_query, (0, 0), frontier)
    routing: dict = {}
    centers: dict = {}
    ops = prepared_values(_routing_query, (len(product_ids),), product_ids + list(parts))
    for row in ops:
        wc_id = row["work_center_id"]
        center = centers.get(wc_id)
        if center is None:
            center = centers[wc_id] = WorkCenterInfo(
                wc_id,
                row["work_center__code"],
                row["work_center__name"],
                row["work_center__daily_capacity_hours"],
                row["work_center__hourly_rate"],
                _weekdays(row["work_center__working_weekdays"]),
            )
        key = ("product", row["product_id"]) if row["product_id"] else ("part", row["part_id"])
        routing.setdefault(key, []).append(
            OperationRow(
                row["sequence"],
                row["name"],
                wc_id,
                center,
                row["setup_hours"],
                row["run_hours"],
            )
        )
    return Structure(bom=bom, routing=routing, parts=parts, complete=complete)
