from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from apps.core.concurrency import StaleObjectError
from apps.core.models import Activity
from apps.core.transitions import TransitionForbidden, TransitionNotAllowed
from apps.orders.models import OrderLineDateChange, OrderState, QuoteState, SalesOrder
from apps.orders.selectors import orders_visible_to
from apps.orders.services import orders as svc
from apps.orders.services.orders import order_transition

pytestmark = pytest.mark.django_db


def _ready(order, sales_rep):
    return svc.order_update(
        order=order,
        actor=sales_rep,
        expected_version=order.version,
        delivery_contact_name="Dock lead",
    )


# -- conversion --------------------------------------------------------------


def test_convert_freezes_the_quote_into_a_pending_order(
    accepted_quote, sales_rep, acme_contact, borealis_contact
):
    quote_line = accepted_quote.lines.get()
    order = svc.quote_convert(quote=accepted_quote, actor=sales_rep, customer_po="PO-1")
    accepted_quote.refresh_from_db()
    assert accepted_quote.state == QuoteState.CONVERTED
    assert order.state == OrderState.PENDING and order.number.startswith("SO-")
    assert order.customer_po == "PO-1" and order.quote_revision == accepted_quote.revision
    assert "Industrial Way" in order.shipping_address
    line = order.lines.get()
    assert (line.product_sku, line.quantity, line.unit_price, line.line_total) == (
        "SKID",
        1,
        quote_line.unit_price,
        quote_line.line_total,
    )
    assert line.first_promised_date == line.forecast_date == quote_line.feasible_date
    assert order.total == quote_line.line_total
    # The configured BOM is exploded per line.
    assert sorted(line.components.values_list("part_number", "quantity")) == [
        ("FRM-1", Decimal("1.000")),
        ("MTR-55", Decimal("1.000")),
    ]
    assert list(orders_visible_to(acme_contact)) == [order]
    assert not orders_visible_to(borealis_contact).exists()


def test_bom_explosion_includes_option_deltas_and_subassemblies(
    make_quote, sales_rep, acme_contact, catalog
):
    from apps.catalog.models import PartKind
    from apps.orders.services import quotes as q
    from tests.catalog.factories import BOMLineFactory, PartFactory, stock

    housing = PartFactory(number="HSG-1", name="VFD housing", kind=PartKind.MAKE)
    screw = PartFactory(number="SCR-4", name="Screw M4")
    BOMLineFactory(parent_part=housing, component=screw, quantity=Decimal("8"))
    stock(housing, 10)
    stock(screw, 500)
    BOMLineFactory(option=catalog["vfd"], component=housing)
    quote = make_quote(lines=[("skid", 2, {"drive": "vfd"}, 0)])
    quote = q.quote_send(quote=q.quote_submit(quote=quote, actor=sales_rep), actor=sales_rep)
    quote = q.quote_accept(quote=quote, actor=acme_contact)
    order = svc.quote_convert(quote=quote, actor=sales_rep)
    rows = {c.part_number: c for c in order.lines.get().components.all()}
    assert rows["VFD-1"].quantity == 2 and rows["VFD-1"].from_option == "drive=vfd"
    assert rows["HSG-1"].quantity == 2 and rows["HSG-1"].level == 1
    assert rows["SCR-4"].quantity == 16 and rows["SCR-4"].level == 2
    assert rows["SCR-4"].parent == rows["HSG-1"]


def test_later_catalog_price_change_does_not_alter_the_order(order, catalog):
    price = order.lines.get().unit_price
    catalog["skid"].base_price = Decimal("99999")
    catalog["skid"].save()
    order.refresh_from_db()
    assert order.lines.get().unit_price == price


def test_only_accepted_quotes_convert(sent_quote, sales_rep):
    with pytest.raises(TransitionNotAllowed):
        svc.quote_convert(quote=sent_quote, actor=sales_rep)
    assert not SalesOrder.objects.exists()


def test_customer_cannot_convert(accepted_quote, acme_contact):
    with pytest.raises(TransitionForbidden):
        svc.quote_convert(quote=accepted_quote, actor=acme_contact)
    assert not SalesOrder.objects.exists()


# -- the order state machine ---------------------------------------------------


def test_confirm_needs_complete_data(order, sales_manager):
    with pytest.raises(TransitionNotAllowed) as err:
        order_transition(order=order, name="confirm", actor=sales_manager)
    assert "order data is incomplete" in err.value.message


