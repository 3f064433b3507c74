"""Which quote or order a ledger hold belongs to, for the supply pages' links.

A booking names its line by key ("quote-line:<uuid>", "order-line:<uuid>"),
since the catalog knows nothing of quotes. The pages above resolve the keys
of the rows they show here: one query, and only documents the viewer may see.
"""

from __future__ import annotations

import uuid

from django.db.models import F, QuerySet, Value

from apps.core.lists import row_url
from apps.core.permissions import sees_every
from apps.core.prepared import prepared_values
from apps.orders.models import OrderLine, Quote, QuoteLine, SalesOrder
from apps.orders.selectors import orders_visible_to, quotes_visible_to


def _line_documents(quote_lines, order_lines, quotes=None, orders=None) -> QuerySet:
    """(line pk, document pk, "quote" | "order") of the lines: one query (a UNION when
    both kinds are asked). `quotes` / `orders`: the documents the viewer may see (None:
    every one, no filter)."""
    parts = []
    if quote_lines:
        qs = QuoteLine.objects.filter(pk__in=quote_lines)
        if quotes is not None:
            qs = qs.filter(quote__in=quotes)
        parts.append(
            qs.annotate(document=Value("quote"), document_pk=F("quote_id"))
            .order_by()
            .values("pk", "document_pk", "document")
        )
    if order_lines:
        qs = OrderLine.objects.filter(pk__in=order_lines)
        if orders is not None:
            qs = qs.filter(order__in=orders)
        parts.append(
            qs.annotate(document=Value("order"), document_pk=F("order_id"))
            .order_by()
            .values("pk", "document_pk", "document")
        )
    return parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]


def _every_document_query(quote_count: int, lines: list) -> QuerySet:
    return _line_documents(lines[:quote_count], lines[quote_count:])


def hold_documents(user, line_keys) -> dict[str, tuple[str, object]]:
    """line key → ("quote" | "order", document pk) for the documents `user` may see."""
    quote_lines: dict[uuid.UUID, None] = {}
    order_lines: dict[uuid.UUID, None] = {}
    for key in line_keys:
        kind, _, pk = (key or "").partition(":")
        try:
            line = uuid.UUID(pk)
        except ValueError:
            continue  # a booking written by a script under another key: no link
        if kind == "quote-line":
            quote_lines[line] = None
        elif kind == "order-line":
            order_lines[line] = None
    if not (quote_lines or order_lines):
        return {}
    if (
        sees_every(user, Quote)
        and sees_every(user, SalesOrder)
        and not quote_lines.keys() & order_lines.keys()
    ):
        # Staff who see every quote and order (the ledger pages' readers): the same SQL
        # for all of them, compiled once per number of lines (apps.core.prepared).
        lines = [*quote_lines, *order_lines]
        rows = prepared_values(_every_document_query, (len(quote_lines),), lines)
    else:
        rows = _line_documents(
            list(quote_lines), list(order_lines), quotes_visible_to(user), orders_visible_to(user)
        )
    return {
        f"{row['document']}-line:{row['pk']}": (row["document"], row["document_pk"]) for row in rows
    }


# The staff pages of the documents (their URL names; orders imports no role app).
DOCUMENT_PAGES = {"quote": "sales:quote-detail", "order": "sales:order-detail"}


def hold_links(user, line_keys) -> dict[str, str]:
    """line key → the staff page of its quote or order, for the documents `user` may see
    (each page's URL reversed once, not once per row)."""
    urls: dict[str, object] = {}
    out = {}
    for key, (kind, pk) in hold_documents(user, line_keys).items():
        if kind not in urls:
            urls[kind] = row_url(DOCUMENT_PAGES[kind])
        out[key] = urls[kind](pk)
    return out
