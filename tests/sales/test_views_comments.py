"""The comment thread on the staff quote and order pages (htmx) and the file download."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.core.comments import comment_post
from apps.core.models import Activity, ActivityKind, Attachment, Audience, Notification
from tests.query_counts import queries

PDF = b"%PDF-1.4\n%%EOF\n"
HX = {"HTTP_HX_REQUEST": "true"}


def thread_url(obj) -> str:
    noun = "quote" if obj.number.startswith("Q") else "order"
    return reverse(f"sales:{noun}-comments", args=[obj.pk])


@pytest.fixture
def rep_client(client, sales_rep):
    client.force_login(sales_rep)
    return client


@pytest.mark.parametrize("target", ["sent_quote", "order"])
def test_detail_page_loads_the_thread_when_revealed(rep_client, target, request, sales_rep):
    obj = request.getfixturevalue(target)
    comment_post(target=obj, actor=sales_rep, text="Internal one", audience=Audience.INTERNAL)
    comment_post(target=obj, actor=sales_rep, text="Shared one", audience=Audience.CUSTOMER)
    url = reverse(f"sales:{'quote' if target == 'sent_quote' else 'order'}-detail", args=[obj.pk])
    html = rep_client.get(url).content.decode()
    # The card says how many comments staff read and htmx fetches the thread from its URL
    # (the same partial a post answers) when it is scrolled into view.
    assert 'data-testid="comments-count">2</span>' in html
    assert f'id="comment-thread-{obj.pk}" data-testid="comment-thread-lazy"' in html
    assert f'hx-get="{thread_url(obj)}" hx-trigger="revealed" hx-swap="outerHTML"' in html
    assert "Internal one" not in html
    # Without JavaScript, a link renders the thread in the page.
    assert f'href="{url}?sections=all#comments">Show the 2 comments and the comment form' in html
    thread = rep_client.get(thread_url(obj), **HX).content.decode()
    assert thread.lstrip().startswith(f'<div class="card-body" id="comment-thread-{obj.pk}"')
    assert "Internal one" in thread and "Shared one" in thread


@pytest.mark.parametrize("target", ["sent_quote", "order"])
def test_the_count_shows_the_next_comment_and_only_what_the_reader_may_read(
    rep_client, target, request, sales_rep, acme_contact
):
    # The count's SQL is compiled once per kind of target and audience; its number is
    # read on every request.
    obj = request.getfixturevalue(target)
    url = reverse(f"sales:{'quote' if target == 'sent_quote' else 'order'}-detail", args=[obj.pk])
    assert 'data-testid="comments-count">0</span>' in rep_client.get(url).content.decode()
    comment_post(target=obj, actor=sales_rep, text="Internal one", audience=Audience.INTERNAL)
    assert 'data-testid="comments-count">1</span>' in rep_client.get(url).content.decode()
    comment_post(target=obj, actor=sales_rep, text="Shared one", audience=Audience.CUSTOMER)
    assert 'data-testid="comments-count">2</span>' in rep_client.get(url).content.decode()
    from apps.core.comments import comment_count

    assert comment_count(user=acme_contact, target=obj) == 1  # the customer's audience only


@pytest.mark.parametrize("target", ["sent_quote", "order"])
def test_detail_page_shows_the_thread_with_internal_preselected(rep_client, target, request):
    obj = request.getfixturevalue(target)
    page = rep_client.get(
        reverse(f"sales:{'quote' if target == 'sent_quote' else 'order'}-detail", args=[obj.pk]),
        {"sections": "all"},
    )
    html = page.content.decode()
    assert 'data-testid="comment-thread"' in html
    assert "comment-thread-lazy" not in html
    assert f'hx-post="{thread_url(obj)}"' in html
    assert 'value="internal" checked' in html


@pytest.mark.parametrize("target", ["sent_quote", "order"])
def test_htmx_post_swaps_the_thread_and_notifies_the_mentioned(
    rep_client, target, request, engineer
):
    obj = request.getfixturevalue(target)
    response = rep_client.post(thread_url(obj), {"text": "@engineer please check the flange"}, **HX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<div class="card-body" id="comment-thread-{obj.pk}"')
    assert '<span class="mention">@engineer</span> please check the flange' in html
    assert "Notified @engineer." in html
    assert "Internal" in html
    comment = Activity.objects.get(kind=ActivityKind.COMMENT)
    assert comment.audience == Audience.INTERNAL
    assert Notification.objects.get(recipient=engineer).activity == comment


def test_customer_visible_comment_with_a_file(rep_client, sent_quote, acme_contact):
    response = rep_client.post(
        thread_url(sent_quote),
        {
            "text": "Our datasheet, @acme.contact",
            "audience": "customer",
            "files": [SimpleUploadedFile("datasheet.pdf", PDF, "application/pdf")],
        },
        **HX,
    )
    assert response.status_code == 200
    attachment = Attachment.objects.get()
    assert attachment.activity.audience == Audience.CUSTOMER
    html = response.content.decode()
    assert reverse("core:attachment-download", args=[attachment.pk]) in html
    assert "Visible to customer" in html
    assert "Notified @acme.contact." in html


def test_mentioning_a_customer_on_an_internal_comment_says_so(rep_client, sent_quote, acme_contact):
    response = rep_client.post(thread_url(sent_quote), {"text": "cc @acme.contact"}, **HX)
    html = response.content.decode()
    assert (
        "@acme.contact was not notified: this comment is internal and they are not staff." in html
    )
    assert not Notification.objects.filter(recipient=acme_contact).exists()


def test_refusals_come_back_inline_as_422(rep_client, sent_quote):
    empty = rep_client.post(thread_url(sent_quote), {"text": "  "}, **HX)
    assert empty.status_code == 422
    html = empty.content.decode()
    assert "is-invalid" in html
    assert "Write a comment or attach a file." in html
    bad = rep_client.post(
        thread_url(sent_quote),
        {"text": "x", "files": [SimpleUploadedFile("run.exe", b"MZ", "application/x-msdownload")]},
        **HX,
    )
    assert bad.status_code == 422
    assert "run.exe: files of this type cannot be attached" in bad.content.decode()
    # What was typed is kept for the next try.
    assert ">x</textarea>" in bad.content.decode()
    odd = rep_client.post(thread_url(sent_quote), {"text": "x", "audience": "supplier"}, **HX)
    assert odd.status_code == 422
    assert not Activity.objects.filter(kind=ActivityKind.COMMENT).exists()


def test_plain_post_redirects_back_with_a_message(rep_client, sent_quote):
    response = rep_client.post(thread_url(sent_quote), {"text": "no js"}, follow=True)
    assert (
        response.redirect_chain[-1][0]
        == reverse("sales:quote-detail", args=[sent_quote.pk]) + "#comments"
    )
    assert "Comment posted." in response.content.decode()


def test_other_methods_and_outsiders(client, sent_quote, acme_contact, sales_rep):
    client.force_login(sales_rep)
    assert client.put(thread_url(sent_quote)).status_code == 405
    client.force_login(acme_contact)
    assert client.post(thread_url(sent_quote), {"text": "hi"}).status_code == 404


def _comment_many(obj, author, n: int) -> None:
    for i in range(n):
        files = [SimpleUploadedFile(f"f{i}-{j}.pdf", PDF, "application/pdf") for j in range(2)]
        comment_post(
            target=obj,
            actor=author,
            text=f"note {i}",
            audience=Audience.CUSTOMER if i % 2 else Audience.INTERNAL,
            files=files,
        )


@pytest.mark.parametrize("count", [2, 30])
def test_thread_queries_are_constant(rep_client, sent_quote, sales_rep, count):
    _comment_many(sent_quote, sales_rep, count)
    url = thread_url(sent_quote)
    rep_client.get(url)  # warm the content-type cache and the session
    with CaptureQueriesContext(connection) as ctx:
        response = rep_client.get(url, **HX)
    assert response.status_code == 200
    # session, user, roles and permissions; the quote; the comments with their
    # authors; the files of those comments. Thirty comments cost what two do.
    expected = queries("sales:quote-comments", "sales_rep")
    sql = "\n".join(q["sql"][:150] for q in ctx.captured_queries)
    assert len(ctx.captured_queries) == expected, sql
    assert response.content.decode().count('data-testid="attachment"') == 2 * min(count, 20)


def test_show_older_pages_back(rep_client, sent_quote, sales_rep):
    _comment_many(sent_quote, sales_rep, 25)
    html = rep_client.get(thread_url(sent_quote), **HX).content.decode()
    assert "note 24" in html and "note 5" in html and "note 4" not in html
    assert 'data-testid="comments-older"' in html
    oldest_shown = Activity.objects.filter(kind=ActivityKind.COMMENT).order_by("id")[5].pk
    older = rep_client.get(f"{thread_url(sent_quote)}?before={oldest_shown}", **HX).content.decode()
    assert "note 4" in older and "note 0" in older and "note 5" not in older
    assert 'data-testid="comments-older"' not in older
    assert rep_client.get(f"{thread_url(sent_quote)}?before=junk", **HX).status_code == 200


def test_download_is_an_attachment_with_safe_headers(rep_client, sent_quote, sales_rep):
    comment_post(
        target=sent_quote,
        actor=sales_rep,
        text="",
        files=[SimpleUploadedFile('Quote "final".pdf', PDF, "application/pdf")],
    )
    attachment = Attachment.objects.get()
    response = rep_client.get(reverse("core:attachment-download", args=[attachment.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Quote_final.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


def test_a_comment_shows_once_in_the_thread_not_again_in_the_history(rep_client, order, sales_rep):
    comment_post(target=order, actor=sales_rep, text="Crane booked for Tuesday")
    url = reverse("sales:order-detail", args=[order.pk])
    html = rep_client.get(url, {"sections": "all"}).content.decode()
    assert html.count("Crane booked for Tuesday") == 1
    assert html.index("Crane booked for Tuesday") < html.index('id="timeline-heading"')
