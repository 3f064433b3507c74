"""The comment thread on the portal quote and order pages: the customer's side."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.core.comments import comment_post
from apps.core.models import Activity, ActivityKind, Attachment, Audience, Notification

PDF = b"%PDF-1.4\n%%EOF\n"
HX = {"HTTP_HX_REQUEST": "true"}


def pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, "application/pdf")


@pytest.fixture
def thread(sent_quote, order, sales_rep):
    """Quote and order: an internal and a customer-visible comment, each with a file."""
    for target in (sent_quote, order):
        comment_post(
            target=target, actor=sales_rep, text="internal: margin 12%", files=[pdf("cost.pdf")]
        )
        comment_post(
            target=target,
            actor=sales_rep,
            text="Here is the datasheet.",
            audience=Audience.CUSTOMER,
            files=[pdf("datasheet.pdf")],
        )
    return {"quote": sent_quote, "order": order}


@pytest.mark.parametrize("noun", ["quote", "order"])
def test_customer_sees_only_the_customer_visible_comments_and_files(
    client, acme_contact, thread, noun
):
    client.force_login(acme_contact)
    obj = thread[noun]
    page = reverse(f"customers:{noun}-detail", args=[obj.pk])
    # The page counts the comments the customer reads (not the internal one) and loads
    # the thread from its URL when revealed; `?sections=all` renders it in the page.
    lazy = client.get(page).content.decode()
    assert 'data-testid="comments-count">1</span>' in lazy
    thread_url = reverse(f"customers:{noun}-comments", args=[obj.pk])
    assert f'hx-get="{thread_url}" hx-trigger="revealed"' in lazy
    assert "margin 12%" not in lazy and "Here is the datasheet." not in lazy
    for url in (page + "?sections=all", thread_url):
        html = client.get(url).content.decode()
        assert "Here is the datasheet." in html
        assert "datasheet.pdf" in html
        assert "margin 12%" not in html
        assert "cost.pdf" not in html
        assert 'name="audience"' not in html  # a customer does not choose
    internal = Attachment.objects.get(
        activity__audience=Audience.INTERNAL, filename="cost.pdf", activity__object_id=str(obj.pk)
    )
    shared = Attachment.objects.get(
        activity__audience=Audience.CUSTOMER, activity__object_id=str(obj.pk)
    )
    assert client.get(reverse("core:attachment-download", args=[internal.pk])).status_code == 404
    download = client.get(reverse("core:attachment-download", args=[shared.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="datasheet.pdf"'


@pytest.mark.parametrize("noun", ["quote", "order"])
def test_customer_comment_is_customer_visible_even_when_it_asks_otherwise(
    client, acme_contact, sales_rep, thread, noun
):
    client.force_login(acme_contact)
    obj = thread[noun]
    response = client.post(
        reverse(f"customers:{noun}-comments", args=[obj.pk]),
        {"text": "@sales.rep can it ship a week earlier?", "audience": "internal"},
        **HX,
    )
    assert response.status_code == 200
    assert "Notified @sales.rep." in response.content.decode()
    comment = Activity.objects.filter(kind=ActivityKind.COMMENT, actor=acme_contact).get()
    assert comment.audience == Audience.CUSTOMER
    note = Notification.objects.get(recipient=sales_rep, activity=comment)
    assert note.url == reverse(f"sales:{noun}-detail", args=[obj.pk]) + "#comments"


def test_customer_cannot_reach_another_organizations_or_a_draft_thread(
    client, borealis_contact, acme_contact, delta_contact, thread, make_quote
):
    quote = thread["quote"]
    client.force_login(borealis_contact)
    url = reverse("customers:quote-comments", args=[quote.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"text": "hi"}).status_code == 404
    shared = Attachment.objects.filter(activity__audience=Audience.CUSTOMER).first()
    assert client.get(reverse("core:attachment-download", args=[shared.pk])).status_code == 404
    client.force_login(delta_contact)
    assert client.get(reverse("core:attachment-download", args=[shared.pk])).status_code == 404
    client.force_login(acme_contact)
    draft = make_quote()
    assert client.get(reverse("customers:quote-comments", args=[draft.pk])).status_code == 404


def test_customer_mentioning_staff_not_on_the_thread_is_told(
    client, acme_contact, engineer, thread
):
    client.force_login(acme_contact)
    response = client.post(
        reverse("customers:quote-comments", args=[thread["quote"].pk]),
        {"text": "@engineer what do you think?"},
        **HX,
    )
    html = response.content.decode()
    assert "@engineer was not notified: you can mention your colleagues" in html
    assert not Notification.objects.filter(recipient=engineer).exists()


def test_customer_file_upload_is_checked_like_staff_ones(client, acme_contact, thread):
    client.force_login(acme_contact)
    url = reverse("customers:order-comments", args=[thread["order"].pk])
    fake = SimpleUploadedFile("site-plan.png", b"<html>not a png</html>", "image/png")
    response = client.post(url, {"text": "site plan", "files": [fake]}, **HX)
    assert response.status_code == 422
    assert "site-plan.png does not contain what a .png file contains." in response.content.decode()
    ok = client.post(url, {"text": "", "files": [pdf("site plan.pdf")]}, **HX)
    assert ok.status_code == 200
    assert "site_plan.pdf" in ok.content.decode()
