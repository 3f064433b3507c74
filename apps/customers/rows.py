"""The portal lists' rows as plain values (apps.core.rows): what the customer's row shows."""

from __future__ import annotations

from apps.core.rows import row_presenter


@row_presenter(
    "customers/quote_list.html#row",
    fields=(
        *("number", "title", "state", "sent_at", "valid_until", "line_count", "currency"),
        # A quote being revised shows its sent version, built with its owner.
        *("total_amount", "owner__first_name", "owner__last_name", "owner__username"),
    ),
)
def quote_row(quote) -> dict:
    # A quote being revised shows its last sent revision (views._show_sent_versions).
    return {
        "pk": quote.pk,
        "number": quote.number,
        "title": quote.title,
        "being_revised": getattr(quote, "being_revised", False),
        "state": quote.state,
        "state_label": quote.get_state_display(),
        "sent_at": quote.sent_at,
        "valid_until": quote.valid_until,
        "line_count": quote.line_count,
        "currency": quote.currency,
        "total": quote.total_amount,
    }


@row_presenter(
    "customers/order_list.html#row",
    fields=(
        *("number", "quote__number", "quote__state", "customer_po", "state", "customer_next_date"),
        *("customer_last_date", "line_count", "currency", "total"),
    ),
)
def order_row(order) -> dict:
    return {
        "pk": order.pk,
        "number": order.number,
        "quote_number": order.quote.number,
        "customer_po": order.customer_po,
        "state": order.state,
        "state_label": order.get_state_display(),
        "next_date": order.customer_next_date,
        "last_date": order.customer_last_date,
        "line_count": order.line_count,
        "currency": order.currency,
        "total": order.total,
    }


@row_presenter("customers/quote_detail.html#line-row")
def quote_line_row(line) -> dict:
    """A line of the portal quote page: customer-facing fields only (a line of the quote,
    or of the last sent revision's snapshot while the quote is being revised)."""
    return {
        "position": line.position,
        "product_name": line.product.name,
        "configuration_text": line.configuration_text,
        "scope_statement": line.scope_statement,
        "quantity": line.quantity,
        "unit_price": line.unit_price,
        "line_total": line.line_total,
        # What the customer was shown at send; a snapshot's line has its feasible date.
        "delivery": getattr(line, "sent_promised_date", None) or line.feasible_date,
    }


@row_presenter("customers/order_detail.html#line-row")
def order_line_row(item) -> dict:
    """A line of the portal order page (`views.LineDates`): the dates the customer was
    told and the released date changes in customer words only."""
    line = item.line
    return {
        "position": line.position,
        "product_name": line.product_name,
        "configuration_text": line.configuration_text,
        "scope_statement": line.scope_statement,
        "quantity": line.quantity,
        "line_total": line.line_total,
        "requested_date": line.requested_date,
        "first_promised_date": line.first_promised_date,
        "customer_date": line.customer_date,
        "customer_forecast_date": line.customer_forecast_date,
        "customer_slip_days": line.customer_slip_days,
        "notes": item.notes,
    }
