"""The sections of the staff order and quote pages read on demand (`?section=<name>`).

Below the fold the page shows each section's heading (or each line's expandable row)
and htmx loads the body when it is revealed; `?sections=all` renders them in the page
for a browser without JavaScript. A section is the same region a button's answer
re-renders, read with the same selectors, so it shows a change on the next request.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from django.urls import reverse

from apps.orders.services import orders as order_services
from apps.orders.services.trackers import tracker_link_create
from tests.query_counts import queries

# A form's token is masked anew on every request.
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def _html(response) -> str:
    assert response.status_code == 200
    return CSRF.sub("csrf", response.content.decode())


def _page(order) -> str:
    return reverse("sales:order-detail", args=[order.pk])


def test_the_order_page_shows_the_headings_and_loads_the_sections_when_revealed(
    client_for, order, sales_rep
):
    line = order.lines.first()
    html = client_for(sales_rep).get(_page(order)).content.decode()
    url = _page(order)
    assert f'hx-get="{url}?section=history"' in html and 'id="order-timeline"' in html
    assert f'hx-get="{url}?section=trackers"' in html and "Share progress" in html
    assert f'hx-get="{url}?section=line&amp;line={line.pk}"' in html
    assert 'data-testid="line-details-lazy"' in html
    # Not in the page: what the sections load.
    assert 'data-testid="line-holds"' not in html and 'data-testid="tracker-links"' not in html
    # The links a browser without JavaScript follows.
    assert f'href="{url}?sections=all#order-timeline"' in html
    assert f'href="{url}?sections=all#order-trackers"' in html


def test_without_javascript_every_section_is_in_the_page(client_for, order, sales_rep):
    html = client_for(sales_rep).get(_page(order), {"sections": "all"}).content.decode()
    assert 'data-testid="line-holds"' in html and 'data-testid="slip-history"' in html
    assert 'data-testid="tracker-links"' in html
    assert 'data-testid="section-lazy"' not in html and 'id="timeline-' in html
    assert "?section=" not in html


def test_each_section_is_the_region_the_page_renders_inline(client_for, order, sales_rep):
    client = client_for(sales_rep)
    line = order.lines.first()
    every = _html(client.get(_page(order), {"sections": "all"}))
    for params in ({"section": "history"}, {"section": "trackers"}):
        region = _html(client.get(_page(order), params, HTTP_HX_REQUEST="true"))
        assert "<html" not in region
        assert region.strip() in every, params
    details = client.get(_page(order), {"section": "line", "line": line.pk}).content.decode()
    assert "<html" not in details
    assert 'data-testid="line-holds"' in details and "MTR-55" in details


def test_a_change_through_a_service_shows_in_the_section_on_the_next_request(
    client_for, order, sales_rep, planner
):
    client = client_for(sales_rep)
    assert 'data-link="' not in client.get(_page(order), {"section": "trackers"}).content.decode()
    link, _token = tracker_link_create(order=order, actor=sales_rep, days=30)
    trackers = client.get(_page(order), {"section": "trackers"}).content.decode()
    assert f'data-link="{link.pk}"' in trackers
    history = client.get(_page(order), {"section": "history"}).content.decode()
    assert "tracker" in history.lower()
    line = order.lines.first()
    order_services.order_line_reforecast(
        line=line,
        actor=planner,
        new_date=line.forecast_date + dt.timedelta(days=5),
        reason="Casting late",
    )
    details = client.get(_page(order), {"section": "line", "line": line.pk}).content.decode()
    assert "Casting late" in details and "+5 d" in details


@pytest.mark.parametrize(
    "params",
    [
        {"section": "nothing"},
        {"section": ""},
        {"section": "line"},
        {"section": "line", "line": "not-a-uuid"},
        {"section": "line", "line": str(uuid.uuid4())},
    ],
)
def test_a_section_that_does_not_exist_is_not_found(client_for, order, sales_rep, params):
    assert client_for(sales_rep).get(_page(order), params).status_code == 404


def test_a_line_of_another_document_is_not_found(client_for, order, sales_rep):
    quote_line = order.quote.lines.first()  # a quote line's id is no line of the order
    response = client_for(sales_rep).get(_page(order), {"section": "line", "line": quote_line.pk})
    assert response.status_code == 404


@pytest.mark.parametrize("section", ["history", "trackers", "line"])
def test_a_section_is_staff_only(client, client_for, order, acme_contact, section):
    params = {"section": section, "line": order.lines.first().pk}
    assert client_for(acme_contact).get(_page(order), params).status_code == 404
    client.logout()
    response = client.get(_page(order), params)
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize("section", ["history", "trackers", "line"])
def test_a_section_makes_the_same_exact_queries_for_2_and_20_lines(
    client_for, order, sales_rep, django_assert_num_queries, section
):
    from tests.sales.test_views_order_data import _clone_order_lines

    client = client_for(sales_rep)
    params = {"section": section, "line": order.lines.first().pk}
    client.get(_page(order), params)  # warm-up
    with django_assert_num_queries(
        queries("sales:order-detail", f"sales_rep · ?section={section}")
    ):
        assert client.get(_page(order), params).status_code == 200
    _clone_order_lines(order, 20)
    with django_assert_num_queries(
        queries("sales:order-detail", f"sales_rep · ?section={section}")
    ):
        assert client.get(_page(order), params).status_code == 200


def test_the_quote_page_reads_its_history_when_revealed(client_for, order, sales_rep):
    quote = order.quote
    url = reverse("sales:quote-detail", args=[quote.pk])
    client = client_for(sales_rep)
    html = client.get(url).content.decode()
    assert f'hx-get="{url}?section=history"' in html
    assert f'href="{url}?sections=all#quote-timeline"' in html
    every = client.get(url, {"sections": "all"}).content.decode()
    assert "?section=history" not in every and 'data-testid="section-lazy"' not in every
    region = client.get(url, {"section": "history"}, HTTP_HX_REQUEST="true")
    assert region.status_code == 200 and region.content.decode().strip() in every
    assert client.get(url, {"section": "trackers"}).status_code == 404


def test_the_quote_history_section_makes_a_constant_number_of_queries(
    client_for, order, sales_rep, django_assert_num_queries
):
    url = reverse("sales:quote-detail", args=[order.quote.pk])
    client = client_for(sales_rep)
    client.get(url, {"section": "history"})  # warm-up
    with django_assert_num_queries(queries("sales:quote-detail", "sales_rep · ?section=history")):
        assert client.get(url, {"section": "history"}).status_code == 200
