"""GET/POST /api/v1/quotes/<id>/comments/ and /api/v1/orders/<id>/comments/."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core.comments import comment_post
from apps.core.models import Audience, Notification
from tests.query_counts import queries

PDF = b"%PDF-1.4\n%%EOF\n"


def url(obj) -> str:
    collection = "quotes" if obj.number.startswith("Q") else "orders"
    return f"/api/v1/{collection}/{obj.pk}/comments/"


@pytest.fixture
def staff_api(client, sales_rep):
    client.force_login(sales_rep)
    return client


@pytest.mark.parametrize("target", ["sent_quote", "order"])
def test_staff_post_is_internal_by_default_and_listed(staff_api, request, target, engineer):
    obj = request.getfixturevalue(target)
    response = staff_api.post(
        url(obj), {"text": "@engineer check this"}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["comment"]["audience"] == "internal"
    assert body["notified"] == ["engineer"]
    assert Notification.objects.filter(recipient=engineer).count() == 1
    listed = staff_api.get(url(obj)).json()
    assert [c["text"] for c in listed["results"]] == ["@engineer check this"]


def test_multipart_post_with_files(staff_api, sent_quote):
    response = staff_api.post(
        url(sent_quote),
        {
            "text": "drawings",
            "audience": "customer",
            "files": [
                SimpleUploadedFile("a.pdf", PDF, "application/pdf"),
                SimpleUploadedFile("b.csv", b"x,y\n", "text/csv"),
            ],
        },
    )
    assert response.status_code == 201, response.content
    files = response.json()["comment"]["files"]
    assert [(f["filename"], f["mime_type"]) for f in files] == [
        ("a.pdf", "application/pdf"),
        ("b.csv", "text/csv"),
    ]
    assert files[0]["url"] == f"/files/{files[0]['id']}/"
    assert files[0]["api_url"] == f"{url(sent_quote)}files/{files[0]['id']}/"


def test_token_clients_download_what_they_may_read(
    token_api, sent_quote, order, sales_rep, acme_contact, borealis_contact
):
    shared = comment_post(
        target=sent_quote,
        actor=sales_rep,
        text="for you",
        audience=Audience.CUSTOMER,
        files=[SimpleUploadedFile("plan.pdf", PDF, "application/pdf")],
    ).comment.attachments.get()
    secret = comment_post(
        target=sent_quote,
        actor=sales_rep,
        text="costs",
        files=[SimpleUploadedFile("costs.pdf", PDF, "application/pdf")],
    ).comment.attachments.get()
    listed = token_api(acme_contact).get(url(sent_quote)).json()["results"]
    api_url = listed[0]["files"][0]["api_url"]
    download = token_api(acme_contact).get(api_url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Disposition"] == 'attachment; filename="plan.pdf"'
    assert download["X-Content-Type-Options"] == "nosniff"
    for client, path in (
        (token_api(acme_contact), f"{url(sent_quote)}files/{secret.pk}/"),
        (token_api(borealis_contact), api_url),
        # A file is only found under its own quote.
        (token_api(sales_rep), f"{url(order)}files/{shared.pk}/"),
        (token_api(sales_rep), f"{url(sent_quote)}files/{'-' * 36}/"),
    ):
        assert client.get(path).status_code == 404, path
    assert token_api(sales_rep).get(f"{url(sent_quote)}files/{secret.pk}/").status_code == 200


def test_bad_input_is_400_with_field_errors(staff_api, sent_quote):
    empty = staff_api.post(url(sent_quote), {"text": " "}, content_type="application/json")
    assert empty.status_code == 400
    assert empty.json() == {"text": ["Write a comment or attach a file."]}
    odd = staff_api.post(
        url(sent_quote), {"text": "x", "audience": "supplier"}, content_type="application/json"
    )
    assert odd.status_code == 400 and "audience" in odd.json()
    bad_file = staff_api.post(
        url(sent_quote), {"text": "x", "files": [SimpleUploadedFile("x.exe", b"MZ")]}
    )
    assert bad_file.status_code == 400 and "files" in bad_file.json()
    json_files = staff_api.post(
        url(sent_quote), {"text": "x", "files": ["not a file"]}, content_type="application/json"
    )
    assert json_files.status_code == 400


def test_customer_reads_visible_only_and_cannot_post_internal(
    client, acme_contact, borealis_contact, order, sales_rep
):
    comment_post(target=order, actor=sales_rep, text="internal only")
    comment_post(target=order, actor=sales_rep, text="for you", audience=Audience.CUSTOMER)
    client.force_login(acme_contact)
    listed = client.get(url(order)).json()
    assert [c["text"] for c in listed["results"]] == ["for you"]
    refused = client.post(
        url(order), {"text": "psst", "audience": "internal"}, content_type="application/json"
    )
    assert refused.status_code == 400
    assert "audience" in refused.json()
    posted = client.post(url(order), {"text": "thanks"}, content_type="application/json")
    assert posted.status_code == 201
    assert posted.json()["comment"]["audience"] == "customer"
    client.force_login(borealis_contact)
    assert client.get(url(order)).status_code == 404
    assert (
        client.post(url(order), {"text": "hi"}, content_type="application/json").status_code == 404
    )


@pytest.mark.parametrize("count", [2, 30])
def test_comment_list_queries_are_constant(staff_api, order, sales_rep, count):
    for i in range(count):
        comment_post(
            target=order,
            actor=sales_rep,
            text=f"c{i}",
            files=[SimpleUploadedFile(f"f{i}.pdf", PDF, "application/pdf")],
        )
    staff_api.get(url(order))
    with CaptureQueriesContext(connection) as ctx:
        response = staff_api.get(url(order))
    assert response.status_code == 200
    assert response.json()["count"] == count
    # session, user, permissions; the order (not its lines); the count, the page's
    # ids, its rows with their authors, their files.
    expected = queries("order-comments", "api:sales_rep")
    sql = "\n".join(q["sql"][:120] for q in ctx.captured_queries)
    assert len(ctx.captured_queries) == expected, sql
