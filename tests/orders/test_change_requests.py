from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.core.models import Activity, Audience, Notification
from apps.core.transitions import TransitionForbidden, TransitionNotAllowed
from apps.orders.models import (
    ChangeDecider,
    ChangeRequest,
    ChangeState,
    OrderLine,
    OrderLineDateChange,
    OrderState,
    SalesOrder,
)
from apps.orders.selectors import change_requests_visible_to
from apps.orders.services import changes as svc

pytestmark = pytest.mark.django_db


@pytest.fixture
def cr(order, acme_contact):
    return svc.change_request_create(
        actor=acme_contact,
        order=order,
        title="Add a spare seal kit",
        description="Please add one more skid",
    )


def _assess(cr, engineer, planner, sales_rep, **extra):
    cr = svc.change_request_transition(change_request=cr, name="start_assessment", actor=engineer)
    cr = svc.change_request_assess(
        change_request=cr,
        actor=engineer,
        expected_version=None,
        engineering_assessment="No design impact",
    )
    fields = {
        "manufacturing_assessment": "One more day of assembly",
        "date_delta_days": 2,
        "price_delta": Decimal("0"),
        **extra,
    }
    cr = svc.change_request_assess(
        change_request=cr, actor=planner, expected_version=None, **fields
    )
    return svc.change_request_transition(change_request=cr, name="propose", actor=sales_rep)


def test_customer_request_is_visible_to_its_customer_only(cr, acme_contact, borealis_contact):
    assert cr.origin == "customer" and cr.state == ChangeState.SUBMITTED
    assert list(change_requests_visible_to(acme_contact)) == [cr]
    assert not change_requests_visible_to(borealis_contact).exists()


def test_other_customers_and_roles_cannot_request(order, borealis_contact, warehouse):
    with pytest.raises(PermissionDenied):
        svc.change_request_create(actor=borealis_contact, order=order, title="x", description="y")
    with pytest.raises(PermissionDenied):
        svc.change_request_create(actor=warehouse, order=order, title="x", description="y")


def test_request_needs_a_title_and_exactly_one_target(order, accepted_quote, sales_rep):
    with pytest.raises(ValidationError):
        svc.change_request_create(actor=sales_rep, order=order, title=" ", description="y")
    with pytest.raises(ValidationError):
        svc.change_request_create(
            actor=sales_rep, order=order, quote=accepted_quote, title="t", description="d"
        )


def test_full_flow_amends_the_order(cr, order, engineer, planner, sales_rep, acme_contact):
    line = order.lines.get()
    cr = _assess(
        cr, engineer, planner, sales_rep, proposed_changes=[{"line": str(line.pk), "quantity": 2}]
    )
    assert cr.state == ChangeState.PROPOSED
    cr = svc.change_request_transition(change_request=cr, name="approve", actor=acme_contact)
    assert cr.decided_by == acme_contact
    cr = svc.change_request_transition(change_request=cr, name="apply", actor=sales_rep)
    assert cr.state == ChangeState.APPLIED
    order.refresh_from_db()
    line.refresh_from_db()
    assert (line.quantity, order.order_revision) == (2, 2)
    assert order.total == line.unit_price * 2
    assert line.forecast_date == line.first_promised_date + dt.timedelta(days=2)


def test_propose_needs_both_assessments(cr, engineer, sales_rep):
    cr = svc.change_request_transition(change_request=cr, name="start_assessment", actor=engineer)
    with pytest.raises(TransitionNotAllowed) as err:
        svc.change_request_transition(change_request=cr, name="propose", actor=sales_rep)
    assert "assessments" in err.value.message


def test_reject_ends_the_request(cr, engineer, planner, sales_rep, sales_manager):
    cr = _assess(cr, engineer, planner, sales_rep)
    cr = svc.change_request_transition(
        change_request=cr, name="reject", actor=sales_manager, comment="Too late in production"
    )
    assert cr.state == ChangeState.REJECTED
    with pytest.raises(TransitionNotAllowed):
        svc.change_request_transition(change_request=cr, name="apply", actor=sales_rep)


