"""End to end (issue 9): the buyer moves a receipt on the purchasing page, the
catalog announces it after commit, and the order line waiting for it is
re-planned: new forecast, a slip with its cause, at risk."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.catalog.models import StockEntryKind
from apps.orders.models import OrderLineDateChange, PlanRun, SlipCause
from apps.orders.services import quotes as q
from apps.orders.services.orders import quote_convert
from tests.catalog.factories import stock

pytestmark = pytest.mark.django_db


def test_moving_a_receipt_on_the_page_re_plans_the_line_waiting_for_it(
    make_quote,
    sales_rep,
    acme_contact,
    buyer,
    catalog,
    client_for,
    django_capture_on_commit_callbacks,
):
    # No motor free: the one motor the line needs comes with PO-000210 in 20 days.
    stock(catalog["motor"], 50, kind=StockEntryKind.RESERVED, reference="SO-000001")
    due = timezone.localdate() + dt.timedelta(days=20)
    stock(catalog["motor"], 1, kind=StockEntryKind.EXPECTED, date=due, reference="PO-000210")
    quote = make_quote()
    quote = q.quote_send(quote=q.quote_submit(quote=quote, actor=sales_rep), actor=sales_rep)
    order = quote_convert(quote=q.quote_accept(quote=quote, actor=acme_contact), actor=sales_rep)
    line = order.lines.get()
    promised = line.first_promised_date
    assert not line.at_risk

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(buyer).post(
            reverse("suppliers:receipt-move"),
            {
                "part": catalog["motor"].pk,
                "reference": "PO-000210",
                "date": due.isoformat(),
                # Same weekday two weeks on: the build moves exactly 14 days.
                "new_date": (due + dt.timedelta(days=14)).isoformat(),
            },
            HTTP_HX_REQUEST="true",
        )
    assert response.status_code == 200

    run = PlanRun.objects.get()
    assert (run.kind, run.cause) == ("targeted", SlipCause.RECEIPT_MOVED)
    assert "PO-000210" in run.cause_text and run.slipped == 1
    line.refresh_from_db()
    assert line.forecast_date == promised + dt.timedelta(days=14)
    assert line.at_risk
    slip = OrderLineDateChange.objects.filter(line=line).latest("pk")
    assert slip.cause == SlipCause.RECEIPT_MOVED
