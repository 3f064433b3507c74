"""Planning's work-center capacity and closures: one signal after commit, field errors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from apps.catalog import capacity
from apps.catalog.models import WorkCenter, WorkCenterClosure
from apps.catalog.signals import capacity_changed
from apps.core.models import Activity
from tests.catalog.factories import WorkCenterFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = TODAY + dt.timedelta(days=9)


@pytest.fixture
def assembly():
    return WorkCenterFactory(code="ASM", name="Assembly")


@pytest.fixture
def test_bench():
    return WorkCenterFactory(code="TST", name="Test bench")


@pytest.fixture
def heard():
    calls: list[dict] = []

    def listen(sender, **kwargs):
        calls.append(kwargs)

    capacity_changed.connect(listen)
    yield calls
    capacity_changed.disconnect(listen)


def test_capacity_change_announced_once_after_commit(
    assembly, planner, heard, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        capacity.work_center_set_capacity(work_center=assembly, hours=Decimal("12"), actor=planner)
        assert heard == []
    assert len(heard) == 1  # once (the re-planner may queue its own callbacks after)
    assert heard[0] | {"signal": None} == {
        "signal": None,
        "work_center_ids": {assembly.pk},
        "cause": "capacity",
        "text": "ASM daily capacity 8 h → 12 h",
        "from_date": TODAY,
    }
    assert WorkCenter.objects.get(pk=assembly.pk).daily_capacity_hours == Decimal("12")
    assert Activity.objects.filter(verb="capacity_changed", object_id=str(assembly.pk)).exists()


def test_closure_add_and_remove_each_announce_once(
    assembly, test_bench, planner, heard, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        closure = capacity.closure_add(
            work_center=assembly, date=DAY, reason="Crane inspection", actor=planner
        )
    assert len(heard) == 1
    assert heard[0]["work_center_ids"] == {assembly.pk}
    assert heard[0]["cause"] == "closure" and heard[0]["from_date"] == DAY
    assert "Crane inspection" in heard[0]["text"]
    with django_capture_on_commit_callbacks(execute=True):
        capacity.closure_remove(closure=closure, actor=planner)
    assert len(heard) == 2 and heard[1]["cause"] == "closure"
    assert not WorkCenterClosure.objects.exists()


def test_a_plant_closure_touches_every_work_center(
    assembly, test_bench, planner, heard, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        closure = capacity.closure_add(work_center=None, date=DAY, actor=planner)
    assert closure.work_center is None
    assert heard[0]["work_center_ids"] == {assembly.pk, test_bench.pk}
    # The plant is closed: no work center can be closed again that day.
    with pytest.raises(ValidationError) as exc:
        capacity.closure_add(work_center=assembly, date=DAY, actor=planner)
    assert exc.value.message_dict["date"][0].startswith("The plant is already closed")


def test_a_rolled_back_closure_announces_nothing(
    assembly, planner, heard, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        capacity.closure_add(work_center=assembly, date=DAY, actor=planner)
        raise RuntimeError("rolled back")
    assert callbacks == [] and heard == []
    assert not WorkCenterClosure.objects.exists()


def test_closing_a_closed_day_is_a_field_error(assembly, planner):
    capacity.closure_add(work_center=assembly, date=DAY, actor=planner)
    with pytest.raises(ValidationError) as exc:
        capacity.closure_add(work_center=assembly, date=DAY, actor=planner)
    assert exc.value.message_dict == {
        "date": [f"ASM is already closed on {DAY.strftime('%a %b ')}{DAY.day}, {DAY.year}."]
    }
    # A plant closure on that day is still possible (it closes the others too).
    capacity.closure_add(work_center=None, date=DAY, actor=planner)
    with pytest.raises(ValidationError):
        capacity.closure_add(work_center=None, date=DAY, actor=planner)


@pytest.mark.parametrize(
    "kwargs,fields",
    [
        ({"date": TODAY - dt.timedelta(days=1)}, {"date"}),
        ({"reason": "x" * 101}, {"reason"}),
        ({"date": None}, {"date"}),
    ],
)
def test_bad_closures_get_field_errors(assembly, planner, kwargs, fields):
    with pytest.raises(ValidationError) as exc:
        capacity.closure_add(**({"work_center": assembly, "date": DAY, "actor": planner} | kwargs))
    assert set(exc.value.message_dict) == fields


@pytest.mark.parametrize("hours", ["0", "0.4", "-8", "1000", "8"])
def test_bad_capacity_is_a_field_error(assembly, planner, hours):
    with pytest.raises(ValidationError) as exc:
        capacity.work_center_set_capacity(work_center=assembly, hours=Decimal(hours), actor=planner)
    assert set(exc.value.message_dict) == {"hours"}


@pytest.mark.parametrize("role", ["sales_rep", "buyer", "engineer", "quality"])
def test_only_planning_changes_capacity(request, assembly, role):
    user = request.getfixturevalue(role)
    with pytest.raises(PermissionDenied):
        capacity.work_center_set_capacity(work_center=assembly, hours=Decimal("9"), actor=user)
    with pytest.raises(PermissionDenied):
        capacity.closure_add(work_center=assembly, date=DAY, actor=user)


def test_a_past_closure_stays(assembly, planner):
    closure = WorkCenterClosure.objects.create(
        work_center=assembly, date=TODAY - dt.timedelta(days=3)
    )
    with pytest.raises(ValidationError):
        capacity.closure_remove(closure=closure, actor=planner)
    assert WorkCenterClosure.objects.filter(pk=closure.pk).exists()
