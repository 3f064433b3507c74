"""The four review inboxes (engineering, manufacturing, purchasing, pricing): what
each lists, in which order, the decisions from the inbox and who may make them."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.orders import selectors
from apps.orders.models import Quote, QuoteLine, QuoteReview, QuoteState, ReviewState
from apps.orders.selectors import INBOX_LINES
from apps.orders.services import quotes as quote_services
from tests.catalog.factories import BOMLineFactory, ProductFactory
from tests.explain import explain
from tests.query_counts import queries

pytestmark = pytest.mark.django_db

INBOXES = {
    "engineering": ("/engineering/reviews/", "engineer"),
    "manufacturing": ("/manufacturing/reviews/", "planner"),
    "purchasing": ("/purchasing/reviews/", "buyer"),
    "pricing": ("/sales/reviews/", "sales_manager"),
}
INBOX_ROUTES = {
    "engineering": "engineering:review-inbox",
    "manufacturing": "manufacturing:review-inbox",
    "purchasing": "suppliers:review-inbox",
    "pricing": "sales:review-inbox",
}


@pytest.fixture
def controller(catalog):
    """An ATO product with a subcontracted PCB that has no supplier price: purchasing."""
    product = ProductFactory(
        sku="CTRL",
        name="Dosing controller",
        base_price=Decimal("4000"),
        base_cost=Decimal("1500"),
    )
    BOMLineFactory(product=product, component=catalog["pcb"])
    return product


@pytest.fixture
def four_reviews(make_quote, sales_rep, controller):
    """A quote in review that needs all four departments."""
    quote = make_quote(
        lines=(("dosing", 1, {}, 15),),  # DTO, 15 % discount over the rep's 10 %
        title="Brewhouse dosing",
    )
    line = QuoteLine.objects.get(quote=quote)
    QuoteLine.objects.filter(pk=line.pk).update(scope_statement="Includes commissioning on site.")
    quote_services.quote_line_add(quote=quote, actor=sales_rep, product=controller, quantity=2)
    return quote_services.quote_submit(quote=quote, actor=sales_rep)


def _review(quote, department) -> QuoteReview:
    return QuoteReview.objects.get(quote=quote, department=department, revision=quote.revision)


def _cards(html: str) -> list[str]:
    return re.findall(r'<article id="review-[^"]+"[^>]*data-review="([^"]+)"', html)


def test_the_quote_needs_all_four_reviews(four_reviews):
    assert set(four_reviews.reviews.values_list("department", flat=True)) == set(INBOXES)


@pytest.mark.parametrize("department", INBOXES)
def test_each_inbox_lists_its_reviews_with_the_quote_context(
    request, client_for, four_reviews, department
):
    url, role = INBOXES[department]
    html = client_for(request.getfixturevalue(role)).get(url).content.decode()
    assert _cards(html) == [four_reviews.number]
    assert "Acme Water Utility" in html
    assert "Brewhouse dosing" in html
    assert "Includes commissioning on site." in html  # scope
    review = _review(four_reviews, department)
    for reason in review.reasons.splitlines():
        assert reason in html.replace("&#x27;", "'")
    # Every decision is offered to the department's people.
    assert html.count('data-decision="') == 3
    assert 'data-testid="review-refusal"' not in html


def test_pricing_inbox_shows_discount_margin_and_floor(client_for, sales_manager, four_reviews):
    html = client_for(sales_manager).get("/sales/reviews/").content.decode()
    assert "15 %" in html  # the discount
    assert "Margin floor 20 %" in html
    line = four_reviews.lines.get(product__sku="DOSE")
    assert f"{line.margin_percent.normalize():f} %" in html or f"{line.margin_percent} %" in html


def test_other_inboxes_do_not_show_margins(client_for, engineer, four_reviews):
    html = client_for(engineer).get("/engineering/reviews/").content.decode()
    assert "Margin floor" not in html
    line = four_reviews.lines.get(product__sku="DOSE")
    assert f"{line.margin_percent} %" not in html


def test_overdue_first_then_oldest(client_for, engineer, make_quote, sales_rep):
    def submitted(title):
        quote = make_quote(lines=(("dosing", 1, {}, 0),), title=title)
        return quote_services.quote_submit(quote=quote, actor=sales_rep)

    older, newer, late = submitted("Older"), submitted("Newer"), submitted("Late")
    today = timezone.localdate()
    QuoteReview.objects.filter(quote=older).update(created_at=timezone.now() - dt.timedelta(1))
    QuoteReview.objects.filter(quote=late).update(due_date=today - dt.timedelta(days=2))
    html = client_for(engineer).get("/engineering/reviews/").content.decode()
    assert _cards(html) == [late.number, older.number, newer.number]
    assert "2 days overdue" in html
    assert 'data-testid="inbox-overdue">1 overdue' in html


def test_decided_revised_and_cancelled_quotes_leave_the_inbox(
    client_for, engineer, planner, four_reviews, sales_rep
):
    quote_services.quote_review_decide(
        review=_review(four_reviews, "manufacturing"), actor=planner, decision="approve"
    )
    assert _cards(client_for(planner).get("/manufacturing/reviews/").content.decode()) == []
    revised = quote_services.quote_revise(quote=four_reviews, actor=sales_rep)
    assert revised.state == QuoteState.DRAFT
    # The engineering review of revision 0 is still "requested", but nobody waits for it.
    assert _review(four_reviews, "engineering").state == ReviewState.REQUESTED
    assert _cards(client_for(engineer).get("/engineering/reviews/").content.decode()) == []


@pytest.mark.parametrize("department", INBOXES)
def test_approving_from_the_inbox_swaps_the_row_out(request, client_for, four_reviews, department):
    url, role = INBOXES[department]
    review = _review(four_reviews, department)
    response = client_for(request.getfixturevalue(role)).post(
        f"{url}{review.pk}/approve/",
        {"comment": "", "version": review.version},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="review-{review.pk}"' not in html  # the row is replaced by nothing
    assert 'id="inbox-counts" class="d-flex gap-2 align-items-center" hx-swap-oob="true"' in html
    assert "0 waiting" in html
    assert 'id="inbox-tail" hx-swap-oob="true"' in html and "Nothing waiting" in html
    assert f"review of {four_reviews.number} approved" in html
    review.refresh_from_db()
    assert review.state == ReviewState.APPROVED


def test_the_last_approval_approves_the_quote(
    client_for, engineer, planner, buyer, sales_manager, four_reviews
):
    for department, user in (
        ("engineering", engineer),
        ("manufacturing", planner),
        ("purchasing", buyer),
        ("pricing", sales_manager),
    ):
        review = _review(four_reviews, department)
        response = client_for(user).post(
            f"{INBOXES[department][0]}{review.pk}/approve/", {"version": review.version}
        )
        assert response.status_code == 302
        assert response["Location"] == INBOXES[department][0]
    four_reviews.refresh_from_db()
    assert four_reviews.state == QuoteState.APPROVED


@pytest.mark.parametrize("decision", ["reject", "request_changes"])
def test_a_refusal_without_comment_highlights_the_comment_box(
    client_for, engineer, four_reviews, decision
):
    review = _review(four_reviews, "engineering")
    response = client_for(engineer).post(
        f"/engineering/reviews/{review.pk}/{decision}/",
        {"comment": "  ", "version": review.version},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert f'id="review-{review.pk}"' in html  # the row stays, with the error
    assert "is-invalid" in html
    assert 'data-testid="comment-error">Say why, so sales knows what to change.' in html
    review.refresh_from_db()
    assert review.state == ReviewState.REQUESTED


def test_a_refusal_without_comment_without_htmx_shows_the_page_with_the_error(
    client_for, engineer, four_reviews
):
    review = _review(four_reviews, "engineering")
    response = client_for(engineer).post(
        f"/engineering/reviews/{review.pk}/reject/", {"version": review.version}
    )
    assert response.status_code == 400
    assert "Say why, so sales knows what to change." in response.content.decode()


def test_reject_with_a_comment_tells_the_owner(client_for, engineer, four_reviews, sales_rep):
    review = _review(four_reviews, "engineering")
    response = client_for(engineer).post(
        f"/engineering/reviews/{review.pk}/reject/",
        {"comment": "Tank volume missing.", "version": review.version},
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.state == ReviewState.REJECTED
    assert review.comment == "Tank volume missing."
    assert sales_rep.notifications.filter(title__contains="rejected").exists()


def test_a_stale_version_is_a_conflict(client_for, engineer, four_reviews):
    review = _review(four_reviews, "engineering")
    response = client_for(engineer).post(
        f"/engineering/reviews/{review.pk}/approve/",
        {"version": review.version + 5},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert 'data-testid="review-error"' in response.content.decode()
    review.refresh_from_db()
    assert review.state == ReviewState.REQUESTED


def test_staff_without_the_role_read_the_inbox_but_cannot_decide(client_for, quality, four_reviews):
    client = client_for(quality)
    html = client.get("/engineering/reviews/").content.decode()
    assert _cards(html) == [four_reviews.number]
    assert "Only a engineer decides" not in html
    assert "Only an engineer decides engineering reviews." in html
    assert html.count(" disabled") >= 4  # the comment box and the three buttons
    review = _review(four_reviews, "engineering")
    response = client.post(
        f"/engineering/reviews/{review.pk}/approve/",
        {"version": review.version},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    review.refresh_from_db()
    assert review.state == ReviewState.REQUESTED


def test_a_review_of_another_department_is_not_found_here(client_for, engineer, four_reviews):
    review = _review(four_reviews, "manufacturing")
    response = client_for(engineer).post(
        f"/engineering/reviews/{review.pk}/approve/", {"version": review.version}
    )
    assert response.status_code == 404


def test_unknown_decision_is_not_found(client_for, engineer, four_reviews):
    review = _review(four_reviews, "engineering")
    response = client_for(engineer).post(f"/engineering/reviews/{review.pk}/delete/")
    assert response.status_code == 404


@pytest.mark.parametrize("department", INBOXES)
def test_contacts_get_404(client_for, acme_contact, delta_contact, four_reviews, department):
    url = INBOXES[department][0]
    review = _review(four_reviews, department)
    for contact in (acme_contact, delta_contact):
        client = client_for(contact)
        assert client.get(url).status_code == 404
        assert client.post(f"{url}{review.pk}/approve/").status_code == 404


# -- query counts ----------------------------------------------------------------


def _more_reviews(n: int, *, template: Quote, department: str) -> None:
    """n more quotes in review with two lines and a requested review each."""
    today = timezone.localdate()
    start = Quote.objects.count()
    quotes = Quote.objects.bulk_create(
        Quote(
            number=f"Q-9{start + i:05d}",
            customer=template.customer,
            owner=template.owner,
            valid_until=today + dt.timedelta(days=30),
        )
        for i in range(n)
    )
    Quote.objects.filter(pk__in=[q.pk for q in quotes]).update(state=QuoteState.IN_REVIEW)
    lines = list(template.lines.all())
    QuoteLine.objects.bulk_create(
        QuoteLine(
            quote=q,
            product=line.product,
            position=line.position,
            quantity=line.quantity,
            unit_list_price=line.unit_list_price,
            unit_price=line.unit_price,
            unit_cost=line.unit_cost,
            line_total=line.line_total,
            margin_percent=line.margin_percent,
        )
        for q in quotes
        for line in lines
    )
    QuoteReview.objects.bulk_create(
        QuoteReview(
            quote=q,
            department=department,
            revision=0,
            reasons="Bulk",
            due_date=today + dt.timedelta(i - 5),
        )
        for i, q in enumerate(quotes)
    )


def _count(client, url, **headers) -> int:
    client.get(url, **headers)  # warm the per-process caches (content types, roles)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("department", INBOXES)
def test_inbox_query_count_is_constant(request, client_for, four_reviews, department):
    url, role = INBOXES[department]
    client = client_for(request.getfixturevalue(role))
    small = _count(client, url)
    _more_reviews(29, template=four_reviews, department=department)
    assert len(_cards(client.get(url).content.decode())) == 25  # a full page
    # session, user, roles; waiting/overdue (also the page count), page ids, the
    # cards' columns, their first lines;
    # the navbar's unread count is cached.
    expected = queries(INBOX_ROUTES[department], role)
    assert small == _count(client, url) == expected
    assert _count(client, url, HTTP_HX_REQUEST="true") == expected


@pytest.mark.parametrize("role", ["engineer", "planner", "buyer", "sales_manager", "sales_rep"])
def test_dashboard_query_count_is_constant(request, client_for, four_reviews, role):
    user = request.getfixturevalue(role)
    client = client_for(user)
    small = _count(client, "/")
    for department in INBOXES:
        _more_reviews(12, template=four_reviews, department=department)
    assert _count(client, "/") == small


def _panel(html: str, key: str) -> str:
    return html.split(f'data-panel="{key}"', 1)[1].split("</section>", 1)[0]


def test_dashboard_queue_counts_and_highlights_overdue_reviews(client_for, engineer, four_reviews):
    review = _review(four_reviews, "engineering")
    QuoteReview.objects.filter(pk=review.pk).update(
        due_date=timezone.localdate() - dt.timedelta(days=3)
    )
    panel = _panel(client_for(engineer).get("/").content.decode(), "engineering-reviews")
    assert 'data-testid="panel-count">1<' in panel
    assert 'data-testid="panel-alert">1 overdue<' in panel
    assert 'data-alert="true"' in panel
    assert f'href="/engineering/reviews/#review-{review.pk}"' in panel
    assert "3 d late" in panel
    assert 'href="/engineering/reviews/"' in panel  # open the inbox


def test_reviewers_are_notified_with_a_link_to_their_inbox(engineer, buyer, four_reviews):
    assert engineer.notifications.get().url == "/engineering/reviews/"
    assert buyer.notifications.get().url == "/purchasing/reviews/"


def test_a_manager_who_owns_the_quote_sees_why_another_must_decide(
    client_for, make_quote, sales_manager
):
    quote = make_quote(lines=(("skid", 1, {}, 30),), owner=sales_manager)  # over 25 %
    quote = quote_services.quote_submit(quote=quote, actor=sales_manager)
    html = client_for(sales_manager).get("/sales/reviews/").content.decode()
    assert _cards(html) == [quote.number]
    assert f"You own or created {quote.number}: another sales manager must decide" in html
    assert 'data-decision="approve" disabled' in html


# -- a long quote: a few of its lines, the rest a link -----------------------------


def _add_lines(quote: Quote, n: int, **fields) -> None:
    """n more copies of the quote's first line, after its last position."""
    line = quote.lines.order_by("position").first()
    last = quote.lines.order_by("-position").first().position
    QuoteLine.objects.bulk_create(
        QuoteLine(
            quote=quote,
            product=line.product,
            position=last + 1 + i,
            quantity=line.quantity,
            unit_list_price=line.unit_list_price,
            unit_price=line.unit_price,
            unit_cost=line.unit_cost,
            line_total=line.line_total,
            margin_percent=fields.get("margin_percent", line.margin_percent),
            feasible_date=fields.get("feasible_date", line.feasible_date),
            requested_date=fields.get("requested_date", line.requested_date),
        )
        for i in range(n)
    )


