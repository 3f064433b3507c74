"""Portal detail pages read their change requests, share links and history when they are
revealed (apps.core.pages.lazy_sections): the page holds each card's heading and htmx GETs
the card from `<page>/sections/<name>/`; `?sections=all` renders them in the page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from apps.orders.models import ChangeOrigin, ChangeRequest, SalesOrder
from apps.orders.services.orders import order_line_reforecast
from apps.orders.services.trackers import tracker_link_create

pytestmark = pytest.mark.django_db

SLIP_REASON = "SECRET-REASON: Delta Motors shipped the motor late"
INTERNAL_NOTE = "INTERNAL-ONLY: watch this customer's payments"
ORDER_SECTIONS = ("changes", "trackers", "history")


def _section(order, name: str) -> str:
    return reverse("customers:order-section", kwargs={"pk": order.pk, "name": name})


def _page(order) -> str:
    return reverse("customers:order-detail", kwargs={"pk": order.pk})


@pytest.fixture
def busy_order(order, planner, acme_contact):
    """An order with a slip (internal reason), a change request, a share link and notes."""
    line = order.lines.get()
    order_line_reforecast(
        line=line,
        actor=planner,
        new_date=line.first_promised_date + dt.timedelta(days=9),
        reason=SLIP_REASON,
    )
    ChangeRequest.objects.create(
        order=order,
        customer=order.customer,
        origin=ChangeOrigin.CUSTOMER,
        requested_by=acme_contact,
        number="CR-MOVE",
        title="Move the delivery",
    )
    tracker_link_create(order=order, actor=acme_contact, days=30)
    SalesOrder.objects.filter(pk=order.pk).update(internal_notes=INTERNAL_NOTE)
    return order


def test_the_order_page_holds_the_headings_and_htmx_reads_each_section(
    client_for, acme_contact, busy_order
):
    client = client_for(acme_contact)
    html = client.get(_page(busy_order)).content.decode()
    for name, heading in (
        ("changes", "Change requests"),
        ("trackers", "Share progress"),
        ("history", "History"),
    ):
        assert f'hx-get="{_section(busy_order, name)}"' in html
        assert heading in html
    # Read later: the request's title, the link's row and the timeline are not in the page.
    assert "Move the delivery" not in html and 'data-status="active"' not in html
    assert 'id="order-timeline" data-testid="section-lazy" hx-get=' in html
    # Without JavaScript the link renders every section in the page.
    assert f'href="{_page(busy_order)}?sections=all#order-changes"' in html

    changes = client.get(_section(busy_order, "changes")).content.decode()
    assert 'id="order-changes"' in changes
    assert "Move the delivery" in changes and 'data-testid="change-request-form"' in changes
    trackers = client.get(_section(busy_order, "trackers")).content.decode()
    assert 'id="order-trackers"' in trackers and 'data-status="active"' in trackers
    history = client.get(_section(busy_order, "history")).content.decode()
    assert 'id="order-timeline"' in history and "forecast" in history
    # A section is a fragment, never a page.
    for fragment in (changes, trackers, history):
        assert "<html" not in fragment


def test_every_section_in_the_page_shows_what_the_sections_show(
    client_for, acme_contact, busy_order
):
    client = client_for(acme_contact)
    inline = client.get(_page(busy_order) + "?sections=all").content.decode()
    assert 'data-testid="section-lazy"' not in inline
    assert "Move the delivery" in inline and 'data-status="active"' in inline
    assert "forecast" in inline.split('id="order-timeline"', 1)[1]


@pytest.mark.parametrize("name", ORDER_SECTIONS)
def test_no_section_shows_internal_reasons_or_notes(client_for, acme_contact, busy_order, name):
    html = client_for(acme_contact).get(_section(busy_order, name)).content.decode()
    assert "SECRET-REASON" not in html and "Delta Motors" not in html
    assert INTERNAL_NOTE not in html
    line = busy_order.lines.get()
    assert f"{line.unit_cost:,.2f}" not in html
    for component in line.components.all():
        assert component.part_number not in html


@pytest.mark.parametrize("name", ORDER_SECTIONS)
def test_sections_of_another_customers_order_staff_and_anonymous(
    client_for, client, borealis_contact, sales_rep, busy_order, name
):
    url = _section(busy_order, name)
    assert client_for(borealis_contact).get(url).status_code == 404
    # The portal is the customer's: staff get 404 on its pages, as on the page itself.
    assert client_for(sales_rep).get(url).status_code == 404
    client.logout()
    response = client.get(url)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_an_unknown_section_is_404(client_for, acme_contact, busy_order):
    assert client_for(acme_contact).get(_section(busy_order, "notes")).status_code == 404


def test_a_new_change_request_shows_in_the_section_at_once(client_for, acme_contact, busy_order):
    client = client_for(acme_contact)
    url = _section(busy_order, "changes")
    assert "Add a second seal kit" not in client.get(url).content.decode()
    response = client.post(
        reverse("customers:order-change-request", kwargs={"pk": busy_order.pk}),
        {"change-title": "Add a second seal kit", "change-description": "One more, please."},
    )
    assert response.status_code == 302
    assert "Add a second seal kit" in client.get(url).content.decode()


def _grow(order, acme_contact, n: int) -> None:
    """n more change requests, share links and timeline entries of the order."""
    from django.contrib.contenttypes.models import ContentType

    from apps.core.models import Activity, ActivityKind, Audience

    for i in range(n):
        ChangeRequest.objects.create(
            order=order,
            customer=order.customer,
            origin=ChangeOrigin.CUSTOMER,
            requested_by=acme_contact,
            number=f"CR-{n}-{i}",
            title=f"Request {i}",
        )
        tracker_link_create(order=order, actor=acme_contact, days=7)
    ct = ContentType.objects.get_for_model(order)
    Activity.objects.bulk_create(
        Activity(
            content_type=ct,
            object_id=str(order.pk),
            actor=acme_contact,
            kind=ActivityKind.EVENT,
            verb="noted",
            text=f"Note {i}",
            audience=Audience.CUSTOMER,
        )
        for i in range(n)
    )


@pytest.mark.parametrize("name", ORDER_SECTIONS)
def test_each_section_makes_the_same_exact_queries_small_and_big(
    client_for, acme_contact, order, django_assert_num_queries, name
):
    from tests.query_counts import queries

    client = client_for(acme_contact)
    url = _section(order, name)
    who = name
    sizes = []
    for n in (1, 12):
        _grow(order, acme_contact, n)
        client.get(url)
        with django_assert_num_queries(queries("customers:order-section", f"acme_contact · {who}")):
            sizes.append(len(client.get(url).content))
    assert sizes[1] > sizes[0]


# -- the quote page ---------------------------------------------------------------

QUOTE_SECTIONS = ("changes", "revisions", "history")


def _quote_section(quote, name: str) -> str:
    return reverse("customers:quote-section", kwargs={"pk": quote.pk, "name": name})


def _quote_page(quote) -> str:
    return reverse("customers:quote-detail", kwargs={"pk": quote.pk})


@pytest.fixture
def revised_and_resent(sent_quote, sales_rep, acme_contact):
    """Sent, revised (quantity 1 -> 3, an internal note), sent again; a change request."""
    from apps.orders.services import quotes as quote_services

    quote = quote_services.quote_revise(quote=sent_quote, actor=sales_rep, comment="More pumps")
    line = quote.lines.get()
    line.quantity = 3
    line.save()
    type(quote).objects.filter(pk=quote.pk).update(internal_notes=INTERNAL_NOTE)
    quote = quote_services.quote_submit(quote=quote, actor=sales_rep)
    quote = quote_services.quote_send(quote=quote, actor=sales_rep)
    ChangeRequest.objects.create(
        quote=quote,
        customer=quote.customer,
        origin=ChangeOrigin.CUSTOMER,
        requested_by=acme_contact,
        number="CR-QUOTE",
        title="Paint it blue",
    )
    return quote


def test_the_quote_page_holds_the_headings_and_htmx_reads_each_section(
    client_for, acme_contact, revised_and_resent
):
    quote = revised_and_resent
    client = client_for(acme_contact)
    html = client.get(_quote_page(quote)).content.decode()
    for name in QUOTE_SECTIONS:
        assert f'hx-get="{_quote_section(quote, name)}"' in html
    assert "Paint it blue" not in html and 'data-testid="revision-history"' not in html
    # The total is every line's, whatever the page shows of them.
    assert f"{quote.total:,.2f}" in html.split('data-testid="quote-total"', 1)[1]

    revisions = client.get(_quote_section(quote, "revisions")).content.decode()
    assert 'data-testid="revision-history"' in revisions and "<ins>3</ins>" in revisions
    changes = client.get(_quote_section(quote, "changes")).content.decode()
    assert 'id="quote-changes"' in changes and "Paint it blue" in changes
    history = client.get(_quote_section(quote, "history")).content.decode()
    assert 'id="quote-timeline"' in history
    for fragment in (revisions, changes, history):
        assert "<html" not in fragment
        assert INTERNAL_NOTE not in fragment and "More pumps" not in fragment
        assert "Unit cost" not in fragment and "Margin" not in fragment

    inline = client.get(_quote_page(quote) + "?sections=all").content.decode()
    assert 'data-testid="section-lazy"' not in inline
    assert "Paint it blue" in inline and 'data-testid="revision-history"' in inline


def test_a_quote_sent_once_has_no_revisions_card(client_for, acme_contact, sent_quote):
    html = client_for(acme_contact).get(_quote_page(sent_quote)).content.decode()
    assert 'id="quote-revisions"' not in html and "Revisions" not in html


def test_a_lines_request_a_change_link_renders_the_form_in_the_page(
    client_for, acme_contact, sent_quote
):
    html = client_for(acme_contact).get(_quote_page(sent_quote) + "?change_line=1").content
    assert b'data-testid="change-request-form"' in html


@pytest.mark.parametrize("name", QUOTE_SECTIONS)
def test_quote_sections_of_another_customer_staff_and_anonymous(
    client_for, client, acme_contact, borealis_contact, sales_rep, sent_quote, name
):
    url = _quote_section(sent_quote, name)
    assert client_for(borealis_contact).get(url).status_code == 404
    assert client_for(sales_rep).get(url).status_code == 404
    client.logout()
    response = client.get(url)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    assert client_for(acme_contact).get(_quote_section(sent_quote, "x")).status_code == 404


@pytest.mark.parametrize("name", QUOTE_SECTIONS)
def test_each_quote_section_makes_the_same_exact_queries_small_and_big(
    client_for, acme_contact, revised_and_resent, django_assert_num_queries, name
):
    from tests.query_counts import queries

    quote = revised_and_resent
    client = client_for(acme_contact)
    url = _quote_section(quote, name)
    count = queries("customers:quote-section", f"acme_contact · {name}")
    client.get(url)
    with django_assert_num_queries(count):
        client.get(url)
    _more_quote_lines(quote, 30)
    for i in range(5):
        ChangeRequest.objects.create(
            quote=quote,
            customer=quote.customer,
            origin=ChangeOrigin.CUSTOMER,
            requested_by=acme_contact,
            number=f"CR-Q{i}",
            title=f"Request {i}",
        )
    with django_assert_num_queries(count):
        assert client.get(url).status_code == 200


def _more_quote_lines(quote, n: int) -> None:
    import uuid

    line = quote.lines.get()
    for i in range(n):
        line.pk = uuid.uuid4()
        line._state.adding = True
        line.position = 100 + i
        line.save()
