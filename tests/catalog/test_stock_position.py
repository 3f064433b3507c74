"""The stock position the promise engine reads is a running sum, not a scan of history."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.catalog.models import StockEntry, StockEntryKind
from apps.catalog.selectors import stock_position
from tests.catalog.factories import PartFactory, stock


def test_every_entry_moves_the_running_position(db):
    motor, frame = PartFactory(), PartFactory()
    stock(motor, 10)
    stock(motor, 4, kind=StockEntryKind.RESERVED)
    stock(motor, 99, kind=StockEntryKind.EXPECTED)  # dated receipts are read separately
    stock(motor, 2, kind=StockEntryKind.ALLOCATED)  # promised out of incoming supply
    StockEntry.objects.bulk_create(
        [
            StockEntry(part=motor, kind=StockEntryKind.ON_HAND, quantity=Decimal("-3")),
            StockEntry(part=frame, kind=StockEntryKind.ON_HAND, quantity=Decimal("7")),
        ]
    )
    position = stock_position([motor.pk, frame.pk, PartFactory().pk])
    assert position[motor.pk] == {"on_hand": 7, "reserved": 4, "allocated": 2}
    assert position[frame.pk] == {"on_hand": 7, "reserved": 0, "allocated": 0}


def test_reading_the_position_never_scans_the_ledger(db):
    part = PartFactory()
    for _ in range(30):
        stock(part, 1)
    with CaptureQueriesContext(connection) as ctx:
        assert stock_position([part.pk])[part.pk]["on_hand"] == Decimal("30")
    assert len(ctx.captured_queries) == 1
    assert "catalog_stockentry" not in ctx.captured_queries[0]["sql"]
