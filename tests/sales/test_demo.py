from __future__ import annotations

import pytest
from django.core.management import call_command

from apps.orders.models import QuoteState
from apps.sales.models import Inquiry, InquiryState, Opportunity, OpportunityState

pytestmark = pytest.mark.django_db


def test_the_demo_has_inquiries_in_several_states_and_opportunities_in_every_stage(settings):
    settings.DEMO_MODE = True
    call_command("seed_demo", verbosity=0)
    first = sorted(Inquiry.objects.values_list("number", "state", "version"))
    opps = sorted(Opportunity.objects.values_list("number", "state", "version"))
    call_command("seed_demo", verbosity=0)  # idempotent
    assert sorted(Inquiry.objects.values_list("number", "state", "version")) == first
    assert sorted(Opportunity.objects.values_list("number", "state", "version")) == opps

    assert {s for _, s, _ in first} == set(InquiryState.values)
    assert {s for _, s, _ in opps} == set(OpportunityState.values)
    # Two of the stages come from the opportunity's own quotes.
    won = Opportunity.objects.get(state=OpportunityState.WON)
    assert won.quote_links.get().quote.state == QuoteState.ACCEPTED
    converted = Inquiry.objects.get(state=InquiryState.CONVERTED)
    assert converted.opportunity.customer.code == "ACME"
    cobalt = Inquiry.objects.get(source="api")
    assert cobalt.state == InquiryState.QUALIFIED and cobalt.estimated_value
