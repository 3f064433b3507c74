"""Review inboxes: one per department, each a small composition in its role app.

Engineering, manufacturing, purchasing (apps.suppliers) and pricing (apps.sales)
each declare a `ReviewInbox` and mount `inbox_page` and `inbox_decide` with it;
their dashboards show `inbox_panel(inbox)`. Reads go through apps.orders.selectors,
decisions through `quote_review_decide`, the service the quote page and the API
call too, so the four inboxes and the quote page never disagree about who may
decide what.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.accounts.roles import Role
from apps.catalog.models import FulfillmentMode
from apps.core.dashboards import Panel, PanelRow
from apps.core.htmx import render_page
from apps.core.limits import COMMENT_MAX_LENGTH, VERSION_MAX
from apps.core.lists import COUNT_CAP, PAGE_SIZE, row_url
from apps.core.navigation import NavItem
from apps.core.permissions import is_internal
from apps.core.refusals import REFUSED, service_error
from apps.orders import selectors
from apps.orders.models import Department, QuoteReview
from apps.orders.models.rules import REVIEW_ROLES, holds_review_role, own_review_text
from apps.orders.pricing import margin_floor
from apps.orders.services import quotes as quote_services

TEMPLATE = "orders/review_inbox.html"
PANEL_ROWS = 5

# Button label, Bootstrap tone and icon per decision, in the order they are shown.
DECISIONS = {
    "approve": ("Approve", "success", "check2"),
    "request_changes": ("Request changes", "outline-warning", "pencil"),
    "reject": ("Reject", "outline-danger", "x-lg"),
}


@dataclass(frozen=True)
class ReviewInbox:
    department: str
    url_name: str  # the inbox page
    decide_url_name: str  # POST <review_pk>/<decision>/
    icon: str

    @property
    def label(self) -> str:
        return Department(self.department).label

    @property
    def title(self) -> str:
        return f"{self.label} reviews"

    @property
    def role(self) -> str:
        return REVIEW_ROLES[self.department]

    def nav_item(self, order: int = 15) -> NavItem:
        return NavItem(self.title, self.url_name, self.icon, frozenset({self.role}), order=order)


class DecisionForm(forms.Form):
    comment = forms.CharField(required=False, max_length=COMMENT_MAX_LENGTH)
    version = forms.IntegerField(required=False, min_value=1, max_value=VERSION_MAX)


def _require_staff(user) -> None:
    # Contacts never reach these areas (middleware); this holds wherever it is mounted.
    if not is_internal(user):
        raise Http404


def _refusal(department: str, user, *, number: str, owned: bool, holds_role: bool) -> str:
    """Why `user` may not decide a review of `department` on quote `number` ("" when
    they may): apps.orders.models.rules.can_review, from the card's columns."""
    if holds_role and not owned:
        return ""
    if owned:
        return own_review_text(department, number)
    role = Role(REVIEW_ROLES[department]).label.lower()
    article = "an" if role[0] in "aeiou" else "a"
    return f"Only {article} {role} decides {Department(department).label.lower()} reviews."


def _pricing(inbox: ReviewInbox) -> bool:
    """The pricing inbox shows margins (and ranks below-floor lines first)."""
    return inbox.department == Department.PRICING


