"""The operations admin's overview panel on the dashboard (registered in AccountsConfig.ready)."""

from __future__ import annotations

from django.db.models import Count
from django.urls import reverse

from apps.accounts import selectors
from apps.accounts.models import Invitation, Organization, User
from apps.accounts.roles import INTERNAL_ROLES, Role
from apps.core.dashboards import Panel, PanelRow, admin_changelist_url, url_or_blank
from apps.core.permissions import is_internal


def ops_overview_panel(user: User) -> Panel | None:
    if not (is_internal(user) and (user.has_role(Role.OPS_ADMIN) or user.is_superuser)):
        return None
    by_kind = dict(
        Organization.objects.filter(is_active=True)
        .values_list("kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    users = User.objects.filter(is_active=True)
    internal_users = users.filter(groups__name__in=INTERNAL_ROLES).distinct().count()
    pending = Invitation.objects.filter(selectors.pending_invitations_q()).count()
    rows = [
        PanelRow(
            label="Customers",
            value=str(by_kind.get("customer", 0)),
            url=url_or_blank("sales:customer-list"),
        ),
        PanelRow(
            label="Suppliers",
            value=str(by_kind.get("supplier", 0)),
            url=url_or_blank("suppliers:supplier-list"),
        ),
        PanelRow(
            label="Internal organizations",
            value=str(by_kind.get("internal", 0)),
            url=admin_changelist_url(Organization),
        ),
        PanelRow(
            label="Active users",
            value=str(users.count()),
            detail=f"{internal_users} internal",
            url=admin_changelist_url(User),
        ),
        PanelRow(
            label="Pending invitations",
            value=str(pending),
            url=admin_changelist_url(Invitation),
        ),
    ]
    return Panel(
        key="overview",
        title="Overview",
        icon="bar-chart",
        count=sum(by_kind.values()),
        rows=rows,
        more_url=reverse("admin:index"),
        more_label="Open the admin",
        order=5,
    )
