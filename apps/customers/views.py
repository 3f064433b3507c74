"""The customer portal, built on the shared portal views in apps.accounts.directory."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from apps.accounts import directory
from apps.accounts.models import OrganizationKind

PORTAL = directory.Portal(
    kind=OrganizationKind.CUSTOMER,
    title="Customer portal",
    dashboard_url="customers:dashboard",
    organization_url="customers:organization",
    dashboard_template="customers/dashboard.html",
)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return directory.portal_dashboard(request, PORTAL)


@login_required
def organization(request: HttpRequest) -> HttpResponse:
    return directory.portal_organization(request, PORTAL)