def _line_rows(html: str) -> list[str]:
    """The position of each line row the inbox shows ("3 · Dosing skid")."""
    return re.findall(r'<span class="fw-medium">(\d+) · ', html)


@pytest.mark.parametrize("department", INBOXES)
def test_a_long_quote_shows_its_first_lines_and_links_the_rest(
    request, client_for, four_reviews, department
):
    url, role = INBOXES[department]
    _add_lines(four_reviews, 198)
    html = client_for(request.getfixturevalue(role)).get(url).content.decode()
    positions = sorted(four_reviews.lines.values_list("position", flat=True))
    assert _line_rows(html) == [str(p) for p in positions[:INBOX_LINES]]
    more = html.split('data-testid="more-lines"', 1)[1].split("</td>", 1)[0]
    assert f"and {200 - INBOX_LINES} more lines" in more
    assert f'href="/sales/quotes/{four_reviews.pk}/"' in more


def test_a_short_quote_shows_every_line_and_no_link(client_for, engineer, four_reviews):
    html = client_for(engineer).get("/engineering/reviews/").content.decode()
    assert len(_line_rows(html)) == 2
    assert 'data-testid="more-lines"' not in html


def test_late_lines_are_shown_first_then_by_position(client_for, engineer, four_reviews):
    today = timezone.localdate()
    _add_lines(four_reviews, 10)
    _add_lines(
        four_reviews, 2, requested_date=today, feasible_date=today + dt.timedelta(days=30)
    )  # the last two: late
    positions = [
        str(p) for p in four_reviews.lines.order_by("position").values_list("position", flat=True)
    ]
    html = client_for(engineer).get("/engineering/reviews/").content.decode()
    assert _line_rows(html) == positions[:3] + positions[-2:]
    assert "and 9 more lines" in html


