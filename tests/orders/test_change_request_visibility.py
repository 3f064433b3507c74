"""Who sees a change request: staff raise internal ones that stay internal until proposed.

The leak this guards: a change request staff raised on a quote the customer may
not see (a draft or a quote in review) was listed and readable in the portal and
the API, with its title, description and the hidden quote's number and id.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from apps.core.models import Activity, Audience
from apps.orders.selectors import change_requests_visible_to
from apps.orders.services import changes as svc
from apps.orders.services import quotes as quote_services

pytestmark = pytest.mark.django_db

SECRET = "CANARY-internal-change-request"


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def draft_quote(make_quote):
    return make_quote()


@pytest.fixture
def review_quote(make_quote, sales_rep, catalog):
    # An MTO line needs a manufacturing review, so the quote stays in review.
    quote = make_quote(lines=(("cabinet", 1, {}, 0),))
    return quote_services.quote_submit(quote=quote, actor=sales_rep)


@pytest.mark.parametrize("quote_fixture", ["draft_quote", "review_quote"])
def test_a_request_on_a_quote_the_customer_cannot_see_is_invisible(
    request, quote_fixture, sales_rep, acme_contact, client_for
):
    quote = request.getfixturevalue(quote_fixture)
    assert quote.state in ("draft", "in_review")
    cr = svc.change_request_create(
        actor=sales_rep, quote=quote, title=SECRET, description=f"{SECRET} details"
    )
    assert not change_requests_visible_to(acme_contact).exists()

    api = _api(acme_contact)
    listing = api.get("/api/v1/change-requests/")
    assert listing.status_code == 200
    assert listing.json()["results"] == []
    assert SECRET not in listing.content.decode() and quote.number not in listing.content.decode()
    assert api.get(f"/api/v1/change-requests/{cr.pk}/").status_code == 404
    assert api.post(f"/api/v1/change-requests/{cr.pk}/transitions/approve/").status_code == 404

    client = client_for(acme_contact)
    for page in ("/portal/", "/portal/quotes/", "/portal/orders/"):
        html = client.get(page).content.decode()
        assert SECRET not in html and quote.number not in html
    assert client.get(reverse("customers:quote-detail", args=[quote.pk])).status_code == 404


def test_a_customer_request_on_a_quote_revised_back_to_draft_is_hidden(
    sent_quote, sales_rep, acme_contact
):
    cr = svc.change_request_create(
        actor=acme_contact, quote=sent_quote, title="Blue paint", description="RAL 5010"
    )
    assert list(change_requests_visible_to(acme_contact)) == [cr]
    quote_services.quote_revise(quote=sent_quote, actor=sales_rep, comment="new prices")
    # The rule follows the quote: what the customer may not see, its requests do not show.
    from apps.orders.selectors import quotes_visible_to

    visible = quotes_visible_to(acme_contact).filter(pk=sent_quote.pk).exists()
    assert change_requests_visible_to(acme_contact).exists() == visible


def test_an_internal_request_on_a_visible_order_stays_internal_until_proposed(
    order, sales_rep, engineer, planner, acme_contact, client_for
):
    cr = svc.change_request_create(
        actor=sales_rep, order=order, title=SECRET, description="swap the motor supplier"
    )
    assert not change_requests_visible_to(acme_contact).exists()
    api = _api(acme_contact)
    assert api.get("/api/v1/change-requests/").json()["results"] == []
    assert api.get(f"/api/v1/change-requests/{cr.pk}/").status_code == 404
    page = client_for(acme_contact).get(
        reverse("customers:order-detail", args=[order.pk]), {"sections": "all"}
    )
    assert page.status_code == 200 and SECRET not in page.content.decode()
    # Nothing about it reaches the customer's timeline of the order either.
    customer_entries = Activity.objects.filter(audience=Audience.CUSTOMER)
    assert not [a for a in customer_entries if SECRET in a.text]

    cr = svc.change_request_transition(change_request=cr, name="start_assessment", actor=engineer)
    cr = svc.change_request_assess(
        change_request=cr,
        actor=engineer,
        expected_version=None,
        engineering_assessment="none",
        manufacturing_assessment="none",
    )
    assert not change_requests_visible_to(acme_contact).exists()
    svc.change_request_transition(change_request=cr, name="propose", actor=sales_rep)
    assert [c.pk for c in change_requests_visible_to(acme_contact)] == [cr.pk]
    assert api.get(f"/api/v1/change-requests/{cr.pk}/").status_code == 200
    page = client_for(acme_contact).get(
        reverse("customers:order-detail", args=[order.pk]), {"sections": "all"}
    )
    assert SECRET in page.content.decode()


def test_other_customers_never_see_a_proposed_request(
    order, sales_rep, engineer, acme_contact, borealis_contact
):
    cr = svc.change_request_create(actor=acme_contact, order=order, title="t", description="d")
    assert not change_requests_visible_to(borealis_contact).exists()
    assert _api(borealis_contact).get(f"/api/v1/change-requests/{cr.pk}/").status_code == 404