def test_confirm_needs_credit_or_a_finance_override(order, sales_rep, sales_manager, finance, acme):
    order = _ready(order, sales_rep)
    acme.credit_limit = Decimal("100")
    acme.save()
    with pytest.raises(TransitionNotAllowed) as err:
        order_transition(order=order, name="confirm", actor=sales_manager)
    assert "credit limit" in err.value.message
    with pytest.raises(PermissionDenied):
        svc.order_override_credit(order=order, actor=sales_manager, comment="Good payer")
    with pytest.raises(ValidationError):
        svc.order_override_credit(order=order, actor=finance, comment="  ")
    with pytest.raises(StaleObjectError):
        svc.order_override_credit(
            order=order, actor=finance, comment="Prepaid", expected_version=order.version - 1
        )
    order = svc.order_override_credit(
        order=order, actor=finance, comment="Prepayment received", expected_version=order.version
    )
    entry = Activity.objects.filter(verb="credit_override").get()
    assert entry.actor == finance and "Prepayment received" in entry.text
    with pytest.raises(TransitionNotAllowed, match="already has a credit override"):
        svc.order_override_credit(order=order, actor=finance, comment="Again")
    assert order_transition(order=order, name="confirm", actor=finance).state == "confirmed"
    with pytest.raises(TransitionNotAllowed, match="before confirmation"):
        svc.order_override_credit(order=order, actor=finance, comment="Late")


def test_design_approval_only_while_in_design(order, engineer):
    with pytest.raises(TransitionNotAllowed, match="while the order is in design"):
        svc.order_design_approve(order=order, actor=engineer)


def test_transition_options_say_why_each_step_is_not_possible(order, sales_rep, sales_manager):
    from apps.core.transitions import transition_options

    options = {o.name: o for o in transition_options(order, sales_manager)}
    assert set(options) == {"confirm", "hold", "cancel"}
    confirm = options["confirm"]
    assert confirm.permitted and not confirm.allowed
    # The same sentence run_transition refuses with, naming what is missing.
    assert confirm.reason == (
        "Cannot confirm yet: order data is incomplete (missing: delivery contact)."
    )
    assert options["cancel"].allowed and options["cancel"].reason == ""
    rep = {o.name: o for o in transition_options(order, sales_rep)}
    assert not rep["confirm"].permitted
    assert rep["confirm"].reason == "You may not confirm this sales order."
    assert rep["confirm"].unmet == confirm.reason
    order = _ready(order, sales_rep)
    confirm = {o.name: o for o in transition_options(order, sales_manager)}["confirm"]
    assert confirm.allowed and confirm.unmet == ""


@pytest.mark.parametrize("actor", ["sales_rep", "planner", "acme_contact"])
def test_confirm_refused_for_other_roles(order, sales_rep, actor, request):
    order = _ready(order, sales_rep)
    with pytest.raises(TransitionForbidden):
        order_transition(order=order, name="confirm", actor=request.getfixturevalue(actor))


def test_ato_order_runs_the_whole_way_to_closed(
    order, sales_rep, sales_manager, planner, quality, warehouse, finance
):
    order = _ready(order, sales_rep)
    steps = [
        ("confirm", sales_manager, "confirmed"),
        ("plan", planner, "planned"),
        ("start_production", planner, "in_production"),
        ("mark_ready_to_ship", quality, "ready_to_ship"),
        ("ship_partially", warehouse, "partially_shipped"),
        ("ship", warehouse, "shipped"),
        ("deliver", warehouse, "delivered"),
    ]
    for name, actor, state in steps:
        order = order_transition(order=order, name=name, actor=actor)
        assert order.state == state
    with pytest.raises(TransitionNotAllowed) as err:
        order_transition(order=order, name="close", actor=finance)
    assert "not fully invoiced" in err.value.message
    SalesOrder.objects.filter(pk=order.pk).update(
        invoiced_amount=order.total, paid_amount=order.total, onboarding_done_at=timezone.now()
    )
    assert order_transition(order=order, name="close", actor=finance).state == "closed"


def test_dto_order_goes_through_design(
    make_quote, sales_rep, sales_manager, engineer, planner, acme_contact
):
    from apps.orders.services import quotes as q

    quote = q.quote_submit(quote=make_quote(lines=[("dosing", 1, {}, 0)]), actor=sales_rep)
    for review in quote.reviews.all():
        actor = engineer if review.department == "engineering" else planner
        q.quote_review_decide(review=review, actor=actor, decision="approve")
    quote = q.quote_accept(quote=q.quote_send(quote=quote, actor=sales_rep), actor=acme_contact)
    order = _ready(svc.quote_convert(quote=quote, actor=sales_rep, customer_po="P"), sales_rep)
    order = order_transition(order=order, name="confirm", actor=sales_manager)
    with pytest.raises(TransitionNotAllowed):
        order_transition(order=order, name="plan", actor=planner)
    order = order_transition(order=order, name="start_design", actor=engineer)
    with pytest.raises(TransitionNotAllowed) as err:
        order_transition(order=order, name="plan_after_design", actor=planner)
    assert "design has not been approved" in err.value.message
    with pytest.raises(PermissionDenied):
        svc.order_design_approve(order=order, actor=planner)
    order = svc.order_design_approve(
        order=order, actor=engineer, comment="Signed drawing D-12", comment_audience="customer"
    )
    assert order.design_approved_at is not None
    entry = Activity.objects.filter(verb="design_approved").get()
    assert entry.actor == engineer and "Signed drawing D-12" in entry.text
    assert entry.audience == "customer"
    with pytest.raises(TransitionNotAllowed, match="already approved"):
        svc.order_design_approve(order=order, actor=engineer)
    assert order_transition(order=order, name="plan_after_design", actor=planner).state == (
        "planned"
    )


