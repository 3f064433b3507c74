from __future__ import annotations

import re

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from apps.core.models import ActivityKind
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


# What people read for a timeline verb (transition names and event verbs).
# Anything not listed reads as its words ("line_added" → "Line added").
_VERB_LABELS = {
    # quotes
    "submit": "Submitted for review",
    "approve": "Approved",
    "send": "Sent to the customer",
    "accept": "Accepted",
    "decline": "Declined",
    "expire": "Expired",
    "revise": "Revised",
    "cancel": "Cancelled",
    "convert": "Converted to an order",
    "review_approved": "Review approved",
    "review_rejected": "Review rejected",
    "review_changes_requested": "Review asks for changes",
    # orders
    "confirm": "Confirmed",
    "start_design": "Design started",
    "plan": "Planned",
    "plan_after_design": "Planned",
    "start_production": "Production started",
    "mark_ready_to_ship": "Ready to ship",
    "ship_partially": "Partially shipped",
    "ship": "Shipped",
    "deliver": "Delivered",
    "close": "Closed",
    "hold": "Put on hold",
    "release": "Released from hold",
    "credit_override": "Credit override approved",
    "design_approved": "Design approved",
    "forecast_moved": "Forecast date moved",
    "forecast_released": "New expected date",
    "updated": "Order data updated",
    "amended": "Amended",
    # change requests
    "start_assessment": "Assessment started",
    "propose": "Proposed",
    "reject": "Rejected",
    "apply": "Applied",
    "change_requested": "Change requested",
    "submitted": "Submitted",
    "assessed": "Assessed",
    # everywhere
    "created": "Created",
    "email_sent": "E-mail sent",
    "request_changes": "Changes requested",
}


@register.filter
def verb_label(verb) -> str:
    """A timeline verb as a person reads it: "start_production" → "Production started"."""
    verb = str(verb or "")
    return _VERB_LABELS.get(verb) or verb.replace("_", " ").strip().capitalize() or "Update"


@register.filter
def state_label(state) -> str:
    """A raw state value as words ("in_production" → "In production")."""
    return str(state or "").replace("_", " ").capitalize()


@register.filter
def revision_label(revision) -> str:
    """Revision numbers count from 0 (the first issue, which needs no label)."""
    try:
        number = int(revision)
    except (TypeError, ValueError):
        return ""
    return f"revision {number}" if number > 0 else ""


@register.simple_tag
def status_badge(state: str, label: str = "") -> str:
    """The state badge; a simple tag, not an inclusion template: lists show one per row
    and a template render per badge cost a list page about a tenth of its time (bench)."""
    state = str(state or "")
    return format_html(
        '<span class="badge text-bg-{} status-badge" data-state="{}">{}</span>\n',
        _STATE_TONES.get(state, "secondary"),
        state,
        label or state_label(state),
    )


@register.simple_tag(takes_context=True)
def list_rows(context, objects, row: str, **shared) -> str:
    """The rows of a list page: through the row's presenter and the content-addressed row
    cache (`apps.core.rows`) when the row template has one, else the template per object
    with the page's context (`obj`). Keyword arguments are values of the page every row
    shows (`currency=quote.currency`): they join each row's values, and so its key."""
    from apps.core.rows import ROW_PRESENTERS, rows_for_request

    if row in ROW_PRESENTERS:
        return rows_for_request(
            context.get("request"), row, objects, shared, token=context.get("csrf_token")
        )
    template = context.template.engine.get_template(row)
    parts = []
    with context.push():
        for obj in objects:
            context["obj"] = obj
            parts.append(template.render(context))
    return mark_safe("".join(parts))  # noqa: S308 - autoescaped template output


@register.simple_tag(takes_context=True)
def memo_rows(context, rows, row: str) -> str:
    """Rows (cards) from values a view already built (plain, `apps.core.rows`), each
    rendered by the template `row` once per distinct content."""
    from apps.core.rows import render_values

    return render_values(row, rows, context.get("csrf_token"))


@register.simple_tag
def memo_row(row: str, obj, **shared) -> str:
    """One row through its presenter and the row cache (`apps.core.rows`): a detail
    page's line whose other parts (forms, per-user buttons) stay in the page's template."""
    from apps.core.rows import render_rows

    return render_rows(row, [obj], shared)


@register.inclusion_tag("core/partials/timeline.html", takes_context=True)
def timeline(context, target, limit: int = 50) -> dict:
    from apps.core.comments import has_thread

    user = context["request"].user
    entries = activities_for(user=user, target=target)
    if has_thread(target):
        # Its comments (and their files) are read in the page's comment thread.
        entries = entries.exclude(kind=ActivityKind.COMMENT)
    return {
        "entries": list(entries[:limit]),
        "target": target,
        # Who may read an entry is staff's business; a customer sees only its own anyway.
        "show_audience": user.is_authenticated and not user.is_external,
    }


@register.inclusion_tag("core/partials/comments.html", takes_context=True)
def comment_thread(context, target) -> dict:
    """The comment thread of `target` with its form, as the user may read and post it.

    On a page it is read on demand: the card shows how many comments the user may read
    and htmx loads the thread (its own URL, the same selectors) when it is scrolled
    into view; the thread, its authors, files and form cost a small document's page
    about a quarter of its time (bench). `?sections=all` renders it in the page."""
    from apps.core.comments import comment_count, thread_kind
    from apps.core.pages import ALL_SECTIONS, all_sections_asked
    from apps.core.views_comments import thread_context

    request = context["request"]
    if all_sections_asked(request):
        return thread_context(request, target)
    user = request.user
    kind = thread_kind(target)
    return {
        "lazy": True,
        "target": target,
        "count": comment_count(user=user, target=target),
        "thread_url": kind.thread_url(target, user),
        # The page's own URL even when a button's answer renders it (a POST's URL).
        "inline_url": f"{kind.page_url(target, user)}?sections={ALL_SECTIONS}#comments",
    }


_MENTION_HTML = re.compile(r"(?<![\w@.])@([\w.+-]*[\w])")


@register.filter
def comment_html(text) -> str:
    """A comment's text, escaped, with line breaks and its @mentions marked."""
    escaped = escape(str(text or ""))
    marked = _MENTION_HTML.sub(r'<span class="mention">@\1</span>', escaped)
    return mark_safe(marked.replace("\n", "<br>"))  # noqa: S308 - escaped above


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
