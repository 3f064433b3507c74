"""The staff lists' rows as plain values (apps.core.rows): what each row shows, nothing else."""

from __future__ import annotations

from django.utils.translation import get_language

from apps.core.rows import row_presenter

OWNER = ("owner__first_name", "owner__last_name", "owner__username")


def person(user) -> str:
    """A person as the lists name them: the full name, else the username."""
    return user.get_full_name() or user.username


def state_label(obj) -> str:
    """`obj.get_state_display()` from a dict per choices (Django's makes every value
    hashable and rebuilds the field's flat choices: ~45 calls a row)."""
    field = obj._meta.get_field("state")
    key = (field, get_language())  # the labels are translatable
    labels = _LABELS.get(key)
    if labels is None:
        labels = _LABELS[key] = {value: str(label) for value, label in field.flatchoices}
    return labels.get(obj.state, obj.state)


_LABELS: dict = {}


@row_presenter(
    "sales/quote_list.html#row",
    fields=(
        *("number", "revision", "customer__name", "title", "state", "currency"),
        *("total_amount", "feasible_date", "valid_until", *OWNER),
    ),
)
def quote_row(quote) -> dict:
    return {
        "pk": quote.pk,
        "number": quote.number,
        "revision": quote.revision,
        "customer": quote.customer.name,
        "title": quote.title,
        "state": quote.state,
        "state_label": state_label(quote),
        "currency": quote.currency,
        "total": quote.total_amount,
        "feasible": quote.feasible_date,
        "valid_until": quote.valid_until,
        "owner": person(quote.owner),
    }


@row_presenter(
    "sales/order_list.html#row",
    fields=(
        *(
            "number",
            "at_risk_count",
            "customer__name",
            "customer_po",
            "quote__number",
            "quote__state",
        ),
        *("state", "currency", "total", "next_forecast_date", *OWNER),
    ),
)
def order_row(order) -> dict:
    return {
        "pk": order.pk,
        "number": order.number,
        "at_risk_count": order.at_risk_count,
        "customer": order.customer.name,
        "customer_po": order.customer_po,
        "quote_pk": order.quote_id,
        "quote_number": order.quote.number,
        "state": order.state,
        "state_label": state_label(order),
        "currency": order.currency,
        "total": order.total,
        "next_forecast": order.next_forecast_date,
        "owner": person(order.owner),
    }


@row_presenter(
    "sales/inquiry_list.html#row",
    fields=(
        *("number", "company_name", "contact_name", "subject", "state", "source"),
        *("currency", "estimated_value", "created_at", *OWNER),
    ),
)
def inquiry_row(inquiry) -> dict:
    return {
        "pk": inquiry.pk,
        "number": inquiry.number,
        "company_name": inquiry.company_name,
        "contact_name": inquiry.contact_name,
        "subject": inquiry.subject,
        "state": inquiry.state,
        "state_label": inquiry.get_state_display(),
        "source_label": inquiry.get_source_display(),
        "currency": inquiry.currency,
        "estimated_value": inquiry.estimated_value,
        "created_at": inquiry.created_at,
        "owner": person(inquiry.owner) if inquiry.owner_id else None,
    }


@row_presenter(
    "sales/opportunity_list.html#row",
    fields=(
        *("number", "customer__name", "title", "state", "currency", "amount"),
        *("probability", "expected_close_date", *OWNER),
    ),
)
def opportunity_row(opp) -> dict:
    return {
        "pk": opp.pk,
        "number": opp.number,
        "customer": opp.customer.name,
        "title": opp.title,
        "state": opp.state,
        "state_label": opp.get_state_display(),
        "currency": opp.currency,
        "amount": opp.amount,
        "probability": opp.probability,
        "expected_close": opp.expected_close_date,
        "owner": person(opp.owner),
    }


# The at-risk row's release form carries the request's CSRF token, which no cached
# row may hold: the row has this mark instead and `list_rows` puts the token in.
AT_RISK_ROW = "sales/at_risk.html#row"


@row_presenter(
    AT_RISK_ROW,
    fields=(
        *("order__number", "order__state", "order__customer__name"),
        *("order__owner__first_name", "order__owner__last_name", "order__owner__username"),
        *("position", "product_name", "first_promised_date", "forecast_date"),
        *("slip_cause", "customer_forecast_date", "forecast_release_due"),
    ),
)
def at_risk_row(line) -> dict:
    """`line.release_refusal` (for the page's user) and `row_notice`/`row_error` (the
    row's answer to its button) are set by apps.sales.views_promises."""
    from apps.orders.models import SlipCause

    return {
        "pk": line.pk,
        "order_pk": line.order_id,
        "order_number": line.order.number,
        "customer": line.order.customer.name,
        "owner": person(line.order.owner),
        "position": line.position,
        "product_name": line.product_name,
        "first_promised": line.first_promised_date,
        "forecast": line.forecast_date,
        "slip_days": line.slip_days,
        "cause": SlipCause(line.slip_cause).label if line.slip_cause else "",
        "told": line.customer_date == line.forecast_date,
        "release_due": line.forecast_release_due,
        "target": f"#at-risk-{line.pk}",
        "refusal": line.release_refusal,
        "notice": getattr(line, "row_notice", ""),
        "error": getattr(line, "row_error", ""),
    }


@row_presenter("sales/quote_detail.html#line-row")
def quote_line_row(line) -> dict:
    """A line of the staff quote page (costs and margins: staff only)."""
    return {
        "position": line.position,
        "product_name": line.product.name,
        "product_sku": line.product.sku,
        "configuration_text": line.configuration_text,
        "custom_spec": line.custom_spec,
        "critical_path": line.critical_path,
        "quantity": line.quantity,
        "unit_list_price": line.unit_list_price,
        "discount_percent": line.discount_percent,
        "unit_price": line.unit_price,
        "unit_cost": line.unit_cost,
        "margin_percent": line.margin_percent,
        "line_total": line.line_total,
        "feasible_date": line.feasible_date,
    }


@row_presenter("sales/order_detail.html#line-row")
def order_line_row(line) -> dict:
    """A line of the staff order page, without its promise and components (the row
    below it, rendered with the page: its buttons carry the user's form token)."""
    return {
        "position": line.position,
        "product_name": line.product_name,
        "product_sku": line.product_sku,
        "fulfillment_mode_label": line.get_fulfillment_mode_display(),
        "configuration_text": line.configuration_text,
        "critical_path": line.critical_path,
        "quantity": line.quantity,
        "unit_price": line.unit_price,
        "unit_cost": line.unit_cost,
        "line_total": line.line_total,
        "requested_date": line.requested_date,
        "first_promised_date": line.first_promised_date,
        "forecast_date": line.forecast_date,
        "customer_date": line.customer_date,
        "slip_days": line.slip_days,
    }
