"""Planning's writes to work-center capacity: daily hours and closures (DESIGN §5).

The promise engine schedules on each work center's daily capacity, skipping
its closed days and the plant's. A change announces itself with
`capacity_changed` after commit, so `orders` re-plans the open lines that use
the work centers touched (a plant closure touches all of them).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format

from apps.catalog.models import WorkCenter, WorkCenterClosure
from apps.catalog.signals import capacity_changed
from apps.core.permissions import is_internal
from apps.core.services import activity_record

CAUSE_CAPACITY = "capacity"
CAUSE_CLOSURE = "closure"
HOURS_MIN = Decimal("0.5")
# Several shifts of several machines: a day of one center stays well under this.
HOURS_MAX = Decimal("999")
REASON_MAX = 100


def may_plan_capacity(user) -> bool:
    return is_internal(user) and user.has_perm("catalog.change_workcenter")


def may_manage_closures(user) -> bool:
    return is_internal(user) and user.has_perms(
        ["catalog.add_workcenterclosure", "catalog.delete_workcenterclosure"]
    )


def _announce(work_center_ids, cause: str, text: str, from_date: dt.date) -> None:
    ids = set(work_center_ids)
    transaction.on_commit(
        lambda: capacity_changed.send(
            sender=None, work_center_ids=ids, cause=cause, text=text, from_date=from_date
        )
    )


def _day(value: dt.date) -> str:
    return date_format(value, "D M j, Y")


@transaction.atomic
def work_center_set_capacity(*, work_center: WorkCenter, hours: Decimal, actor) -> WorkCenter:
    if not may_plan_capacity(actor):
        raise PermissionDenied("Only planning changes work-center capacity.")
    if hours is None or hours < HOURS_MIN or hours > HOURS_MAX:
        raise ValidationError(
            {"hours": [f"Enter between {HOURS_MIN} and {HOURS_MAX} hours a day."]}
        )
    # The row lock a promise takes on this center (ledgers_lock): a promise being
    # booked finishes on the old capacity before this one changes it.
    work_center = WorkCenter.objects.select_for_update().get(pk=work_center.pk)
    before = work_center.daily_capacity_hours
    if hours == before:
        raise ValidationError({"hours": [f"{work_center.code} already has {hours} h a day."]})
    work_center.daily_capacity_hours = hours
    work_center.save(update_fields=["daily_capacity_hours"])
    text = f"{work_center.code} daily capacity {before.normalize():f} h → {hours.normalize():f} h"
    activity_record(target=work_center, actor=actor, verb="capacity_changed", text=text)
    _announce([work_center.pk], CAUSE_CAPACITY, text, timezone.localdate())
    return work_center


def _plant_or(work_center: WorkCenter | None) -> list:
    if work_center is not None:
        return [work_center]
    return list(WorkCenter.objects.order_by("code"))


@transaction.atomic
def closure_add(
    *, work_center: WorkCenter | None, date: dt.date, reason: str = "", actor
) -> WorkCenterClosure:
    """Close `work_center` (None: the whole plant) on `date`."""
    if not may_manage_closures(actor):
        raise PermissionDenied("Only planning closes work centers.")
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if date is None or date < timezone.localdate():
        errors["date"] = ["Choose today or a later date."]
    if len(reason) > REASON_MAX:
        errors["reason"] = [f"Keep the reason under {REASON_MAX} characters."]
    if errors:
        raise ValidationError(errors)
    centers = _plant_or(work_center)
    # Serialize with promises and with a second closure of the same day.
    list(WorkCenter.objects.select_for_update().filter(pk__in=[c.pk for c in centers]))
    scope = Q(work_center__isnull=True)
    if work_center is not None:
        scope |= Q(work_center=work_center)
    existing = WorkCenterClosure.objects.filter(scope, date=date).first()
    if existing is not None:
        who = "The plant" if existing.work_center_id is None else work_center.code
        raise ValidationError({"date": [f"{who} is already closed on {_day(date)}."]})
    closure = WorkCenterClosure.objects.create(work_center=work_center, date=date, reason=reason)
    name = work_center.code if work_center else "Plant"
    text = f"{name} closed on {_day(date)}{': ' + reason if reason else ''}"
    for center in centers:
        activity_record(target=center, actor=actor, verb="closure_added", text=text)
    _announce([c.pk for c in centers], CAUSE_CLOSURE, text, date)
    return closure


@transaction.atomic
def closure_remove(*, closure: WorkCenterClosure, actor) -> None:
    """Open a closed day again (more capacity: lines waiting may come forward)."""
    if not may_manage_closures(actor):
        raise PermissionDenied("Only planning opens closed days.")
    if closure.date < timezone.localdate():
        raise ValidationError({"date": ["A past closure is history; it stays."]})
    centers = _plant_or(closure.work_center)
    list(WorkCenter.objects.select_for_update().filter(pk__in=[c.pk for c in centers]))
    name = closure.work_center.code if closure.work_center else "Plant"
    text = f"{name} open again on {_day(closure.date)}"
    date = closure.date
    closure.delete()
    for center in centers:
        activity_record(target=center, actor=actor, verb="closure_removed", text=text)
    _announce([c.pk for c in centers], CAUSE_CLOSURE, text, date)
