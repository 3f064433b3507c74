"""Staff pages for quotes: the list, the detail with its workflow, and the review desk.

Reads go through apps.orders.selectors; every button calls the same service the
API calls (QUOTE_TRANSITIONS, quote_review_decide), so the page and the API
never disagree about who may do what. External users get 404 here even though
the middleware already keeps them out of /sales/.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.accounts.models import Organization, OrganizationKind
from apps.core.concurrency import StaleObjectError
from apps.core.htmx import hx_redirect, render_page
from apps.core.limits import COMMENT_MAX_LENGTH, VERSION_MAX
from apps.core.permissions import is_internal
from apps.core.transitions import TransitionError, available_transitions
from apps.orders import selectors
from apps.orders.api.views import QUOTE_TRANSITIONS
from apps.orders.models import Quote, QuoteState, ReviewState, SalesOrder
from apps.orders.models.rules import REVIEW_ROLES, own_quote_review_refusal
from apps.orders.services import quotes as quote_services

PAGE_SIZE = 25
REVIEW_DECISIONS = ("approve", "request_changes", "reject")

# Button label and Bootstrap tone per transition, in the order they are shown.
QUOTE_ACTIONS = {
    "submit": ("Submit for review", "primary", "send"),
    "approve": ("Approve", "success", "check2-circle"),
    "send": ("Send to customer", "primary", "envelope"),
    "accept": ("Record acceptance", "success", "hand-thumbs-up"),
    "decline": ("Record decline", "outline-danger", "hand-thumbs-down"),
    "convert": ("Convert to order", "success", "box-seam"),
    "revise": ("Revise", "outline-secondary", "arrow-counterclockwise"),
    "cancel": ("Cancel quote", "outline-danger", "x-circle"),
}


def has_role(user, role: str) -> bool:
    return is_internal(user) and user.has_role(role)


def require_staff(user) -> None:
    # The middleware already answers 404 to contacts under /sales/; this holds
    # even if a route is mounted elsewhere.
    if not is_internal(user):
        raise Http404


# --- shared form and error handling -----------------------------------------------


class TransitionForm(forms.Form):
    comment = forms.CharField(required=False, max_length=COMMENT_MAX_LENGTH)
    version = forms.IntegerField(required=False, min_value=1, max_value=VERSION_MAX)


def service_error(exc: Exception) -> tuple[str, int, list[str]]:
    """(message, HTTP status, allowed transitions) for a refused service call."""
    if isinstance(exc, TransitionError):
        return exc.message, exc.status, exc.allowed
    if isinstance(exc, StaleObjectError):
        return str(exc), 409, []
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            text = " ".join(m for msgs in exc.message_dict.values() for m in msgs)
        else:
            text = " ".join(exc.messages)
        return text, 400, []
    if isinstance(exc, PermissionDenied):
        return str(exc) or "You may not do this.", 403, []
    raise exc


def styled_filter_form(filterset: django_filters.FilterSet) -> None:
    for name, form_field in filterset.form.fields.items():
        widget = form_field.widget
        if isinstance(widget, forms.SelectMultiple):
            css = "form-select"
            widget.attrs.setdefault("size", 3)
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs.setdefault("class", f"{css} {css}-sm")
        widget.attrs.setdefault("id", f"filter-{name}")


class StableOrderingFilter(django_filters.OrderingFilter):
    def filter(self, qs, value):
        qs = super().filter(qs, value)
        if value:
            # Sort keys are not unique: the primary key keeps pages from overlapping.
            qs = qs.order_by(*qs.query.order_by, "pk")
        return qs


def customer_choices() -> QuerySet[Organization]:
    return Organization.objects.filter(kind=OrganizationKind.CUSTOMER).order_by("name")


# --- list ---------------------------------------------------------------------------


class QuoteListFilter(django_filters.FilterSet):
    """Every key a visitor may send; anything else in the query string is ignored."""

    q = django_filters.CharFilter(
        method="filter_q",
        label="Search",
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Number or title", "autocomplete": "off"}
        ),
    )
    state = django_filters.MultipleChoiceFilter(choices=QuoteState.choices, label="State")
    customer = django_filters.ModelChoiceFilter(
        queryset=customer_choices(), label="Customer", empty_label="Any customer"
    )
    ordering = StableOrderingFilter(
        label="Sort by",
        fields=(
            ("number", "number"),
            ("created_at", "created"),
            ("valid_until", "valid_until"),
            ("amount", "total"),
        ),
        field_labels={
            "number": "Number",
            "created_at": "Created",
            "valid_until": "Valid until",
            "amount": "Total",
        },
        empty_label="Newest first",
    )

    class Meta:
        model = Quote
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        styled_filter_form(self)

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(number__icontains=value) | Q(title__icontains=value))


def quotes_with_totals(user) -> QuerySet[Quote]:
    # Quote.total sums prefetched lines; the list needs it in the same query.
    # Explicit order: Meta.ordering is not applied to GROUP BY queries.
    return (
        selectors.quote_list(user)
        .annotate(amount=Sum("lines__line_total"))
        .order_by("-created_at", "pk")
    )


@login_required
def quote_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    require_staff(user)
    filterset = QuoteListFilter(request.GET or None, queryset=quotes_with_totals(user))
    # Invalid values (a made-up sort key) are dropped by the form; the rest still apply.
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    filtered = filterset.is_bound and any(
        filterset.form.cleaned_data.get(k) for k in ("q", "state", "customer")
    )
    return render_page(
        request,
        "sales/quote_list.html",
        {"filter": filterset, "page_obj": page, "filtered": filtered},
        partial="results",
    )


# --- detail -------------------------------------------------------------------------


def _action_buttons(names: list[str]) -> list[dict]:
    return [
        {"name": name, "label": label, "tone": tone, "icon": icon}
        for name, (label, tone, icon) in QUOTE_ACTIONS.items()
        if name in names
    ]


def _quote_context(
    request: HttpRequest,
    quote: Quote,
    *,
    error: str = "",
    error_allowed: list[str] | None = None,
    notice: str = "",
) -> dict:
    user = request.user
    allowed = available_transitions(quote, user)
    reviews = []
    for review in quote.reviews.all():
        if review.revision != quote.revision:
            continue
        # review.quote is this quote: available_transitions checks quote_in_review.
        review.quote = quote
        decisions = [d for d in available_transitions(review, user) if d in REVIEW_DECISIONS]
        # A reviewer whose own quote this is sees the buttons disabled, with the reason.
        refusal = ""
        if not decisions and review.state == ReviewState.REQUESTED and review.quote_in_review():
            refusal = (
                own_quote_review_refusal(review, user)
                if has_role(user, REVIEW_ROLES[review.department])
                else ""
            )
        reviews.append({"review": review, "decisions": decisions, "refusal": refusal})
    order = None
    if quote.state == QuoteState.CONVERTED:
        order = selectors.orders_visible_to(user).filter(quote=quote).only("pk", "number").first()
    return {
        "quote": quote,
        "lines": list(quote.lines.all()),
        "reviews": reviews,
        "actions": _action_buttons(allowed),
        "allowed": allowed,
        "error": error,
        "error_allowed": error_allowed or [],
        "notice": notice,
        "order": order,
        "review_open": quote.state == QuoteState.IN_REVIEW,
        "copy": _copy_button(quote, user),
        "review_requested": ReviewState.REQUESTED,
        **_change_section(request, quote),
    }


def _change_section(request: HttpRequest, quote: Quote) -> dict:
    # views_changes imports this module's helpers: import it when first needed.
    from apps.sales.views_changes import change_section

    return change_section(request, quote)


def _copy_button(quote: Quote, user) -> dict | None:
    """ "Copy as new quote" for expired and declined quotes; disabled, with why, for non-sales."""
    if quote.state not in quote_services.COPYABLE_STATES:
        return None
    return {"refusal": quote_services.quote_copy_refusal(quote, user)}


@login_required
def quote_detail(request: HttpRequest, pk) -> HttpResponse:
    require_staff(request.user)
    quote = selectors.quote_get_for_user(request.user, pk)
    return render_page(
        request, "sales/quote_detail.html", _quote_context(request, quote), partial="workflow"
    )


def _quote_answer(request: HttpRequest, pk, *, status: int = 200, **kw) -> HttpResponse:
    quote = selectors.quote_get_for_user(request.user, pk)
    context = _quote_context(request, quote, **kw)
    if request.htmx:
        # htmx swaps only 2xx and 422 answers (base.html): refusals travel as 422.
        return render_page(
            request,
            "sales/quote_detail.html",
            context,
            partial="workflow-and-timeline",
            status=422 if status >= 400 else status,
        )
    return render_page(request, "sales/quote_detail.html", context, status=status)


@require_POST
@login_required
def quote_transition(request: HttpRequest, pk, name: str) -> HttpResponse:
    user = request.user
    require_staff(user)
    quote = selectors.quote_get_for_user(user, pk)
    service = QUOTE_TRANSITIONS.get(name)
    if service is None:
        raise Http404
    form = TransitionForm(request.POST)
    if not form.is_valid():
        return _quote_answer(request, pk, status=400, error="The comment or version is invalid.")
    try:
        result = service(
            quote=quote,
            actor=user,
            comment=form.cleaned_data["comment"].strip(),
            expected_version=form.cleaned_data["version"],
        )
    except (TransitionError, StaleObjectError, ValidationError, PermissionDenied) as exc:
        message, status, allowed = service_error(exc)
        return _quote_answer(request, pk, status=status, error=message, error_allowed=allowed)
    if isinstance(result, SalesOrder):
        url = reverse("sales:order-detail", args=[result.pk])
        messages.success(request, f"{quote.number} became order {result.number}.")
        return hx_redirect(url) if request.htmx else redirect(url)
    notice = f"{quote.number}: {QUOTE_ACTIONS.get(name, (name,))[0].lower()} done."
    if not request.htmx:
        messages.success(request, notice)
        return redirect("sales:quote-detail", pk=quote.pk)
    return _quote_answer(request, pk, notice=notice)


@require_POST
@login_required
def quote_review_transition(request: HttpRequest, pk, review_pk, name: str) -> HttpResponse:
    user = request.user
    require_staff(user)
    quote = selectors.quote_get_for_user(user, pk)
    if name not in REVIEW_DECISIONS:
        raise Http404
    review = get_object_or_404(quote.reviews.all(), pk=review_pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        return _quote_answer(request, pk, status=400, error="The comment or version is invalid.")
    try:
        review = quote_services.quote_review_decide(
            review=review,
            actor=user,
            decision=name,
            comment=form.cleaned_data["comment"].strip(),
            expected_version=form.cleaned_data["version"],
        )
    except (TransitionError, StaleObjectError, ValidationError, PermissionDenied) as exc:
        message, status, allowed = service_error(exc)
        return _quote_answer(request, pk, status=status, error=message, error_allowed=allowed)
    notice = (
        f"{review.get_department_display()} review "
        f"{review.get_state_display().lower()} on {quote.number}."
    )
    if not request.htmx:
        messages.success(request, notice)
        return redirect("sales:quote-detail", pk=quote.pk)
    return _quote_answer(request, pk, notice=notice)


@require_POST
@login_required
def quote_copy(request: HttpRequest, pk) -> HttpResponse:
    """Copy an expired or declined quote as a new draft and open it."""
    user = request.user
    require_staff(user)
    quote = selectors.quote_get_for_user(user, pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        return _quote_answer(request, pk, status=400, error="The comment is invalid.")
    try:
        copy = quote_services.quote_copy(
            quote=quote, actor=user, comment=form.cleaned_data["comment"].strip()
        )
    except (TransitionError, ValidationError, PermissionDenied) as exc:
        message, status, allowed = service_error(exc)
        return _quote_answer(request, pk, status=status, error=message, error_allowed=allowed)
    url = reverse("sales:quote-detail", args=[copy.pk])
    messages.success(request, f"{quote.number} copied as new quote {copy.number}.")
    return hx_redirect(url) if request.htmx else redirect(url)
