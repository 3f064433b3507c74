"""The public inquiry form (validation, honeypot, throttle, double submit, e-mail)
and the staff queue, detail, manual entry and workflow buttons."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from apps.sales.models import Inquiry, InquirySource, InquiryState, Opportunity
from tests.sales.sales_helpers import in_days, qualified, qualifying, web_inquiry

pytestmark = pytest.mark.django_db

FORM = "/inquiry/"


def _form_data(**extra) -> dict:
    return {
        "contact_name": "Dana Field",
        "contact_email": "dana@northwind-water.example",
        "company_name": "Northwind Water",
        "subject": "Two dosing skids",
        "message": "Two chlorine dosing skids for a new plant, delivery in spring.",
        "website": "",
        "form_token": str(uuid.uuid4()),
        **extra,
    }


def test_the_public_form_is_open_to_anyone(client, acme_contact):
    response = client.get(FORM)
    assert response.status_code == 200
    assert b'name="form_token"' in response.content
    assert b'class="hp-field"' in response.content
    client.force_login(acme_contact)  # a customer contact may ask too
    assert client.get(FORM).status_code == 200


def test_a_submission_creates_one_inquiry_and_tells_sales(
    client, sales_rep, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(FORM, _form_data())
    assert response.status_code == 302 and response["Location"] == "/inquiry/thanks/"
    inquiry = Inquiry.objects.get()
    assert (inquiry.source, inquiry.state, inquiry.company_name) == (
        InquirySource.WEB,
        InquiryState.NEW,
        "Northwind Water",
    )
    assert [m.to for m in mail.outbox] == [[sales_rep.email]]
    thanks = client.get("/inquiry/thanks/")
    assert b"we have your inquiry" in thanks.content


def test_a_double_submit_creates_nothing_more(client):
    data = _form_data()
    assert client.post(FORM, data).status_code == 302
    assert client.post(FORM, data).status_code == 302
    assert Inquiry.objects.count() == 1


def test_clear_errors_for_bad_input(client):
    response = client.post(
        FORM, _form_data(contact_email="not-an-address", message="hi", company_name="")
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "Please correct the fields marked below." in text
    assert "Enter a valid email address." in text
    assert "Tell us a little more (at least 10 characters)." in text
    assert "This field is required." in text
    assert 'value="not-an-address"' in text  # what was typed is kept
    assert not Inquiry.objects.exists()


def test_a_missing_or_forged_token_is_a_form_error(client):
    response = client.post(FORM, _form_data(form_token="nope"))
    assert response.status_code == 400
    assert not Inquiry.objects.exists()


def test_the_honeypot_thanks_the_bot_and_keeps_nothing(
    client, sales_rep, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(FORM, _form_data(website="http://spam.example"))
    assert response.status_code == 302 and response["Location"] == "/inquiry/thanks/"
    assert not Inquiry.objects.exists()
    assert mail.outbox == []


def test_the_form_is_throttled_per_client(client, settings):
    settings.INQUIRY_FORM_LIMIT_PER_CLIENT = 2
    for _ in range(2):
        assert client.post(FORM, _form_data(), REMOTE_ADDR="203.0.113.5").status_code == 302
    response = client.post(FORM, _form_data(), REMOTE_ADDR="203.0.113.5")
    assert response.status_code == 429
    assert response["Retry-After"] == "3600"
    assert b"try again later" in response.content
    assert Inquiry.objects.count() == 2
    # Another address is not affected.
    assert client.post(FORM, _form_data(), REMOTE_ADDR="198.51.100.7").status_code == 302


# -- staff pages ---------------------------------------------------------------------


def test_the_queue_filters_by_state_and_source(client_for, sales_rep, engineer):
    a = web_inquiry(subject="Alpha skid")
    b = qualifying(web_inquiry(subject="Beta skid"), sales_rep)
    url = reverse("sales:inquiry-list")
    client = client_for(engineer)  # other staff read
    page = client.get(url).content.decode()
    assert a.number in page and b.number in page
    page = client.get(url + "?state=qualifying").content.decode()
    assert b.number in page and a.number not in page
    page = client.get(url + "?source=manual").content.decode()
    assert "No inquiries match these filters" in page
    assert "New inquiry" not in client.get(url).content.decode()  # engineers do not enter them
    assert "New inquiry" in client_for(sales_rep).get(url).content.decode()


@pytest.mark.parametrize("who", ["acme_contact", "delta_contact"])
def test_contacts_get_404_everywhere(who, request, client_for, sales_rep):
    inquiry = web_inquiry()
    client = client_for(request.getfixturevalue(who))
    for url in (
        reverse("sales:inquiry-list"),
        reverse("sales:inquiry-detail", args=[inquiry.pk]),
        reverse("sales:inquiry-create"),
    ):
        assert client.get(url).status_code == 404, url
    url = reverse("sales:inquiry-transition", args=[inquiry.pk, "start_qualifying"])
    assert client.post(url).status_code == 404


def test_manual_entry(client_for, sales_rep):
    client = client_for(sales_rep)
    url = reverse("sales:inquiry-create")
    assert client.get(url).status_code == 200
    response = client.post(url, {"contact_name": "", "currency": "usd"})
    assert response.status_code == 400
    assert b"Use a three-letter currency code such as USD." in response.content
    response = client.post(
        url,
        {
            "contact_name": "Phone Caller",
            "contact_email": "caller@cobalt.example",
            "subject": "Spare impellers",
            "message": "Called about spares.",
            "currency": "USD",
            "estimated_value": "1200",
            "owner": sales_rep.pk,
        },
    )
    inquiry = Inquiry.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "sales:inquiry-detail", args=[inquiry.pk]
    )
    assert (inquiry.source, inquiry.created_by, inquiry.owner) == ("manual", sales_rep, sales_rep)


def test_manual_entry_is_for_sales(client_for, engineer):
    assert client_for(engineer).get(reverse("sales:inquiry-create")).status_code == 403


def test_detail_shows_disabled_buttons_with_the_reason(client_for, sales_rep):
    inquiry = services_start(web_inquiry(company_name=""), sales_rep)
    page = client_for(sales_rep).get(reverse("sales:inquiry-detail", args=[inquiry.pk]))
    text = page.content.decode()
    assert 'data-transition="qualify"' in text
    assert "Cannot qualify yet: the company is not named yet (edit the inquiry)" in text


def services_start(inquiry, actor):
    from apps.sales import services

    return services.inquiry_transition(inquiry=inquiry, name="start_qualifying", actor=actor)


def test_edit_then_qualify_then_convert_through_the_pages(client_for, sales_rep, acme):
    inquiry = services_start(web_inquiry(company_name="acme water utility"), sales_rep)
    client = client_for(sales_rep)
    edit = reverse("sales:inquiry-update", args=[inquiry.pk])
    response = client.post(
        edit,
        {
            "edit-contact_name": inquiry.contact_name,
            "edit-contact_email": inquiry.contact_email,
            "edit-company_name": "acme water utility",
            "edit-subject": inquiry.subject,
            "edit-message": inquiry.message,
            "edit-currency": "USD",
            "edit-estimated_value": "42000",
            "edit-expected_close_date": in_days(45).isoformat(),
            "edit-version": inquiry.version,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    inquiry.refresh_from_db()
    assert inquiry.estimated_value == Decimal("42000")
    detail = client.get(reverse("sales:inquiry-detail", args=[inquiry.pk])).content.decode()
    assert "Acme Water Utility" in detail  # the customer it will be matched to
    qualify = reverse("sales:inquiry-transition", args=[inquiry.pk, "qualify"])
    response = client.post(qualify, {"version": inquiry.version}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert f"{inquiry.number}: mark qualified." in response.content.decode()
    assert 'data-state="qualified"' in response.content.decode()
    convert = reverse("sales:inquiry-transition", args=[inquiry.pk, "convert"])
    response = client.post(convert, {}, HTTP_HX_REQUEST="true")
    opp = Opportunity.objects.get()
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("sales:opportunity-detail", args=[opp.pk])
    assert opp.customer == acme


def test_a_stale_edit_keeps_what_was_typed(client_for, sales_rep):
    inquiry = web_inquiry()
    client = client_for(sales_rep)
    response = client.post(
        reverse("sales:inquiry-update", args=[inquiry.pk]),
        {
            "edit-contact_name": "Typed Name",
            "edit-contact_email": inquiry.contact_email,
            "edit-subject": inquiry.subject,
            "edit-message": inquiry.message,
            "edit-currency": "USD",
            "edit-version": inquiry.version + 5,
        },
    )
    assert response.status_code == 409
    text = response.content.decode()
    assert "changed by someone else" in text and 'value="Typed Name"' in text


def test_a_refused_button_answers_409_with_the_reason(client_for, sales_rep):
    inquiry = qualified(web_inquiry(), sales_rep)
    url = reverse("sales:inquiry-transition", args=[inquiry.pk, "mark_spam"])
    response = client_for(sales_rep).post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert "Cannot mark spam a inquiry that is qualified." in response.content.decode()


def test_other_staff_get_403_on_buttons(client_for, engineer):
    inquiry = web_inquiry()
    url = reverse("sales:inquiry-transition", args=[inquiry.pk, "start_qualifying"])
    assert client_for(engineer).post(url).status_code == 403
    assert Inquiry.objects.get().state == InquiryState.NEW