def test_wrong_roles_are_refused_at_each_step(
    cr, engineer, planner, sales_rep, warehouse, borealis_contact
):
    with pytest.raises(TransitionForbidden):
        svc.change_request_transition(change_request=cr, name="start_assessment", actor=warehouse)
    cr = _assess(cr, engineer, planner, sales_rep)
    with pytest.raises(TransitionForbidden):
        svc.change_request_transition(change_request=cr, name="approve", actor=borealis_contact)
    with pytest.raises(TransitionForbidden):
        svc.change_request_transition(change_request=cr, name="approve", actor=sales_rep)


def test_bad_proposed_changes_are_refused(cr, engineer):
    cr = svc.change_request_transition(change_request=cr, name="start_assessment", actor=engineer)
    with pytest.raises(ValidationError) as err:
        svc.change_request_assess(
            change_request=cr,
            actor=engineer,
            expected_version=None,
            proposed_changes=[{"line": "nope", "quantity": 0}],
        )
    assert "proposed_changes" in err.value.message_dict


def test_assessment_only_while_assessing(cr, engineer):
    with pytest.raises(TransitionNotAllowed):
        svc.change_request_assess(
            change_request=cr, actor=engineer, expected_version=None, engineering_assessment="x"
        )


# -- issue 6: who decides, comments, timeline, notifications --------------------------


def _assessed(cr, engineer, planner, **fields):
    cr = svc.change_request_transition(change_request=cr, name="start_assessment", actor=engineer)
    return svc.change_request_assess(
        change_request=cr,
        actor=planner,
        expected_version=None,
        engineering_assessment="No design impact",
        manufacturing_assessment="Fits the plan",
        **fields,
    )


@pytest.fixture
def internal_cr(order, sales_rep):
    return svc.change_request_create(
        actor=sales_rep, order=order, title="Swap the frame supplier", description="Same part"
    )


def test_a_price_change_is_decided_by_the_customer_only(
    cr, engineer, planner, sales_rep, sales_manager, acme_contact, borealis_contact
):
    cr = _assessed(cr, engineer, planner, price_delta=Decimal("150"))
    cr = svc.change_request_transition(change_request=cr, name="propose", actor=sales_rep)
    assert (cr.decider, cr.proposed_at is not None) == (ChangeDecider.CUSTOMER, True)
    for refused in (sales_manager, sales_rep, borealis_contact):
        with pytest.raises(TransitionForbidden):
            svc.change_request_transition(change_request=cr, name="approve", actor=refused)
    cr = svc.change_request_transition(change_request=cr, name="approve", actor=acme_contact)
    assert (cr.state, cr.decided_by) == (ChangeState.APPROVED, acme_contact)


def test_a_date_change_is_decided_by_the_customer(cr, engineer, planner, sales_rep, sales_manager):
    cr = _assessed(cr, engineer, planner, date_delta_days=3)
    cr = svc.change_request_transition(change_request=cr, name="propose", actor=sales_rep)
    assert cr.decider == ChangeDecider.CUSTOMER
    with pytest.raises(TransitionForbidden):
        svc.change_request_transition(change_request=cr, name="approve", actor=sales_manager)


def test_a_change_of_neither_price_nor_dates_is_decided_by_a_sales_manager(
    cr, order, engineer, planner, sales_rep, sales_manager, acme_contact
):
    line = order.lines.get()
    cr = _assessed(
        cr,
        engineer,
        planner,
        proposed_changes=[{"line": str(line.pk), "scope_statement": "Includes a spare kit"}],
    )
    cr = svc.change_request_transition(change_request=cr, name="propose", actor=sales_rep)
    assert cr.decider == ChangeDecider.SALES_MANAGER
    # The customer sees its request but does not decide this one.
    assert list(change_requests_visible_to(acme_contact)) == [cr]
    for refused in (acme_contact, sales_rep):
        with pytest.raises(TransitionForbidden):
            svc.change_request_transition(change_request=cr, name="approve", actor=refused)
    cr = svc.change_request_transition(change_request=cr, name="approve", actor=sales_manager)
    cr = svc.change_request_transition(change_request=cr, name="apply", actor=sales_rep)
    line.refresh_from_db()
    assert line.scope_statement == "Includes a spare kit"


