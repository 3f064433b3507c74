"""Two customers accept two quotes for the last motor at the same instant (issue 9).

Real threads, each with its own PostgreSQL connection and transaction: the
booking locks the motor's stock position and the assembly center before it
reads the ledgers, so the second acceptance reads the first one's booking and
is promised the supplier's lead time instead of the same motor.
"""

from __future__ import annotations

import pytest

from apps.catalog.models import BookingKind, StockEntry, StockEntryKind
from apps.catalog.selectors import stock_position
from apps.orders.models import Quote, QuoteState
from apps.orders.services import quotes as q
from tests.catalog.factories import stock
from tests.orders.test_concurrency import race

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_acceptances_for_the_last_motor_get_different_dates(
    make_quote, sales_rep, acme_contact, catalog
):
    motor = catalog["motor"]
    stock(motor, 49, kind=StockEntryKind.RESERVED, reference="SO-000001")  # one motor left
    quotes = [
        q.quote_send(quote=q.quote_submit(quote=make_quote(), actor=sales_rep), actor=sales_rep)
        for _ in range(2)
    ]
    # Sent quotes hold nothing: both were shown the same date.
    assert len({quote.lines.get().feasible_date for quote in quotes}) == 1

    results = race(
        *[
            (lambda pk=quote.pk: q.quote_accept(quote=Quote.objects.get(pk=pk), actor=acme_contact))
            for quote in quotes
        ]
    )

    assert all(isinstance(r, Quote) and r.state == QuoteState.ACCEPTED for r in results), results
    dates = sorted(Quote.objects.get(pk=quote.pk).lines.get().feasible_date for quote in quotes)
    assert dates[0] != dates[1]
    # The motor is promised once: one stock booking, one purchase, never 51 reserved from 50.
    kinds = sorted(
        StockEntry.objects.filter(part=motor, booking__isnull=False).values_list(
            "booking__kind", flat=True
        )
    )
    assert kinds == [BookingKind.PURCHASE, BookingKind.STOCK]
    position = stock_position([motor.pk])[motor.pk]
    assert (position["reserved"], position["allocated"]) == (50, 1)  # 50 on hand, 1 to buy
