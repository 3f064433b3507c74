from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from apps.core import services
from apps.core.dashboards import dashboard_panels
from apps.core.health import run_checks
from apps.core.htmx import render_page
from apps.core.selectors import notifications_for


@login_required
def dashboard(request):
    user = request.user
    if user.is_customer_contact:
        return redirect("customers:dashboard")
    if user.is_supplier_contact:
        return redirect("suppliers:portal-dashboard")
    return render_page(
        request,
        "core/dashboard.html",
        {"panels": dashboard_panels(user)},
        partial="panels",
    )


@login_required
def notification_list(request):
    qs = notifications_for(user=request.user).select_related("activity")
    if request.GET.get("filter") == "unread":
        qs = qs.filter(read_at__isnull=True)
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    return render_page(
        request,
        "core/notification_list.html",
        {"page_obj": page, "filter": request.GET.get("filter", "all")},
        partial="list",
    )


@login_required
@require_POST
def notification_mark_read(request):
    ids = request.POST.getlist("id") or None
    try:
        ids = [int(i) for i in ids] if ids else None
    except ValueError:
        ids = []
    services.notification_mark_read(user=request.user, notification_ids=ids)
    return notification_list(request)


@require_GET
@never_cache
def healthz(request):
    healthy, results = run_checks()
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": results},
        status=200 if healthy else 503,
    )