def test_the_customer_never_decides_what_was_not_proposed(
    cr, internal_cr, engineer, planner, acme_contact
):
    for request in (cr, internal_cr):
        with pytest.raises(TransitionNotAllowed):
            svc.change_request_transition(
                change_request=request, name="approve", actor=acme_contact
            )
    cr = _assessed(cr, engineer, planner, price_delta=Decimal("10"))
    with pytest.raises(TransitionNotAllowed):
        svc.change_request_transition(change_request=cr, name="approve", actor=acme_contact)


def test_rejecting_a_proposal(cr, engineer, planner, sales_rep, sales_manager, acme_contact):
    cr = _assessed(cr, engineer, planner, price_delta=Decimal("10"))
    cr = svc.change_request_transition(change_request=cr, name="propose", actor=sales_rep)
    with pytest.raises(TransitionForbidden):
        svc.change_request_transition(change_request=cr, name="reject", actor=sales_rep)
    rejected = svc.change_request_transition(
        change_request=cr, name="reject", actor=acme_contact, comment="Too expensive"
    )
    assert rejected.state == ChangeState.REJECTED and rejected.decided_by == acme_contact
    entry = Activity.objects.filter(object_id=str(cr.pk), verb="reject").get()
    assert (entry.audience, entry.text) == (Audience.CUSTOMER, "Too expensive")


def test_a_sales_manager_may_withdraw_a_proposal_the_customer_has_not_answered(
    cr, engineer, planner, sales_rep, sales_manager
):
    cr = _assessed(cr, engineer, planner, price_delta=Decimal("10"))
    cr = svc.change_request_transition(change_request=cr, name="propose", actor=sales_rep)
    cr = svc.change_request_transition(change_request=cr, name="reject", actor=sales_manager)
    assert cr.state == ChangeState.REJECTED


def test_staff_comments_are_internal_unless_marked(
    cr, internal_cr, engineer, planner, sales_rep, acme_contact
):
    svc.change_request_transition(
        change_request=cr, name="start_assessment", actor=engineer, comment="SECRET triage note"
    )
    entries = Activity.objects.filter(object_id=str(cr.pk))
    transition = entries.get(verb="start_assessment")
    assert (transition.audience, transition.text) == (Audience.CUSTOMER, "")
    note = entries.get(verb="commented")
    assert (note.audience, note.text) == (Audience.INTERNAL, "SECRET triage note")

    cr = ChangeRequest.objects.get(pk=cr.pk)
    cr = svc.change_request_assess(
        change_request=cr,
        actor=planner,
        expected_version=None,
        engineering_assessment="x",
        manufacturing_assessment="y",
    )
    svc.change_request_transition(
        change_request=cr,
        name="propose",
        actor=sales_rep,
        comment="We can do this for 150 more.",
        comment_audience=Audience.CUSTOMER,
    )
    shown = Activity.objects.get(object_id=str(cr.pk), verb="propose")
    assert (shown.audience, shown.text) == (Audience.CUSTOMER, "We can do this for 150 more.")

    # On a request the customer does not see, a customer-visible comment is refused.
    with pytest.raises(ValidationError) as err:
        svc.change_request_transition(
            change_request=internal_cr,
            name="start_assessment",
            actor=engineer,
            comment="x",
            comment_audience=Audience.CUSTOMER,
        )
    assert "comment_audience" in err.value.message_dict
    with pytest.raises(ValidationError):
        svc.change_request_transition(
            change_request=cr, name="approve", actor=acme_contact, comment_audience="everyone"
        )


def test_timeline_of_an_internal_request_reaches_the_customer_only_when_proposed(
    internal_cr, order, engineer, planner, sales_rep
):
    customer_entries = Activity.objects.filter(audience=Audience.CUSTOMER)
    before = set(customer_entries.values_list("pk", flat=True))
    cr = _assessed(internal_cr, engineer, planner)
    assert set(customer_entries.values_list("pk", flat=True)) == before
    svc.change_request_transition(change_request=cr, name="propose", actor=sales_rep)
    new = customer_entries.exclude(pk__in=before)
    assert {(a.object_id, a.verb) for a in new} == {
        (str(cr.pk), "propose"),
        (str(order.pk), "change_proposed"),
    }


def _inbox(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).values_list("title", flat=True))