def test_ato_order_cannot_start_design(order, sales_rep, sales_manager, engineer):
    order = order_transition(order=_ready(order, sales_rep), name="confirm", actor=sales_manager)
    with pytest.raises(TransitionNotAllowed):
        order_transition(order=order, name="start_design", actor=engineer)


@pytest.mark.parametrize(
    "path", [[], ["confirm"], ["confirm", "plan"], ["confirm", "plan", "start_production"]]
)
def test_hold_and_release_return_to_the_held_state(
    order, sales_rep, sales_manager, planner, finance, path
):
    order = _ready(order, sales_rep)
    actors = {"confirm": sales_manager, "plan": planner, "start_production": planner}
    for name in path:
        order = order_transition(order=order, name=name, actor=actors[name])
    before = order.state
    order = order_transition(order=order, name="hold", actor=finance, comment="Payment late")
    assert (order.state, order.held_state) == ("on_hold", before)
    with pytest.raises(TransitionNotAllowed):
        order_transition(order=order, name="plan", actor=planner)
    order = order_transition(order=order, name="release", actor=finance)
    assert (order.state, order.held_state) == (before, "")


@pytest.mark.parametrize("path", [[], ["confirm"], ["confirm", "plan"]])
def test_cancel_allowed_until_planned(order, sales_rep, sales_manager, planner, path):
    from apps.orders.services.orders import order_cancelled

    received = []
    order_cancelled.connect(
        lambda **kw: received.append(kw["order"].pk), weak=False, dispatch_uid="test-cancel"
    )
    order = _ready(order, sales_rep)
    actors = {"confirm": sales_manager, "plan": planner}
    for name in path:
        order = order_transition(order=order, name=name, actor=actors[name])
    with pytest.raises(TransitionForbidden):
        order_transition(order=order, name="cancel", actor=sales_rep)
    assert order_transition(order=order, name="cancel", actor=sales_manager).state == "cancelled"
    order_cancelled.disconnect(dispatch_uid="test-cancel")


def test_a_sales_manager_cancels_in_production_with_reason_and_charges(
    in_production, sales_manager, catalog, acme_contact
):
    from apps.catalog.models import CapacityReservation, StockEntry, StockEntryKind
    from apps.catalog.selectors import stock_position
    from tests.catalog.factories import stock

    order = in_production
    motor = catalog["motor"]
    # Bookings tagged with the order (conversion books none today; work orders would).
    stock(motor, 2, kind=StockEntryKind.RESERVED, reference=order.number)
    stock(motor, 1, kind=StockEntryKind.RESERVED, reference=f"{order.number}/10")
    stock(motor, 5, kind=StockEntryKind.RESERVED, reference="SO-999999")  # someone else's
    CapacityReservation.objects.create(
        work_center=catalog["assy"], date=dt.date.today(), hours=4, reference=f"{order.number}/10"
    )
    other = CapacityReservation.objects.create(
        work_center=catalog["assy"], date=dt.date.today(), hours=3, reference="WO-000001/10"
    )
    assert stock_position([motor.pk])[motor.pk]["reserved"] == Decimal("8")

    order = svc.order_cancel(
        order=order,
        actor=sales_manager,
        reason="Customer project stopped.",
        charges=Decimal("1500"),
        expected_version=order.version,
    )
    assert order.state == OrderState.CANCELLED
    assert order.cancellation_reason == "Customer project stopped."
    assert order.cancellation_charges == Decimal("1500.00")
    # Only this order's bookings are released; the ledger keeps the reversal.
    assert stock_position([motor.pk])[motor.pk]["reserved"] == Decimal("5")
    assert StockEntry.objects.filter(reference=order.number, quantity=-3).exists()
    assert list(CapacityReservation.objects.all()) == [other]
    from apps.core.models import Activity

    # The reason is a staff comment: internal by default, apart from the customer's entry;
    # the charges are the customer's to see.
    shown = Activity.objects.filter(object_id=str(order.pk), audience="customer")
    assert not any("Customer project stopped." in a.text for a in shown)
    assert shown.filter(text="Cancellation charges: USD 1,500.00.").exists()
    assert shown.filter(verb="cancel", text="").exists()
    assert Activity.objects.filter(
        object_id=str(order.pk),
        audience="internal",
        kind="comment",
        text="Customer project stopped.",
    ).exists()


