"""What a quote line would be, computed without writing anything: the builder's preview.

It takes the same paths as the services that save a line, so what the page shows
before saving is what saving stores: the pricing of quote_line_add /
quote_line_update (`_build_line`: price list, quantity break, discount, rolled-up
cost, the quote-total limit), the promise pass of quote_recalculate (every line of
the quote in position order, this one in its place, so earlier lines keep first
claim on stock and capacity) and the review reasons quote_submit derives
(`line_review_reasons`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError

from apps.catalog.models import Product
from apps.orders.models import Department, Quote, QuoteLine
from apps.orders.models.rules import can_sell
from apps.orders.pricing import discount_limit, margin_floor
from apps.orders.promise import LinePromise

# The line services' own pricing step (package-private): the preview must not drift from it.
from apps.orders.services.quotes import _build_line, line_review_reasons, promise_lines


@dataclass(frozen=True)
class LinePreview:
    line: QuoteLine  # unsaved: priced, promised, never written
    promise: LinePromise
    requested_date: dt.date | None  # the line's own, else the quote's
    reviews: list[tuple[str, str]]  # (department label, why) this line would ask for
    discount_limit: Decimal  # the quote owner's, as quote_submit applies it
    margin_floor: Decimal

    @property
    def discount_over_limit(self) -> bool:
        return self.line.discount_percent > self.discount_limit

    @property
    def requested_before_feasible(self) -> bool:
        return bool(self.requested_date and self.requested_date < self.line.feasible_date)

    @property
    def margin(self) -> Decimal:
        return (self.line.unit_price - self.line.unit_cost) * self.line.quantity


def quote_line_preview(
    *,
    quote: Quote,
    actor,
    product: Product,
    quantity: int,
    configuration: dict | None = None,
    discount_percent: Decimal | int | str = 0,
    requested_date: dt.date | None = None,
    custom_spec: str = "",
    line: QuoteLine | None = None,
    today: dt.date | None = None,
) -> LinePreview:
    """The line `line` would become (or a new line), priced and promised; nothing is saved.

    Raises ValidationError with per-field errors, exactly as the saving services do.
    Reads the quote's lines through its prefetch when it has one
    (selectors.quote_get_for_user), so the query count does not grow with them.
    """
    if not can_sell(quote, actor):
        raise PermissionDenied("Only sales may change quotes.")
    if line is None and not product.is_active:
        raise ValidationError({"product": ["This product is no longer sold."]})
    lines = list(quote.lines.all())
    last = max((existing.position for existing in lines), default=0)
    candidate = QuoteLine(
        quote=quote,
        product=product,
        position=line.position if line else last + 10,
        requested_date=requested_date,
        custom_spec=custom_spec,
    )
    if line is not None:
        candidate.pk = line.pk
    _build_line(
        candidate,
        configuration=configuration,
        quantity=quantity,
        discount_percent=discount_percent,
    )
    planned = [candidate if existing.pk == candidate.pk else existing for existing in lines]
    if candidate not in planned:
        planned.append(candidate)  # a new line is promised last, as quote_line_add places it
    result = promise_lines(quote, planned, today=today)
    promise = next(p for p in result.lines if p.key == str(candidate.pk))
    candidate.feasible_date = promise.feasible_date
    candidate.critical_path = promise.critical_path
    candidate.promise_explanation = promise.explanation
    candidate.parts_without_price = bool(promise.parts_without_supplier_price)
    candidate.has_subcontract = bool(promise.subcontracted_parts)
    limit, floor = discount_limit(quote.owner), margin_floor()
    return LinePreview(
        line=candidate,
        promise=promise,
        requested_date=candidate.requested_date or quote.requested_date,
        reviews=[
            (Department(dept).label, why)
            for dept, why in line_review_reasons(candidate, quote, limit=limit, floor=floor)
        ],
        discount_limit=limit,
        margin_floor=floor,
    )