def test_notifications_go_to_whoever_acts_next(
    order, engineer, planner, sales_rep, sales_manager, acme_contact, warehouse
):
    # order.owner is sales_rep; start from an empty inbox.
    Notification.objects.all().delete()
    cr = svc.change_request_create(actor=acme_contact, order=order, title="t", description="d")
    assert len(_inbox(sales_rep)) == 1 and not _inbox(engineer)
    cr = svc.change_request_transition(change_request=cr, name="start_assessment", actor=engineer)
    assert len(_inbox(planner)) == 1
    assert not _inbox(engineer)  # the one who acted
    assert not _inbox(warehouse) and not _inbox(sales_manager)
    cr = svc.change_request_assess(
        change_request=cr, actor=engineer, expected_version=None, engineering_assessment="x"
    )
    assert len(_inbox(sales_rep)) == 1  # not assessed yet: nothing to do
    cr = svc.change_request_assess(
        change_request=cr,
        actor=planner,
        expected_version=None,
        manufacturing_assessment="y",
        price_delta=Decimal("5"),
    )
    assert "ready to propose" in _inbox(sales_rep)[0]
    cr = svc.change_request_transition(change_request=cr, name="propose", actor=sales_rep)
    assert len(_inbox(acme_contact)) == 1 and not _inbox(sales_manager)
    cr = svc.change_request_transition(change_request=cr, name="approve", actor=acme_contact)
    assert "apply" in _inbox(sales_rep)[0]
    count = Notification.objects.count()
    svc.change_request_transition(change_request=cr, name="apply", actor=sales_rep)
    assert Notification.objects.count() == count


def test_a_manager_decision_notifies_sales_managers(
    cr, engineer, planner, sales_rep, sales_manager, acme_contact
):
    cr = _assessed(cr, engineer, planner)
    svc.change_request_transition(change_request=cr, name="propose", actor=sales_rep)
    assert len(_inbox(sales_manager)) == 1
    assert not _inbox(acme_contact)


# -- issue 6: applying: deltas, re-pricing, configuration, work done -----------------


def _approve(cr, engineer, planner, sales_rep, acme_contact, **fields):
    cr = _assessed(cr, engineer, planner, **fields)
    cr = svc.change_request_transition(change_request=cr, name="propose", actor=sales_rep)
    if cr.decider == ChangeDecider.CUSTOMER:
        return svc.change_request_transition(change_request=cr, name="approve", actor=acme_contact)
    return cr


def test_price_deltas_of_several_requests_accumulate(
    order, engineer, planner, sales_rep, acme_contact
):
    start = order.total
    for delta in ("100", "50"):
        cr = svc.change_request_create(
            actor=acme_contact, order=order, title=f"+{delta}", description="d"
        )
        cr = _approve(cr, engineer, planner, sales_rep, acme_contact, price_delta=Decimal(delta))
        svc.change_request_transition(change_request=cr, name="apply", actor=sales_rep)
    order.refresh_from_db()
    assert order.total == start + Decimal("150")
    assert order.order_revision == 3


