"""A customer contact's quotes and orders: its own organization's, by the indexed customer key.

The selectors filter `customer = the contact's organization` (and a quote's
customer states) instead of semi-joining guardian's grants, so a portal list reads its page
from a (customer, …) index however many documents a large account has. These
tests pin that the direct predicate shows exactly what the grants showed, and
that the lists' queries can be served by those indexes.
"""

from __future__ import annotations

import pytest

from apps.orders import selectors
from apps.orders.models import Quote
from apps.orders.services import quotes as quote_services
from tests.explain import explain

pytestmark = pytest.mark.django_db


def test_a_contact_sees_its_sent_quotes_and_orders_only(
    order, make_quote, sales_rep, acme_contact, borealis_contact, delta_contact, borealis
):
    draft = make_quote()
    in_review = quote_services.quote_submit(
        quote=make_quote(lines=(("cabinet", 1, {}, 0),)), actor=sales_rep
    )
    other = make_quote(customer=borealis)
    visible = set(selectors.quotes_visible_to(acme_contact))
    assert order.quote in visible
    assert not visible & {draft, in_review, other}
    assert list(selectors.orders_visible_to(acme_contact)) == [order]
    for outsider in (borealis_contact, delta_contact):
        assert not selectors.quotes_visible_to(outsider).exists()
        assert not selectors.portal_quotes_visible_to(outsider).exists()
        assert not selectors.orders_visible_to(outsider).exists()


def test_an_inactive_organization_sees_nothing(order, acme, acme_contact):
    acme.is_active = False
    acme.save(update_fields=["is_active"])
    acme_contact.refresh_from_db()
    assert not selectors.quotes_visible_to(acme_contact).exists()
    assert not selectors.orders_visible_to(acme_contact).exists()


def test_the_portal_quote_page_is_read_from_the_customer_index(order, acme_contact):
    ids = (
        selectors.portal_quote_list(acme_contact)
        .order_by("-sent_at", "-number")
        .values_list("pk", flat=True)[:25]
    )
    plan = explain(ids, no_sort=True)
    assert "quote_customer_sent_idx" in plan
    assert "groupobjectpermission" not in plan.lower()


def test_staff_search_can_use_the_trigram_indexes(order):
    from apps.sales.views_quotes import QuoteListFilter

    # The rows matching a text search, as the count asks for them: only the trigram
    # indexes can find them without reading the table. (A number such as Q-0001 is
    # searched by prefix on its own index: tests/sales/test_number_search.py.)
    qs = QuoteListFilter({"q": "skid"}, queryset=Quote.objects.all()).qs.order_by()
    plan = explain(qs.values_list("pk", flat=True))
    assert "quote_number_trgm_idx" in plan and "quote_title_trgm_idx" in plan
