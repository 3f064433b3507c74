"""Staff pages for quotes: the list, the detail with its workflow, and the review desk.

Reads go through apps.orders.selectors; every button calls the same service the
API calls (QUOTE_TRANSITIONS, quote_review_decide), so the page and the API
never disagree about who may do what. External users get 404 here even though
the middleware already keeps them out of /sales/.
"""

from __future__ import annotations

import copy
import functools
from decimal import Decimal

import django_filters
from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.accounts.models import Organization, OrganizationKind
from apps.accounts.selectors import organizations_visible_to
from apps.core.htmx import render_page
from apps.core.lists import list_page, stable_ordering
from apps.core.pages import (
    LINES_SHOWN,
    LineWindow,
    all_lines_asked,
    detail_partial,
    line_window,
    section_asked,
    sections_url,
)
from apps.core.permissions import is_internal
from apps.core.rows import row_query
from apps.core.templatetags.tandem import verb_label
from apps.core.views_comments import thread_view
from apps.core.widgets import LookupSelect, RemembersChosen
from apps.orders import selectors
from apps.orders.models import (
    QUOTE_EDITABLE_STATES,
    Department,
    Quote,
    QuoteLine,
    QuoteState,
    ReviewState,
    SalesOrder,
)
from apps.orders.models.rules import REVIEW_ROLES, can_sell, own_quote_review_refusal
from apps.orders.services import quotes as quote_services
from apps.orders.transitions import QUOTE_TRANSITIONS, REVIEW_DECISIONS
from apps.sales.views_changes import change_section
from apps.sales.views_common import (
    Action,
    DetailPage,
    require_staff,
    transition_post,
    workflow_actions,
)
from apps.sales.views_helpers import number_sorted

PAGE_SIZE = 25

# Button label, Bootstrap tone and icon per transition, in the order they are shown.
QUOTE_ACTIONS = {
    "submit": Action("Submit for review", "primary", "send"),
    "approve": Action("Approve", "success", "check2-circle"),
    "send": Action("Send to customer", "primary", "envelope"),
    "accept": Action("Record acceptance", "success", "hand-thumbs-up"),
    "decline": Action("Record decline", "outline-danger", "hand-thumbs-down"),
    "convert": Action("Convert to order", "success", "box-seam"),
    "revise": Action("Revise", "outline-secondary", "arrow-counterclockwise"),
    "cancel": Action("Cancel quote", "outline-danger", "x-circle"),
}
# What the customer reads on its timeline (the services record these for the customer).
CUSTOMER_STEPS = frozenset({"send", "accept", "decline", "convert"})
REVIEW_ACTIONS = {
    "approve": Action("Approve", "success", "check2"),
    "request_changes": Action("Request changes", "outline-warning", "pencil"),
    "reject": Action("Reject", "outline-danger", "x-lg"),
}


def quote_steps_customer_sees(quote) -> frozenset[str]:
    """The quote's steps that are on the customer's timeline (its comment may be shown)."""
    return CUSTOMER_STEPS | ({"cancel"} if quote.state == QuoteState.SENT else set())


def has_role(user, role: str) -> bool:
    return is_internal(user) and user.has_role(role)


def styled_filter_form(filterset: django_filters.FilterSet) -> None:
    _style_fields(filterset.form.fields)


def _style_fields(fields: dict[str, forms.Field]) -> None:
    for name, form_field in fields.items():
        widget = form_field.widget
        if isinstance(widget, forms.SelectMultiple):
            css = "form-select"
            widget.attrs.setdefault("size", 3)
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        # list-filter: the form reloads the results when one of these changes.
        widget.attrs.setdefault("class", f"{css} {css}-sm list-filter")
        widget.attrs.setdefault("id", f"filter-{name}")


