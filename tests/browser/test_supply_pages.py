"""Supply and capacity in the browser: the buyer moves a receipt's date on the
receipts page and the row shows the new date; the planner's work-center page
draws the load chart and closes a day."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.catalog.bookings import bookings_write
from apps.catalog.models import CapacityReservation, StockEntryKind, WorkCenterClosure
from apps.catalog.selectors import expected_receipts
from tests.catalog.factories import PartFactory, WorkCenterFactory, stock

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TODAY = timezone.localdate()


def _weekday(offset: int) -> dt.date:
    day = TODAY + dt.timedelta(days=offset)
    while day.isoweekday() > 5:
        day += dt.timedelta(days=1)
    return day


def test_buyer_moves_a_receipt_date(page, live_server, login, screenshot, buyer, delta):
    pcb = PartFactory(number="PCB-100", name="Fulcrum PCB")
    entry = stock(
        pcb,
        "40",
        kind=StockEntryKind.EXPECTED,
        date=TODAY + dt.timedelta(days=10),
        reference="PO-000210",
    )
    entry.supplier = delta
    entry.save(update_fields=["supplier"])
    stock(
        PartFactory(number="MOT-7", name="Motor"),
        "3",
        kind=StockEntryKind.EXPECTED,
        date=TODAY + dt.timedelta(days=20),
        reference="PO-000300",
    )
    new_date = TODAY + dt.timedelta(days=24)

    login(buyer)
    page.goto(f"{live_server.url}/purchasing/receipts/")
    row = page.locator('tr[data-receipt="PO-000210 PCB-100"]')
    expect(row).to_contain_text("Delta Motors")
    screenshot("supply-receipts-before")
    row.get_by_label("New date for PO-000210 PCB-100").fill(new_date.isoformat())
    row.get_by_role("button", name="Move").click()

    expect(page.get_by_test_id("notice")).to_contain_text("now due")
    moved = page.locator('tr[data-receipt="PO-000210 PCB-100"]')
    expect(moved).to_have_attribute("data-date", new_date.isoformat())
    # Earliest first: the motor's PO is now due before the PCB's.
    expect(page.locator("tr[data-receipt]").first).to_have_attribute(
        "data-receipt", "PO-000300 MOT-7"
    )
    screenshot("supply-receipts-moved")
    assert expected_receipts([pcb.pk], from_date=TODAY)[pcb.pk] == [(new_date, Decimal("40"))]

    # A date in the past is refused in the row, with what was typed kept.
    moved.get_by_label("New date for PO-000210 PCB-100").fill(
        (TODAY - dt.timedelta(days=3)).isoformat()
    )
    moved.get_by_role("button", name="Move").click()
    expect(page.get_by_test_id("row-error")).to_contain_text("Choose today or a later date.")
    screenshot("supply-receipts-refused")


def test_planner_sees_the_load_and_closes_a_day(page, live_server, login, screenshot, planner):
    asm = WorkCenterFactory(code="ASM", name="Assembly", daily_capacity_hours=Decimal("8"))
    for offset, hours in ((1, "6"), (2, "8"), (8, "12"), (9, "4"), (15, "3")):
        CapacityReservation.objects.create(
            work_center=asm, date=_weekday(offset), hours=Decimal(hours), reference=f"WO-{offset}"
        )
    bookings_write(
        [
            (
                "quote-line:00000000-0000-0000-0000-000000000001",
                "Q-000001/1",
                {},
                {(asm.pk, _weekday(3)): Decimal("5")},
            )
        ]
    )
    closed = _weekday(4)

    login(planner)
    page.goto(f"{live_server.url}/manufacturing/work-centers/")
    page.get_by_role("link", name="ASM").click()
    expect(page.get_by_test_id("load-chart")).to_be_visible()
    expect(
        page.locator('[data-testid="work-center-holds"] tr[data-hold="Q-000001/1"]')
    ).to_contain_text("Soft")
    page.get_by_label("Date").fill(closed.isoformat())
    page.get_by_label("Reason").fill("Crane inspection")
    page.get_by_role("button", name="Close the day").click()
    expect(page.get_by_test_id("notice")).to_contain_text("ASM is closed on")
    expect(page.locator(f'[data-closure="{closed.isoformat()}"]')).to_contain_text(
        "Crane inspection"
    )
    screenshot("supply-work-center")
    assert WorkCenterClosure.objects.filter(work_center=asm, date=closed).exists()
