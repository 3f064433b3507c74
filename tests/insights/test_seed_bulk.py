from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Sum

from apps.accounts.models import User
from apps.core.models import Activity
from apps.orders.models import Quote, QuoteGroupObjectPermission, QuoteState, SalesOrder
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