@pytest.mark.parametrize("role", ["sales_rep", "planner", "finance"])
def test_other_roles_are_refused_the_cancel_in_production_with_the_sentence(
    in_production, role, request
):
    with pytest.raises(TransitionForbidden) as err:
        svc.order_cancel(
            order=in_production, actor=request.getfixturevalue(role), reason="Stop", charges=0
        )
    assert err.value.message == "Only a sales manager may cancel an order that is in production."
    in_production.refresh_from_db()
    assert in_production.state == OrderState.IN_PRODUCTION


@pytest.mark.parametrize(
    ("reason", "charges", "field"),
    [
        ("", 0, "reason"),
        ("   ", 100, "reason"),
        ("Stop", -1, "charges"),
        ("Stop", "1000000000", "charges"),  # above the order total
        ("Stop", "NaN", "charges"),
    ],
)
def test_cancel_in_production_needs_a_reason_and_bounded_charges(
    in_production, sales_manager, reason, charges, field
):
    with pytest.raises(ValidationError) as err:
        svc.order_cancel(order=in_production, actor=sales_manager, reason=reason, charges=charges)
    assert field in err.value.message_dict
    in_production.refresh_from_db()
    assert in_production.state == OrderState.IN_PRODUCTION


def test_the_generic_cancel_transition_takes_the_comment_as_the_reason(
    in_production, sales_manager
):
    with pytest.raises(ValidationError):
        order_transition(order=in_production, name="cancel", actor=sales_manager)
    order = order_transition(
        order=in_production, name="cancel", actor=sales_manager, comment="Plant closed."
    )
    assert order.state == "cancelled" and order.cancellation_charges == 0


def test_charges_only_apply_in_production(order, sales_manager):
    with pytest.raises(ValidationError) as err:
        svc.order_cancel(order=order, actor=sales_manager, charges=10)
    assert "charges" in err.value.message_dict


def test_cancel_is_refused_after_production(in_production, planner, sales_manager):
    order = order_transition(order=in_production, name="mark_ready_to_ship", actor=planner)
    with pytest.raises(TransitionNotAllowed):
        svc.order_cancel(order=order, actor=sales_manager, reason="Too late")


def test_order_data_edit_only_while_pending_and_versioned(order, sales_rep, sales_manager):
    v = order.version
    svc.order_update(order=order, actor=sales_rep, expected_version=v, customer_po="NEW")
    with pytest.raises(StaleObjectError):
        svc.order_update(order=order, actor=sales_rep, expected_version=v, customer_po="OLD")
    order = _ready(SalesOrder.objects.get(pk=order.pk), sales_rep)
    order = order_transition(order=order, name="confirm", actor=sales_manager)
    with pytest.raises(TransitionNotAllowed):
        svc.order_update(order=order, actor=sales_rep, expected_version=None, customer_po="X")
    with pytest.raises(ValidationError):
        svc.order_update(
            order=SalesOrder.objects.get(pk=order.pk),
            actor=sales_rep,
            expected_version=None,
            total=1,
        )


def test_reforecast_keeps_the_first_promise_and_every_slip(order, planner):
    line = order.lines.get()
    first = line.first_promised_date
    svc.order_line_reforecast(
        line=line,
        actor=planner,
        new_date=first + dt.timedelta(days=5),
        reason="Delta Motors moved the motor delivery",
    )
    svc.order_line_reforecast(
        line=line,
        actor=planner,
        new_date=first + dt.timedelta(days=9),
        reason="Machining breakdown",
    )
    line.refresh_from_db()
    assert line.first_promised_date == first
    assert line.slip_days == 9
    assert list(OrderLineDateChange.objects.filter(line=line).values_list("reason", flat=True)) == [
        "Delta Motors moved the motor delivery",
        "Machining breakdown",
    ]
    with pytest.raises(ValidationError):
        svc.order_line_reforecast(line=line, actor=planner, new_date=first, reason=" ")


def test_reforecast_reason_is_never_shown_to_the_customer(order, planner, acme_contact):
    from apps.core.selectors import activities_for

    line = order.lines.get()
    svc.order_line_reforecast(
        line=line,
        actor=planner,
        new_date=line.forecast_date + dt.timedelta(days=3),
        reason="Delta Motors is late",
    )
    texts = [a.text for a in activities_for(user=acme_contact, target=order)]
    assert any("forecast" in t for t in texts)
    assert not any("Delta" in t for t in texts)
