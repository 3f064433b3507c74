"""Opportunity workflow: every allowed and refused transition, quotes opened from
it (open → quoting), won when one of its quotes is accepted, and the weighted
forecast computed by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.core.models import Activity
from apps.core.transitions import TransitionForbidden, TransitionNotAllowed
from apps.orders.models import QuoteState
from apps.orders.services import quotes as quote_services
from apps.sales import selectors, services
from apps.sales.models import Opportunity, OpportunityQuote, OpportunityState
from tests.sales.sales_helpers import opportunity, qualified, web_inquiry

pytestmark = pytest.mark.django_db


def _quote_line(quote, actor, catalog):
    quote_services.quote_line_add(
        quote=quote, actor=actor, product=catalog["skid"], quantity=1, configuration={}
    )


def _won(opp, actor, contact, catalog):
    quote = services.opportunity_quote_create(opportunity=opp, actor=actor)
    _quote_line(quote, actor, catalog)
    quote = quote_services.quote_submit(quote=quote, actor=actor)
    quote = quote_services.quote_send(quote=quote, actor=actor)
    return quote_services.quote_accept(quote=quote, actor=contact)


@pytest.fixture
def at_stage(
    sales_rep, acme, acme_addresses, acme_contact, catalog, django_capture_on_commit_callbacks
):
    def build(state: str) -> Opportunity:
        opp = opportunity(sales_rep, acme)
        if state == OpportunityState.OPEN:
            return opp
        if state == OpportunityState.LOST:
            services.opportunity_transition(
                opportunity=opp, name="lose", actor=sales_rep, comment="Went with a rival."
            )
        elif state == OpportunityState.QUOTING:
            services.opportunity_quote_create(opportunity=opp, actor=sales_rep)
        else:
            with django_capture_on_commit_callbacks(execute=True):
                _won(opp, sales_rep, acme_contact, catalog)
        opp.refresh_from_db()
        assert opp.state == state
        return opp

    return build


ALLOWED = {
    OpportunityState.OPEN: {"lose"},  # start_quoting waits for a quote: see below
    OpportunityState.QUOTING: {"lose"},  # win waits for an accepted quote
    OpportunityState.WON: set(),
    OpportunityState.LOST: set(),
}
TARGET = {"start_quoting": "quoting", "win": "won", "lose": "lost"}


@pytest.mark.parametrize(("state", "name"), [(s, n) for s in ALLOWED for n in TARGET])
def test_every_transition_from_every_stage(state, name, at_stage, sales_rep):
    opp = at_stage(state)
    if name in ALLOWED[state]:
        opp = services.opportunity_transition(
            opportunity=opp, name=name, actor=sales_rep, comment="Budget cut."
        )
        assert opp.state == TARGET[name]
        assert opp.closed_at is not None
        assert Activity.objects.filter(
            object_id=str(opp.pk), verb=name, to_state=TARGET[name]
        ).exists()
        return
    with pytest.raises(TransitionNotAllowed) as exc:
        services.opportunity_transition(opportunity=opp, name=name, actor=sales_rep, comment="x")
    if (state, name) == ("open", "start_quoting"):
        assert (
            exc.value.message == "Cannot start quoting yet: it has no quote yet (use “New quote”)."
        )
    elif (state, name) == ("quoting", "win"):
        assert exc.value.message == "Cannot win yet: none of its quotes is accepted."
    else:
        assert f"that is {state}" in exc.value.message
    assert Opportunity.objects.get(pk=opp.pk).state == state


def test_losing_needs_a_reason(sales_rep, acme):
    opp = opportunity(sales_rep, acme)
    with pytest.raises(ValidationError, match="Say why"):
        services.opportunity_transition(opportunity=opp, name="lose", actor=sales_rep)


@pytest.mark.parametrize("role", ["engineer", "finance"])
def test_other_staff_may_not_move_or_quote(role, request, sales_rep, acme, acme_addresses):
    actor = request.getfixturevalue(role)
    opp = opportunity(sales_rep, acme)
    with pytest.raises(TransitionForbidden):
        services.opportunity_transition(opportunity=opp, name="lose", actor=actor, comment="x")
    with pytest.raises(PermissionDenied):
        services.opportunity_quote_create(opportunity=opp, actor=actor)
    with pytest.raises(PermissionDenied):
        services.opportunity_update(opportunity=opp, actor=actor, probability=90)


def test_a_new_quote_is_a_draft_for_the_customer_and_starts_quoting(
    sales_rep, acme, acme_addresses, catalog
):
    opp = opportunity(sales_rep, acme, currency="USD")
    quote = services.opportunity_quote_create(opportunity=opp, actor=sales_rep)
    assert (quote.state, quote.customer, quote.title) == (QuoteState.DRAFT, acme, opp.title)
    assert OpportunityQuote.objects.get(quote=quote).opportunity == opp
    opp.refresh_from_db()
    assert opp.state == OpportunityState.QUOTING
    # A second quote keeps it quoting.
    services.opportunity_quote_create(opportunity=opp, actor=sales_rep)
    opp.refresh_from_db()
    assert (opp.state, opp.quote_links.count()) == (OpportunityState.QUOTING, 2)


def test_no_new_quote_for_a_closed_opportunity(sales_rep, acme):
    opp = opportunity(sales_rep, acme)
    services.opportunity_transition(opportunity=opp, name="lose", actor=sales_rep, comment="No.")
    with pytest.raises(TransitionNotAllowed, match="is lost: no new quotes"):
        services.opportunity_quote_create(opportunity=opp, actor=sales_rep)


def test_accepting_a_quote_wins_its_opportunity(
    sales_rep, acme, acme_addresses, acme_contact, catalog, django_capture_on_commit_callbacks
):
    opp = opportunity(sales_rep, acme)
    other = opportunity(sales_rep, acme, title="Another")
    services.opportunity_quote_create(opportunity=other, actor=sales_rep)
    with django_capture_on_commit_callbacks(execute=True):
        quote = _won(opp, sales_rep, acme_contact, catalog)
    assert quote.state == QuoteState.ACCEPTED
    opp.refresh_from_db()
    other.refresh_from_db()
    assert (opp.state, other.state) == (OpportunityState.WON, OpportunityState.QUOTING)
    entry = Activity.objects.get(object_id=str(opp.pk), verb="win")
    assert entry.actor is None and quote.number in entry.text


def test_a_quote_without_opportunity_is_accepted_as_before(
    sent_quote, acme_contact, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        quote = quote_services.quote_accept(quote=sent_quote, actor=acme_contact)
    assert quote.state == QuoteState.ACCEPTED


def test_a_declined_quote_leaves_the_opportunity_quoting(
    sales_rep, acme, acme_addresses, acme_contact, catalog, django_capture_on_commit_callbacks
):
    opp = opportunity(sales_rep, acme)
    quote = services.opportunity_quote_create(opportunity=opp, actor=sales_rep)
    _quote_line(quote, sales_rep, catalog)
    quote = quote_services.quote_submit(quote=quote, actor=sales_rep)
    quote = quote_services.quote_send(quote=quote, actor=sales_rep)
    with django_capture_on_commit_callbacks(execute=True):
        quote_services.quote_decline(quote=quote, actor=acme_contact, comment="Too dear")
    opp.refresh_from_db()
    assert opp.state == OpportunityState.QUOTING


def test_update_checks_the_numbers(sales_rep, acme):
    opp = opportunity(sales_rep, acme)
    with pytest.raises(ValidationError, match="between 0 and 100"):
        services.opportunity_update(opportunity=opp, actor=sales_rep, probability=101)
    opp = services.opportunity_update(opportunity=opp, actor=sales_rep, probability=75)
    assert (opp.probability, opp.version) == (75, 2)


# -- the weighted forecast, by hand --------------------------------------------------


def test_forecast_by_month(sales_rep, sales_manager, acme, borealis, settings):
    settings.TANDEM_INQUIRY_FORECAST_PROBABILITY = 10
    jan, feb, mar = dt.date(2031, 1, 15), dt.date(2031, 2, 1), dt.date(2031, 3, 31)
    opportunity(sales_rep, acme, amount=Decimal("100000"), probability=40, expected_close_date=jan)
    opportunity(
        sales_rep,
        borealis,
        amount=Decimal("25000.50"),
        probability=30,
        expected_close_date=dt.date(2031, 1, 31),
    )
    opportunity(sales_rep, acme, amount=Decimal("80000"), probability=75, expected_close_date=mar)
    # Lost and won ones are not forecast; other currencies have their own table.
    lost = opportunity(sales_rep, acme, amount=Decimal("999999"), expected_close_date=jan)
    services.opportunity_transition(opportunity=lost, name="lose", actor=sales_rep, comment="x")
    opportunity(sales_rep, acme, amount=Decimal("5000"), currency="EUR", expected_close_date=jan)
    # Qualified inquiries count at 10% of their estimated value; others not at all.
    qualified(web_inquiry(), sales_rep, estimated_value=Decimal("60000"), expected_close_date=feb)
    qualified(
        web_inquiry(), sales_manager, estimated_value=Decimal("15000"), expected_close_date=mar
    )
    from tests.sales.sales_helpers import qualifying

    qualifying(web_inquiry(), sales_rep, estimated_value=Decimal("777777"), expected_close_date=feb)

    months = selectors.weighted_forecast(sales_rep, currency="USD")
    got = [
        (
            m.month,
            m.opportunities,
            m.pipeline,
            m.weighted_pipeline,
            m.inquiries,
            m.inquiry_value,
            m.weighted_inquiries,
            m.weighted_total,
        )
        for m in months
    ]
    assert got == [
        # 100000 × 40% + 25000.50 × 30% = 40000 + 7500.15
        (
            dt.date(2031, 1, 1),
            2,
            Decimal("125000.50"),
            Decimal("47500.15"),
            0,
            Decimal("0"),
            Decimal("0"),
            Decimal("47500.15"),
        ),
        # 60000 × 10%
        (
            dt.date(2031, 2, 1),
            0,
            Decimal("0"),
            Decimal("0"),
            1,
            Decimal("60000.00"),
            Decimal("6000.00"),
            Decimal("6000.00"),
        ),
        # 80000 × 75% + 15000 × 10%
        (
            dt.date(2031, 3, 1),
            1,
            Decimal("80000.00"),
            Decimal("60000.00"),
            1,
            Decimal("15000.00"),
            Decimal("1500.00"),
            Decimal("61500.00"),
        ),
    ]
    (eur,) = selectors.weighted_forecast(sales_rep, currency="EUR")
    # 5000 × 40% (the helper's probability)
    assert (eur.month, eur.weighted_pipeline) == (dt.date(2031, 1, 1), Decimal("2000.00"))
    assert selectors.forecast_currencies(sales_rep) == ["EUR", "USD"]


def test_forecast_and_board_are_empty_for_contacts(acme_contact, sales_rep, acme):
    opportunity(sales_rep, acme)
    assert selectors.weighted_forecast(acme_contact, currency="USD") == []
    assert all(c.count == 0 for c in selectors.pipeline_board(acme_contact))
