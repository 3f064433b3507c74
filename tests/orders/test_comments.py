"""Comments on quotes and orders: audience, @mentions and files (apps.core.comments)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from apps.core import comments
from apps.core.comments import (
    NOT_NOTIFIED_CANNOT_SEE,
    NOT_NOTIFIED_INTERNAL,
    NOT_NOTIFIED_NOT_HERE,
    attachment_get_for_user,
    comment_page,
    comment_post,
    mentioned_usernames,
    safe_filename,
)
from apps.core.models import Attachment, Audience, Notification
from tests.factories import UserFactory

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def upload(name: str, content: bytes = PDF, mime: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=mime)


def test_mentions_are_read_from_the_text():
    text = "Ask @erin.engineer and @pat.planner. Mail x@acme.example, not @erin.engineer twice."
    assert mentioned_usernames(text) == ["erin.engineer", "pat.planner"]


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("drawing.PDF", "drawing.pdf"),
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ('C:\\Users\\me\\"quote" v2.pdf', "quote_v2.pdf"),
        ("..", "file"),
        ("x" * 300 + ".pdf", "x" * 146 + ".pdf"),
    ],
)
def test_filenames_are_made_safe(name, safe):
    assert safe_filename(name) == safe


def test_staff_comment_is_internal_by_default_and_hidden_from_the_customer(
    sent_quote, sales_rep, acme_contact
):
    result = comment_post(target=sent_quote, actor=sales_rep, text="Margin is thin here.")
    assert result.comment.audience == Audience.INTERNAL
    assert [c.text for c in comment_page(user=sales_rep, target=sent_quote).entries] == [
        "Margin is thin here."
    ]
    assert comment_page(user=acme_contact, target=sent_quote).entries == []


def test_customer_visible_comment_reaches_the_customer_only_of_its_organization(
    sent_quote, sales_rep, acme_contact, borealis_contact
):
    comment_post(
        target=sent_quote, actor=sales_rep, text="Drawing attached.", audience=Audience.CUSTOMER
    )
    assert [c.text for c in comment_page(user=acme_contact, target=sent_quote).entries] == [
        "Drawing attached."
    ]
    with pytest.raises(PermissionDenied):
        comment_post(target=sent_quote, actor=borealis_contact, text="Hello?")


def test_a_customer_cannot_post_internal_or_comment_on_a_draft(
    make_quote, sent_quote, acme_contact
):
    with pytest.raises(ValidationError) as exc:
        comment_post(target=sent_quote, actor=acme_contact, text="psst", audience=Audience.INTERNAL)
    assert "audience" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        comment_post(target=make_quote(), actor=acme_contact, text="hi", audience=Audience.CUSTOMER)
    result = comment_post(
        target=sent_quote,
        actor=acme_contact,
        text="Can we have it in blue?",
        audience=Audience.CUSTOMER,
    )
    assert result.comment.audience == Audience.CUSTOMER


def test_empty_and_overlong_comments_are_refused(sent_quote, sales_rep):
    with pytest.raises(ValidationError) as exc:
        comment_post(target=sent_quote, actor=sales_rep, text="   ")
    assert exc.value.message_dict == {"text": ["Write a comment or attach a file."]}
    with pytest.raises(ValidationError) as exc:
        comment_post(target=sent_quote, actor=sales_rep, text="x" * 4001)
    assert "text" in exc.value.message_dict


def test_mention_notifies_staff_with_a_link_to_the_quote(sent_quote, sales_rep, engineer):
    result = comment_post(
        target=sent_quote, actor=sales_rep, text="@engineer can the seal take 12 bar?"
    )
    assert result.notified == ["engineer"]
    note = Notification.objects.get(recipient=engineer)
    assert note.url == f"/sales/quotes/{sent_quote.pk}/#comments"
    assert sent_quote.number in note.title
    assert note.activity_id == result.comment.pk


def test_mention_of_a_customer_on_an_internal_comment_notifies_nobody(
    sent_quote, sales_rep, acme_contact
):
    result = comment_post(target=sent_quote, actor=sales_rep, text="@acme.contact is picky")
    assert result.notified == []
    assert result.not_notified == [("acme.contact", NOT_NOTIFIED_INTERNAL)]
    assert not Notification.objects.filter(recipient=acme_contact).exists()


def test_mention_of_the_customer_on_a_visible_comment_links_to_the_portal(
    order, sales_rep, acme_contact, borealis_contact
):
    result = comment_post(
        target=order,
        actor=sales_rep,
        text="@acme.contact please confirm the site. @borealis.contact @nobody.here",
        audience=Audience.CUSTOMER,
    )
    assert result.notified == ["acme.contact"]
    assert result.not_notified == [
        ("borealis.contact", NOT_NOTIFIED_CANNOT_SEE),
        ("nobody.here", NOT_NOTIFIED_CANNOT_SEE),
    ]
    note = Notification.objects.get(recipient=acme_contact)
    assert note.url == f"/portal/orders/{order.pk}/#comments"
    assert not Notification.objects.filter(recipient=borealis_contact).exists()


def test_customer_mentions_colleagues_and_the_staff_on_the_thread_only(
    sent_quote, sales_rep, engineer, acme_contact, acme, borealis
):
    colleague = UserFactory(username="acme.engineer", organization=acme)
    UserFactory(username="borealis.x", organization=borealis)
    result = comment_post(
        target=sent_quote,
        actor=acme_contact,
        text="@acme.engineer @sales.rep @engineer @acme.contact @no.such.person @borealis.x",
        audience=Audience.CUSTOMER,
    )
    # sales.rep owns the quote; engineer never wrote to the customer here. Who does not
    # exist reads like who may not be named: a customer learns no usernames this way.
    assert result.notified == ["acme.engineer", "sales.rep"]
    assert result.not_notified == [
        ("engineer", NOT_NOTIFIED_NOT_HERE),
        ("no.such.person", NOT_NOTIFIED_NOT_HERE),
        ("borealis.x", NOT_NOTIFIED_NOT_HERE),
    ]
    assert Notification.objects.get(recipient=colleague).url.startswith("/portal/quotes/")
    assert Notification.objects.get(recipient=sales_rep).url.startswith("/sales/quotes/")


def test_pdf_attachment_is_stored_privately_and_read_by_who_reads_the_comment(
    sent_quote, sales_rep, acme_contact, borealis_contact, delta_contact, engineer, settings
):
    visible = comment_post(
        target=sent_quote,
        actor=sales_rep,
        text="Datasheet",
        audience=Audience.CUSTOMER,
        files=[upload("Datasheet v2.pdf")],
    )
    internal = comment_post(
        target=sent_quote, actor=sales_rep, text="Cost sheet", files=[upload("costs.pdf")]
    )
    shared = visible.comment.attachments.get()
    secret = internal.comment.attachments.get()
    assert shared.filename == "Datasheet_v2.pdf"
    assert shared.mime_type == "application/pdf"
    assert shared.file.path.startswith(f"{settings.MEDIA_ROOT}/private/comments/")
    assert "Datasheet" not in shared.file.name  # stored under a random name
    with pytest.raises(ValueError):
        shared.file.url  # noqa: B018 - private files have no URL
    assert attachment_get_for_user(acme_contact, shared.pk) == shared
    assert attachment_get_for_user(engineer, secret.pk) == secret
    for user, pk in (
        (acme_contact, secret.pk),
        (borealis_contact, shared.pk),
        (delta_contact, shared.pk),
    ):
        with pytest.raises(Http404):
            attachment_get_for_user(user, pk)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("setup.exe", b"MZ\x90\x00", "cannot be attached"),
        ("drawing.pdf", b"MZ\x90\x00 not a pdf", "does not contain what a .pdf file"),
        ("photo.png", PDF, "does not contain what a .png file"),
        ("photo.jpg", PNG, "does not contain what a .jpg file"),
        ("sheet.xlsx", b"plain text", "does not contain what a .xlsx file"),
        ("notes.txt", b"text\x00with a NUL", "does not contain what a .txt file"),
        ("empty.csv", b"", "is empty"),
    ],
)
def test_files_of_the_wrong_type_are_refused(sent_quote, sales_rep, name, content, message):
    with pytest.raises(ValidationError) as exc:
        comment_post(
            target=sent_quote, actor=sales_rep, text="see file", files=[upload(name, content)]
        )
    assert message in " ".join(exc.value.message_dict["files"])
    assert not Attachment.objects.exists()


def test_allowed_types_pass(sent_quote, sales_rep):
    files = [
        upload("a.png", PNG),
        upload("b.JPG", b"\xff\xd8\xff\xe0" + b"\x00" * 16),
        upload("c.step", b"ISO-10303-21;\nHEADER;\n"),
        upload("d.dxf", b"0\nSECTION\n"),
        upload("e.csv", b"a,b\n1,2\n"),
    ]
    result = comment_post(target=sent_quote, actor=sales_rep, text="", files=files)
    assert [a.mime_type for a in result.comment.attachments.all()] == [
        "image/png",
        "image/jpeg",
        "application/step",
        "image/vnd.dxf",
        "text/csv",
    ]


def test_size_and_count_limits(sent_quote, sales_rep, monkeypatch):
    monkeypatch.setattr(comments, "ATTACHMENT_MAX_BYTES", 10)
    with pytest.raises(ValidationError) as exc:
        comment_post(target=sent_quote, actor=sales_rep, text="big", files=[upload("big.pdf")])
    assert "at most 10" in exc.value.message_dict["files"][0]
    monkeypatch.undo()
    with pytest.raises(ValidationError) as exc:
        comment_post(
            target=sent_quote,
            actor=sales_rep,
            text="many",
            files=[upload(f"f{i}.pdf") for i in range(6)],
        )
    assert exc.value.message_dict["files"] == ["Attach at most 5 files to one comment."]


def test_thread_pages_from_the_newest(sent_quote, sales_rep):
    for i in range(5):
        comment_post(target=sent_quote, actor=sales_rep, text=f"note {i}")
    page = comment_page(user=sales_rep, target=sent_quote, size=2)
    assert [c.text for c in page.entries] == ["note 3", "note 4"]
    older = comment_page(user=sales_rep, target=sent_quote, before=page.older_than, size=2)
    assert [c.text for c in older.entries] == ["note 1", "note 2"]
    oldest = comment_page(user=sales_rep, target=sent_quote, before=older.older_than, size=2)
    assert [c.text for c in oldest.entries] == ["note 0"]
    assert oldest.older_than is None


def test_a_customer_comment_notifies_the_owner_once(sent_quote, sales_rep, acme_contact):
    comment_post(
        target=sent_quote,
        actor=acme_contact,
        text="Is blue paint possible?",
        audience=Audience.CUSTOMER,
    )
    comment_post(
        target=sent_quote,
        actor=acme_contact,
        text="@sales.rep and a spare seal?",
        audience=Audience.CUSTOMER,
    )
    titles = list(
        Notification.objects.filter(recipient=sales_rep, activity__kind="comment")
        .order_by("id")
        .values_list("title", flat=True)
    )
    name = acme_contact.get_full_name()
    assert titles == [
        f"{name} commented on {sent_quote.number}",
        f"{name} mentioned you on {sent_quote.number}",
    ]


def test_staff_comments_notify_only_the_mentioned(sent_quote, engineer, sales_rep):
    comment_post(target=sent_quote, actor=engineer, text="Checked the seal.")
    assert not Notification.objects.filter(recipient=sales_rep, activity__kind="comment").exists()
