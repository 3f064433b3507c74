"""/api/v1/inquiries/ and /api/v1/opportunities/: Idempotency-Key, state and
available_transitions, and 400 / 403 / 404 / 409 as DESIGN §6 says."""

from __future__ import annotations

import pytest

from apps.sales.models import Inquiry, InquiryState, Opportunity
from tests.sales.sales_helpers import opportunity, qualified, web_inquiry

pytestmark = pytest.mark.django_db

INQUIRIES = "/api/v1/inquiries/"
OPPORTUNITIES = "/api/v1/opportunities/"
BODY = {
    "contact_name": "Crm Person",
    "contact_email": "crm@cobalt-mining.example",
    "company_name": "Cobalt Mining",
    "subject": "Six slurry pumps",
    "message": "For the new concentrator.",
    "estimated_value": "90000.00",
}


def test_a_crm_retry_never_creates_a_second_inquiry(token_api, sales_rep):
    api = token_api(sales_rep)
    first = api.post(INQUIRIES, BODY, format="json", HTTP_IDEMPOTENCY_KEY="crm-4711")
    assert first.status_code == 201
    again = api.post(INQUIRIES, BODY, format="json", HTTP_IDEMPOTENCY_KEY="crm-4711")
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Inquiry.objects.count() == 1
    body = first.json()
    assert (body["source"], body["state"]) == ("api", "new")
    assert body["available_transitions"] == ["disqualify", "mark_spam", "start_qualifying"]


def test_the_same_key_with_another_body_is_422(token_api, sales_rep):
    api = token_api(sales_rep)
    first = api.post(INQUIRIES, BODY, format="json", HTTP_IDEMPOTENCY_KEY="crm-1")
    other = api.post(
        INQUIRIES, {**BODY, "subject": "Other"}, format="json", HTTP_IDEMPOTENCY_KEY="crm-1"
    )
    assert other.status_code == 422
    assert "already used for" in other.json()["detail"]
    assert other.json()["inquiry"] == first.json()["id"]
    assert Inquiry.objects.count() == 1


def test_without_a_key_each_post_creates_one(token_api, sales_rep):
    api = token_api(sales_rep)
    assert api.post(INQUIRIES, BODY, format="json").status_code == 201
    assert api.post(INQUIRIES, BODY, format="json").status_code == 201
    assert Inquiry.objects.count() == 2


def test_bad_input_is_400_with_field_errors(token_api, sales_rep):
    api = token_api(sales_rep)
    response = api.post(
        INQUIRIES, {"contact_email": "nope", "estimated_value": "-1"}, format="json"
    )
    assert response.status_code == 400
    errors = response.json()
    assert {"contact_name", "contact_email", "subject", "message", "estimated_value"} <= set(errors)
    long_key = api.post(INQUIRIES, BODY, format="json", HTTP_IDEMPOTENCY_KEY="k" * 256)
    assert long_key.status_code == 400 and "Idempotency-Key" in long_key.json()


def test_other_staff_read_but_may_not_write(token_api, engineer, sales_rep):
    inquiry = web_inquiry()
    api = token_api(engineer)
    assert api.get(INQUIRIES).json()["count"] == 1
    assert api.post(INQUIRIES, BODY, format="json").status_code == 403
    response = api.post(f"{INQUIRIES}{inquiry.pk}/transitions/start_qualifying/")
    assert response.status_code == 403
    assert response.json()["detail"] == "You may not start qualifying this inquiry."
    assert api.get(f"{INQUIRIES}{inquiry.pk}/").json()["available_transitions"] == []


@pytest.mark.parametrize("who", ["acme_contact", "delta_contact"])
def test_contacts_get_404(who, request, token_api, sales_rep, acme):
    inquiry = web_inquiry()
    opp = opportunity(sales_rep, acme)
    api = token_api(request.getfixturevalue(who))
    for url in (INQUIRIES, f"{INQUIRIES}{inquiry.pk}/", OPPORTUNITIES, f"{OPPORTUNITIES}{opp.pk}/"):
        assert api.get(url).status_code == 404, url
    assert api.post(INQUIRIES, BODY, format="json").status_code == 404
    assert api.post(f"{OPPORTUNITIES}{opp.pk}/transitions/lose/").status_code == 404


def test_anonymous_is_401(client):
    assert client.get(INQUIRIES).status_code == 401


def test_transitions_and_conversion(token_api, sales_rep, acme):
    api = token_api(sales_rep)
    inquiry = qualified(web_inquiry(company_name="Acme Water Utility"), sales_rep)
    wrong = api.post(f"{INQUIRIES}{inquiry.pk}/transitions/mark_spam/")
    assert wrong.status_code == 409
    assert wrong.json()["allowed_transitions"] == ["convert"]
    stale = api.post(f"{INQUIRIES}{inquiry.pk}/transitions/convert/", {"version": 1}, format="json")
    assert stale.status_code == 409 and stale.json()["state"] == "qualified"
    unknown = api.post(f"{INQUIRIES}{inquiry.pk}/transitions/explode/")
    assert unknown.status_code == 404
    done = api.post(
        f"{INQUIRIES}{inquiry.pk}/transitions/convert/",
        {"version": inquiry.version, "comment": "Real project"},
        format="json",
    )
    assert done.status_code == 200
    body = done.json()
    opp = Opportunity.objects.get()
    assert (body["state"], body["opportunity"], body["customer"]) == (
        InquiryState.CONVERTED,
        str(opp.pk),
        str(acme.pk),
    )
    detail = api.get(f"{OPPORTUNITIES}{opp.pk}/").json()
    assert detail["state"] == "open"
    assert detail["available_transitions"] == ["lose"]
    assert detail["inquiry"] == str(inquiry.pk)


def test_opportunity_create_update_and_lose(token_api, sales_rep, acme, delta):
    api = token_api(sales_rep)
    created = api.post(
        OPPORTUNITIES,
        {
            "customer": str(acme.pk),
            "title": "Cabinet retrofit",
            "amount": "40000",
            "probability": 50,
            "expected_close_date": "2031-05-31",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["weighted_amount"], body["quotes"], body["owner"]) == (
        "20000.00",
        [],
        sales_rep.pk,
    )
    url = f"{OPPORTUNITIES}{body['id']}/"
    assert api.patch(url, {"probability": 101}, format="json").status_code == 400
    assert api.patch(url, {"customer": str(delta.pk)}, format="json").status_code == 400
    assert api.patch(url, {"probability": 80, "version": 7}, format="json").status_code == 409
    assert api.patch(url, {"probability": 80, "version": 1}, format="json").json()["version"] == 2
    no_reason = api.post(f"{url}transitions/lose/")
    assert no_reason.status_code == 400 and "comment" in no_reason.json()
    lost = api.post(f"{url}transitions/lose/", {"comment": "Budget cut"}, format="json")
    assert lost.status_code == 200 and lost.json()["state"] == "lost"
    supplier = api.post(
        OPPORTUNITIES,
        {"customer": str(delta.pk), "title": "x", "expected_close_date": "2031-05-31"},
        format="json",
    )
    assert supplier.status_code == 400 and "customer" in supplier.json()
