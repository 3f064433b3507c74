"""The review inboxes' cards: plain values (apps.orders.review_inbox._row), each card
rendered once per distinct content (apps.core.rows.render_values, `{% memo_rows %}`).

- what the card shows changes on the next request when the thing changes (a content
  address is never stale): a refused decision's error, then the card without it; a
  product renamed; the margin floor;
- each audience gets its own card (the refusal of staff without the role);
- equal cards are rendered once and their forms carry the page's CSRF token.
"""

from __future__ import annotations

import re
from unittest import mock

import pytest
from django.test import override_settings

from apps.core import prepared, rows
from apps.core.rows import row_cache
from apps.orders import selectors
from apps.orders.models import QuoteLine
from apps.orders.pricing import margin_floor
from tests.orders import test_review_inbox as inbox

# The inbox tests' fixtures: a quote in review that needs all four departments.
controller, four_reviews, _review = inbox.controller, inbox.four_reviews, inbox._review

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_row_cache():
    row_cache.clear()
    yield
    row_cache.clear()


def _card(html: str, review) -> str:
    match = re.search(rf'<article id="review-{review.pk}".*?</article>', html, re.S)
    assert match, review.pk
    return match.group(0)


def test_a_refused_decision_shows_its_error_then_the_card_is_fresh_again(
    client_for, engineer, four_reviews
):
    review = _review(four_reviews, "engineering")
    client = client_for(engineer)
    assert "is-invalid" not in _card(client.get("/engineering/reviews/").content.decode(), review)
    answer = client.post(
        f"/engineering/reviews/{review.pk}/reject/",
        {"comment": "  ", "version": review.version},
        HTTP_HX_REQUEST="true",
    )
    assert answer.status_code == 422
    assert "is-invalid" in _card(answer.content.decode(), review)
    card = _card(client.get("/engineering/reviews/").content.decode(), review)
    assert "is-invalid" not in card and 'data-testid="comment-error"' not in card
    # Approved: the card leaves the inbox at once.
    client.post(f"/engineering/reviews/{review.pk}/approve/", {"version": review.version})
    assert f'id="review-{review.pk}"' not in client.get("/engineering/reviews/").content.decode()


def test_a_changed_product_and_margin_floor_show_on_the_next_request(
    client_for, sales_manager, four_reviews
):
    review = _review(four_reviews, "pricing")
    client = client_for(sales_manager)
    card = _card(client.get("/sales/reviews/").content.decode(), review)
    assert "Margin floor 20 %" in card
    line = four_reviews.lines.get(product__sku="DOSE")
    product = line.product
    assert product.name in card
    product.name = "Dosing system, stainless"
    product.save()  # the catalog's admin edits products
    card = _card(client.get("/sales/reviews/").content.decode(), review)
    assert "Dosing system, stainless" in card
    with override_settings(TANDEM_MARGIN_FLOOR_PERCENT=99):
        card = _card(client.get("/sales/reviews/").content.decode(), review)
    assert "Margin floor 99 %" in card
    assert 'data-testid="below-floor"' in card


def test_each_audience_gets_its_own_card(client_for, engineer, quality, four_reviews):
    review = _review(four_reviews, "engineering")
    mine = _card(client_for(engineer).get("/engineering/reviews/").content.decode(), review)
    theirs = _card(client_for(quality).get("/engineering/reviews/").content.decode(), review)
    assert 'data-testid="review-refusal"' not in mine and " disabled" not in mine
    assert "Only an engineer decides engineering reviews." in theirs
    assert theirs.count(" disabled") >= 4  # the comment box and the three buttons


def test_cards_render_once_and_carry_the_pages_csrf_token(client_for, engineer, four_reviews):
    client = client_for(engineer)
    client.get("/engineering/reviews/")
    with mock.patch.object(rows, "render_row", wraps=rows.render_row) as render:
        html = client.get("/engineering/reviews/").content.decode()
    assert render.call_count == 0
    assert rows.CSRF_PLACEHOLDER not in html
    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html))
    assert len(tokens) == 1 and len(tokens.pop()) == 64


@pytest.mark.parametrize("margins", [False, True])
def test_card_lines_are_the_querys_own_rows_and_a_change_shows(four_reviews, margins):
    """The lines' SQL is compiled once per number of quotes (apps.core.prepared): the
    rows are those the ORM reads, with their types, and a changed line shows on the
    next read (no row is kept, only SQL)."""
    prepared.clear()
    ids = [four_reviews.pk]
    expected = list(selectors._card_lines_query(margins, margin_floor(), ids))
    assert expected and selectors.review_inbox_card_lines(ids, margins=margins) == {
        four_reviews.pk: expected
    }
    again = selectors.review_inbox_card_lines(ids, margins=margins)[four_reviews.pk]
    assert again == expected
    assert [type(v) for v in again[0].values()] == [type(v) for v in expected[0].values()]
    line = four_reviews.lines.order_by("position").first()
    QuoteLine.objects.filter(pk=line.pk).update(quantity=line.quantity + 5)
    lines = selectors.review_inbox_card_lines(ids, margins=margins)[four_reviews.pk]
    assert lines[0]["quantity"] == line.quantity + 5


def test_converted_columns_are_converted_as_the_orm_does(four_reviews):
    """A column with a converter (JSON) reads as the ORM reads it."""

    def configurations(ids):
        return (
            QuoteLine.objects.filter(quote_id__in=ids)
            .order_by("position")
            .values("position", "configuration")
        )

    prepared.clear()
    for _ in range(2):  # compiled, then reused
        rows = prepared.prepared_values(configurations, (), [four_reviews.pk])
        assert rows == list(configurations([four_reviews.pk]))
        assert all(isinstance(row["configuration"], dict) for row in rows)
