"""The buyer's dashboard panel: expected receipts due soon or overdue (two queries)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from apps.accounts.roles import Role
from apps.catalog import ledger_reads
from apps.core.dashboards import Panel, PanelRow
from apps.core.permissions import is_internal

SOON_DAYS = 14


def receipts_due_panel(user) -> Panel | None:
    if not (is_internal(user) and user.has_role(Role.BUYER)):
        return None
    today = timezone.localdate()
    soon = today + dt.timedelta(days=SOON_DAYS)
    due = ledger_reads.open_receipts().filter(date__lte=soon)
    # Due and overdue (a part of due) counted together, from the index alone.
    counts = (
        ledger_reads.open_receipt_groups()
        .filter(date__lte=soon)
        .aggregate(due=Count("date"), overdue=Count("date", filter=Q(date__lt=today)))
    )
    overdue = counts["overdue"]
    url = reverse("suppliers:receipt-list")
    rows = [
        PanelRow(
            label=f"{row['reference']}: {row['part__number']}",
            detail=row["part__name"],
            value=f"{row['date']:%b %-d}",
            url=f"{url}?reference={row['reference']}",
            alert=row["date"] < today,
        )
        for row in due[:5]
    ]
    return Panel(
        key="receipts-due",
        title=f"Receipts due in {SOON_DAYS} days",
        icon="box-arrow-in-down",
        count=counts["due"],
        rows=rows,
        empty_text="No receipt is due in the next two weeks.",
        more_url=url,
        alert=f"{overdue} overdue" if overdue else "",
        order=60,
    )
