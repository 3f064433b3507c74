from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, F, Sum

from apps.accounts.models import User
from apps.core.models import Activity
from apps.orders.models import Quote, QuoteGroupObjectPermission, QuoteState, SalesOrder
from apps.orders.risk import AT_RISK_DONE_STATES, risk_tally_from_lines, risk_tally_stored
from apps.orders.selectors import orders_visible_to, quotes_visible_to


def test_seed_bulk_loads_a_consistent_skewed_data_set(db):
    call_command("seed_bulk", size="XS", verbosity=0)
    assert Quote.objects.exclude(state=QuoteState.CONVERTED).count() == 200
    assert SalesOrder.objects.count() == 300 and Activity.objects.count() == 2000
    # Stored totals are what the services would have stored.
    for quote in Quote.objects.exclude(state=QuoteState.CONVERTED).annotate(
        n=Count("lines"), t=Sum("lines__line_total")
    )[:50]:
        assert (quote.line_count, quote.total_amount) == (quote.n, quote.t)
    # 1% of the documents have 200 lines; the largest account holds many documents.
    assert Quote.objects.filter(line_count=200).count() == 2
    top = SalesOrder.objects.values("customer").annotate(n=Count("pk")).order_by("-n")[0]
    assert top["n"] > 300 / 30 * 3
    # The guardian grants let the largest account's contact see its orders and sent quotes.
    contact = User.objects.get(username="contact.c00000")
    assert (
        orders_visible_to(contact).count()
        == SalesOrder.objects.filter(customer=contact.organization).count()
    )
    assert (
        quotes_visible_to(contact).count()
        == QuoteGroupObjectPermission.objects.filter(group=contact.organization.group).count()
        > 0
    )
    # The review inboxes: every quote in review waits for one to four departments.
    from apps.orders.models import QuoteReview

    in_review = Quote.objects.filter(state=QuoteState.IN_REVIEW)
    assert in_review.exists()
    assert not in_review.filter(reviews__isnull=True).exists()
    assert set(QuoteReview.objects.values_list("department", flat=True)) == {
        "engineering", "manufacturing", "purchasing", "pricing",
    }  # fmt: skip
    # The sales pipeline: a tenth of the quotes each, in every state, sized for the forecast.
    from apps.sales.models import Inquiry, InquiryState, Opportunity, OpportunityState

    assert Inquiry.objects.count() == Opportunity.objects.count() == 20
    assert set(Opportunity.objects.values_list("state", flat=True)) <= set(OpportunityState)
    assert Inquiry.objects.filter(state=InquiryState.QUALIFIED, estimated_value__gt=0).exists()
    with pytest.raises(CommandError):
        call_command("seed_bulk", size="XS", verbosity=0)


def _sorted(rows) -> list:
    return sorted(rows, key=str)


def _later_fingerprint() -> dict:
    """What the later phase wrote, without database-assigned ids (sequences survive rollbacks)."""
    from apps.catalog.models import (
        BOMLine,
        CapacityReservation,
        Part,
        PromiseBooking,
        StockEntry,
        StockPosition,
        WorkCenter,
    )
    from apps.orders.models import OrderLine, OrderLineDateChange, PlanRun

    return {
        "parts": list(Part.objects.order_by("number").values_list("pk", "number", "kind")),
        "bom": _sorted(BOMLine.objects.values_list("product_id", "component_id", "quantity")),
        "centers": list(WorkCenter.objects.values_list("pk", "daily_capacity_hours")),
        "stock": _sorted(
            StockEntry.objects.values_list("part_id", "kind", "quantity", "date", "reference")
        ),
        "positions": _sorted(StockPosition.objects.values_list("part_id", "on_hand", "reserved")),
        "bookings": _sorted(
            PromiseBooking.objects.values_list("id", "line_key", "kind", "reference", "firm")
        ),
        "hours": _sorted(
            CapacityReservation.objects.values_list("work_center_id", "date", "hours", "booking")
        ),
        "changes": _sorted(
            OrderLineDateChange.objects.values_list(
                "line_id", "old_date", "new_date", "cause", "released_at", "plan_run__started_at"
            )
        ),
        "lines": _sorted(
            OrderLine.objects.filter(at_risk=True).values_list(
                "pk", "customer_forecast_date", "forecast_release_due"
            )
        ),
        "runs": list(PlanRun.objects.values_list("kind", "started_at", "slipped", "total")),
        "quotes": _sorted(Quote.objects.filter(hold_promise=True).values_list("pk", flat=True)),
    }


