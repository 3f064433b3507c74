"""Role-aware navigation. Each entry names the roles that see it.

The app that owns a page registers its entry from its AppConfig.ready()
(`register_nav_item`), so `core` knows no app above it; url names are strings
and entries whose url does not resolve are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from apps.core.roles import INTERNAL_ROLES, Role


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    icon: str
    roles: frozenset[str]
    # Position in the bar; entries with the same order keep registration order.
    order: int = 50


NAV_ITEMS: list[NavItem] = []


def register_nav_item(item: NavItem) -> NavItem:
    if item not in NAV_ITEMS:
        NAV_ITEMS.append(item)
        NAV_ITEMS.sort(key=lambda i: i.order)  # stable: ties keep registration order
    return item


register_nav_item(NavItem("Dashboard", "core:dashboard", "speedometer2", INTERNAL_ROLES, order=0))
register_nav_item(NavItem("Admin", "admin:index", "gear", frozenset({Role.OPS_ADMIN}), order=100))


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