def test_a_quantity_change_takes_the_new_quantity_break_and_keeps_the_discount(
    make_quote, catalog, sales_rep, sales_manager, acme_contact, engineer, planner
):
    from apps.catalog.models import ProductPriceBreak
    from apps.orders.services import quotes as q
    from apps.orders.services.orders import quote_convert

    ProductPriceBreak.objects.create(
        product=catalog["skid"], min_quantity=5, discount_percent=Decimal("10")
    )
    quote = make_quote(lines=(("skid", 1, {}, 5),))
    quote = q.quote_submit(quote=quote, actor=sales_rep)
    quote = q.quote_send(quote=quote, actor=sales_rep)
    quote = q.quote_accept(quote=quote, actor=acme_contact)
    order = quote_convert(quote=quote, actor=sales_rep)
    line = order.lines.get()
    assert (line.unit_list_price, line.unit_price) == (Decimal("20000"), Decimal("19000"))

    cr = svc.change_request_create(actor=acme_contact, order=order, title="5", description="d")
    cr = _approve(
        cr,
        engineer,
        planner,
        sales_rep,
        acme_contact,
        proposed_changes=[{"line": str(line.pk), "quantity": 5}],
    )
    # 5 × (20000 − 10 % break) − 5 % discount = 5 × 17100
    assert cr.line_price_delta == Decimal("85500") - Decimal("19000")
    # The cost is computed too: five skids at today's rolled-up cost for five (supplier
    # price breaks included) against the one the order costs now.
    from apps.orders.pricing import price_from_list

    _, five = price_from_list(
        product=catalog["skid"],
        selections=line.configuration,
        quantity=5,
        discount_percent=line.discount_percent,
        currency=order.currency,
    )
    assert cr.line_cost_delta == 5 * five.unit_cost - line.unit_cost > 0
    # And the dates: the line re-promised for five, against its forecast now.
    assert [m["position"] for m in cr.date_moves] == [line.position]
    move = cr.date_moves[0]
    assert move["old"] == line.forecast_date and move["new"] >= line.forecast_date
    assert move["days"] == (move["new"] - line.forecast_date).days
    assert cr.total_cost_delta == cr.line_cost_delta + cr.cost_delta
    svc.change_request_transition(change_request=cr, name="apply", actor=sales_rep)
    line.refresh_from_db()
    order.refresh_from_db()
    assert (line.quantity, line.unit_list_price, line.unit_price) == (
        5,
        Decimal("18000.00"),
        Decimal("17100.00"),
    )
    assert line.line_total == order.total == Decimal("85500.00")
    assert {c.quantity for c in line.components.all()} == {Decimal("5")}


@pytest.fixture
def cheap_break(catalog):
    from apps.catalog.models import ProductPriceBreak

    # 95 % off from 10 units: 1 000 a unit falls below the rolled-up cost of 1 548
    # (motor 900 + frame 400 + assembly (1 h + 10 × 3 h) at 80 /h over 10 units).
    return ProductPriceBreak.objects.create(
        product=catalog["skid"], min_quantity=10, discount_percent=Decimal("95")
    )


def test_a_margin_below_the_floor_needs_a_sales_manager(
    cr, order, cheap_break, engineer, planner, sales_rep, sales_manager, acme_contact
):
    line = order.lines.get()
    cr = _assessed(cr, engineer, planner, proposed_changes=[{"line": str(line.pk), "quantity": 10}])
    assert cr.lowest_margin_percent < 0
    with pytest.raises(TransitionForbidden):
        svc.change_request_transition(change_request=cr, name="propose", actor=sales_rep)
    refusals = svc.change_request_refusals(cr, sales_rep, ["propose"])
    assert "below the 20" in refusals["propose"] and "sales manager" in refusals["propose"]
    cr = svc.change_request_transition(change_request=cr, name="propose", actor=sales_manager)
    cr = svc.change_request_transition(change_request=cr, name="approve", actor=acme_contact)
    with pytest.raises(TransitionNotAllowed) as err:
        svc.change_request_transition(change_request=cr, name="apply", actor=sales_rep)
    assert "floor" in err.value.message
    cr = svc.change_request_transition(change_request=cr, name="apply", actor=sales_manager)
    assert cr.state == ChangeState.APPLIED


def test_a_configuration_change_is_applied_repriced_and_re_exploded(
    cr, order, catalog, engineer, planner, sales_rep, acme_contact
):
    line = order.lines.get()
    assert "VFD-1" not in {c.part_number for c in line.components.all()}
    cr = _approve(
        cr,
        engineer,
        planner,
        sales_rep,
        acme_contact,
        proposed_changes=[{"line": str(line.pk), "configuration": {"drive": "vfd"}}],
    )
    assert cr.decider == ChangeDecider.CUSTOMER and cr.line_price_delta == Decimal("2500")
    svc.change_request_transition(change_request=cr, name="apply", actor=sales_rep)
    line.refresh_from_db()
    order.refresh_from_db()
    assert line.configuration == {"drive": "vfd"}
    assert "VFD" in line.configuration_text
    # Rolled-up cost: motor 900 + frame 400 + VFD 700 + assembly 4 h at 80 /h.
    assert (line.unit_price, line.unit_cost) == (Decimal("22500.00"), Decimal("2320.00"))
    assert order.total == Decimal("22500.00")
    parts = {c.part_number: c.from_option for c in line.components.all()}
    assert parts["VFD-1"] == "drive=vfd" and "MTR-55" in parts