def _seeded(*phases: str) -> dict:
    """Seed XS in the given phases inside a rolled-back transaction; its fingerprint."""
    from django.db import transaction

    with transaction.atomic():
        for phase in phases:
            call_command("seed_bulk", size="XS", phase=phase, today="2026-12-01", verbosity=0)
        fingerprint = _later_fingerprint()
        transaction.set_rollback(True)
    return fingerprint


def test_seed_bulk_later_phase_is_deterministic_and_the_same_on_an_older_database(db):
    # A plain seed runs every phase; a database seeded before the later capabilities
    # gets exactly the same rows from --phase later.
    everything = _seeded("all")
    assert everything == _seeded("all")
    assert everything == _seeded("base", "later")
    assert everything["bookings"] and everything["changes"] and everything["runs"]


def test_seed_bulk_later_phase_writes_what_the_services_would(db):
    from apps.catalog.models import (
        BookingKind,
        CapacityReservation,
        Part,
        PartKind,
        PromiseBooking,
        StockEntry,
        StockEntryKind,
        StockPosition,
        SupplierPart,
        WorkCenter,
        WorkCenterClosure,
        WorkCenterLoad,
    )
    from apps.insights.bulk import SIZES
    from apps.insights.bulk_later import LATER_USERS, SUPPLIER_CONTACT
    from apps.orders.models import (
        OrderLine,
        OrderLineDateChange,
        OrderState,
        PlanRun,
        QuoteLine,
        SlipCause,
    )
    from apps.orders.selectors import at_risk_lines

    call_command("seed_bulk", size="XS", phase="base", verbosity=0)
    assert not Part.objects.exists()
    call_command("seed_bulk", size="XS", phase="later", today="2026-12-01", verbosity=0)
    size = SIZES["XS"]
    # Counts scale with the size: S is a tenth of M.
    assert (SIZES["M"].parts, SIZES["S"].parts) == (4000, 400)
    assert (SIZES["M"].plan_runs, SIZES["S"].plan_runs) == (1000, 100)
    assert Part.objects.count() == size.parts
    assert WorkCenter.objects.count() == size.work_centers
    assert PlanRun.objects.count() == size.plan_runs
    # One user per internal role and a supplier's contact.
    for username, role in LATER_USERS.items():
        assert User.objects.get(username=username).has_role(role)
    supplier = User.objects.get(username=SUPPLIER_CONTACT)
    assert supplier.organization.kind == "supplier" and supplier.has_role("supplier_contact")
    # Every bought part has a preferred supplier; every product a BOM and a routing.
    assert SupplierPart.objects.filter(is_preferred=True).count() == (
        Part.objects.filter(kind=PartKind.BUY).count()
    )
    assert WorkCenterClosure.objects.filter(work_center=None).exists()
    assert WorkCenterClosure.objects.filter(work_center__isnull=False).exists()
    receipts = StockEntry.objects.filter(kind=StockEntryKind.EXPECTED)
    assert receipts.exists() and not receipts.filter(supplier=None).exists()
    # The running positions are the ledger's sums.
    for position in StockPosition.objects.all()[:40]:
        entries = StockEntry.objects.filter(part_id=position.part_id)
        for field, kind in (
            ("on_hand", StockEntryKind.ON_HAND),
            ("reserved", StockEntryKind.RESERVED),
            ("allocated", StockEntryKind.ALLOCATED),
        ):
            total = entries.filter(kind=kind).aggregate(t=Sum("quantity"))["t"] or 0
            assert getattr(position, field) == total
    # Bookings: soft on held quotes and pending orders, firm on confirmed orders, one
    # per line and kind, each holding stock or hours.
    firm_states = {OrderState.CONFIRMED, OrderState.PLANNED, OrderState.IN_PRODUCTION}
    for line in OrderLine.objects.filter(order__state__in=firm_states)[:30]:
        kinds = dict(
            PromiseBooking.objects.filter(line_key=f"order-line:{line.pk}").values_list(
                "kind", "firm"
            )
        )
        assert BookingKind.CAPACITY in kinds and all(kinds.values())
    held = QuoteLine.objects.filter(quote__state=QuoteState.SENT, quote__hold_promise=True)
    assert held.exists()
    assert not PromiseBooking.objects.filter(line_key__startswith="quote-line:", firm=True).exists()
    assert PromiseBooking.objects.filter(
        line_key__in=[f"quote-line:{pk}" for pk in held.values_list("pk", flat=True)]
    ).exists()
    assert not PromiseBooking.objects.filter(
        line_key__in=[
            f"order-line:{pk}"
            for pk in OrderLine.objects.filter(order__state=OrderState.CLOSED).values_list(
                "pk", flat=True
            )
        ]
    ).exists()
    assert CapacityReservation.objects.count() == (
        PromiseBooking.objects.filter(kind=BookingKind.CAPACITY).count()
    )
    # The stored load per center and day the engine reads is the reservations' sum.
    assert {
        (wc, day): hours
        for wc, day, hours in WorkCenterLoad.objects.values_list("work_center_id", "date", "hours")
    } == {
        (wc, day): total
        for wc, day, total in CapacityReservation.objects.order_by()
        .values_list("work_center_id", "date")
        .annotate(total=Sum("hours"))
    }
    # The stored holds per part, booking and kind (the holds page reads them) are the
    # entries' sums: the bulk fill after the COPY.
    from apps.catalog.models import PartHold
    from apps.catalog.models.ledgers import part_holds_recomputed

    holds = {
        (h.part_id, h.booking_id, h.kind): (h.quantity, h.date, h.reference)
        for h in PartHold.objects.all()
    }
    assert holds and holds == {
        (part, booking, kind): (total, latest, first)
        for part, booking, kind, total, latest, first in part_holds_recomputed()
    }
    # No work center is booked beyond its capacity on any day.
    for wc in WorkCenter.objects.all():
        busiest = (
            CapacityReservation.objects.filter(work_center=wc)
            .values("date")
            .annotate(h=Sum("hours"))
            .order_by("-h")
            .first()
        )
        assert busiest is None or busiest["h"] <= wc.daily_capacity_hours
    # Every at-risk line has its recorded move; released ones tell the customer the new
    # date, the others wait for release; the orders' customer dates follow.
    at_risk = OrderLine.objects.filter(at_risk=True)
    assert at_risk.count() == OrderLineDateChange.objects.count() > 0
    assert not at_risk.filter(date_changes__isnull=True).exists()
    # The at-risk page's stored facts (apps.orders.risk) follow, with their tally.
    open_at_risk = at_risk.exclude(order__state__in=AT_RISK_DONE_STATES)
    assert OrderLine.objects.filter(risk_open=True).count() == open_at_risk.count() > 0
    assert not open_at_risk.exclude(risk_owner=F("order__owner")).exists()
    assert not at_risk.filter(slip_cause="").exists()
    assert risk_tally_stored() == risk_tally_from_lines() != {}
    released = OrderLineDateChange.objects.filter(released_at__isnull=False)
    assert released.exists()
    for change in released.select_related("line")[:30]:
        assert change.line.customer_forecast_date == change.new_date == change.line.forecast_date
    waiting = OrderLine.objects.filter(forecast_release_due__isnull=False)
    assert waiting.exists()
    assert not waiting.filter(date_changes__released_at__isnull=False).exists()
    for order in SalesOrder.objects.filter(lines__customer_forecast_date__isnull=False).distinct()[
        :30
    ]:
        told = [line.customer_date for line in order.lines.all()]
        assert (order.customer_next_date, order.customer_last_date) == (min(told), max(told))
    assert set(OrderLineDateChange.objects.values_list("cause", flat=True)) <= set(SlipCause)
    for run in PlanRun.objects.all():
        assert run.slipped == run.date_changes.count() and run.done == run.total
    planner = User.objects.get(username="bench.planner")
    assert at_risk_lines(planner).exists()
    # A second run is refused, as is a later phase at another size or on an empty database.
    with pytest.raises(CommandError, match="there already"):
        call_command("seed_bulk", size="XS", phase="later", verbosity=0)
    with pytest.raises(CommandError, match="--size"):
        call_command("seed_bulk", size="S", phase="later", verbosity=0)


def test_seed_bulk_later_phase_wants_a_seeded_database(db):
    with pytest.raises(CommandError, match="no bulk data"):
        call_command("seed_bulk", size="XS", phase="later", verbosity=0)
