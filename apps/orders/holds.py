"""Which quote or order a ledger hold belongs to, for the supply pages' links.

A booking names its line by key ("quote-line:<uuid>", "order-line:<uuid>"),
since the catalog knows nothing of quotes. The pages above resolve the keys
of the rows they show here: one query, and only documents the viewer may see.
"""

from __future__ import annotations

import uuid

from django.db.models import Value

from apps.core.lists import row_url
from apps.orders.models import OrderLine, QuoteLine
from apps.orders.selectors import orders_visible_to, quotes_visible_to


def hold_documents(user, line_keys) -> dict[str, tuple[str, object]]:
    """line key → ("quote" | "order", document pk) for the documents `user` may see."""
    quote_lines, order_lines = set(), set()
    for key in line_keys:
        kind, _, pk = (key or "").partition(":")
        try:
            uuid.UUID(pk)
        except ValueError:
            continue  # a booking written by a script under another key: no link
        if kind == "quote-line":
            quote_lines.add(pk)
        elif kind == "order-line":
            order_lines.add(pk)
    parts = []
    if quote_lines:
        parts.append(
            QuoteLine.objects.filter(pk__in=quote_lines, quote__in=quotes_visible_to(user))
            .annotate(document=Value("quote"))
            .order_by()
            .values_list("pk", "quote_id", "document")
        )
    if order_lines:
        parts.append(
            OrderLine.objects.filter(pk__in=order_lines, order__in=orders_visible_to(user))
            .annotate(document=Value("order"))
            .order_by()
            .values_list("pk", "order_id", "document")
        )
    if not parts:
        return {}
    # Quote and order lines together: one query (a UNION) however the keys mix.
    rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return {
        f"{document}-line:{line_pk}": (document, document_pk)
        for line_pk, document_pk, document in rows
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