class ListFilterSet(django_filters.FilterSet):
    """A staff list's filter bar (styled as `styled_filter_form` does), made per request
    without django-filter's deep copy of every filter and new form class: the form
    class, its fields styled, is made once per FilterSet class, and a request's filters
    are shallow copies that know their filterset (a `method` filter calls it). Nothing
    a request changes is shared: the form still deep-copies its fields (a
    RemembersChosen field's `chosen` is this request's), and a filter keeps no state.
    The two deep copies were 1,700 of the order list's 24,600 calls."""

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = {}
        for name, base in self.base_filters.items():
            filter_ = copy.copy(base)
            filter_.model = queryset.model
            filter_.parent = self
            if base.method is not None:
                filter_.method = base.method  # its FilterMethod calls this filterset
            self.filters[name] = filter_

    def get_form_class(self) -> type[forms.Form]:
        return _list_form_class(type(self))

    def bar_options(self) -> tuple:
        """What the bar shows that this request read rather than its form class: the
        options of a field whose choices are read per request (the at-risk page's
        reps). A filterset that sets such choices returns them here."""
        return ()

    @property
    def bar_key(self) -> tuple | None:
        """Everything the filter bar (`core/partials/list_filters.html`) shows that is
        not a constant of its form class: each field's value as sent (its errors and
        `aria-invalid` follow from it) and the name of a chosen row; the bar is memoised
        on it. None, and no memo, when a sent value names a row the form did not read
        (the widget reads it again). (2,300 of the order list's 23,000 calls.)"""
        form = self.form
        key: list = [type(self), form.is_bound, self.bar_options()]
        for name, field in form.fields.items():
            value = form[name].value()
            key.append(tuple(value) if isinstance(value, list) else value)
            if isinstance(field, RemembersChosen):
                if field.chosen is None and value not in (None, ""):
                    return None
                key.append(None if field.chosen is None else (field.chosen.pk, str(field.chosen)))
        return tuple(key)


@functools.cache
def _list_form_class(filterset_class: type[ListFilterSet]) -> type[forms.Form]:
    fields = {name: f.field for name, f in filterset_class.base_filters.items()}
    form_class = type(f"{filterset_class.__name__}Form", (filterset_class._meta.form,), fields)
    _style_fields(form_class.base_fields)
    return form_class


class StableOrderingFilter(django_filters.OrderingFilter):
    def filter(self, qs, value):
        qs = super().filter(qs, value)
        if value:
            # Sort keys are not unique: the primary key keeps pages from overlapping.
            qs = qs.order_by(*stable_ordering(qs.query.order_by))
        return qs


def customer_choices() -> QuerySet[Organization]:
    return Organization.objects.filter(kind=OrganizationKind.CUSTOMER).order_by("name")


# Customers grow with the business: the filter finds them over htmx instead of
# rendering one <option> per customer.
CUSTOMER_WIDGET = LookupSelect("sales:customer-lookup", placeholder="Find a customer")


class _CustomerField(RemembersChosen, django_filters.fields.ModelChoiceField):
    pass


class CustomerFilter(django_filters.ModelChoiceFilter):
    """A list's customer filter: found over htmx, the chosen customer read once
    (validated, then shown from the same row)."""

    field_class = _CustomerField

    def __init__(self, **kwargs):
        kwargs = {
            "queryset": customer_choices(),
            "label": "Customer",
            "empty_label": "Any customer",
            "widget": CUSTOMER_WIDGET,
            **kwargs,
        }
        super().__init__(**kwargs)


LOOKUP_LIMIT = 20


@login_required
def customer_lookup(request: HttpRequest) -> HttpResponse:
    """<option>s of the customers whose name or code contains ?q= (the filters' search box)."""
    user = request.user
    require_staff(user)
    query = request.GET.get("q", "").strip()[:100]
    qs = organizations_visible_to(user).filter(kind=OrganizationKind.CUSTOMER)
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(code__icontains=query))
    options = qs.order_by("name").values_list("pk", "name")[:LOOKUP_LIMIT]
    return render(
        request,
        "core/widgets/lookup_options.html",
        {
            "options": options,
            "query": query,
            # A filter may match any customer; a new quote must name one (?required=1).
            "empty_label": "Choose a customer" if request.GET.get("required") else "Any customer",
        },
    )


# --- list ---------------------------------------------------------------------------


class QuoteListFilter(ListFilterSet):
    """Every key a visitor may send; anything else in the query string is ignored."""

    q = django_filters.CharFilter(
        method="filter_q",
        label="Search",
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Number or title", "autocomplete": "off"}
        ),
    )
    # distinct=False (here and in every state filter): a column of the row itself
    # joins nothing, and DISTINCT kept the sort from reading the (state, created_at) index.
    state = django_filters.MultipleChoiceFilter(
        choices=QuoteState.choices, label="State", distinct=False
    )
    customer = CustomerFilter()
    ordering = StableOrderingFilter(
        label="Sort by",
        fields=(
            ("number", "number"),
            ("created_at", "created"),
            ("valid_until", "valid_until"),
            ("total_amount", "total"),
        ),
        field_labels={
            "number": "Number",
            "created_at": "Created",
            "valid_until": "Valid until",
            "total_amount": "Total",
        },
        empty_label="Newest first",
    )

    class Meta:
        model = Quote
        fields: list[str] = []

    def filter_q(self, queryset, name, value):
        return selectors.quote_search(queryset, value)


