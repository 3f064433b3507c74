"""Dashboard panels: what needs this person's action, per role.

Each app registers panel providers from its AppConfig.ready(); a provider takes
the user and returns a Panel or None (nothing to show for this role). Providers
run their own permission-filtered selectors.

Apps also register how to link a timeline target (`register_target_url`), so
"Recent activity" can link to an object without `core` importing the apps
above it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib import admin
from django.db.models import Model, prefetch_related_objects
from django.urls import NoReverseMatch, reverse

from apps.core.models import Activity
from apps.core.permissions import is_internal
from apps.core.roles import Role
from apps.core.selectors import notifications_for


@dataclass
class PanelRow:
    label: str
    url: str = ""
    detail: str = ""
    state: str = ""
    when: datetime | None = None
    value: str = ""  # a figure shown at the right, e.g. a count
    alert: bool = False  # highlighted: overdue, late


@dataclass
class Panel:
    key: str
    title: str
    icon: str
    count: int
    rows: list[PanelRow] = field(default_factory=list)
    empty_text: str = "Nothing waiting for you."
    more_url: str = ""
    more_label: str = "See all"
    order: int = 100
    alert: str = ""  # highlighted next to the count, e.g. "2 overdue"
    # A work queue of the role (reviews, quotes to send): shown instead of the
    # generic recent activity, which only roles without a queue get.
    queue: bool = False


PanelProvider = Callable[..., "Panel | None"]
TargetUrl = Callable[[Model, Any], "str | None"]
_PROVIDERS: list[PanelProvider] = []
_TARGET_URLS: dict[str, list[TargetUrl]] = {}


def register_panel(provider: PanelProvider) -> PanelProvider:
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)
    return provider


def register_target_url(model_label: str, resolver: TargetUrl) -> None:
    """`resolver(obj, user)` returns the page of `obj` for `user`, or None when it is
    not its app's or the user may not open it (no link beats a link to a 404)."""
    resolvers = _TARGET_URLS.setdefault(model_label.lower(), [])
    if resolver not in resolvers:
        resolvers.append(resolver)


def target_url(obj: Model | None, user) -> str:
    if obj is None:
        return ""
    for resolver in _TARGET_URLS.get(obj._meta.label_lower, []):
        url = resolver(obj, user)
        if url:
            return url
    get_url = getattr(obj, "get_absolute_url", None)
    return get_url() if callable(get_url) else ""


def dashboard_panels(user) -> list[Panel]:
    providers = [p for p in _PROVIDERS if p is not recent_activity_panel]
    panels = [p for p in (provider(user) for provider in providers) if p is not None]
    # A role with work queues sees them instead of everyone's recent activity.
    if not any(p.queue for p in panels):
        activity = recent_activity_panel(user)
        if activity is not None:
            panels.append(activity)
    return sorted(panels, key=lambda p: (p.order, p.title))


def role_labels(user) -> list[str]:
    labels = {r.value: r.label for r in Role}
    return sorted(labels[name] for name in user.role_names if name in labels)


@register_panel
def unread_notifications_panel(user) -> Panel:
    qs = notifications_for(user=user).filter(read_at__isnull=True)
    items = list(qs[:5])
    return Panel(
        key="notifications",
        title="Unread notifications",
        icon="bell",
        count=qs.count() if len(items) == 5 else len(items),
        rows=[PanelRow(label=n.title, url=n.url, detail=n.body[:120]) for n in items],
        empty_text="You are all caught up.",
        more_url=reverse("core:notification-list") + "?filter=unread",
        order=10,
    )


@register_panel
def recent_activity_panel(user) -> Panel | None:
    if not is_internal(user) or not user.has_perm("core.view_activity"):
        return None
    entries = list(Activity.objects.select_related("actor", "content_type")[:10])
    # One query per target type, not per entry.
    prefetch_related_objects(entries, "target")
    rows = []
    for entry in entries:
        who = str(entry.actor) if entry.actor else "Tandem"
        what = entry.verb.replace("_", " ")
        target = entry.target
        rows.append(
            PanelRow(
                label=f"{who} · {what}" + (f" · {target}" if target is not None else ""),
                url=target_url(target, user),
                detail=entry.text[:120],
                state=entry.to_state,
                when=entry.created_at,
            )
        )
    return Panel(
        key="activity",
        title="Recent activity",
        icon="clock-history",
        count=len(rows),
        rows=rows,
        empty_text="Nothing has happened yet.",
        order=90,
    )


def url_or_blank(name: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


def admin_changelist_url(model: type[Model]) -> str:
    if not admin.site.is_registered(model):
        return ""
    return url_or_blank(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
