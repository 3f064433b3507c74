"""Purchasing's and planning's list rows (apps.core.rows): each row template reads only
its presenter's values, and a change shows at once (the memo is content-addressed)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from types import SimpleNamespace

import pytest
from django.urls import reverse

from apps.core.rows import ROW_PRESENTERS, render_rows, row_cache, row_values
from apps.orders.models import PlanRun, PlanRunKind
from tests.catalog.factories import PartFactory, stock
from tests.sales.test_list_rows import _names_read, _partial_source

pytestmark = pytest.mark.django_db

ROWS = {
    "purchasing/parts.html#row",
    "purchasing/receipts.html#row",
    "manufacturing/replan.html#run-row",
    "manufacturing/replan.html#move-row",
}


@pytest.fixture(autouse=True)
def _empty_row_cache():
    row_cache.clear()
    yield
    row_cache.clear()


def test_every_row_has_a_presenter():
    assert set(ROW_PRESENTERS) >= ROWS


@pytest.mark.parametrize("name", sorted(ROWS))
def test_a_row_template_reads_only_its_values(name):
    names = _names_read(_partial_source(name))
    # `{% csrf_token %}` of a row's form: a placeholder in the memo (apps.core.rows.fill_csrf).
    assert names and all(n.startswith("row.") or n == "csrf_token" for n in names), names


def test_a_parts_position_change_shows_at_once(client_for, buyer):
    part = PartFactory(number="PCB-100")
    url = reverse("suppliers:part-list")
    client = client_for(buyer)

    def on_hand() -> str:
        html = client.get(url).content.decode()
        row = re.search(r'<tr data-part="PCB-100">(.*?)</tr>', html, re.S).group(1)
        return re.findall(r'<td class="text-end">([^<]*)</td>', row)[0]

    assert on_hand() == "0"
    stock(part, "12.5")  # the ledger moves the stored position in the same transaction
    assert on_hand() == "12.500"
    stock(part, "-2.5")
    assert on_hand() == "10"


def _read(name: str) -> set[str]:
    return {n.split(".")[1] for n in _names_read(_partial_source(name))}


def test_run_and_move_rows_are_plain_values_for_what_their_templates_read(planner):
    cause = PlanRun._meta.get_field("cause").choices[0][0]
    run = PlanRun.objects.create(
        kind=PlanRunKind.FULL, cause=cause, total=4, done=1, started_by=planner
    )
    values = row_values("manufacturing/replan.html#run-row", run)  # raises if not plain
    assert _read("manufacturing/replan.html#run-row") <= set(values)
    assert values["started_by"] == planner.username and values["percent"] == 25
    line = SimpleNamespace(
        order_id=uuid.uuid4(),
        order=SimpleNamespace(number="SO-000001"),
        position=2,
        product_name="Skid",
    )
    change = SimpleNamespace(
        line=line,
        old_date=dt.date(2026, 12, 1),
        new_date=dt.date(2026, 12, 9),
        reason="A receipt moved",
        get_cause_display=lambda: "Supply",
    )
    moved = row_values("manufacturing/replan.html#move-row", change)
    assert _read("manufacturing/replan.html#move-row") <= set(moved)
    html = render_rows("manufacturing/replan.html#move-row", [change])
    assert ">SO-000001</a>" in html and "text-danger" in html