def test_pricing_shows_below_floor_lines_first_the_others_do_not(
    client_for, sales_manager, engineer, four_reviews
):
    _add_lines(four_reviews, 10, margin_percent=Decimal("35"))
    _add_lines(four_reviews, 1, margin_percent=Decimal("5"))  # the last: below the floor
    positions = [
        str(p) for p in four_reviews.lines.order_by("position").values_list("position", flat=True)
    ]
    pricing = _line_rows(client_for(sales_manager).get("/sales/reviews/").content.decode())
    assert positions[-1] in pricing and len(pricing) == INBOX_LINES
    others = _line_rows(client_for(engineer).get("/engineering/reviews/").content.decode())
    assert others == positions[:INBOX_LINES]


@pytest.mark.parametrize("department", ["engineering", "pricing"])
def test_inbox_query_count_is_the_same_for_2_and_200_lines(
    request, client_for, four_reviews, department
):
    url, role = INBOXES[department]
    client = client_for(request.getfixturevalue(role))
    small = _count(client, url)
    _add_lines(four_reviews, 198)
    assert _count(client, url) == small == queries(INBOX_ROUTES[department], role)


# -- the inbox reads its partial index ------------------------------------------


def test_the_inbox_page_and_counts_read_the_partial_indexes(engineer, four_reviews):
    assert connection.vendor == "postgresql"
    inbox = selectors.review_inbox(engineer, "engineering")
    # The bound, not an index's name: on a test table of a few rows the planner may
    # pick another index of the reviews (the unique one), as it never does at size
    # (bench.py's EXPLAIN check watches review_inbox_requested_idx at M). With sorts
    # priced out, a page in the inbox's order must come from an index in that order.
    page = explain(inbox.values("pk")[:25], no_sort=True)
    assert "Seq Scan" not in page and "Sort" not in page, page
    assert re.search(r"Index (Only )?Scan (Backward )?using \w+ on orders_quotereview", page), page
    counts = explain(inbox.order_by().values("department").annotate(n=Count("pk")).values("n"))
    assert "Seq Scan" not in counts, counts
    assert "quote_in_review_idx" in counts or "orders_quote_pkey" in counts, counts


