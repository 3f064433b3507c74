"""Supply and capacity changes, and the customer's forecast releases, during the simulation.

Purchasing places, moves and closes through the catalog's own services
(apps/catalog/supply.py, apps/catalog/capacity.py), which announce
`supply_changed` / `capacity_changed` after commit, so the re-planner that
listens to them runs as it would in production. A new forecast is released to
the customer by the orders' release service once its notice delay has passed.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Sum

from apps.catalog import capacity, supply
from apps.catalog.models import Part, StockEntry, StockEntryKind, SupplierPart, WorkCenter


def receipt_place(*, part: Part, quantity: Decimal, date: dt.date, reference: str, actor) -> bool:
    """Purchasing orders `quantity` of `part` from its preferred supplier, due `date`.
    False when the part has no supplier to order from."""
    sp = SupplierPart.objects.filter(part=part, is_preferred=True).select_related("supplier")
    sp = sp.first()
    if sp is None:
        return False
    supply.receipt_add(
        part=part,
        quantity=max(quantity, sp.minimum_order_quantity),
        date=date,
        reference=reference,
        supplier=sp.supplier,
        actor=actor,
    )
    return True


def receipt_move(*, reference: str, new_date: dt.date, actor) -> bool:
    """The supplier moved the receipt `reference` to `new_date`. False: no such receipt."""
    row = (
        StockEntry.objects.filter(kind=StockEntryKind.EXPECTED, reference=reference)
        .values("part_id", "date")
        .annotate(total=Sum("quantity"))
        .filter(total__gt=0)
        .order_by("date")
        .first()
    )
    if row is None:
        return False
    if row["date"] != new_date:
        supply.receipt_move(
            part=Part.objects.get(pk=row["part_id"]),
            reference=reference,
            date=row["date"],
            new_date=new_date,
            actor=actor,
        )
    return True


def work_center_breakdown(*, code: str, days: list[dt.date], actor) -> None:
    """A breakdown closes the work center `code` on `days`."""
    wc = WorkCenter.objects.get(code=code)
    for day in days:
        if not wc.closures.filter(date=day).exists():
            capacity.closure_add(work_center=wc, date=day, reason="Breakdown", actor=actor)


def forecasts_release_due(now) -> int:
    """Tell the customers the new forecasts nobody confirmed within the notice period
    (the beat task's service, run once a simulated day)."""
    from apps.orders.services.releases import forecasts_release_due as release

    told = 0
    while batch := release(now=now):
        told += batch
    return told
