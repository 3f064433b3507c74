"""Reads of the catalog and of its two ledgers (stock, capacity).

Catalog data (products, parts, routings) is not secret between internal roles;
what customers and suppliers may see of it is decided by the apps that show it.
The ledger readers here are what the promise-date engine uses.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, QuerySet, Sum

from apps.accounts.models import User
from apps.catalog.models import (
    BOMLine,
    ConfigurationRule,
    Option,
    OptionGroup,
    Part,
    Product,
    RoutingOperation,
    StockEntry,
    StockEntryKind,
    StockPosition,
    SupplierClosure,
    SupplierPart,
    WorkCenter,
    WorkCenterClosure,
    WorkCenterLoad,
)
from apps.core.permissions import is_internal
from apps.core.prepared import prepared_rows, prepared_values

ZERO = Decimal("0")


def products_visible_to(user: User) -> QuerySet[Product]:
    """Active products are public to every signed-in user; inactive ones to internal staff."""
    qs = Product.objects.all()
    if not (user.is_authenticated and user.is_active):
        return qs.none()
    if not is_internal(user):
        return qs.filter(is_active=True)
    return qs


def product_with_options(qs: QuerySet[Product]) -> QuerySet[Product]:
    """Products with what a client needs to build a valid configuration.

    Four extra queries whatever the number of products: option groups, their
    active options, the rules (naming their options' groups) and the price breaks.
    """
    return qs.prefetch_related(
        Prefetch(
            "option_groups",
            queryset=OptionGroup.objects.prefetch_related(
                Prefetch("options", queryset=Option.objects.filter(is_active=True))
            ),
        ),
        Prefetch(
            "rules",
            queryset=ConfigurationRule.objects.select_related("option__group", "other__group"),
        ),
        "price_breaks",
    )


def bom_children(*, product_ids=(), option_ids=(), part_ids=()) -> dict[tuple[str, object], list]:
    """BOM lines keyed by ("product"|"option"|"part", parent id)."""
    out: dict[tuple[str, object], list[BOMLine]] = defaultdict(list)
    from django.db.models import Q

    cond = Q(pk__in=[])
    if product_ids:
        cond |= Q(product_id__in=list(product_ids))
    if option_ids:
        cond |= Q(option_id__in=list(option_ids))
    if part_ids:
        cond |= Q(parent_part_id__in=list(part_ids))
    for line in BOMLine.objects.filter(cond).select_related("component"):
        if line.product_id:
            out[("product", line.product_id)].append(line)
        elif line.option_id:
            out[("option", line.option_id)].append(line)
        else:
            out[("part", line.parent_part_id)].append(line)
    return out


def routing_for(*, product_ids=(), part_ids=()) -> dict[tuple[str, object], list[RoutingOperation]]:
    out: dict[tuple[str, object], list[RoutingOperation]] = defaultdict(list)
    from django.db.models import Q

    ops = RoutingOperation.objects.filter(
        Q(product_id__in=list(product_ids)) | Q(part_id__in=list(part_ids))
    ).select_related("work_center")
    for op in ops:
        key = ("product", op.product_id) if op.product_id else ("part", op.part_id)
        out[key].append(op)
    return out


# The ledger reads of a promise run on every line edit with the same shapes and other
# ids: their SQL is compiled once per shape (apps.core.prepared), rows read every time.


def _stock_position_query(slots: list) -> QuerySet:
    return StockPosition.objects.filter(part_id__in=slots).values()


def _receipts_query(slots: list) -> QuerySet:
    return (
        StockEntry.objects.filter(part_id__in=slots, kind=StockEntryKind.EXPECTED)
        .values("part_id", "date")
        .annotate(total=Sum("quantity"))
        .order_by("part_id", "date")
    )


def _load_query(start: dt.date, end: dt.date, slots: list) -> QuerySet:
    return WorkCenterLoad.objects.filter(
        work_center_id__in=slots, date__gte=start, date__lte=end
    ).values("work_center_id", "date", "hours")


def _closures_query(start: dt.date, end: dt.date, slots: list) -> QuerySet:
    from django.db.models import Q

    return WorkCenterClosure.objects.filter(
        Q(work_center_id__in=slots) | Q(work_center__isnull=True),
        date__gte=start,
        date__lte=end,
    ).values("work_center_id", "date")


def stock_position(part_ids) -> dict[object, dict[str, Decimal]]:
    """On hand, reserved and allocated (from incoming supply) per part: one row each
    (StockPosition), however long the history."""
    out: dict[object, dict[str, Decimal]] = defaultdict(
        lambda: {"on_hand": ZERO, "reserved": ZERO, "allocated": ZERO}
    )
    for row in prepared_values(_stock_position_query, (), part_ids):
        out[row["part_id"]] = {
            "on_hand": row["on_hand"],
            "reserved": row["reserved"],
            "allocated": row["allocated"],
        }
    return out


def expected_receipts(
    part_ids, *, from_date: dt.date
) -> dict[object, list[tuple[dt.date, Decimal]]]:
    """Net expected receipts per part and date, oldest first (late receipts count from today)."""
    out: dict[object, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    for row in prepared_values(_receipts_query, (), part_ids):
        if row["total"] and row["total"] > 0:
            out[row["part_id"]].append((max(row["date"], from_date), row["total"]))
    return out


@dataclass(frozen=True, slots=True)
class SupplierInfo:
    pk: object
    name: str

    def __str__(self) -> str:  # as Organization.__str__
        return self.name


@dataclass(frozen=True, slots=True)
class SupplierOption:
    """A current supplier part as planning and costing read it (plain values)."""

    pk: object
    part_id: object
    supplier_id: object
    supplier: SupplierInfo
    lead_time_days: int
    minimum_order_quantity: Decimal
    is_preferred: bool
    valid_until: dt.date | None
    breaks: tuple  # ((min quantity, unit price), ...) by min quantity; () when not read

    def is_current(self, on: dt.date) -> bool:  # as SupplierPart.is_current
        return self.valid_until is None or self.valid_until >= on

    def unit_price(self, quantity: Decimal) -> Decimal | None:  # as SupplierPart.unit_price
        best = None
        for min_quantity, price in self.breaks:
            if min_quantity <= quantity:
                best = price
        return best


_SUPPLIER_PART_FIELDS = (
    "id",
    "part_id",
    "supplier_id",
    "supplier__name",
    "lead_time_days",
    "minimum_order_quantity",
    "is_preferred",
    "valid_until",
)


def _supplier_parts_query(prices: bool, slots: list) -> QuerySet:
    # With prices, one row per price break (none: one row of NULLs), in the order
    # SupplierPart.unit_price sorted them.
    qs = SupplierPart.objects.filter(part_id__in=slots)
    order = ["part_id", "-is_preferred", "lead_time_days", "id"]
    if not prices:
        return qs.order_by(*order).values(*_SUPPLIER_PART_FIELDS)
    return qs.order_by(*order, "price_breaks__min_quantity").values(
        *_SUPPLIER_PART_FIELDS, "price_breaks__min_quantity", "price_breaks__unit_price"
    )


def supplier_options(
    part_ids, *, on: dt.date, prices: bool = True
) -> dict[object, list[SupplierOption]]:
    """Current supplier parts per part, preferred first, then shortest lead time.
    `prices`: with their price breaks (costing); the promise engine needs none.
    One query, compiled once per shape (apps.core.prepared)."""
    out: dict[object, list[SupplierOption]] = defaultdict(list)
    suppliers: dict = {}
    last = None
    breaks: list = []
    for row in prepared_values(_supplier_parts_query, (prices,), list(part_ids)):
        if last is None or row["id"] != last["id"]:
            if last is not None:
                _supplier_option_add(out, suppliers, last, breaks, on)
            last, breaks = row, []
        if prices and row["price_breaks__min_quantity"] is not None:
            breaks.append((row["price_breaks__min_quantity"], row["price_breaks__unit_price"]))
    if last is not None:
        _supplier_option_add(out, suppliers, last, breaks, on)
    return out


def _supplier_option_add(out, suppliers: dict, row: dict, breaks: list, on: dt.date) -> None:
    if row["valid_until"] is not None and row["valid_until"] < on:
        return
    supplier = suppliers.get(row["supplier_id"])
    if supplier is None:
        supplier = suppliers[row["supplier_id"]] = SupplierInfo(
            row["supplier_id"], row["supplier__name"]
        )
    out[row["part_id"]].append(
        SupplierOption(
            row["id"],
            row["part_id"],
            row["supplier_id"],
            supplier,
            row["lead_time_days"],
            row["minimum_order_quantity"],
            row["is_preferred"],
            row["valid_until"],
            tuple(breaks),
        )
    )


def _supplier_closures_query(start: dt.date, slots: list) -> QuerySet:
    return (
        SupplierClosure.objects.filter(supplier_id__in=slots, end_date__gte=start)
        .order_by("start_date", "id")
        .values("supplier_id", "start_date", "end_date")
    )


@dataclass(frozen=True, slots=True)
class ClosureDays:
    start_date: dt.date
    end_date: dt.date


def supplier_closures(supplier_ids, *, start: dt.date) -> dict[object, list[ClosureDays]]:
    """Closures per supplier that end on or after `start`, in date order."""
    out: dict[object, list[ClosureDays]] = defaultdict(list)
    for row in prepared_values(_supplier_closures_query, (start,), list(supplier_ids)):
        out[row["supplier_id"]].append(ClosureDays(row["start_date"], row["end_date"]))
    return out


def capacity_load(work_center_ids, *, start: dt.date, end: dt.date) -> dict[tuple, Decimal]:
    """Hours already reserved per (work center, day): the stored running sums
    (WorkCenterLoad), at most one row per center and day, however many reservations."""
    rows = prepared_rows(_load_query, (start, end), work_center_ids)
    return {(center, day): hours for center, day, hours in rows if hours}


def closures(work_center_ids, *, start: dt.date, end: dt.date) -> set[tuple]:
    """(work center id or None for the whole plant, date) of every non-working day."""
    rows = prepared_values(_closures_query, (start, end), work_center_ids)
    return {(r["work_center_id"], r["date"]) for r in rows}


def work_centers(ids) -> dict[object, WorkCenter]:
    return {wc.pk: wc for wc in WorkCenter.objects.filter(pk__in=list(ids))}


def parts_by_id(ids) -> dict[object, Part]:
    return {p.pk: p for p in Part.objects.filter(pk__in=list(ids))}
