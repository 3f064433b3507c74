"""What products are made of, as plain values: BOM lines at every level with their
parts, routing operations with their work centers. What the promise engine and the
cost roll-up walk.

Read with `values()` queries compiled once per shape (`apps.core.prepared`): the ORM's
compiling and the model instances of the same three queries were most of a 20-line
promise's Python (23,000 calls). Nothing is kept between calls (only SQL is): each call
reads the catalog as it is now, so there is nothing to invalidate. The one exception is
`structure_reuse()`, a scope a service opens around one action (editing a quote line
prices the line, then re-promises the quote): inside it, what was read once is answered
again without a query, and it is dropped when the scope ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
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
    the routings (none for what a `structure_reuse()` scope around the call has read)."""
    product_ids, option_ids = list(dict.fromkeys(product_ids)), list(dict.fromkeys(option_ids))
    memo = _memo.get()
    if memo is None or memo.broken:
        return _read(product_ids, option_ids, {}, {}, {})
    missing = [p for p in product_ids if ("product", p) not in memo.roots]
    missing_options = [o for o in option_ids if ("option", o) not in memo.roots]
    if missing or missing_options:
        # Only what is new is read: the parts already known keep their BOM and routing.
        grown = _read(missing, missing_options, memo.bom, memo.parts, memo.routing)
        if not grown.complete:
            # A level left unread (a BOM too deep, or containing itself): what the
            # scope holds is no longer whole, so every call reads on its own.
            memo.broken = True
            return _read(product_ids, option_ids, {}, {}, {})
        memo.roots.update(("product", p) for p in missing)
        memo.roots.update(("option", o) for o in missing_options)
        memo.reads += 1
    if memo.reads == 1 and len(product_ids) + len(option_ids) == len(memo.roots):
        # Asked for exactly the roots of the one read (the re-promise of the whole
        # quote): the scope's structure is what structure() read for them.
        return Structure(bom=memo.bom, routing=memo.routing, parts=memo.parts)
    return memo.view(product_ids, option_ids)


def _walk(level, take, below) -> bool:
    """Walk BOM levels breadth-first from the roots' `level`: `take(level)` records a
    level and answers the parts new in it, `below(parts)` is their level. False when
    MAX_DEPTH levels of parts were walked and there was more (left unread)."""
    depth = 0
    while True:
        frontier = take(level)
        if not frontier:
            return True
        if depth == MAX_DEPTH:
            return False
        depth += 1
        level = below(frontier)


@dataclass
class _Memo:
    """What a structure_reuse() scope has read: every root's BOM, every part's BOM and
    routing (each read whole), every root product's routing."""

    roots: set = field(default_factory=set)
    bom: dict = field(default_factory=dict)
    parts: dict = field(default_factory=dict)
    routing: dict = field(default_factory=dict)
    broken: bool = False
    # Reads that grew it: after a second one, a part's depth below a root may differ
    # from the read that found it, so views walk the levels again (MAX_DEPTH).
    reads: int = 0

    def view(self, product_ids: list, option_ids: list) -> Structure:
        """The Structure structure() would read for these roots: the same levels walked
        in the same order (MAX_DEPTH counted from these roots), nothing more."""
        bom: dict = {}
        parts: dict = {}

        def take(keys: list) -> list:
            frontier = []
            for key in keys:
                rows = self.bom.get(key)
                if not rows:
                    continue
                bom[key] = rows
                for row in rows:
                    if row.component_id not in parts:
                        parts[row.component_id] = row.component
                        frontier.append(row.component_id)
            return frontier

        roots = [("product", p) for p in product_ids] + [("option", o) for o in option_ids]
        complete = _walk(roots, take, lambda frontier: [("part", pk) for pk in frontier])
        routing = {}
        for key in [*(("product", p) for p in product_ids), *(("part", pk) for pk in parts)]:
            ops = self.routing.get(key)
            if ops:
                routing[key] = ops
        return Structure(bom=bom, routing=routing, parts=parts, complete=complete)


_memo: ContextVar[_Memo | None] = ContextVar("structure_memo", default=None)


@contextmanager
def structure_reuse(*, product_ids=()) -> Iterator[None]:
    """Within: structure() reads each product, option and part once and answers the
    rest from what it read (per scope, never kept after it: a service opens it around
    one action, in which the catalog does not change). `product_ids`: read them now in
    one pass (the products of every line the action will price and promise). A scope
    inside another is the outer one."""
    if _memo.get() is not None:
        yield
        return
    token = _memo.set(_Memo())
    try:
        if product_ids:
            structure(product_ids=product_ids)
        yield
    finally:
        _memo.reset(token)


def _read(product_ids: list, option_ids: list, bom: dict, parts: dict, routing: dict):
    """Read the roots' BOMs into `bom` and `parts` (the parts already in `parts` are not
    read again) and the routings of the roots and of the new parts into `routing`."""
    if not product_ids and not option_ids:
        return Structure(bom=bom, routing=routing, parts=parts)
    new_parts: list = []
    shape = (len(product_ids), len(option_ids))

    def take(rows: list) -> list:
        frontier = []
        for row in rows:
            pk = row["component_id"]
            part = parts.get(pk)
            if part is None:
                part = parts[pk] = PartInfo(pk, *(row[f"component__{n}"] for n in _PART_FIELDS))
                frontier.append(pk)
                new_parts.append(pk)
            if row["product_id"]:
                key = ("product", row["product_id"])
            elif row["option_id"]:
                key = ("option", row["option_id"])
            else:
                key = ("part", row["parent_part_id"])
            bom.setdefault(key, []).append(BomRow(pk, row["quantity"], part))
        return frontier

    complete = _walk(
        prepared_values(_bom_query, shape, product_ids + option_ids),
        take,
        lambda frontier: prepared_values(_bom_query, (0, 0), frontier),
    )
    centers: dict = {}
    ops = prepared_values(_routing_query, (len(product_ids),), product_ids + new_parts)
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
