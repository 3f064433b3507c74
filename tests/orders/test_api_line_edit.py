"""Editing a quote line through the API (`PATCH /api/v1/quotes/<id>/lines/<line>/`):
the answer is the quote as it is now, in a number of queries that does not grow with
the quote's lines (the promise engine re-promises, in one pass, the lines a change can move)."""

from __future__ import annotations

import pytest

from apps.orders.models import QuoteLine


@pytest.mark.parametrize("n", [2, 20])
def test_line_edit_queries_do_not_grow_with_the_lines(
    token_api, sales_rep, make_quote, n, django_assert_num_queries
):
    quote = make_quote(lines=[("skid", 1, {}, 0)] * n)
    line = quote.lines.order_by("position").first()
    api = token_api(sales_rep)
    path = f"/api/v1/quotes/{quote.pk}/lines/{line.pk}/"
    # The same number for 2 and 20 lines: the token with its user and roles (one
    # query), the bare quote (no lines or reviews: the answer reads them fresh) and the
    # line, the service (lock, the lines once, pricing, one promise pass over the
    # lines the change can move, the product structures read once for both, the
    # changed promises in one update, the audit entry) and the answer (quote, lines,
    # reviews). 38 before the lines were read once and the structure shared.
    with django_assert_num_queries(32):
        res = api.patch(path, {"quantity": 2}, format="json")
    assert res.status_code == 200, res.content
    body = res.json()
    assert [row["quantity"] for row in body["lines"]] == [2] + [1] * (n - 1)
    # The answer is what a read gives now: the new version, total and promises.
    assert body == api.get(f"/api/v1/quotes/{quote.pk}/").json()
    stored = QuoteLine.objects.get(pk=line.pk)
    assert stored.quantity == 2 and str(stored.line_total) == body["lines"][0]["line_total"]