@login_required
def quote_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    require_staff(user)
    qs = selectors.quote_list(user).order_by("-created_at", "-pk")
    filterset = QuoteListFilter(request.GET or None, queryset=qs)
    # Invalid values (a made-up sort key) are dropped by the form; the rest still apply.
    page = list_page(
        request, number_sorted(filterset, "Q"), rows=row_query("sales/quote_list.html#row")
    )
    filtered = filterset.is_bound and any(
        filterset.form.cleaned_data.get(k) for k in ("q", "state", "customer")
    )
    return render_page(
        request,
        "sales/quote_list.html",
        {
            "filter": filterset,
            "page_obj": page,
            "filtered": filtered,
            "can_create": can_sell(None, user),
        },
        partial="results",
    )


# --- detail -------------------------------------------------------------------------


def _quote_context(
    request: HttpRequest,
    quote: Quote,
    *,
    error: str = "",
    error_allowed: list[str] | None = None,
    notice: str = "",
) -> dict:
    user = request.user
    reviews = []
    for review in quote.reviews.all():
        if review.revision != quote.revision:
            continue
        # review.quote is this quote: the conditions check quote_in_review.
        review.quote = quote
        actions = workflow_actions(
            review,
            user,
            REVIEW_ACTIONS,
            lambda name, r=review: reverse(
                "sales:quote-review-transition",
                kwargs={"pk": quote.pk, "review_pk": r.pk, "name": name},
            ),
        )
        # A reviewer whose own quote this is sees the buttons disabled, with the reason.
        refusal = ""
        if (
            not actions["buttons"]
            and review.state == ReviewState.REQUESTED
            and review.quote_in_review()
            and has_role(user, REVIEW_ROLES[review.department])
        ):
            refusal = own_quote_review_refusal(review, user)
        reviews.append({"review": review, "decisions": actions["buttons"], "refusal": refusal})
    window, total = _quote_lines(request, quote)
    order = None
    if quote.state == QuoteState.CONVERTED:
        order = selectors.orders_visible_to(user).filter(quote=quote).only("pk", "number").first()
    return {
        "quote": quote,
        "quote_total": total,
        "lines": window.shown,
        "line_window": window,
        "reviews": reviews,
        "actions": workflow_actions(
            quote,
            user,
            QUOTE_ACTIONS,
            lambda name: reverse("sales:quote-transition", kwargs={"pk": quote.pk, "name": name}),
            customer_sees=quote_steps_customer_sees(quote),
        ),
        "error": error,
        "error_allowed": error_allowed or [],
        "notice": notice,
        "order": order,
        "header": {
            "heading": f"Quote {quote.number}",
            "subtitle": quote.title,
            "link_url": reverse("sales:order-detail", args=[order.pk]) if order else "",
            "link_label": f"Order {order.number}" if order else "",
            "link_icon": "box-seam",
            # Sent at least once: the PDF of the last sent revision.
            "pdf_url": reverse("sales:quote-pdf", args=[quote.pk]) if quote.sent_at else "",
            "pdf_label": "Last sent PDF"
            if quote.state in selectors.QUOTE_BEING_REVISED_STATES
            else "PDF",
        },
        "copy": _copy_button(quote, user),
        "builder_url": reverse("sales:quote-builder", args=[quote.pk])
        if quote.state in QUOTE_EDITABLE_STATES and can_sell(quote, user)
        else "",
        # Re-derived on every edit, so a changed quantity or discount shows its review now.
        "upcoming_reviews": [
            (Department(dept).label, reasons)
            for dept, reasons in quote_services.required_reviews(quote).items()
        ]
        if quote.state == QuoteState.DRAFT
        else [],
        "review_requested": ReviewState.REQUESTED,
        **change_section(request, quote),
    }


def _quote_lines(request: HttpRequest, quote: Quote) -> tuple[LineWindow, Decimal]:
    """The lines the page shows and the quote's total over all of them.

    A quote fetched with its lines (a button's answer) windows them; one fetched for
    the page (`quote_get_for_page`) loads the shown lines only and has the count and
    total of all of them from SQL. A draft loads every line (its upcoming reviews
    are derived from all of them), and so does a quote with change requests (their
    steps' conditions read the lines).
    """
    if "lines" in getattr(quote, "_prefetched_objects_cache", {}):
        return line_window(request, quote.lines.all()), quote.total
    every = all_lines_asked(request) or quote.state == QuoteState.DRAFT or quote.has_change_requests
    shown = selectors.document_lines_window(
        quote,
        _page_lines if every else _window_lines,
        "quote",
        every=every,
        shown=LINES_SHOWN,
    )
    if every:
        return LineWindow(shown=shown, total=len(shown)), quote.total
    return LineWindow(shown=shown, total=quote.lines_count), quote.lines_total


