"""The catalog announces supply and capacity changes; orders re-plans what they move.

The re-plan runs in a Celery task queued once the sender's transaction commits,
so a receipt moved on a page answers at once and the re-plan follows.
"""

from __future__ import annotations

from django.db import transaction


def _queue(part_ids, work_center_ids, cause: str, text: str) -> None:
    from apps.orders.tasks import replan_affected

    parts = sorted(str(pk) for pk in part_ids or ())
    wcs = sorted(str(pk) for pk in work_center_ids or ())
    if parts or wcs:
        transaction.on_commit(lambda: replan_affected.delay(parts, wcs, cause, text or ""))


def replan_on_supply_change(sender, *, part_ids, cause, text="", **kwargs) -> None:
    _queue(part_ids, (), cause, text)


def replan_on_capacity_change(sender, *, work_center_ids, cause, text="", **kwargs) -> None:
    _queue((), work_center_ids, cause, text)
