"""Role-aware navigation. Each entry names the roles that see it.

The app that owns a page registers its entry from its AppConfig.ready()
(`register_nav_item`), so `core` knows no app above it; url names are strings
and entries whose url does not resolve are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

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


# (label, url, icon) of the entries a set of roles sees.
NavEntries = tuple[tuple[str, str, str], ...]


@lru_cache(maxsize=256)
def _entries(
    roles: frozenset[str], superuser: bool, _prefix: str, _urlconf: str | None
) -> NavEntries:
    """The bar of these roles: it depends on nothing else (and on the URLs, whose
    prefix and urlconf are in the key). A handful of role sets: reversing the
    entries' URLs on every page was most of the navbar's cost."""
    entries: list[tuple[str, str, str]] = []
    for item in NAV_ITEMS:
        if not roles & item.roles and not (superuser and item.roles & INTERNAL_ROLES):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        if any(existing[1] == url for existing in entries):
            continue
        entries.append((item.label, url, item.icon))
    return tuple(entries)


def register_nav_item(item: NavItem) -> NavItem:
    if item not in NAV_ITEMS:
        NAV_ITEMS.append(item)
        NAV_ITEMS.sort(key=lambda i: i.order)  # stable: ties keep registration order
        _entries.cache_clear()
    return item


register_nav_item(NavItem("Dashboard", "core:dashboard", "speedometer2", INTERNAL_ROLES, order=0))
register_nav_item(NavItem("Admin", "admin:index", "gear", frozenset({Role.OPS_ADMIN}), order=100))


def nav_entries(user) -> NavEntries:
    if not user.is_authenticated:
        return ()
    return _entries(
        user.role_names,
        user.is_superuser,
        get_script_prefix(),
        get_urlconf() or settings.ROOT_URLCONF,
    )


def _active(entries: NavEntries, current_path: str) -> int | None:
    """Only the most specific match is active: /portal/quotes/ is "Quotes", not "My portal"."""
    best = None
    for index, (_label, url, _icon) in enumerate(entries):
        matches = current_path == url or (url != "/" and current_path.startswith(url))
        if matches and (best is None or len(url) > len(entries[best][1])):
            best = index
    return best


def nav_key(user, current_path: str) -> tuple[NavEntries, int | None]:
    """Everything the navbar's entries show: the entries and which one is active."""
    entries = nav_entries(user)
    return entries, _active(entries, current_path)


def nav_for(user, current_path: str) -> list[dict]:
    entries, active = nav_key(user, current_path)
    return [
        {"label": label, "url": url, "icon": icon, "active": index == active}
        for index, (label, url, icon) in enumerate(entries)
    ]
