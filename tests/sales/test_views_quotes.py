"""Staff quote pages: the list, the detail, and every workflow button through the page."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.core.models import Activity
from apps.orders.models import Quote, QuoteLine, QuoteState, ReviewState, SalesOrder
from apps.orders.services import quotes as quote_services
from tests.query_counts import queries

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def _detail(quote) -> str:
    return reverse("sales:quote-detail", kwargs={"pk": quote.pk})


def _transition(quote, name: str) -> str:
    return reverse("sales:quote-transition", kwargs={"pk": quote.pk, "name": name})


def _review(quote, review, name: str) -> str:
    return reverse(
        "sales:quote-review-transition",
        kwargs={"pk": quote.pk, "review_pk": review.pk, "name": name},
    )


def _more_quotes(template: Quote, n: int, **fields) -> None:
    """n more one-line quotes written directly: the pricing and promise engines
    are not what the list measures, and 25 full runs are slow."""
    line = template.lines.get()
    for i in range(n):
        quote = Quote.objects.create(
            number=f"Q-9{i:05d}",
            customer=fields.get("customer", template.customer),
            owner=template.owner,
            title=fields.get("title", f"Bulk {i}"),
            valid_until=template.valid_until,
            state=fields.get("state", QuoteState.DRAFT),
        )
        QuoteLine.objects.create(
            quote=quote,
            product=line.product,
            quantity=1,
            unit_list_price=line.unit_list_price,
            unit_price=line.unit_price,
            unit_cost=line.unit_cost,
            line_total=line.line_total,
            margin_percent=line.margin_percent,
        )


# --- list ----------------------------------------------------------------------------


def test_list_shows_every_quote_with_its_columns(
    client_for, planner, make_quote, sales_rep, borealis
):
    acme_quote = make_quote(title="Lift station skid")
    borealis_quote = make_quote(customer=borealis, title="Brewhouse skid")
    html = client_for(planner).get(reverse("sales:quote-list")).content.decode()
    for quote in (acme_quote, borealis_quote):
        assert f'data-quote="{quote.number}"' in html
        assert _detail(quote) in html
    assert "Lift station skid" in html and "Borealis Brewing" in html
    assert f"USD {acme_quote.total:,.2f}" in html
    assert "Draft" in html


def test_list_filters_by_state_customer_and_search(
    client_for, sales_rep, make_quote, sent_quote, borealis
):
    draft = make_quote(title="Lift station skid")
    other = make_quote(customer=borealis, title="Brewhouse skid")
    client = client_for(sales_rep)
    url = reverse("sales:quote-list")

    html = client.get(url, {"state": ["sent", "accepted"]}).content.decode()
    assert sent_quote.number in html and draft.number not in html and other.number not in html

    html = client.get(url, {"customer": str(borealis.pk)}).content.decode()
    assert other.number in html and draft.number not in html

    html = client.get(url, {"q": "lift station"}).content.decode()
    assert draft.number in html and other.number not in html

    html = client.get(url, {"q": other.number}).content.decode()
    assert other.number in html and draft.number not in html

    html = client.get(url, {"q": "nothing like this"}).content.decode()
    assert "No quotes match these filters" in html


def test_list_ordering_comes_from_the_allow_list(client_for, sales_rep, make_quote):
    cheap = make_quote(lines=[("cabinet", 1, {}, 0)], title="Cheap")
    dear = make_quote(lines=[("skid", 3, {}, 0)], title="Dear")
    client = client_for(sales_rep)
    url = reverse("sales:quote-list")
    html = client.get(url, {"ordering": "-total"}).content.decode()
    assert html.index(dear.number) < html.index(cheap.number)
    html = client.get(url, {"ordering": "total"}).content.decode()
    assert html.index(cheap.number) < html.index(dear.number)
    # A key outside the allow-list is ignored, not passed to order_by().
    response = client.get(url, {"ordering": "internal_notes"})
    assert response.status_code == 200
    assert "not understood" in response.content.decode()


def test_list_htmx_answers_the_results_partial_only(client_for, sales_rep, make_quote):
    quote = make_quote()
    html = client_for(sales_rep).get(reverse("sales:quote-list"), **HX).content.decode()
    assert html.lstrip().startswith('<div id="quote-results"')
    assert quote.number in html and '<nav class="navbar' not in html


def test_list_paginates_25_per_page_keeping_filters(client_for, sales_rep, make_quote):
    _more_quotes(make_quote(), 30, state=QuoteState.DRAFT)
    client = client_for(sales_rep)
    first = client.get(reverse("sales:quote-list"), {"state": "draft"}).content.decode()
    assert first.count("data-quote=") == 25
    assert "1–25 of 31" in first
    assert "state=draft&amp;page=2" in first
    second = client.get(reverse("sales:quote-list"), {"state": "draft", "page": 2}).content
    assert second.decode().count("data-quote=") == 6


def test_list_empty_state(client_for, sales_rep):
    html = client_for(sales_rep).get(reverse("sales:quote-list")).content.decode()
    assert "No quotes yet" in html


def test_list_query_count_is_constant(client_for, sales_rep, make_quote, django_assert_num_queries):
    template = make_quote()
    _more_quotes(template, 4)
    client = client_for(sales_rep)
    url = reverse("sales:quote-list")
    client.get(url)  # warm-up: session, content types, permission caches
    # session, user with organization, roles and permissions (one query), count,
    # page ids, the page's quotes with customer and owner (total stored): 6
    # whatever the number of quotes or customers.
    with django_assert_num_queries(queries("sales:quote-list", "sales_rep")):
        assert client.get(url).content.decode().count("data-quote=") == 5
    Quote.objects.filter(number__startswith="Q-9").delete()
    _more_quotes(template, 29)
    with django_assert_num_queries(queries("sales:quote-list", "sales_rep")):
        assert client.get(url).content.decode().count("data-quote=") == 25


@pytest.mark.parametrize("contact", ["acme_contact", "borealis_contact"])
def test_list_is_404_for_customer_contacts(client_for, sent_quote, contact, request):
    response = client_for(request.getfixturevalue(contact)).get(reverse("sales:quote-list"))
    assert response.status_code == 404


# --- detail ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["sales_rep", "planner", "engineer", "finance"])
def test_detail_shows_header_lines_costs_and_margins_to_internal_roles(
    client_for, make_quote, role, request
):
    quote = make_quote(lines=[("skid", 2, {"drive": "vfd"}, 5)], title="Lift station skid")
    line = quote.lines.get()
    response = client_for(request.getfixturevalue(role)).get(_detail(quote))
    assert response.status_code == 200
    html = response.content.decode()
    assert f"Quote {quote.number}" in html and "Acme Water Utility" in html
    # Internal counters are not labels: no "rev 0" for a first issue, no "v3" badge.
    assert "rev 0" not in html and f">v{quote.version}<" not in html
    assert "Variable frequency drive" in html or "VFD" in html
    assert f"{line.unit_cost:,.2f}" in html  # unit cost
    assert f"{line.margin_percent:.2f} %" in html  # margin
    assert f"{quote.total:,.2f}" in html
    assert 'id="quote-timeline"' in html


@pytest.mark.parametrize("contact", ["acme_contact", "borealis_contact"])
def test_detail_is_404_for_customer_contacts_own_or_other(client_for, sent_quote, contact, request):
    client = client_for(request.getfixturevalue(contact))
    assert client.get(_detail(sent_quote)).status_code == 404
    assert client.post(_transition(sent_quote, "accept")).status_code == 404
    sent_quote.refresh_from_db()
    assert sent_quote.state == QuoteState.SENT


def test_detail_is_404_for_an_unknown_quote(client_for, sales_rep):
    response = client_for(sales_rep).get(reverse("sales:quote-detail", kwargs={"pk": uuid.uuid4()}))
    assert response.status_code == 404


def test_detail_shows_only_the_buttons_the_user_may_press(
    client_for, make_quote, planner, sales_rep
):
    quote = make_quote()
    html = client_for(sales_rep).get(_detail(quote)).content.decode()
    assert 'data-transition="submit"' in html and 'data-transition="cancel"' in html
    assert 'data-transition="send"' not in html
    html = client_for(planner).get(_detail(quote)).content.decode()
    assert "data-transition=" not in html
    assert "Nothing for you to do" in html


# --- transitions --------------------------------------------------------------------


def test_submit_then_send_through_the_page_with_htmx(client_for, make_quote, sales_rep):
    quote = make_quote()
    client = client_for(sales_rep)
    response = client.post(
        _transition(quote, "submit"), {"comment": "Ready", "version": quote.version}, **HX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="quote-workflow"')
    assert 'id="quote-timeline" hx-swap-oob="true"' in html
    quote.refresh_from_db()
    assert quote.state == QuoteState.APPROVED  # no review needed: approved on submit
    assert 'data-transition="send"' in html

    response = client.post(_transition(quote, "send"), {"version": quote.version}, **HX)
    assert response.status_code == 200
    quote.refresh_from_db()
    assert quote.state == QuoteState.SENT and quote.sent_at is not None
    assert "Sent" in response.content.decode()


def test_submit_without_htmx_redirects_to_the_page(client_for, make_quote, sales_rep):
    quote = make_quote()
    response = client_for(sales_rep).post(_transition(quote, "submit"), {"comment": ""})
    assert response.status_code == 302 and response["Location"] == _detail(quote)
    quote.refresh_from_db()
    assert quote.state == QuoteState.APPROVED
    page = client_for(sales_rep).get(_detail(quote)).content.decode()
    assert "submitted for review." in page


def test_sending_a_draft_is_refused_with_the_allowed_transitions(client_for, make_quote, sales_rep):
    quote = make_quote()
    before = Activity.objects.count()
    client = client_for(sales_rep)
    response = client.post(_transition(quote, "send"), {"version": quote.version}, **HX)
    assert response.status_code == 422  # htmx swaps 422 only (base.html)
    html = response.content.decode()
    assert "Cannot send a quote that is draft." in html
    assert "Possible now:" in html and ">Submit<" in html and ">Cancel<" in html
    plain = client.post(_transition(quote, "send"), {"version": quote.version})
    assert plain.status_code == 409
    assert 'data-testid="workflow-error"' in plain.content.decode()
    quote.refresh_from_db()
    assert quote.state == QuoteState.DRAFT and Activity.objects.count() == before


def test_forbidden_role_gets_403_and_nothing_changes(client_for, make_quote, planner):
    quote = make_quote()
    version = quote.version
    client = client_for(planner)
    response = client.post(_transition(quote, "submit"), {"version": version})
    assert response.status_code == 403
    assert "You may not submit this quote." in response.content.decode()
    htmx = client.post(_transition(quote, "submit"), {"version": version}, **HX)
    assert htmx.status_code == 422 and "You may not submit" in htmx.content.decode()
    quote.refresh_from_db()
    assert quote.state == QuoteState.DRAFT and quote.version == version


def test_stale_version_is_409_and_nothing_changes(client_for, make_quote, sales_rep):
    quote = make_quote()
    quote_services.quote_update(
        quote=quote, actor=sales_rep, expected_version=quote.version, title="Changed elsewhere"
    )
    response = client_for(sales_rep).post(_transition(quote, "submit"), {"version": quote.version})
    assert response.status_code == 409
    assert "was changed by someone else" in response.content.decode()
    quote.refresh_from_db()
    assert quote.state == QuoteState.DRAFT


def test_unknown_transition_is_404(client_for, make_quote, sales_rep):
    quote = make_quote()
    assert client_for(sales_rep).post(_transition(quote, "expire")).status_code == 404


def test_transitions_are_post_only(client_for, make_quote, sales_rep):
    quote = make_quote()
    assert client_for(sales_rep).get(_transition(quote, "submit")).status_code == 405
    quote.refresh_from_db()
    assert quote.state == QuoteState.DRAFT


def test_convert_redirects_to_the_new_order(client_for, accepted_quote, sales_rep):
    response = client_for(sales_rep).post(
        _transition(accepted_quote, "convert"), {"version": accepted_quote.version}, **HX
    )
    order = SalesOrder.objects.get(quote=accepted_quote)
    assert response["HX-Redirect"] == reverse("sales:order-detail", kwargs={"pk": order.pk})


# --- reviews --------------------------------------------------------------------------


@pytest.fixture
def in_review(make_quote, sales_rep):
    quote = make_quote(lines=[("dosing", 1, {}, 0)])
    return quote_services.quote_submit(quote=quote, actor=sales_rep)


def test_reviews_are_listed_with_reasons_and_only_the_reviewer_gets_buttons(
    client_for, in_review, engineer, sales_rep
):
    eng = in_review.reviews.get(department="engineering")
    html = client_for(engineer).get(_detail(in_review)).content.decode()
    assert 'data-review="engineering"' in html and "design-to-order" in html
    assert _review(in_review, eng, "approve") in html
    html = client_for(sales_rep).get(_detail(in_review)).content.decode()
    assert 'data-review="engineering"' in html
    assert _review(in_review, eng, "approve") not in html


def test_engineer_approves_a_review_through_the_page(client_for, in_review, engineer, planner):
    eng = in_review.reviews.get(department="engineering")
    response = client_for(engineer).post(
        _review(in_review, eng, "approve"), {"version": eng.version}, **HX
    )
    assert response.status_code == 200
    assert "Engineering review approved" in response.content.decode()
    eng.refresh_from_db()
    assert eng.state == ReviewState.APPROVED and eng.decided_by == engineer
    in_review.refresh_from_db()
    assert in_review.state == QuoteState.IN_REVIEW  # manufacturing still open
    mfg = in_review.reviews.get(department="manufacturing")
    client_for(planner).post(_review(in_review, mfg, "approve"), {"version": mfg.version})
    in_review.refresh_from_db()
    assert in_review.state == QuoteState.APPROVED


def test_review_rejection_needs_a_comment_and_the_right_role(
    client_for, in_review, engineer, sales_rep
):
    eng = in_review.reviews.get(department="engineering")
    response = client_for(engineer).post(
        _review(in_review, eng, "reject"), {"version": eng.version}, **HX
    )
    assert response.status_code == 422
    assert "Say why" in response.content.decode()
    response = client_for(sales_rep).post(
        _review(in_review, eng, "approve"), {"version": eng.version}
    )
    assert response.status_code == 403
    eng.refresh_from_db()
    assert eng.state == ReviewState.REQUESTED
    response = client_for(engineer).post(
        _review(in_review, eng, "request_changes"),
        {"version": eng.version, "comment": "Add the flow rate"},
    )
    assert response.status_code == 302
    eng.refresh_from_db()
    assert eng.state == ReviewState.CHANGES_REQUESTED and eng.comment == "Add the flow rate"


def test_review_of_another_quote_is_404(client_for, in_review, make_quote, engineer):
    other = make_quote()
    eng = in_review.reviews.get(department="engineering")
    assert client_for(engineer).post(_review(other, eng, "approve")).status_code == 404


def test_review_requests_link_the_reviewers_inbox(engineer, in_review):
    # The engineer decides in the engineering inbox, where the quote is on one screen.
    assert engineer.notifications.get().url == reverse("engineering:review-inbox")


def test_timeline_shows_the_transition(client_for, make_quote, sales_rep):
    quote = make_quote()
    client_for(sales_rep).post(_transition(quote, "submit"), {"comment": "Go ahead"})
    client = client_for(sales_rep)
    # The page reads its history when it is scrolled into view (`?section=history`)...
    html = client.get(_detail(quote)).content.decode()
    assert (
        f'id="quote-timeline" data-testid="section-lazy" hx-get="{_detail(quote)}?section=history"'
        in html
    )
    # ...and renders it inline without JavaScript (`?sections=all`): the same region.
    region = client.get(_detail(quote), {"section": "history"}).content.decode()
    every = client.get(_detail(quote), {"sections": "all"}).content.decode()
    assert region.strip() in every
    timeline = region.split('id="quote-timeline"', 1)[1]
    assert "Go ahead" in timeline and timezone.localdate().strftime("%Y") in timeline
    assert ">Submitted for review<" in timeline  # the verb as words, not "Submit"


# --- buttons that cannot be pressed say why -------------------------------------------


def test_submit_without_lines_is_disabled_with_the_reason(client_for, make_quote, sales_rep):
    quote = make_quote(lines=())
    html = client_for(sales_rep).get(_detail(quote)).content.decode()
    form = html.split('data-transition="submit"', 1)[1].split("</form>", 1)[0]
    assert "disabled" in form and "Cannot submit yet: the quote has no lines." in form


def test_acceptance_past_validity_is_disabled_with_the_reason(client_for, sent_quote, sales_rep):
    Quote.objects.filter(pk=sent_quote.pk).update(
        valid_until=timezone.localdate() - timezone.timedelta(days=1)
    )
    html = client_for(sales_rep).get(_detail(sent_quote)).content.decode()
    form = html.split('data-transition="accept"', 1)[1].split("</form>", 1)[0]
    assert "disabled" in form
    assert "Cannot accept yet: the quote&#x27;s validity date has passed." in form
    decline = html.split('data-transition="decline"', 1)[1].split("</form>", 1)[0]
    assert "disabled" not in decline


def test_review_buttons_are_disabled_with_the_reason_once_the_quote_left_review(
    client_for, in_review, engineer, sales_rep
):
    quote = quote_services.quote_cancel(quote=in_review, actor=sales_rep)
    html = client_for(engineer).get(_detail(quote)).content.decode()
    form = html.split('data-review-form="engineering"', 1)[1].split("</form>", 1)[0]
    assert form.count(" disabled title=") == 3
    assert "Cannot approve yet: the quote is no longer in review." in form


def test_converted_quote_links_its_order_in_the_header(client_for, order, sales_rep):
    html = client_for(sales_rep).get(_detail(order.quote)).content.decode()
    header = html.split("<header", 1)[1].split("</header>", 1)[0]
    assert f"Order {order.number}" in header
    assert reverse("sales:order-detail", args=[order.pk]) in header


def test_own_pricing_review_buttons_are_disabled_with_the_reason_and_a_post_is_403(
    client_for, make_quote, sales_manager
):
    quote = make_quote(lines=[("skid", 1, {}, 40)], owner=sales_manager)
    quote = quote_services.quote_submit(quote=quote, actor=sales_manager)
    pricing = quote.reviews.get(department="pricing")
    html = client_for(sales_manager).get(_detail(quote)).content.decode()
    sentence = (
        f"You own or created {quote.number}: another sales manager must decide its pricing review."
    )
    assert 'data-testid="review-refusal"' in html and sentence in html
    assert "disabled" in html and _review(quote, pricing, "approve") not in html
    response = client_for(sales_manager).post(
        _review(quote, pricing, "approve"), {"version": pricing.version}
    )
    assert response.status_code == 403 and sentence in response.content.decode()
    pricing.refresh_from_db()
    assert pricing.state == "requested"


# --- copy as new quote ------------------------------------------------------------------


@pytest.fixture
def declined(sent_quote, acme_contact):
    return quote_services.quote_decline(quote=sent_quote, actor=acme_contact)


def test_copy_as_new_quote_from_the_staff_page(client_for, declined, sales_rep):
    url = reverse("sales:quote-copy", kwargs={"pk": declined.pk})
    html = client_for(sales_rep).get(_detail(declined)).content.decode()
    assert 'data-testid="quote-copy"' in html and url in html
    response = client_for(sales_rep).post(url, {}, **HX)
    copy = Quote.objects.get(copied_from=declined)
    assert response["HX-Redirect"] == _detail(copy)
    html = client_for(sales_rep).get(_detail(copy)).content.decode()
    assert 'data-testid="copied-from"' in html and declined.number in html
    history = client_for(sales_rep).get(_detail(copy), {"section": "history"}).content.decode()
    assert f"Copied from {declined.number}" in history  # the timeline


def test_copy_button_is_disabled_with_the_reason_for_other_roles(client_for, declined, planner):
    html = client_for(planner).get(_detail(declined)).content.decode()
    assert "Only sales may copy a quote as a new quote." in html and "disabled" in html
    url = reverse("sales:quote-copy", kwargs={"pk": declined.pk})
    assert client_for(planner).post(url, {}).status_code == 403
    assert not Quote.objects.filter(copied_from=declined).exists()


def test_no_copy_button_on_open_quotes(client_for, sent_quote, sales_rep):
    html = client_for(sales_rep).get(_detail(sent_quote)).content.decode()
    assert 'data-testid="quote-copy"' not in html
    url = reverse("sales:quote-copy", kwargs={"pk": sent_quote.pk})
    response = client_for(sales_rep).post(url, {})
    assert response.status_code == 409 and "Only expired or declined" in response.content.decode()


def test_a_draft_shows_the_reviews_its_lines_need_now(client_for, make_quote, sales_rep):
    quote = make_quote(lines=[("skid", 1, {}, 0)])
    html = client_for(sales_rep).get(_detail(quote)).content.decode()
    assert 'data-testid="upcoming-reviews"' not in html and "No reviews required" in html
    line = quote.lines.get()
    quote_services.quote_line_update(line=line, actor=sales_rep, discount_percent=93)
    html = client_for(sales_rep).get(_detail(quote)).content.decode()
    assert 'data-testid="upcoming-reviews"' in html
    assert "margin -15.71 % is below the 20 % floor" in html


# --- constant queries on the detail page -----------------------------------------------


def _grow_lines(quote: Quote, total: int) -> None:
    line = quote.lines.first()
    for i in range(quote.lines.count(), total):
        QuoteLine.objects.create(
            quote=quote,
            product=line.product,
            position=100 + i,
            quantity=1,
            unit_list_price=line.unit_list_price,
            unit_price=line.unit_price,
            unit_cost=line.unit_cost,
            line_total=line.line_total,
            margin_percent=line.margin_percent,
        )


def test_detail_query_count_is_the_same_for_2_and_20_lines(
    client_for, in_review, engineer, django_assert_num_queries
):
    _grow_lines(in_review, 2)
    client = client_for(engineer)
    client.get(_detail(in_review))  # warm-up
    # session and user (the rest of the user's data is cached per request); the
    # quote (customer, owner, contact, addresses joined),
    # its lines with products, its reviews with deciders (prefetches); the
    # approve condition (every review approved) for the actions card; the comment
    # count (the change requests only when the quote has some, the history when
    # revealed: `?section=history`): the same whatever the number of lines.
    with django_assert_num_queries(QUERIES_QUOTE_DETAIL):
        assert client.get(_detail(in_review)).content.decode().count("data-line=") == 2
    _grow_lines(in_review, 20)
    with django_assert_num_queries(QUERIES_QUOTE_DETAIL):
        assert client.get(_detail(in_review)).content.decode().count("data-line=") == 20


QUERIES_QUOTE_DETAIL = 8  # an engineer (tests/query_counts.py has the rep's)
