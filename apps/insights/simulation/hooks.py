"""Supply and capacity changes, and the customer's forecast releases, during the simulation.

These call the catalog's and the orders' own services when they exist (the
`supply`, `replan` and `atrisk` work of issue 9 land them); until then the
plain ledger write plus the catalog signal the services send stands in, so a
re-planner listening to `apps.catalog.signals` is reached the same way.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from apps.catalog import signals
from apps.catalog.models import StockEntry, StockEntryKind, WorkCenter, WorkCenterClosure


def receipt_move(*, reference: str, new_date: dt.date) -> bool:
    """The supplier moved the receipt `reference` to `new_date`. False: no such receipt."""
    rows = list(
        StockEntry.objects.filter(kind=StockEntryKind.EXPECTED, reference=reference).order_by("id")
    )
    quantity = sum((r.quantity for r in rows), 0)
    if not rows or quantity <= 0:
        return False
    part_id, old_date = rows[0].part_id, rows[-1].date
    if old_date == new_date:
        return True
    with transaction.atomic():
        StockEntry.objects.bulk_create(
            [
                StockEntry(
                    part_id=part_id,
                    kind=StockEntryKind.EXPECTED,
                    quantity=-quantity,
                    date=old_date,
                    reference=reference,
                    note="Moved by the supplier",
                ),
                StockEntry(
                    part_id=part_id,
                    kind=StockEntryKind.EXPECTED,
                    quantity=quantity,
                    date=new_date,
                    reference=reference,
                    note="Moved by the supplier",
                ),
            ]
        )
        text = f"{reference}: {old_date:%b %d} → {new_date:%b %d}"
        transaction.on_commit(
            lambda: signals.supply_changed.send(
                sender=None, part_ids={part_id}, cause="receipt_moved", text=text
            )
        )
    return True


def work_center_breakdown(*, code: str, days: list[dt.date]) -> None:
    """A breakdown closes the work center `code` on `days`."""
    wc = WorkCenter.objects.get(code=code)
    with transaction.atomic():
        for day in days:
            WorkCenterClosure.objects.get_or_create(
                work_center=wc, date=day, defaults={"reason": "Breakdown"}
            )
        text = f"{wc.code} down {days[0]:%b %d} – {days[-1]:%b %d}"
        transaction.on_commit(
            lambda: signals.capacity_changed.send(
                sender=None,
                work_center_ids={wc.pk},
                cause="closure",
                text=text,
                from_date=days[0],
            )
        )


def forecasts_release_due(now) -> int:
    """Release to the customers the new forecasts whose notice delay has passed."""
    try:
        from apps.orders.services.orders import order_line_forecast_release
    except ImportError:
        return 0
    from apps.orders.models import OrderLine

    released = 0
    for line in OrderLine.objects.filter(forecast_release_due__lte=now).order_by("pk"):
        order_line_forecast_release(line=line, actor=None)
        released += 1
    return released
