from __future__ import annotations

from django import template

from apps.core.selectors import activities_for

register = template.Library()

# Badge colour per state name; states are shared words across the machines.
_STATE_TONES = {
    "draft": "secondary",
    "new": "secondary",
    "pending": "secondary",
    "planned": "secondary",
    "requested": "info",
    "submitted": "info",
    "open": "info",
    "in_review": "info",
    "assessing": "info",
    "qualifying": "info",
    "quoting": "info",
    "sent": "primary",
    "issued": "primary",
    "released": "primary",
    "in_progress": "primary",
    "in_design": "primary",
    "in_production": "primary",
    "proposed": "primary",
    "confirmed": "primary",
    "acknowledged": "primary",
    "approved": "success",
    "accepted": "success",
    "converted": "success",
    "won": "success",
    "passed": "success",
    "completed": "success",
    "delivered": "success",
    "received": "success",
    "paid": "success",
    "closed": "dark",
    "shipped": "success",
    "awarded": "success",
    "ready_to_ship": "success",
    "partially_shipped": "warning",
    "partially_paid": "warning",
    "partially_received": "warning",
    "changes_requested": "warning",
    "customer_review": "warning",
    "internal_review": "warning",
    "rework": "warning",
    "inspection": "warning",
    "on_hold": "warning",
    "overdue": "danger",
    "expired": "danger",
    "rejected": "danger",
    "declined": "danger",
    "failed": "danger",
    "lost": "danger",
    "cancelled": "danger",
    "void": "danger",
    "revoked": "danger",
    "disqualified": "danger",
    "spam": "danger",
    "not_awarded": "secondary",
    "withdrawn": "secondary",
}


@register.inclusion_tag("core/partials/status_badge.html")
def status_badge(state: str, label: str = "") -> dict:
    state = str(state or "")
    return {
        "state": state,
        "label": label or state.replace("_", " ").capitalize(),
        "tone": _STATE_TONES.get(state, "secondary"),
    }


@register.inclusion_tag("core/partials/timeline.html", takes_context=True)
def timeline(context, target, limit: int = 50) -> dict:
    user = context["request"].user
    return {"entries": list(activities_for(user=user, target=target)[:limit]), "target": target}


@register.simple_tag(takes_context=True)
def querystring_page(context, page: int) -> str:
    """The current query string with `page` replaced, so filters survive paging."""
    params = context["request"].GET.copy()
    params["page"] = page
    return "?" + params.urlencode()


@register.filter
def minutes(value) -> int:
    """A timedelta as whole minutes, rounded up (for 'try again in N minutes')."""
    try:
        seconds = value.total_seconds()
    except AttributeError:
        return 0
    return max(1, int(-(-seconds // 60)))
