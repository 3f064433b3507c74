"""Role-aware navigation. Each entry names the roles that see it.

Apps add their entries here as their pages land; url names are strings so
`core` stays free of imports from the apps above it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from apps.accounts.roles import INTERNAL_ROLES, SALES_ROLES, Role


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    icon: str
    roles: frozenset[str]


NAV_ITEMS: list[NavItem] = [
    NavItem("Dashboard", "core:dashboard", "speedometer2", INTERNAL_ROLES),
    NavItem("Quotes", "sales:quote-list", "file-earmark-text", INTERNAL_ROLES),
    NavItem("Orders", "sales:order-list", "box-seam", INTERNAL_ROLES),
    NavItem(
        "Customers",
        "sales:customer-list",
        "buildings",
        SALES_ROLES | {Role.FINANCE, Role.OPS_ADMIN},
    ),
    NavItem(
        "Suppliers", "suppliers:supplier-list", "truck", frozenset({Role.BUYER, Role.OPS_ADMIN})
    ),
    NavItem("My portal", "customers:dashboard", "house", frozenset({Role.CUSTOMER_CONTACT})),
    NavItem(
        "Quotes", "customers:quote-list", "file-earmark-text", frozenset({Role.CUSTOMER_CONTACT})
    ),
    NavItem("Orders", "customers:order-list", "box-seam", frozenset({Role.CUSTOMER_CONTACT})),
    NavItem(
        "Organization", "customers:organization", "building", frozenset({Role.CUSTOMER_CONTACT})
    ),
    NavItem("My portal", "suppliers:portal-dashboard", "house", frozenset({Role.SUPPLIER_CONTACT})),
    NavItem(
        "Organization",
        "suppliers:portal-organization",
        "building",
        frozenset({Role.SUPPLIER_CONTACT}),
    ),
    NavItem("Admin", "admin:index", "gear", frozenset({Role.OPS_ADMIN})),
]


def nav_for(user, current_path: str) -> list[dict]:
    if not user.is_authenticated:
        return []
    roles = user.role_names
    items = []
    for item in NAV_ITEMS:
        if not roles & item.roles and not (user.is_superuser and item.roles & INTERNAL_ROLES):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        if any(existing["url"] == url for existing in items):
            continue
        items.append({"label": item.label, "url": url, "icon": item.icon, "active": False})
    # Only the most specific match is active: /portal/quotes/ is "Quotes", not "My portal".
    matches = [
        i
        for i in items
        if current_path == i["url"] or (i["url"] != "/" and current_path.startswith(i["url"]))
    ]
    if matches:
        max(matches, key=lambda i: len(i["url"]))["active"] = True
    return items