def _page_lines() -> QuerySet[QuoteLine]:
    return QuoteLine.objects.select_related("product")


def _window_lines() -> QuerySet[QuoteLine]:
    """The lines of a window that only shows them: the columns their row shows
    (`apps.sales.rows.quote_line_row`), of the product its name and SKU (a full line
    and product cost ~60 calls each to build, 25 of them on a long quote's page)."""
    return QuoteLine.objects.select_related("product").only(
        *("quote_id", "position", "configuration_text", "custom_spec", "critical_path"),
        *("quantity", "unit_list_price", "discount_percent", "unit_price", "unit_cost"),
        *("margin_percent", "line_total", "feasible_date", "product__name", "product__sku"),
    )


def _copy_button(quote: Quote, user) -> dict | None:
    """ "Copy as new quote" for expired and declined quotes; disabled, with why, for non-sales."""
    if quote.state not in quote_services.COPYABLE_STATES:
        return None
    return {"refusal": quote_services.quote_copy_refusal(quote, user)}


QUOTE_PAGE = DetailPage(
    template="sales/quote_detail.html",
    get=selectors.quote_get_for_user,
    context=_quote_context,
    url_name="sales:quote-detail",
)


@login_required
def quote_detail(request: HttpRequest, pk) -> HttpResponse:
    require_staff(request.user)
    section = section_asked(request)
    if section is not None:
        # The one section read on demand (`?section=history`): the timeline region.
        if section != "history":
            raise Http404
        quote = selectors.quote_get_plain(request.user, pk)
        return render(request, f"{QUOTE_PAGE.template}#history", {"quote": quote})
    quote = selectors.quote_get_for_page(request.user, pk)
    context = _quote_context(request, quote)
    context["sections_url"] = sections_url(request)
    return render_page(
        request, QUOTE_PAGE.template, context, partial=detail_partial(request, "workflow")
    )


@login_required
def quote_comments(request: HttpRequest, pk) -> HttpResponse:
    """The quote's comment thread: GET the partial, POST a comment."""
    require_staff(request.user)
    return thread_view(request, get_object_or_404(selectors.quotes_visible_to(request.user), pk=pk))


@require_POST
@login_required
def quote_transition(request: HttpRequest, pk, name: str) -> HttpResponse:
    user = request.user
    require_staff(user)
    quote = selectors.quote_get_for_user(user, pk)
    service = QUOTE_TRANSITIONS.get(name)
    if service is None:
        raise Http404

    def converted_to(result) -> str | None:
        if isinstance(result, SalesOrder):
            return reverse("sales:order-detail", args=[result.pk])
        return None

    def notice(result) -> str:
        if isinstance(result, SalesOrder):
            return f"{quote.number} became order {result.number}."
        return f"{quote.number}: {verb_label(name).lower()}."

    return transition_post(
        request,
        QUOTE_PAGE,
        pk,
        call=lambda **kw: service(quote=quote, actor=user, **kw),
        notice=notice,
        redirect_to=converted_to,
        audience=True,
    )


@require_POST
@login_required
def quote_review_transition(request: HttpRequest, pk, review_pk, name: str) -> HttpResponse:
    user = request.user
    require_staff(user)
    quote = selectors.quote_get_for_user(user, pk)
    if name not in REVIEW_DECISIONS:
        raise Http404
    review = get_object_or_404(quote.reviews.all(), pk=review_pk)
    return transition_post(
        request,
        QUOTE_PAGE,
        pk,
        call=lambda **kw: quote_services.quote_review_decide(
            review=review, actor=user, decision=name, **kw
        ),
        notice=lambda review: (
            f"{review.get_department_display()} review "
            f"{review.get_state_display().lower()} on {quote.number}."
        ),
    )


@require_POST
@login_required
def quote_copy(request: HttpRequest, pk) -> HttpResponse:
    """Copy an expired or declined quote as a new draft and open it."""
    user = request.user
    require_staff(user)
    quote = selectors.quote_get_for_user(user, pk)
    return transition_post(
        request,
        QUOTE_PAGE,
        pk,
        call=lambda comment, expected_version: quote_services.quote_copy(
            quote=quote, actor=user, comment=comment
        ),
        notice=lambda copy: f"{quote.number} copied as new quote {copy.number}.",
        redirect_to=lambda copy: reverse("sales:quote-detail", args=[copy.pk]),
    )