def _cards(user, inbox: ReviewInbox, reviews: list[dict], answers: dict | None = None) -> list:
    """The reviews' cards as the plain values they show (apps.core.rows: each card is
    rendered once per distinct content, `{% memo_rows %}`); the user's refusal, the
    department's columns (pricing) and an answer's comment and errors are values too.
    `reviews`: rows of selectors.review_inbox_cards; their lines come in one query."""
    answers = answers or {}
    today = timezone.localdate()
    pricing = _pricing(inbox)
    floor = margin_floor()
    holds_role = holds_review_role(user, inbox.department)
    decide_urls = [
        (name, label, tone, icon, row_url(inbox.decide_url_name, name=name))
        for name, (label, tone, icon) in DECISIONS.items()
    ]
    quote_url = row_url("sales:quote-detail")
    modes = {value: str(label) for value, label in FulfillmentMode.choices}
    lines_of = selectors.review_inbox_card_lines(
        [review["quote_id"] for review in reviews], margins=pricing
    )
    cards = []
    for review in reviews:
        quote_requested = review["quote__requested_date"]
        shown = lines_of[review["quote_id"]]
        lines = []
        for line in shown:
            requested = line["requested_date"] or quote_requested
            feasible = line["feasible_date"]
            margin = line["margin_percent"]
            lines.append(
                {
                    "position": line["position"],
                    "product": line["product__name"],
                    "mode": modes.get(line["product__fulfillment_mode"], ""),
                    "configuration_text": line["configuration_text"],
                    "scope_statement": line["scope_statement"],
                    "custom_spec": line["custom_spec"],
                    "quantity": line["quantity"],
                    "line_total": line["line_total"],
                    "discount_percent": line["discount_percent"] if pricing else None,
                    "margin_percent": margin if pricing else None,
                    "requested": requested,
                    "feasible": feasible,
                    "promise_explanation": line["promise_explanation"],
                    "late": bool(requested and feasible and requested < feasible),
                    "below_floor": pricing and margin < floor,
                }
            )
        pk = review["pk"]
        number = review["quote__number"]
        owner = (
            f"{review['quote__owner__first_name']} {review['quote__owner__last_name']}".strip()
            or review["quote__owner__username"]
        )
        answer = answers.get(pk, {})
        cards.append(
            {
                "pk": pk,
                "version": review["version"],
                "due_date": review["due_date"],
                "quote_url": quote_url(review["quote_id"]),
                "number": number,
                "revision": review["quote__revision"],
                "customer": review["quote__customer__name"],
                "title": review["quote__title"],
                "owner": owner,
                "currency": review["quote__currency"],
                "total": review["quote__total_amount"],
                "requested_date": quote_requested,
                "promised_date": review["quote__promised_date"],
                "feasible_date": review["quote__feasible_date"],
                "critical_path": review["quote__critical_path"],
                "pricing": pricing,
                "margin_floor": floor if pricing else None,
                "lines": tuple(lines),
                "more_lines": (shown[0]["quote_line_total"] - len(shown)) if shown else 0,
                "reasons": tuple(r for r in review["reasons"].splitlines() if r.strip()),
                "overdue": review["due_date"] < today,
                "days_late": (today - review["due_date"]).days,
                "refusal": _refusal(
                    inbox.department,
                    user,
                    number=number,
                    owned=user.pk in (review["quote__owner_id"], review["quote__created_by_id"]),
                    holds_role=holds_role,
                ),
                "decisions": tuple(
                    {"name": name, "label": label, "tone": tone, "icon": icon, "url": url(pk)}
                    for name, label, tone, icon, url in decide_urls
                ),
                "comment": answer.get("comment", ""),
                "error": answer.get("error", ""),
                "comment_error": answer.get("comment_error", ""),
            }
        )
    return cards


class _PageIds:
    """What the paginator slices: a page's review ids (selectors.review_inbox_ids)."""

    def __init__(self, user, department: str) -> None:
        self.user = user
        self.department = department

    def __getitem__(self, page: slice) -> list:
        return selectors.review_inbox_ids(self.user, self.department, page.start, page.stop)


def _context(request: HttpRequest, inbox: ReviewInbox, answers: dict | None = None) -> dict:
    user = request.user
    waiting, overdue = selectors.review_inbox_counts(user, inbox.department)
    # The reviews waiting, just counted, are the pages' rows (not counted twice). A
    # page is its ids (the inbox's index: a deep page skips index entries, not joined
    # rows), the columns their cards show and their lines.
    paginator = Paginator(_PageIds(user, inbox.department), PAGE_SIZE)
    paginator.count = min(waiting, COUNT_CAP)
    paginator.capped = waiting >= COUNT_CAP
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = selectors.review_inbox_cards(list(page.object_list))
    return {
        "inbox": inbox,
        "page_obj": page,
        "rows": _cards(user, inbox, page.object_list, answers),
        "waiting": waiting,
        "overdue": overdue,
        "pricing": _pricing(inbox),
        "margin_floor": margin_floor(),
    }


def inbox_page(request: HttpRequest, inbox: ReviewInbox) -> HttpResponse:
    _require_staff(request.user)
    return render_page(request, TEMPLATE, _context(request, inbox), partial="results")


