from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from apps.core import services
from apps.core.dashboards import dashboard_panels, role_labels
from apps.core.health import run_checks
from apps.core.htmx import render_page
from apps.core.selectors import notifications_for

NOTIFICATIONS_PER_PAGE = 25
_NOTIFICATION_FILTERS = ("all", "unread")


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.is_customer_contact:
        return redirect("customers:dashboard")
    if user.is_supplier_contact:
        return redirect("suppliers:portal-dashboard")
    return render_page(
        request,
        "core/dashboard.html",
        {"panels": dashboard_panels(user), "role_labels": role_labels(user)},
        partial="panels",
    )


def _notification_context(request: HttpRequest) -> dict:
    current = request.GET.get("filter", "all")
    if current not in _NOTIFICATION_FILTERS:
        current = "all"
    qs = notifications_for(user=request.user)
    if current == "unread":
        qs = qs.filter(read_at__isnull=True)
    page = Paginator(qs, NOTIFICATIONS_PER_PAGE).get_page(request.GET.get("page"))
    return {"page_obj": page, "filter": current, "filters": _NOTIFICATION_FILTERS}


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    return render_page(
        request, "core/notification_list.html", _notification_context(request), partial="list"
    )


@login_required
@require_POST
def notification_mark_read(request: HttpRequest) -> HttpResponse:
    raw = request.POST.getlist("id")
    try:
        ids = [int(i) for i in raw] if raw else None
    except ValueError:
        # A malformed id marks nothing rather than everything.
        ids = []
    services.notification_mark_read(user=request.user, notification_ids=ids)
    if not request.htmx:
        query = request.GET.urlencode()
        return redirect(reverse("core:notification-list") + (f"?{query}" if query else ""))
    # The list again (filters and page come along in the query string) plus the
    # navbar badge swapped out of band, so the unread count never goes stale.
    return render_page(
        request,
        "core/notification_list.html",
        _notification_context(request),
        partial="list-and-badge",
    )


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    healthy, results = run_checks()
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": results},
        status=200 if healthy else 503,
    )
