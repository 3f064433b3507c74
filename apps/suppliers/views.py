"""Purchasing's supplier directory and the supplier portal, both built on the
shared directory and portal views in apps.accounts.directory."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from apps.accounts import directory
from apps.accounts.models import OrganizationKind
from apps.accounts.roles import Role
from apps.orders.models import Department
from apps.orders.review_inbox import ReviewInbox, inbox_views

SUPPLIERS = directory.Directory(
    kind=OrganizationKind.SUPPLIER,
    title="Suppliers",
    noun="supplier",
    icon="truck",
    list_url="suppliers:supplier-list",
    detail_url="suppliers:supplier-detail",
    invite_url="suppliers:supplier-invite",
    withdraw_url="suppliers:supplier-invitation-withdraw",
    show_credit_limit=False,
    panel_roles=frozenset({Role.BUYER}),
)

PORTAL = directory.Portal(
    kind=OrganizationKind.SUPPLIER,
    title="Supplier portal",
    dashboard_url="suppliers:portal-dashboard",
    organization_url="suppliers:portal-organization",
    dashboard_template="suppliers/portal_dashboard.html",
)


@login_required
def supplier_list(request: HttpRequest) -> HttpResponse:
    return directory.directory_list(request, SUPPLIERS)


@login_required
def supplier_detail(request: HttpRequest, pk) -> HttpResponse:
    return directory.directory_detail(request, SUPPLIERS, pk)


@login_required
def supplier_invite(request: HttpRequest, pk) -> HttpResponse:
    return directory.directory_invite(request, SUPPLIERS, pk)


@login_required
def supplier_invitation_withdraw(request: HttpRequest, pk, invitation_pk) -> HttpResponse:
    return directory.directory_withdraw(request, SUPPLIERS, pk, invitation_pk)


@login_required
def portal_dashboard(request: HttpRequest) -> HttpResponse:
    return directory.portal_dashboard(request, PORTAL)


@login_required
def portal_organization(request: HttpRequest) -> HttpResponse:
    return directory.portal_organization(request, PORTAL)


REVIEW_INBOX = ReviewInbox(
    department=Department.PURCHASING,
    url_name="suppliers:review-inbox",
    decide_url_name="suppliers:review-decide",
    icon="cart-check",
)

review_inbox, review_decide = inbox_views(REVIEW_INBOX)