def _refused(
    request: HttpRequest, inbox: ReviewInbox, review: QuoteReview, status: int, **answer
) -> HttpResponse:
    """The row again with the refusal (htmx), or the page with it."""
    if request.htmx:
        # `review` was read through reviews_visible_to (inbox_decide).
        fresh = selectors.review_inbox_cards([review.pk])
        context = {
            "inbox": inbox,
            "row": _cards(request.user, inbox, fresh, {review.pk: answer})[0],
            "pricing": _pricing(inbox),
            "margin_floor": margin_floor(),
        }
        # htmx swaps only 2xx and 422 answers (base.html): refusals travel as 422.
        return render_page(request, TEMPLATE, context, partial="row", status=422)
    context = _context(request, inbox, {review.pk: answer})
    if not any(row["pk"] == review.pk for row in context["rows"]):
        context["page_error"] = answer.get("error") or answer.get("comment_error", "")
    return render_page(request, TEMPLATE, context, status=status)


def inbox_decide(request: HttpRequest, inbox: ReviewInbox, pk, name: str) -> HttpResponse:
    """Approve, reject or request changes from the inbox; the row leaves the inbox."""
    user = request.user
    _require_staff(user)
    if name not in DECISIONS:
        raise Http404
    review = get_object_or_404(
        selectors.reviews_visible_to(user).filter(department=inbox.department), pk=pk
    )
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _refused(request, inbox, review, 400, error="The comment or version is invalid.")
    comment = form.cleaned_data["comment"].strip()
    try:
        review = quote_services.quote_review_decide(
            review=review,
            actor=user,
            decision=name,
            comment=comment,
            expected_version=form.cleaned_data["version"],
        )
    except REFUSED as exc:
        message, status, _allowed = service_error(exc)
        if isinstance(exc, ValidationError) and "comment" in getattr(exc, "error_dict", {}):
            # A refusal without a comment: the comment box says why, not the page.
            return _refused(
                request,
                inbox,
                review,
                status,
                comment=comment,
                comment_error=" ".join(exc.message_dict["comment"]),
            )
        return _refused(request, inbox, review, status, comment=comment, error=message)
    text = (
        f"{review.get_department_display()} review of {review.quote.number} "
        f"{review.get_state_display().lower()}."
    )
    if not request.htmx:
        messages.success(request, text)
        return redirect(inbox.url_name)
    waiting, overdue = selectors.review_inbox_counts(user, inbox.department)
    # The row is swapped for nothing; the counts and the notice come out of band.
    return render_page(
        request,
        TEMPLATE,
        {"inbox": inbox, "waiting": waiting, "overdue": overdue, "notice": text},
        partial="decided",
    )


def inbox_views(inbox: ReviewInbox):
    """(page view, decide view) for a role app's urls.py."""

    @login_required
    def page(request: HttpRequest) -> HttpResponse:
        return inbox_page(request, inbox)

    @require_POST
    @login_required
    def decide(request: HttpRequest, pk, name: str) -> HttpResponse:
        return inbox_decide(request, inbox, pk, name)

    return page, decide


def inbox_panel(inbox: ReviewInbox):
    """The dashboard queue of the department's people: count, overdue, oldest first."""

    def panel(user) -> Panel | None:
        if not is_internal(user) or not user.has_role(inbox.role):
            return None
        waiting, overdue = selectors.review_inbox_counts(user, inbox.department)
        today = timezone.localdate()
        url = reverse(inbox.url_name)
        rows = []
        for review in selectors.review_inbox(user, inbox.department)[:PANEL_ROWS]:
            late = (today - review.due_date).days
            rows.append(
                PanelRow(
                    label=f"{review.quote.number} · {review.quote.customer.name}",
                    url=f"{url}#review-{review.pk}",
                    detail=review.reasons.splitlines()[0] if review.reasons else "",
                    value=f"{late} d late" if late > 0 else f"due {review.due_date:%b %d}",
                    alert=late > 0,
                )
            )
        return Panel(
            key=f"{inbox.department}-reviews",
            title=inbox.title,
            icon=inbox.icon,
            count=waiting,
            alert=f"{overdue} overdue" if overdue else "",
            rows=rows,
            empty_text=f"No {inbox.label.lower()} review is waiting.",
            more_url=url,
            more_label="Open the inbox",
            order=5,
            queue=True,
        )

    panel.__name__ = f"{inbox.department}_reviews_panel"
    return panel


def register_inbox(inbox: ReviewInbox) -> None:
    """From the role app's AppConfig.ready(): the nav entry and the dashboard queue."""
    from apps.core.dashboards import register_panel
    from apps.core.navigation import register_nav_item

    register_nav_item(inbox.nav_item())
    register_panel(inbox_panel(inbox))
