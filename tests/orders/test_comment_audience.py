"""Who reads a comment typed on a workflow step.

A staff comment is internal unless its author marks it for the customer; on a
step the customer sees (send, accept, convert, confirm, cancel…) an internal
comment is recorded as an internal entry of its own and the customer's entry
carries no text. A customer's own comment goes with its entry, and so does a
system text written for the customer (expiry).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from apps.core.models import Activity, ActivityKind, Audience
from apps.core.selectors import activities_for
from apps.orders.models import OrderState, QuoteState
from apps.orders.services import orders as order_services
from apps.orders.services import quotes as quote_services

pytestmark = pytest.mark.django_db


def _entries(obj):
    return Activity.objects.filter(object_id=str(obj.pk)).order_by("created_at", "id")


def _customer_texts(obj, contact) -> list[str]:
    return [a.text for a in activities_for(user=contact, target=obj)]


@pytest.fixture
def approved_quote(make_quote, sales_rep):
    quote = quote_services.quote_submit(quote=make_quote(), actor=sales_rep)
    assert quote.state == QuoteState.APPROVED
    return quote


def test_a_staff_comment_on_send_is_internal_by_default(approved_quote, sales_rep, acme_contact):
    quote = quote_services.quote_send(
        quote=approved_quote, actor=sales_rep, comment="Margin is thin, push for the PO"
    )
    send = _entries(quote).get(verb="send")
    assert send.audience == Audience.CUSTOMER and send.text == ""
    apart = _entries(quote).get(kind=ActivityKind.COMMENT)
    assert apart.audience == Audience.INTERNAL and apart.actor == sales_rep
    assert apart.text == "Margin is thin, push for the PO"
    assert "Margin is thin, push for the PO" not in _customer_texts(quote, acme_contact)
    # Staff read both.
    assert "Margin is thin, push for the PO" in [a.text for a in _entries(quote)]


def test_a_staff_comment_marked_for_the_customer_goes_with_the_step(
    approved_quote, sales_rep, acme_contact
):
    quote = quote_services.quote_send(
        quote=approved_quote,
        actor=sales_rep,
        comment="Prices include freight.",
        comment_audience=Audience.CUSTOMER,
    )
    send = _entries(quote).get(verb="send")
    assert send.audience == Audience.CUSTOMER and send.text == "Prices include freight."
    assert not _entries(quote).filter(kind=ActivityKind.COMMENT).exists()
    assert "Prices include freight." in _customer_texts(quote, acme_contact)


def test_a_comment_cannot_be_shown_to_the_customer_on_a_step_it_does_not_see(make_quote, sales_rep):
    quote = make_quote()
    with pytest.raises(ValidationError) as err:
        quote_services.quote_submit(
            quote=quote, actor=sales_rep, comment="Rush", comment_audience=Audience.CUSTOMER
        )
    assert "Only staff see this step" in err.value.message_dict["comment_audience"][0]
    quote.refresh_from_db()
    assert quote.state == QuoteState.DRAFT  # nothing happened
    with pytest.raises(ValidationError, match="Choose who sees the comment"):
        quote_services.quote_submit(quote=quote, actor=sales_rep, comment_audience="everyone")


def test_the_customers_own_comment_is_visible_to_it(sent_quote, acme_contact):
    quote = quote_services.quote_accept(
        quote=sent_quote, actor=acme_contact, comment="Go ahead, PO follows"
    )
    accept = _entries(quote).get(verb="accept")
    assert accept.audience == Audience.CUSTOMER and accept.text == "Go ahead, PO follows"
    # A customer cannot make its comment internal: it goes where the customer acts.
    assert not _entries(quote).filter(kind=ActivityKind.COMMENT).exists()


def test_the_system_text_for_the_customer_stays_with_the_expiry(sent_quote, acme_contact):
    type(sent_quote).objects.filter(pk=sent_quote.pk).update(valid_until=dt.date(2020, 1, 31))
    sent_quote.refresh_from_db()
    quote = quote_services.quote_expire(quote=sent_quote)
    assert "Valid until Jan 31, 2020." in _customer_texts(quote, acme_contact)


def test_order_steps_cancel_and_design_approval_keep_staff_comments_internal(
    order, sales_manager, acme_contact
):
    order = order_services.order_transition(
        order=order, name="cancel", actor=sales_manager, comment="Credit risk, said nothing yet"
    )
    assert order.state == OrderState.CANCELLED
    assert _entries(order).get(verb="cancel").text == ""
    assert "Credit risk, said nothing yet" not in _customer_texts(order, acme_contact)
    assert _entries(order).get(kind=ActivityKind.COMMENT).audience == Audience.INTERNAL


def test_the_staff_quote_page_offers_the_box_on_customer_steps_only(
    client_for, approved_quote, make_quote, sales_rep
):
    page = client_for(sales_rep).get(reverse("sales:quote-detail", args=[approved_quote.pk]))
    html = page.content.decode()
    assert 'data-testid="customer-sees-send"' in html
    draft = make_quote()
    html = client_for(sales_rep).get(reverse("sales:quote-detail", args=[draft.pk])).content
    assert b"customer-sees-submit" not in html and b"Customer sees the comment" not in html


def test_the_staff_page_posts_the_box_and_the_portal_shows_only_what_was_marked(
    client, client_for, approved_quote, sales_rep, acme_contact
):
    url = reverse("sales:quote-transition", args=[approved_quote.pk, "send"])
    res = client_for(sales_rep).post(
        url, {"comment": "INTERNAL-ONLY-REMARK", "version": approved_quote.version}
    )
    assert res.status_code == 302
    quote = quote_services.quote_revise(
        quote=approved_quote.__class__.objects.get(pk=approved_quote.pk), actor=sales_rep
    )
    quote = quote_services.quote_submit(quote=quote, actor=sales_rep)
    res = client_for(sales_rep).post(
        url,
        {
            "comment": "Shown to you: freight included",
            "customer_sees": "on",
            "version": quote.version,
        },
    )
    assert res.status_code == 302
    client.force_login(acme_contact)
    # The thread in the page (?sections=all: what the page loads when it is revealed).
    portal = client.get(
        reverse("customers:quote-detail", args=[quote.pk]) + "?sections=all"
    ).content.decode()
    assert "Shown to you: freight included" in portal
    assert "INTERNAL-ONLY-REMARK" not in portal
    client.force_login(sales_rep)
    staff = client.get(
        reverse("sales:quote-detail", args=[quote.pk]) + "?sections=all"
    ).content.decode()
    assert "INTERNAL-ONLY-REMARK" in staff and "Shown to you: freight included" in staff


@pytest.mark.parametrize("ticked", [False, True])
def test_the_cancel_in_production_form_keeps_the_reason_internal_unless_ticked(
    client, in_production, sales_manager, acme_contact, ticked
):
    client.force_login(sales_manager)
    page = client.get(reverse("sales:order-detail", args=[in_production.pk])).content.decode()
    assert 'data-testid="cancel-customer-sees"' in page
    form = {
        "reason": "Plant closure REASON-XYZ",
        "charges": "100",
        "version": in_production.version,
    }
    if ticked:
        form["customer_sees"] = "on"
    res = client.post(reverse("sales:order-cancel", args=[in_production.pk]), form)
    assert res.status_code == 302
    in_production.refresh_from_db()
    assert in_production.state == OrderState.CANCELLED
    client.force_login(acme_contact)
    # The history in the page (`?sections=all`; htmx reads it when revealed).
    portal = client.get(
        reverse("customers:order-detail", args=[in_production.pk]), {"sections": "all"}
    ).content
    assert (b"Plant closure REASON-XYZ" in portal) is ticked
    assert b"Cancellation charges:" in portal


def test_the_order_page_offers_the_box_on_steps_the_customer_sees(
    client_for, order, sales_rep, sales_manager
):
    order = order_services.order_update(
        order=order, actor=sales_rep, expected_version=order.version, delivery_contact_name="Dock"
    )
    html = client_for(sales_manager).get(reverse("sales:order-detail", args=[order.pk])).content
    assert b'data-testid="customer-sees-confirm"' in html
    assert b'data-testid="customer-sees-hold"' not in html
    res = client_for(sales_manager).post(
        reverse("sales:order-transition", args=[order.pk, "confirm"]),
        {"comment": "Confirmed, thanks for the order", "customer_sees": "on"},
    )
    assert res.status_code == 302
    assert _entries(order).get(verb="confirm").text == "Confirmed, thanks for the order"


def test_the_api_takes_comment_audience_on_transitions(approved_quote, sales_rep, acme_contact):
    api = APIClient()
    api.force_authenticate(sales_rep)
    url = f"/api/v1/quotes/{approved_quote.pk}/transitions/send/"
    res = api.post(url, {"comment": "x", "comment_audience": "nobody"}, format="json")
    assert res.status_code == 400 and "comment_audience" in res.json()
    res = api.post(
        url, {"comment": "Freight included", "comment_audience": "customer"}, format="json"
    )
    assert res.status_code == 200, res.json()
    assert "Freight included" in _customer_texts(approved_quote, acme_contact)
    res = api.post(
        f"/api/v1/quotes/{approved_quote.pk}/transitions/revise/",
        {"comment": "Back to draft", "comment_audience": "customer"},
        format="json",
    )
    assert res.status_code == 400
    assert "Only staff see this step" in res.json()["comment_audience"][0]