def test_an_invalid_configuration_is_refused_when_assessed(cr, order, engineer, planner):
    line = order.lines.get()
    cr = svc.change_request_transition(change_request=cr, name="start_assessment", actor=engineer)
    with pytest.raises(ValidationError) as err:
        svc.change_request_assess(
            change_request=cr,
            actor=planner,
            expected_version=None,
            proposed_changes=[{"line": str(line.pk), "configuration": {"drive": "steam"}}],
        )
    assert "Line 10" in " ".join(err.value.message_dict["proposed_changes"])


def test_a_change_that_delays_a_line_records_the_slip(
    cr, order, catalog, engineer, planner, sales_rep, acme_contact
):
    line = order.lines.get()
    # 80 skids need more motors than the 50 in stock: the supplier's lead time drives the date.
    cr = _approve(
        cr,
        engineer,
        planner,
        sales_rep,
        acme_contact,
        proposed_changes=[{"line": str(line.pk), "quantity": 80}],
    )
    assert cr.moves_agreed_dates and cr.decider == ChangeDecider.CUSTOMER
    svc.change_request_transition(change_request=cr, name="apply", actor=sales_rep)
    line.refresh_from_db()
    assert line.forecast_date > line.first_promised_date
    slip = OrderLineDateChange.objects.get(line=line)
    assert cr.number in slip.reason and slip.new_date == line.forecast_date


@pytest.mark.parametrize(
    ("change", "allowed"),
    [
        ({"quantity": 3}, True),
        ({"quantity": 1, "configuration": {"drive": "vfd"}}, False),
        ({"scope_statement": "Also install it"}, False),
    ],
)
def test_in_production_only_additions_apply(
    order, engineer, planner, sales_rep, acme_contact, change, allowed
):
    line = order.lines.get()
    cr = svc.change_request_create(actor=acme_contact, order=order, title="t", description="d")
    cr = _approve(
        cr,
        engineer,
        planner,
        sales_rep,
        acme_contact,
        price_delta=Decimal("1"),
        proposed_changes=[{"line": str(line.pk), **change}],
    )
    SalesOrder.objects.filter(pk=order.pk).update(state=OrderState.IN_PRODUCTION)
    if allowed:
        cr = svc.change_request_transition(change_request=cr, name="apply", actor=sales_rep)
        line.refresh_from_db()
        assert cr.state == ChangeState.APPLIED and line.quantity == 3
    else:
        with pytest.raises(TransitionNotAllowed) as err:
            svc.change_request_transition(change_request=cr, name="apply", actor=sales_rep)
        assert "work already done" in err.value.message
        assert ChangeRequest.objects.get(pk=cr.pk).state == ChangeState.APPROVED


def test_a_quantity_decrease_is_refused_once_in_production(
    order, engineer, planner, sales_rep, acme_contact
):
    line = order.lines.get()
    OrderLine.objects.filter(pk=line.pk).update(quantity=4)
    cr = svc.change_request_create(actor=acme_contact, order=order, title="t", description="d")
    cr = _approve(
        cr,
        engineer,
        planner,
        sales_rep,
        acme_contact,
        proposed_changes=[{"line": str(line.pk), "quantity": 2}],
    )
    SalesOrder.objects.filter(pk=order.pk).update(state=OrderState.PARTIALLY_SHIPPED)
    cr = ChangeRequest.objects.get(pk=cr.pk)
    refusals = svc.change_request_refusals(cr, sales_rep, ["apply"])
    assert "work already done" in refusals["apply"]
    with pytest.raises(TransitionNotAllowed):
        svc.change_request_transition(change_request=cr, name="apply", actor=sales_rep)


def test_nothing_is_applied_to_a_shipped_order(order, engineer, planner, sales_rep, acme_contact):
    cr = svc.change_request_create(actor=acme_contact, order=order, title="t", description="d")
    cr = _approve(cr, engineer, planner, sales_rep, acme_contact, price_delta=Decimal("1"))
    SalesOrder.objects.filter(pk=order.pk).update(state=OrderState.SHIPPED)
    with pytest.raises(TransitionNotAllowed) as err:
        svc.change_request_transition(change_request=cr, name="apply", actor=sales_rep)
    assert "nothing to amend" in err.value.message