# -- the inbox's SQL, compiled once (apps.core.prepared) -----------------------


def _orm_counts(user, department):
    today = timezone.localdate()
    inbox = selectors.review_inbox(user, department)
    return inbox.count(), inbox.filter(due_date__lt=today).count()


def test_compiled_counts_and_pages_read_what_the_queryset_reads(
    engineer, planner, make_quote, sales_rep, four_reviews
):
    for title in ("B", "C", "D"):
        quote = make_quote(lines=(("dosing", 1, {}, 0),), title=title)
        quote_services.quote_submit(quote=quote, actor=sales_rep)
    QuoteReview.objects.filter(quote=four_reviews).update(
        due_date=timezone.localdate() - dt.timedelta(days=3)
    )
    assert selectors._sees_every_review(engineer)
    inbox = selectors.review_inbox(engineer, "engineering")
    ids = list(inbox.values_list("pk", flat=True))
    assert len(ids) == 4
    for bottom, top in ((0, 2), (2, 4), (4, 6)):
        assert selectors.review_inbox_ids(engineer, "engineering", bottom, top) == ids[bottom:top]
    assert selectors.review_inbox_counts(engineer, "engineering") == (4, 1)
    assert selectors.review_inbox_counts(engineer, "engineering") == _orm_counts(
        engineer, "engineering"
    )
    # A decision through the service shows on the next reading (only SQL is kept).
    quote_services.quote_review_decide(
        review=_review(four_reviews, "engineering"), actor=engineer, decision="approve"
    )
    assert selectors.review_inbox_counts(engineer, "engineering") == (3, 0)
    assert selectors.review_inbox_ids(engineer, "engineering", 0, 25) == ids[1:]
    # Another department's inbox is its own reading of the same compiled shape.
    assert selectors.review_inbox_counts(planner, "manufacturing") == (4, 1)


def test_counts_and_pages_of_staff_who_see_no_quote_are_empty(client_for, four_reviews):
    from tests.factories import UserFactory

    nobody = UserFactory(username="no.role")
    assert not selectors._sees_every_review(nobody)
    assert selectors.review_inbox_counts(nobody, "engineering") == (0, 0)
    assert selectors.review_inbox_ids(nobody, "engineering", 0, 25) == []
