"""The API's accept and decline take what the portal asks: PO, signer, terms; a reason."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from apps.orders.models import QuoteAcceptance, QuoteState

pytestmark = pytest.mark.django_db


def _post(user, quote, name, data=None):
    client = APIClient()
    client.force_authenticate(user)
    return client.post(f"/api/v1/quotes/{quote.pk}/transitions/{name}/", data or {}, format="json")


def test_a_customer_accept_without_the_signature_is_400_with_field_errors(acme_contact, sent_quote):
    res = _post(acme_contact, sent_quote, "accept", {"customer_po": "  "})
    assert res.status_code == 400
    assert set(res.json()) == {"customer_po", "signer_name", "terms_accepted"}
    sent_quote.refresh_from_db()
    assert sent_quote.state == QuoteState.SENT


def test_a_customer_accept_records_the_acceptance(acme_contact, sent_quote):
    res = _post(
        acme_contact,
        sent_quote,
        "accept",
        {
            "customer_po": "PO-42",
            "signer_name": "Ann Acme",
            "terms_accepted": True,
            "version": sent_quote.version,
        },
    )
    assert res.status_code == 200 and res.json()["state"] == "accepted"
    acceptance = QuoteAcceptance.objects.get(quote=sent_quote)
    assert (acceptance.customer_po, acceptance.signer_name, acceptance.accepted_by) == (
        "PO-42",
        "Ann Acme",
        acme_contact,
    )
    assert acceptance.ip_address == "127.0.0.1" and acceptance.terms_accepted


@pytest.mark.parametrize(
    "bad",
    [
        {"customer_po": "P" * 61, "signer_name": "Ann Acme", "terms_accepted": True},
        {"customer_po": "PO-1", "signer_name": "Ann Acme", "terms_accepted": "maybe"},
        {"customer_po": ["PO-1"], "signer_name": "Ann Acme", "terms_accepted": True},
    ],
)
def test_malformed_fields_are_400(acme_contact, sent_quote, bad):
    assert _post(acme_contact, sent_quote, "accept", bad).status_code == 400
    assert not QuoteAcceptance.objects.exists()


def test_staff_record_an_acceptance_without_a_signature(sales_rep, sent_quote):
    res = _post(sales_rep, sent_quote, "accept", {"comment": "Signed PDF by e-mail"})
    assert res.status_code == 200
    acceptance = QuoteAcceptance.objects.get(quote=sent_quote)
    assert (acceptance.signer_name, acceptance.accepted_by) == ("", sales_rep)


def test_a_customer_decline_needs_a_reason(acme_contact, sent_quote):
    res = _post(acme_contact, sent_quote, "decline")
    assert res.status_code == 400 and "reason" in res.json()
    res = _post(acme_contact, sent_quote, "decline", {"reason": "Budget cut"})
    assert res.status_code == 200 and res.json()["state"] == "declined"


def test_the_comment_counts_as_the_reason(acme_contact, sent_quote):
    res = _post(acme_contact, sent_quote, "decline", {"comment": "Too late for us"})
    assert res.status_code == 200


def test_an_accept_on_a_declined_quote_is_still_409(acme_contact, sent_quote):
    _post(acme_contact, sent_quote, "decline", {"reason": "No"})
    signed = {"customer_po": "PO-1", "signer_name": "Ann Acme", "terms_accepted": True}
    res = _post(acme_contact, sent_quote, "accept", signed)
    assert res.status_code == 409