def test_apply_is_refused_before_approval_and_to_other_roles(
    cr, engineer, planner, sales_rep, warehouse, acme_contact
):
    with pytest.raises(TransitionNotAllowed):
        svc.change_request_transition(change_request=cr, name="apply", actor=sales_rep)
    cr = _approve(cr, engineer, planner, sales_rep, acme_contact, price_delta=Decimal("1"))
    for refused in (warehouse, acme_contact, engineer):
        with pytest.raises(TransitionForbidden):
            svc.change_request_transition(change_request=cr, name="apply", actor=refused)
    svc.change_request_transition(change_request=cr, name="apply", actor=planner)


def test_re_pricing_uses_the_price_list_of_the_order_currency(cr, order, engineer, planner):
    line = order.lines.get()
    SalesOrder.objects.filter(pk=order.pk).update(currency="EUR")
    cr = svc.change_request_transition(change_request=cr, name="start_assessment", actor=engineer)
    with pytest.raises(ValidationError) as err:
        svc.change_request_assess(
            change_request=cr,
            actor=planner,
            expected_version=None,
            proposed_changes=[{"line": str(line.pk), "quantity": 2}],
        )
    assert "cannot be priced in EUR" in " ".join(err.value.message_dict["proposed_changes"])


def test_a_credit_beyond_the_order_total_is_refused(
    cr, order, engineer, planner, sales_rep, acme_contact
):
    cr = _approve(cr, engineer, planner, sales_rep, acme_contact, price_delta=-order.total - 1)
    with pytest.raises(TransitionNotAllowed) as err:
        svc.change_request_transition(change_request=cr, name="apply", actor=sales_rep)
    assert "total would become" in err.value.message
    order.refresh_from_db()
    assert order.order_revision == 1


def test_a_quantity_no_plant_can_make_in_time_is_a_field_error(cr, order, engineer, planner):
    line = order.lines.get()
    cr = svc.change_request_transition(change_request=cr, name="start_assessment", actor=engineer)
    with pytest.raises(ValidationError) as err:
        svc.change_request_assess(
            change_request=cr,
            actor=planner,
            expected_version=None,
            proposed_changes=[{"line": str(line.pk), "quantity": 1_000_000}],
        )
    assert "planning horizon" in " ".join(err.value.message_dict["proposed_changes"])


# Who may fire each step, by the state and decider the request is in.
ROLES = [
    "sales_rep",
    "sales_manager",
    "engineer",
    "planner",
    "quality",
    "buyer",
    "warehouse",
    "finance",
    "acme_contact",
    "borealis_contact",
]
MATRIX = {
    ("submitted", ""): {"start_assessment": {"sales_rep", "sales_manager", "engineer", "planner"}},
    ("assessing", ""): {"propose": {"sales_rep", "sales_manager"}},
    ("proposed", "customer"): {
        "approve": {"acme_contact"},
        "reject": {"acme_contact", "sales_manager"},
    },
    ("proposed", "sales_manager"): {
        "approve": {"sales_manager"},
        "reject": {"sales_manager"},
    },
    ("approved", "customer"): {"apply": {"sales_rep", "sales_manager", "planner"}},
}


@pytest.mark.parametrize(("state", "decider"), list(MATRIX))
def test_every_step_is_allowed_to_exactly_its_roles(
    request, order, acme_contact, engineer, planner, sales_rep, state, decider
):
    from apps.core.transitions import available_transitions

    cr = svc.change_request_create(actor=acme_contact, order=order, title="t", description="d")
    if state != "submitted":
        cr = _assessed(
            cr, engineer, planner, price_delta=Decimal("5" if decider == "customer" else "0")
        )
    if state in ("proposed", "approved"):
        cr = svc.change_request_transition(change_request=cr, name="propose", actor=sales_rep)
        assert cr.decider == decider
    if state == "approved":
        cr = svc.change_request_transition(change_request=cr, name="approve", actor=acme_contact)
    cr = ChangeRequest.objects.get(pk=cr.pk)
    for role in ROLES:
        user = request.getfixturevalue(role)
        allowed = set(available_transitions(cr, user))
        expected = {name for name, who in MATRIX[(state, decider)].items() if role in who}
        assert allowed == expected, (role, allowed, expected)
