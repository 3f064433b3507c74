"""The quote PDF: rendered from customer-visible data only when a revision is sent,
stored privately, downloaded by staff and by the customer's own contacts."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client, TestCase
from pypdf import PdfReader

from apps.core.services import activity_record
from apps.orders.models import QuoteDocument, QuoteLine, QuoteReview
from apps.orders.services import quotes as quote_services
from apps.orders.services.documents import quote_document_content

pytestmark = pytest.mark.django_db

NOTE = "CANARY-PDF-INTERNAL-NOTE"
REVIEW = "CANARY-PDF-REVIEW-COMMENT"
SPEC = "CANARY-PDF-CUSTOM-SPEC"


def _text(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def reviewed_quote(make_quote, sales_rep, engineer, planner, acme_contact):
    """A DTO quote with a configured skid, scope, terms, internal notes and review comments."""
    quote = make_quote(
        lines=(("skid", 2, {"drive": "vfd"}, 5), ("dosing", 1, {}, 0)),
        title="Brewhouse water skid",
        terms="Delivery EXW Kestrel plant. 30 % down payment.",
        customer_reference="BOR-REQ-17",
        contact=acme_contact,
        internal_notes=f"{NOTE} do not tell them",
    )
    QuoteLine.objects.filter(quote=quote, position=10).update(
        scope_statement="Includes factory acceptance test and two days of training."
    )
    QuoteLine.objects.filter(quote=quote, position=20).update(custom_spec=SPEC)
    quote = quote_services.quote_submit(quote=quote, actor=sales_rep)
    for review, user in (("engineering", engineer), ("manufacturing", planner)):
        quote_services.quote_review_decide(
            review=QuoteReview.objects.get(quote=quote, department=review),
            actor=user,
            decision="approve",
            comment=f"{REVIEW} {review}",
        )
    quote.refresh_from_db()
    activity_record(target=quote, actor=sales_rep, verb="commented", text=f"{NOTE} timeline")
    return quote


@pytest.fixture
def sent(reviewed_quote, sales_rep):
    """Sent, with the on-commit work (the rendering task, eager here) run."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        quote = quote_services.quote_send(quote=reviewed_quote, actor=sales_rep)
    return quote


def test_sending_renders_the_pdf_with_the_customer_visible_content(sent, acme_contact):
    document = QuoteDocument.objects.get(quote=sent)
    assert document.revision == 0
    assert document.file.name.startswith("quote-documents/")
    assert document.file.path.startswith(str(settings.MEDIA_ROOT))
    with document.file.open("rb") as fh:
        text = _text(fh.read())
    flat = " ".join(text.split())
    skid = sent.lines.get(position=10)
    for visible in (
        "Kestrel",  # the company header
        "Quotation",
        sent.number,
        "revision 0",
        "Acme Water Utility",
        f"Attn. {acme_contact.get_full_name()}",
        "Brewhouse water skid",
        "BOR-REQ-17",
        "Pump skid",
        skid.configuration_text.splitlines()[0],
        "Includes factory acceptance test and two days of training.",
        "Dosing system",
        f"{skid.unit_price:,.2f}",
        f"{skid.line_total:,.2f}",
        f"{sent.total:,.2f}",
        skid.feasible_date.strftime("%b %-d, %Y"),
        f"Valid until {sent.valid_until:%b %-d, %Y}",
        "Delivery EXW Kestrel plant.",
    ):
        assert visible in flat, visible
    unit_cost = f"{skid.unit_cost:,.2f}"
    for internal in (NOTE, REVIEW, SPEC, unit_cost, f"{skid.margin_percent}", "critical"):
        assert internal not in flat, internal
    if skid.critical_path:
        assert skid.critical_path not in flat


def test_the_content_is_an_allow_list_of_customer_fields(reviewed_quote):
    content = quote_document_content(reviewed_quote)
    flat = repr(content)
    for internal in (NOTE, REVIEW, SPEC, "unit_cost", "margin", "critical_path", "explanation"):
        assert internal not in flat
    assert set(content["lines"][0]) == {
        "position",
        "product",
        "sku",
        "configuration_text",
        "scope_statement",
        "quantity",
        "unit_list_price",
        "discount_percent",
        "unit_price",
        "line_total",
        "requested_date",
        "promised_date",
    }


def test_each_sent_revision_keeps_its_own_document(sent, sales_rep, client_for, acme_contact):
    first = QuoteDocument.objects.get(quote=sent)
    quote = quote_services.quote_revise(quote=sent, actor=sales_rep, comment="More units")
    line = quote.lines.get(position=10)
    quote_services.quote_line_update(line=line, actor=sales_rep, quantity=5)
    quote = quote_services.quote_update(
        quote=quote, actor=sales_rep, expected_version=None, title="CANARY-PDF-DRAFT-TITLE"
    )
    # Being revised: the customer still downloads revision 0, never the draft.
    response = client_for(acme_contact).get(f"/portal/quotes/{sent.pk}/pdf/")
    assert response.status_code == 200
    assert "CANARY-PDF-DRAFT-TITLE" not in _text(_body(response))
    quote = quote_services.quote_submit(quote=quote, actor=sales_rep)
    for review in quote.reviews.filter(revision=quote.revision):
        review.quote = quote
        QuoteReview.objects.filter(pk=review.pk).update(state="approved")
    quote_services.quote_approve(quote=quote, actor=sales_rep)
    with TestCase.captureOnCommitCallbacks(execute=True):
        quote = quote_services.quote_send(quote=quote, actor=sales_rep)
    assert list(QuoteDocument.objects.filter(quote=quote).values_list("revision", flat=True)) == [
        1,
        0,
    ]
    second = QuoteDocument.objects.get(quote=quote, revision=1)
    assert second.file.name != first.file.name
    assert second.content["lines"][0]["quantity"] == 5
    assert first.content["lines"][0]["quantity"] == 2
    client = client_for(acme_contact)
    latest = _text(_body(client.get(f"/portal/quotes/{quote.pk}/pdf/")))
    assert "revision 1" in latest and "CANARY-PDF-DRAFT-TITLE" in latest
    older = client.get(f"/portal/quotes/{quote.pk}/pdf/?revision=0")
    assert "revision 0" in _text(_body(older))


