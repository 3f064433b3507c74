"""Permission-filtered reads of quotes, orders and change requests.

Internal staff with the model's view permission see every row. A customer
contact sees its organization's rows granted through guardian (direct
foreign-key tables), and of quotes only those from `sent` on. The filter is
in the queryset itself, so list endpoints and filters can never return more.
"""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from apps.core.permissions import get_visible_or_404, is_internal, visible_to
from apps.orders.models import (
    QUOTE_CUSTOMER_STATES,
    ChangeOrigin,
    ChangeRequest,
    OrderLine,
    Quote,
    QuoteLine,
    QuoteReview,
    SalesOrder,
)


def quotes_visible_to(user) -> QuerySet[Quote]:
    qs = visible_to(user, Quote.objects.all())
    if not is_internal(user):
        qs = qs.filter(state__in=QUOTE_CUSTOMER_STATES)
    return qs


def quote_list(user) -> QuerySet[Quote]:
    return (
        quotes_visible_to(user)
        .select_related("customer", "owner")
        .annotate(line_count=Count("lines"))
    )


def quote_detail_qs(user) -> QuerySet[Quote]:
    qs = (
        quotes_visible_to(user)
        .select_related("customer", "owner", "contact", "shipping_address", "billing_address")
        .prefetch_related(Prefetch("lines", queryset=QuoteLine.objects.select_related("product")))
    )
    if is_internal(user):
        qs = qs.prefetch_related(
            Prefetch("reviews", queryset=QuoteReview.objects.select_related("decided_by"))
        )
    return qs


def quote_get_for_user(user, pk) -> Quote:
    return get_visible_or_404(user, quote_detail_qs(user), pk=pk)


def reviews_visible_to(user) -> QuerySet[QuoteReview]:
    if not is_internal(user):
        return QuoteReview.objects.none()
    return QuoteReview.objects.filter(quote__in=quotes_visible_to(user)).select_related(
        "quote", "quote__customer"
    )


def orders_visible_to(user) -> QuerySet[SalesOrder]:
    return visible_to(user, SalesOrder.objects.all())


def order_list(user) -> QuerySet[SalesOrder]:
    return (
        orders_visible_to(user)
        .select_related("customer", "owner", "quote")
        .annotate(line_count=Count("lines"))
    )


def order_detail_qs(user) -> QuerySet[SalesOrder]:
    return (
        orders_visible_to(user)
        .select_related("customer", "owner", "contact", "quote")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=OrderLine.objects.prefetch_related("components", "date_changes"),
            )
        )
    )


def order_get_for_user(user, pk) -> SalesOrder:
    return get_visible_or_404(user, order_detail_qs(user), pk=pk)


def change_requests_visible_to(user) -> QuerySet[ChangeRequest]:
    """Staff see every request. A customer contact sees its organization's requests
    whose quote or order it may see itself, and of those raised by staff only the
    ones proposed to it: an internal request stays internal until it is proposed."""
    qs = visible_to(user, ChangeRequest.objects.all())
    if not is_internal(user):
        qs = qs.filter(
            Q(quote__in=quotes_visible_to(user)) | Q(order__in=orders_visible_to(user)),
            Q(origin=ChangeOrigin.CUSTOMER) | Q(proposed_at__isnull=False),
        )
    return qs.select_related("quote", "order", "customer", "requested_by")


def change_request_get_for_user(user, pk) -> ChangeRequest:
    return get_visible_or_404(user, change_requests_visible_to(user), pk=pk)
