"""Dashboard panels: what needs this person's action, per role.

Each app registers panel providers from its AppConfig.ready(); a provider takes
the user and returns a Panel or None (nothing to show for this role). Providers
run their own permission-filtered selectors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from apps.core.selectors import notifications_for


@dataclass
class PanelRow:
    label: str
    url: str = ""
    detail: str = ""
    state: str = ""


@dataclass
class Panel:
    key: str
    title: str
    icon: str
    count: int
    rows: list[PanelRow] = field(default_factory=list)
    empty_text: str = "Nothing waiting for you."
    more_url: str = ""
    order: int = 100


PanelProvider = Callable[..., "Panel | None"]
_PROVIDERS: list[PanelProvider] = []


def register_panel(provider: PanelProvider) -> PanelProvider:
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)
    return provider


def dashboard_panels(user) -> list[Panel]:
    panels = [p for p in (provider(user) for provider in _PROVIDERS) if p is not None]
    return sorted(panels, key=lambda p: (p.order, p.title))


@register_panel
def unread_notifications_panel(user) -> Panel:
    qs = notifications_for(user=user).filter(read_at__isnull=True)
    items = list(qs[:5])
    from django.urls import reverse

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
