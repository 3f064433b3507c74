"""The shareable order tracker: /track/<token>/ without a login.

It shows the order's milestones, the promised and expected date of each line (the
date released to the customer) and nothing else: no prices, documents, names of
people, notes or reasons. Unknown, expired and revoked links, and links of cancelled
orders, answer 404. The page is not cached or indexed and each address may only open
so many per window.
"""

from __future__ import annotations

from axes.helpers import get_client_ip_address
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_safe

from apps.core.ratelimit import rate_limit_hit
from apps.customers.views import order_progress
from apps.orders.services.trackers import tracker_link_open

# Enough for a buyer refreshing the page, too few to walk token space.
LIMIT = 60
WINDOW_SECONDS = 600


def _private(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)  # no-store: a shared computer keeps nothing
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"  # the token never leaves in a Referer
    return response


@require_safe
def order_tracker(request: HttpRequest, token: str) -> HttpResponse:
    ip = get_client_ip_address(request) or "unknown"
    if not rate_limit_hit("order-tracker", ip, limit=LIMIT, window_seconds=WINDOW_SECONDS):
        response = render(request, "customers/tracker_throttled.html", status=429)
        response["Retry-After"] = str(WINDOW_SECONDS)
        return _private(response)
    link = tracker_link_open(token)
    if link is None:
        raise Http404
    order = link.order
    steps = order_progress(order)
    # The dates released to the customer (OrderLine.customer_date), never the
    # internal forecast: the internal one is not even loaded.
    lines = order.lines.order_by("position").only(
        "order_id", "position", "product_name", "first_promised_date", "customer_forecast_date"
    )
    context = {
        "number": order.number,
        "state": order.state,
        "on_hold": order.state == "on_hold",
        "steps": steps,
        "step_count": len(steps),
        "steps_done": sum(1 for s in steps if s.status == "done"),
        "lines": lines,
        "expires_at": link.expires_at,
    }
    return _private(render(request, "customers/tracker.html", context))
