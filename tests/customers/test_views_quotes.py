"""Portal quote pages: a contact sees its organization's sent quotes and decides on them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.core.permissions import grant_org_access
from apps.orders.models import ChangeOrigin, ChangeRequest, Quote, QuoteLine, QuoteState
from apps.orders.services import quotes as quote_services
from tests.query_counts import queries

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
INTERNAL_NOTE = "INTERNAL-ONLY: customer will pay more if pushed"
CRITICAL_PATH = "CRIT-PATH: Motor 5.5 kW, 14-day supplier lead time"


def _detail(quote) -> str:
    return reverse("customers:quote-detail", kwargs={"pk": quote.pk})


# What accepting takes from a customer: the PO, the typed name and the terms.
SIGNED = {"customer_po": "PO-7781", "signer_name": "Alex Buyer", "terms": "on"}


def _decide(quote, name: str) -> str:
    return reverse("customers:quote-transition", kwargs={"pk": quote.pk, "name": name})


def _change(quote) -> str:
    return reverse("customers:quote-change-request", kwargs={"pk": quote.pk})


def _timeline(html: str, quote) -> str:
    return html.split('id="quote-timeline"', 1)[1].split("</section>", 1)[0]


@pytest.fixture
def borealis_quote(make_quote, sales_rep, borealis):
    quote = make_quote(customer=borealis, title="Brewhouse skid")
    quote = quote_services.quote_submit(quote=quote, actor=sales_rep)
    return quote_services.quote_send(quote=quote, actor=sales_rep)


@pytest.fixture
def expired_quote(sent_quote):
    # The beat task has not run yet: still `sent`, but past its validity date.
    Quote.objects.filter(pk=sent_quote.pk).update(
        valid_until=timezone.localdate() - dt.timedelta(days=1)
    )
    sent_quote.refresh_from_db()
    return sent_quote


def _more_sent_quotes(template: Quote, n: int) -> None:
    """n more sent quotes with one line each, written directly: the pricing and
    promise engines are not what this measures, and 25 full runs are slow."""
    line = template.lines.get()
    for i in range(n):
        quote = Quote.objects.create(
            number=f"Q-9{i:05d}",
            customer=template.customer,
            owner=template.owner,
            valid_until=template.valid_until,
            state=QuoteState.SENT,
            sent_at=timezone.now(),
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
        grant_org_access(quote, template.customer)


# --- list ----------------------------------------------------------------------


def test_list_shows_own_sent_quotes_not_drafts_or_other_customers(
    client_for, acme_contact, sent_quote, make_quote, borealis_quote
):
    draft = make_quote(title="Still being priced")
    html = client_for(acme_contact).get("/portal/quotes/").content.decode()
    assert f'data-quote="{sent_quote.number}"' in html
    assert "Awaiting your decision" in html
    assert draft.number not in html and "Still being priced" not in html
    assert borealis_quote.number not in html and "Brewhouse skid" not in html


def test_awaiting_tab_lists_only_quotes_to_decide(client_for, acme_contact, accepted_quote):
    client = client_for(acme_contact)
    awaiting = client.get("/portal/quotes/?state=awaiting").content.decode()
    assert accepted_quote.number not in awaiting
    assert "No quote is waiting for your decision" in awaiting
    everything = client.get("/portal/quotes/?state=bogus").content.decode()
    assert f'data-quote="{accepted_quote.number}"' in everything  # unknown tab: all quotes


def test_empty_list_says_so(client_for, borealis_contact, sent_quote):
    html = client_for(borealis_contact).get("/portal/quotes/").content.decode()
    assert "No quotes yet" in html
    assert sent_quote.number not in html


@pytest.mark.parametrize("extra", [2, 24])
def test_list_query_count_is_constant(
    client_for, acme_contact, sent_quote, extra, django_assert_num_queries
):
    _more_sent_quotes(sent_quote, extra)
    client = client_for(acme_contact)
    client.get("/portal/quotes/")  # warm-up: content types and session
    # session, user with organization, roles (navigation), count, page ids, the
    # page's rows; the unread badge is cached.
    with django_assert_num_queries(queries("customers:quote-list", "acme_contact")):
        response = client.get("/portal/quotes/")
    assert response.content.decode().count('data-quote="') == extra + 1


def test_list_paginates(client_for, acme_contact, sent_quote):
    _more_sent_quotes(sent_quote, 25)
    client = client_for(acme_contact)
    first = client.get("/portal/quotes/").content.decode()
    second = client.get("/portal/quotes/?page=2").content.decode()
    assert first.count('data-quote="') == 25
    assert second.count('data-quote="') == 1
    assert "26 of 26" in second


# --- detail --------------------------------------------------------------------


def test_detail_shows_what_was_quoted_and_hides_costs_and_internal_data(
    client_for, acme_contact, sent_quote
):
    line = sent_quote.lines.get()
    QuoteLine.objects.filter(pk=line.pk).update(
        critical_path=CRITICAL_PATH, scope_statement="Includes commissioning on site"
    )
    Quote.objects.filter(pk=sent_quote.pk).update(internal_notes=INTERNAL_NOTE)
    line.refresh_from_db()
    html = client_for(acme_contact).get(_detail(sent_quote)).content.decode()

    assert f"Quote {sent_quote.number}" in html
    assert 'data-state="sent"' in html
    assert sent_quote.valid_until.strftime("%b") in html
    assert line.product.name in html
    assert f"{line.unit_price:,.2f}" in html
    assert f"{line.line_total:,.2f}" in html
    assert "Includes commissioning on site" in html
    if line.feasible_date:
        assert (
            f"{line.feasible_date:%b} {line.feasible_date.day}, {line.feasible_date.year}" in html
        )

    assert line.unit_cost != line.unit_price
    for secret in (
        f"{line.unit_cost:,.2f}",
        f"{line.unit_cost}",
        f"{line.margin_percent}",
        CRITICAL_PATH,
        INTERNAL_NOTE,
        "Internal notes",
        "Margin",
        "review",
    ):
        assert secret not in html, secret


def test_detail_offers_accept_and_decline_only_when_possible(client_for, acme_contact, sent_quote):
    client = client_for(acme_contact)
    html = client.get(_detail(sent_quote)).content.decode()
    assert _decide(sent_quote, "accept") in html and _decide(sent_quote, "decline") in html
    quote_services.quote_accept(quote=sent_quote, actor=acme_contact)
    html = client.get(_detail(sent_quote)).content.decode()
    assert _decide(sent_quote, "accept") not in html
    assert "You accepted this quote" in html


# --- decisions -------------------------------------------------------------------


@pytest.mark.parametrize("htmx", [True, False])
def test_accept_from_the_page_moves_the_quote_and_shows_in_timeline(
    client_for, acme_contact, sent_quote, htmx
):
    client = client_for(acme_contact)
    response = client.post(
        _decide(sent_quote, "accept"),
        {"comment": "Go ahead, PO follows", "version": sent_quote.version, **SIGNED},
        **(HX if htmx else {}),
    )
    sent_quote.refresh_from_db()
    assert sent_quote.state == QuoteState.ACCEPTED
    if htmx:
        assert response.status_code == 200
        html = response.content.decode()
        assert "<html" not in html  # only the decision region and out-of-band updates
        assert f"You accepted {sent_quote.number}." in html
        assert 'hx-swap-oob="true"' in html
    else:
        assert response.status_code == 302
        assert response["Location"] == _detail(sent_quote)
        html = client.get(_detail(sent_quote)).content.decode()
        assert f"You accepted {sent_quote.number}." in html  # flash message
        # The page reads its history when revealed (customers:quote-section).
        history = reverse(
            "customers:quote-section", kwargs={"pk": sent_quote.pk, "name": "history"}
        )
        assert f'hx-get="{history}"' in html
        html = client.get(history).content.decode()
    timeline = _timeline(html, sent_quote)
    assert 'data-state="accepted"' in timeline
    assert "Go ahead, PO follows" in timeline


def test_decline_with_a_comment(client_for, acme_contact, sent_quote):
    response = client_for(acme_contact).post(
        _decide(sent_quote, "decline"), {"comment": "Budget moved to next year"}, **HX
    )
    assert response.status_code == 200
    sent_quote.refresh_from_db()
    assert sent_quote.state == QuoteState.DECLINED
    assert "Budget moved to next year" in _timeline(response.content.decode(), sent_quote)


@pytest.mark.parametrize("htmx", [True, False])
def test_accepting_an_expired_quote_shows_why_and_changes_nothing(
    client_for, acme_contact, expired_quote, htmx
):
    version = expired_quote.version
    response = client_for(acme_contact).post(
        _decide(expired_quote, "accept"), {"version": version, **SIGNED}, **(HX if htmx else {})
    )
    # htmx swaps 422 (base.html); a plain form post gets the page with a 409.
    assert response.status_code == (422 if htmx else 409)
    html = response.content.decode()
    assert 'data-testid="decision-error"' in html
    assert "validity date has passed" in html
    expired_quote.refresh_from_db()
    assert expired_quote.state == QuoteState.SENT
    assert expired_quote.version == version


def test_deciding_twice_is_refused_inline(client_for, acme_contact, accepted_quote):
    response = client_for(acme_contact).post(
        _decide(accepted_quote, "decline"), {"comment": "Changed our mind"}, **HX
    )
    assert response.status_code == 422
    assert "Cannot decline a quote that is accepted" in response.content.decode()
    accepted_quote.refresh_from_db()
    assert accepted_quote.state == QuoteState.ACCEPTED


def test_stale_page_is_refused_inline(client_for, acme_contact, sent_quote):
    stale = sent_quote.version
    Quote.objects.filter(pk=sent_quote.pk).update(version=stale + 1)  # a colleague edited it
    response = client_for(acme_contact).post(
        _decide(sent_quote, "accept"), {"version": stale, **SIGNED}, **HX
    )
    assert response.status_code == 422
    assert "changed by someone else" in response.content.decode()
    sent_quote.refresh_from_db()
    assert sent_quote.state == QuoteState.SENT


def test_unknown_decision_is_404(client_for, acme_contact, sent_quote):
    response = client_for(acme_contact).post(_decide(sent_quote, "expire"))
    assert response.status_code == 404
    sent_quote.refresh_from_db()
    assert sent_quote.state == QuoteState.SENT


def test_decisions_need_post(client_for, acme_contact, sent_quote):
    assert client_for(acme_contact).get(_decide(sent_quote, "accept")).status_code == 405
    sent_quote.refresh_from_db()
    assert sent_quote.state == QuoteState.SENT


# --- change requests --------------------------------------------------------------


def test_change_request_form_creates_a_customer_request(client_for, acme_contact, sent_quote):
    response = client_for(acme_contact).post(
        _change(sent_quote),
        {"change-title": "Add a spare seal kit", "change-description": "Two kits, please."},
        **HX,
    )
    assert response.status_code == 200
    cr = ChangeRequest.objects.get(quote=sent_quote)
    assert (cr.title, cr.origin, cr.requested_by) == (
        "Add a spare seal kit",
        ChangeOrigin.CUSTOMER,
        acme_contact,
    )
    html = response.content.decode()
    assert f"Change request {cr.number} was sent to Kestrel." in html
    assert 'data-state="submitted"' in html
    assert "Add a spare seal kit" in _timeline(html, sent_quote)


def test_change_request_plain_post_redirects_to_the_quote(client_for, acme_contact, sent_quote):
    client = client_for(acme_contact)
    response = client.post(
        _change(sent_quote), {"change-title": "Paint RAL 5010", "change-description": "Blue."}
    )
    assert response.status_code == 302 and response["Location"] == _detail(sent_quote)
    # The change requests read when revealed; `?sections=all` renders them in the page.
    html = client.get(_detail(sent_quote) + "?sections=all").content.decode()
    assert "Paint RAL 5010" in html.split('data-testid="change-requests"', 1)[1]


@pytest.mark.parametrize("htmx", [True, False])
def test_change_request_bad_input_shows_inline_errors(client_for, acme_contact, sent_quote, htmx):
    response = client_for(acme_contact).post(
        _change(sent_quote),
        {"change-title": "", "change-description": "   "},
        **(HX if htmx else {}),
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert html.count("This field is required.") == 2
    assert 'aria-invalid="true"' in html
    assert not ChangeRequest.objects.exists()


def test_change_request_on_a_declined_quote_is_refused_inline(client_for, acme_contact, sent_quote):
    quote_services.quote_decline(quote=sent_quote, actor=acme_contact)
    response = client_for(acme_contact).post(
        _change(sent_quote), {"change-title": "Cheaper?", "change-description": "Please."}, **HX
    )
    assert response.status_code == 422
    assert "is declined" in response.content.decode()
    assert not ChangeRequest.objects.exists()


# --- who may see what ------------------------------------------------------------


def test_other_customer_gets_404_and_changes_nothing(client_for, borealis_contact, sent_quote):
    client = client_for(borealis_contact)
    assert client.get(_detail(sent_quote)).status_code == 404
    assert client.post(_decide(sent_quote, "accept"), **HX).status_code == 404
    response = client.post(_change(sent_quote), {"change-title": "x", "change-description": "y"})
    assert response.status_code == 404
    sent_quote.refresh_from_db()
    assert sent_quote.state == QuoteState.SENT
    assert not ChangeRequest.objects.exists()


def test_own_draft_is_404(client_for, acme_contact, make_quote):
    draft = make_quote()
    client = client_for(acme_contact)
    assert client.get(_detail(draft)).status_code == 404
    assert client.post(_decide(draft, "accept")).status_code == 404


@pytest.mark.parametrize("who", ["sales_rep", "sales_manager", "ops_admin", "delta_contact"])
def test_everyone_but_customer_contacts_gets_404(request, client_for, sent_quote, who):
    client = client_for(request.getfixturevalue(who))
    assert client.get("/portal/quotes/").status_code == 404
    assert client.get(_detail(sent_quote)).status_code == 404
    assert client.post(_decide(sent_quote, "accept")).status_code == 404
    sent_quote.refresh_from_db()
    assert sent_quote.state == QuoteState.SENT


def test_anonymous_is_sent_to_login(client, sent_quote):
    response = client.get(_detail(sent_quote))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- dashboard and navigation -------------------------------------------------------


def test_dashboard_lists_the_quote_awaiting_decision(
    client_for, acme_contact, borealis_contact, sent_quote
):
    html = client_for(acme_contact).get("/portal/").content.decode()
    items = html.split('data-testid="action-items"', 1)[1].split("</ul>", 1)[0]
    assert sent_quote.number in items
    assert _detail(sent_quote) in items
    assert f"{sent_quote.valid_until:%b} {sent_quote.valid_until.day}" in items
    assert "No quotes or approvals are waiting for you" not in html

    other = client_for(borealis_contact).get("/portal/").content.decode()
    assert sent_quote.number not in other
    assert "No quotes or approvals are waiting for you" in other


def test_dashboard_drops_the_quote_once_decided(client_for, acme_contact, accepted_quote):
    html = client_for(acme_contact).get("/portal/").content.decode()
    assert 'data-testid="action-items"' not in html
    assert "No quotes or approvals are waiting for you" in html


def test_navigation_offers_quotes_and_orders_to_contacts_only(client_for, acme_contact, sales_rep):
    html = client_for(acme_contact).get("/portal/").content.decode()
    assert 'href="/portal/quotes/"' in html and 'href="/portal/orders/"' in html
    staff = client_for(sales_rep).get("/").content.decode()
    assert 'href="/portal/quotes/"' not in staff


# --- a quote being revised -------------------------------------------------------------


@pytest.fixture
def revised_quote(sent_quote, sales_rep):
    """Sent (rev 0), then revised back to draft and edited: quantity 3, a new note."""
    sent_line = sent_quote.lines.get()
    quote = quote_services.quote_revise(
        quote=sent_quote, actor=sales_rep, comment="REVISION-REASON-CANARY"
    )
    quote_services.quote_update(
        quote=quote,
        actor=sales_rep,
        expected_version=None,
        internal_notes=INTERNAL_NOTE,
        title="DRAFT-TITLE-CANARY",
    )
    quote_services.quote_line_update(line=sent_line, actor=sales_rep, quantity=3)
    quote.refresh_from_db()
    return quote


def test_a_revised_quote_stays_in_the_portal_as_last_sent(client_for, revised_quote, acme_contact):
    snapshot = revised_quote.revisions.get().snapshot
    sent = snapshot["lines"][0]
    response = client_for(acme_contact).get(_detail(revised_quote))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Being revised" in html and 'data-testid="being-revised"' in html
    # The version the customer was sent: quantity 1 at the sent price, not the draft's 3.
    assert f"USD {float(sent['line_total']):,.2f}" in html
    assert f"USD {float(sent['line_total']) * 3:,.2f}" not in html
    # No decision on a version that is being replaced.
    assert _decide(revised_quote, "accept") not in html
    assert "Accept quote" not in html and "Decline quote" not in html
    # Nothing internal from the snapshot or the draft.
    for secret in (
        sent["unit_cost"],
        f"{float(sent['unit_cost']):,.2f}",
        INTERNAL_NOTE,
        "DRAFT-TITLE-CANARY",
        "REVISION-REASON-CANARY",
        "Margin",
    ):
        assert secret not in html, secret


def test_the_portal_list_shows_the_revised_quote_from_its_sent_version(
    client_for, revised_quote, acme_contact, borealis_contact
):
    html = client_for(acme_contact).get(reverse("customers:quote-list")).content.decode()
    assert f'data-quote="{revised_quote.number}"' in html and "Being revised" in html
    assert "USD 20,000.00" in html and "USD 60,000.00" not in html
    assert "DRAFT-TITLE-CANARY" not in html
    other = client_for(borealis_contact).get(reverse("customers:quote-list")).content.decode()
    assert revised_quote.number not in other
    assert client_for(borealis_contact).get(_detail(revised_quote)).status_code == 404


def test_deciding_a_quote_being_revised_is_refused_with_the_reason(
    client_for, revised_quote, acme_contact
):
    response = client_for(acme_contact).post(
        _decide(revised_quote, "accept"), {"version": revised_quote.version}
    )
    assert response.status_code == 409
    assert "Kestrel is revising this quote" in response.content.decode()
    revised_quote.refresh_from_db()
    assert revised_quote.state == QuoteState.DRAFT


def test_a_draft_never_sent_stays_invisible(client_for, make_quote, acme_contact):
    draft = make_quote()
    assert client_for(acme_contact).get(_detail(draft)).status_code == 404
    html = client_for(acme_contact).get(reverse("customers:quote-list")).content.decode()
    assert draft.number not in html


def test_once_sent_again_the_customer_sees_the_new_version(
    client_for, revised_quote, sales_rep, acme_contact
):
    quote = quote_services.quote_submit(quote=revised_quote, actor=sales_rep)
    quote = quote_services.quote_send(quote=quote, actor=sales_rep)
    html = client_for(acme_contact).get(_detail(quote)).content.decode()
    assert "USD 60,000.00" in html and "Sign and accept" in html and "Being revised" not in html


def test_accept_past_validity_is_shown_disabled_with_the_reason(
    client_for, acme_contact, expired_quote
):
    url = reverse("customers:quote-detail", kwargs={"pk": expired_quote.pk})
    html = client_for(acme_contact).get(url).content.decode()
    accept = html.split('data-decision="accept"', 1)[1].split("</form>", 1)[0]
    assert "disabled" in accept
    assert "the quote&#x27;s validity date has passed" in accept
    decline = html.split('data-decision="decline"', 1)[1].split("</form>", 1)[0]
    assert "disabled" not in decline


def test_customers_see_no_internal_badges_or_raw_verbs(client_for, acme_contact, sent_quote):
    url = reverse("customers:quote-detail", kwargs={"pk": sent_quote.pk})
    html = client_for(acme_contact).get(url + "?sections=all").content.decode()
    timeline = html.split('id="quote-timeline"', 1)[1]
    assert "Sent to the customer" in timeline  # the verb in words
    assert "Customer-visible" not in html and "Visible to customer" not in html
    assert f">v{sent_quote.version}<" not in html and "rev 0" not in html


# --- change requests on one line ---------------------------------------------------


def test_a_line_link_preselects_it_and_the_request_names_the_line(
    client_for, acme_contact, sent_quote
):
    client = client_for(acme_contact)
    line = sent_quote.lines.select_related("product").get()
    html = client.get(_detail(sent_quote) + f"?change_line={line.position}").content.decode()
    assert f'href="?change_line={line.position}#quote-changes"' in html
    assert f'<option value="{line.position}" selected>' in html
    response = client.post(
        _change(sent_quote),
        {
            "change-line": str(line.position),
            "change-title": "Stainless frame",
            "change-description": "316L please.",
        },
        **HX,
    )
    assert response.status_code == 200
    cr = ChangeRequest.objects.get(quote=sent_quote)
    assert cr.title == f"Line {line.position} · {line.product.name}: Stainless frame"
    assert cr.description.startswith(f"About Line {line.position} · {line.product.name}.")


def test_a_change_on_an_unknown_line_is_a_form_error(client_for, acme_contact, sent_quote):
    response = client_for(acme_contact).post(
        _change(sent_quote),
        {"change-line": "99", "change-title": "x", "change-description": "y"},
        **HX,
    )
    assert response.status_code == 422
    assert "Select a valid choice." in response.content.decode()
    assert not ChangeRequest.objects.exists()


def test_the_portal_shows_the_promise_as_sent_even_after_the_feasible_date_moved(
    client_for, acme_contact, sent_quote
):
    line = sent_quote.lines.get()
    shown = line.sent_promised_date
    # Another order took the stock: the engine now finds a later date.
    QuoteLine.objects.filter(pk=line.pk).update(feasible_date=shown + dt.timedelta(days=9))

    html = client_for(acme_contact).get(_detail(sent_quote)).content.decode()

    assert f'datetime="{shown:%Y-%m-%d}"' in html
    assert f'datetime="{shown + dt.timedelta(days=9):%Y-%m-%d}"' not in html
