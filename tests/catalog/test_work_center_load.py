"""The stored load per work center and day (WorkCenterLoad) equals the sum of the
capacity reservations after every way a reservation is written."""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.db.models import Sum

from apps.catalog.models import CapacityReservation, WorkCenterLoad
from apps.catalog.selectors import capacity_load
from tests.catalog.factories import WorkCenterFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 23)


def recomputed() -> dict:
    return {
        (wc, day): total
        for wc, day, total in CapacityReservation.objects.order_by()
        .values_list("work_center_id", "date")
        .annotate(total=Sum("hours"))
    }


def stored() -> dict:
    return {
        (wc, day): hours
        for wc, day, hours in WorkCenterLoad.objects.values_list("work_center_id", "date", "hours")
        if hours
    }


def reserve(wc, day=DAY, hours="3", reference="WO-1"):
    return CapacityReservation.objects.create(
        work_center=wc, date=day, hours=Decimal(hours), reference=reference
    )


def test_every_reservation_write_keeps_the_stored_load():
    a, b = WorkCenterFactory(code="A"), WorkCenterFactory(code="B")
    first = reserve(a)
    reserve(a, hours="2.5")
    assert stored() == recomputed() == {(a.pk, DAY): Decimal("5.5")}

    CapacityReservation.objects.bulk_create(
        [
            CapacityReservation(work_center=a, date=DAY, hours=Decimal("1"), reference="WO-2"),
            CapacityReservation(work_center=b, date=DAY, hours=Decimal("4"), reference="WO-2"),
            CapacityReservation(
                work_center=b, date=DAY + dt.timedelta(days=1), hours=Decimal("2"), reference="W"
            ),
        ]
    )
    assert stored() == recomputed()
    assert stored()[(a.pk, DAY)] == Decimal("6.5")

    # An edit (the admin's change form): hours, day and work center move.
    first.hours = Decimal("7")
    first.save()
    assert stored() == recomputed()
    first.date = DAY + dt.timedelta(days=2)
    first.work_center = b
    first.save()
    assert stored() == recomputed()
    assert stored()[(a.pk, DAY)] == Decimal("3.5")

    CapacityReservation.objects.filter(reference="WO-2").update(date=DAY + dt.timedelta(days=5))
    assert stored() == recomputed()

    first.delete()
    assert stored() == recomputed()

    CapacityReservation.objects.filter(work_center=b).delete()
    assert stored() == recomputed()
    CapacityReservation.objects.all().delete()
    assert stored() == recomputed() == {}


def test_the_engine_reads_the_stored_load_within_its_range():
    wc = WorkCenterFactory(code="A")
    reserve(wc, hours="3")
    reserve(wc, hours="4")
    reserve(wc, day=DAY + dt.timedelta(days=40), hours="1")
    reserve(wc, day=DAY - dt.timedelta(days=1), hours="8")
    assert capacity_load([wc.pk], start=DAY, end=DAY + dt.timedelta(days=30)) == {
        (wc.pk, DAY): Decimal("7")
    }


def test_the_migration_fills_the_load_of_existing_reservations():
    from django.apps import apps

    wc = WorkCenterFactory(code="A")
    reserve(wc, hours="3")
    reserve(wc, hours="2")
    reserve(wc, day=DAY + dt.timedelta(days=1), hours="1")
    WorkCenterLoad.objects.all().delete()
    migration = importlib.import_module("apps.catalog.migrations.0008_work_center_load")
    migration.fill_loads(apps, None)
    assert (
        stored()
        == recomputed()
        == {
            (wc.pk, DAY): Decimal("5"),
            (wc.pk, DAY + dt.timedelta(days=1)): Decimal("1"),
        }
    )


def test_hours_given_as_a_number_or_text_are_added_exactly():
    wc = WorkCenterFactory(code="A")
    CapacityReservation.objects.bulk_create(
        [
            CapacityReservation(work_center=wc, date=DAY, hours=2, reference="WO-1"),
            CapacityReservation(work_center=wc, date=DAY, hours="0.1", reference="WO-2"),
        ]
    )
    reserve(wc, hours="0.2")
    assert stored() == recomputed() == {(wc.pk, DAY): Decimal("2.3")}