def test_staff_download_the_latest_or_a_given_revision(client_for, planner, sent):
    client = client_for(planner)
    response = client.get(f"/sales/quotes/{sent.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="{sent.number}-rev0.pdf"' in response["Content-Disposition"]
    assert sent.number in _text(_body(response))
    assert client.get(f"/sales/quotes/{sent.pk}/pdf/?revision=0").status_code == 200
    for bad in ("1", "x", "-1", "9999999"):
        assert client.get(f"/sales/quotes/{sent.pk}/pdf/?revision={bad}").status_code == 404


def test_a_quote_never_sent_has_no_pdf(client_for, sales_rep, reviewed_quote):
    assert client_for(sales_rep).get(f"/sales/quotes/{reviewed_quote.pk}/pdf/").status_code == 404


def test_a_document_the_worker_has_not_rendered_is_rendered_on_download(
    client_for, sales_rep, reviewed_quote
):
    # No captureOnCommitCallbacks: the task never ran.
    quote = quote_services.quote_send(quote=reviewed_quote, actor=sales_rep)
    document = QuoteDocument.objects.get(quote=quote)
    assert not document.file
    response = client_for(sales_rep).get(f"/sales/quotes/{quote.pk}/pdf/")
    assert response.status_code == 200
    assert quote.number in _text(_body(response))
    document.refresh_from_db()
    assert document.file and document.rendered_at


def test_the_customer_downloads_its_own_and_nobody_else_does(
    client_for, sent, acme_contact, borealis_contact, delta_contact
):
    url = f"/portal/quotes/{sent.pk}/pdf/"
    response = client_for(acme_contact).get(url)
    assert response.status_code == 200
    text = _text(_body(response))
    assert sent.number in text and NOTE not in text
    assert client_for(borealis_contact).get(url).status_code == 404
    assert client_for(delta_contact).get(url).status_code == 404
    anonymous = Client()
    assert anonymous.get(url).status_code == 302  # to the login page
    assert client_for(acme_contact).post(url).status_code == 405


def test_staff_get_404_on_the_portal_download_and_contacts_on_the_staff_one(
    client_for, sent, acme_contact, sales_rep
):
    assert client_for(sales_rep).get(f"/portal/quotes/{sent.pk}/pdf/").status_code == 404
    assert client_for(acme_contact).get(f"/sales/quotes/{sent.pk}/pdf/").status_code == 404


def test_a_draft_is_not_downloadable_by_the_customer(client_for, acme_contact, reviewed_quote):
    url = f"/portal/quotes/{reviewed_quote.pk}/pdf/"
    assert client_for(acme_contact).get(url).status_code == 404


def test_the_send_email_links_to_the_portal_quote_without_attachments(sent, acme_contact):
    message = next(m for m in mail.outbox if sent.number in m.subject)
    assert message.to == [acme_contact.email]
    assert f"/portal/quotes/{sent.pk}/" in message.body
    assert f"/portal/quotes/{sent.pk}/" in message.alternatives[0][0]
    assert message.attachments == []
    for internal in (NOTE, REVIEW, SPEC):
        assert internal not in message.body


def test_the_file_is_not_served_under_media(client_for, sales_rep, sent):
    document = QuoteDocument.objects.get(quote=sent)
    response = client_for(sales_rep).get(f"/{settings.MEDIA_URL}{document.file.name}")
    assert response.status_code == 404


def test_money_is_rendered_as_sent(sent):
    document = QuoteDocument.objects.get(quote=sent)
    assert Decimal(document.content["total"]) == sent.total


def test_staff_and_portal_quote_pages_link_the_pdf(client_for, sales_rep, acme_contact, sent):
    staff = client_for(sales_rep).get(f"/sales/quotes/{sent.pk}/").content.decode()
    assert f'href="/sales/quotes/{sent.pk}/pdf/" data-testid="quote-pdf"' in staff
    portal = client_for(acme_contact).get(f"/portal/quotes/{sent.pk}/").content.decode()
    assert f'href="/portal/quotes/{sent.pk}/pdf/" data-testid="quote-pdf"' in portal


def test_a_quote_never_sent_shows_no_pdf_link(client_for, sales_rep, reviewed_quote):
    html = client_for(sales_rep).get(f"/sales/quotes/{reviewed_quote.pk}/").content.decode()
    assert 'data-testid="quote-pdf"' not in html
