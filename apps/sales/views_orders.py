"""Staff pages for sales orders: the list and the detail with its workflow.

The same pattern as the quote pages (views_quotes): selectors for reads,
apps.orders.services.orders.order_transition for every button.
"""

from __future__ import annotations

from decimal import Decimal

import django_filters
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.catalog.models import BookingKind
from apps.core.concurrency import StaleObjectError
from apps.core.htmx import render_page
from apps.core.limits import MONEY_LIMIT, VERSION_MAX
from apps.core.lists import list_page
from apps.core.models import Audience
from apps.core.pages import (
    LINES_SHOWN,
    LineWindow,
    all_lines_asked,
    detail_partial,
    line_window,
    region_page,
    section_asked,
    sections_url,
)
from apps.core.rows import row_query
from apps.core.templatetags.tandem import verb_label
from apps.core.transitions import TransitionError, transition_names
from apps.core.views_comments import thread_view
from apps.orders import selectors, tracker_pages
from apps.orders.allocation import line_bookings, order_line_key
from apps.orders.models import ORDER_CANCELLABLE_IN_PRODUCTION, OrderLine, OrderState, SalesOrder
from apps.orders.models.rules import can_cancel_order, can_engineer, can_override_credit, can_sell
from apps.orders.services import orders as order_services
from apps.orders.services.orders import CUSTOMER_VISIBLE_TRANSITIONS
from apps.orders.services.orders import order_cancel as order_cancel_service
from apps.orders.services.orders import order_transition as order_transition_service
from apps.orders.services.releases import (
    line_release_pending,
    line_release_refusal,
    order_release_refusal,
)
from apps.sales.rows import order_line_row
from apps.sales.views_changes import change_section
from apps.sales.views_common import (
    REFUSED,
    Action,
    DetailPage,
    require_staff,
    service_error,
    transition_post,
    workflow_actions,
)
from apps.sales.views_helpers import number_sorted
from apps.sales.views_quotes import (
    CustomerFilter,
    ListFilterSet,
    StableOrderingFilter,
)

# Label, tone and icon per transition, in the order they are shown.
ORDER_ACTIONS = {
    "confirm": Action("Confirm order", "primary", "check2-circle"),
    "start_design": Action("Start design", "primary", "pencil-square"),
    "plan": Action("Plan", "primary", "calendar-check"),
    "plan_after_design": Action("Plan", "primary", "calendar-check"),
    "start_production": Action("Start production", "primary", "gear"),
    "mark_ready_to_ship": Action("Mark ready to ship", "success", "box-seam"),
    "ship_partially": Action("Ship partially", "outline-primary", "truck"),
    "ship": Action("Ship", "success", "truck"),
    "deliver": Action("Mark delivered", "success", "house-check"),
    "close": Action("Close", "dark", "archive"),
    "hold": Action("Put on hold", "outline-warning", "pause-circle"),
    "release": Action("Release hold", "outline-primary", "play-circle"),
    "cancel": Action("Cancel order", "outline-danger", "x-circle"),
}


class OrderListFilter(ListFilterSet):
    """Every key a visitor may send; anything else in the query string is ignored."""

    q = django_filters.CharFilter(
        method="filter_q",
        label="Search",
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Number or customer PO", "autocomplete": "off"}
        ),
    )
    state = django_filters.MultipleChoiceFilter(
        choices=OrderState.choices, label="State", distinct=False
    )
    customer = CustomerFilter()
    ordering = StableOrderingFilter(
        label="Sort by",
        fields=(
            ("number", "number"),
            ("created_at", "created"),
            ("total", "total"),
            ("next_forecast_date", "forecast"),
        ),
        field_labels={
            "number": "Number",
            "created_at": "Created",
            "total": "Total",
            "next_forecast_date": "Next forecast",
        },
        empty_label="Newest first",
    )

    class Meta:
        model = SalesOrder
        fields: list[str] = []

    def filter_q(self, queryset, name, value):
        return selectors.order_search(queryset, value)


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    require_staff(user)
    qs = selectors.order_list(user).order_by("-created_at", "-pk")
    filterset = OrderListFilter(request.GET or None, queryset=qs)
    page = list_page(
        request, number_sorted(filterset, "SO"), rows=row_query("sales/order_list.html#row")
    )
    filtered = filterset.is_bound and any(
        filterset.form.cleaned_data.get(k) for k in ("q", "state", "customer")
    )
    return render_page(
        request,
        "sales/order_list.html",
        {"filter": filterset, "page_obj": page, "filtered": filtered},
        partial="results",
    )


class OrderDataForm(forms.ModelForm):
    """Everything fulfillment needs that the quote did not carry, completed while pending."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    # Optional to save (the data arrives bit by bit), needed to confirm.
    needed = SalesOrder.CONFIRMATION_FIELDS

    class Meta:
        model = SalesOrder
        # PENDING_FIELDS in the order a person fills them in.
        fields = [
            "customer_po",
            "contact",
            "shipping_address",
            "billing_address",
            "delivery_contact_name",
            "delivery_contact_phone",
            "delivery_window",
            "installation_needed",
            "site_requirements",
            "terms",
            "internal_notes",
        ]
        labels = {"contact": "Customer contact", "customer_po": "Customer PO"}
        widgets = {
            "shipping_address": forms.Textarea(attrs={"rows": 3}),
            "billing_address": forms.Textarea(attrs={"rows": 3}),
            "site_requirements": forms.Textarea(attrs={"rows": 2}),
            "terms": forms.Textarea(attrs={"rows": 2}),
            "internal_notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, order: SalesOrder, **kwargs):
        super().__init__(*args, instance=order, initial={"version": order.version}, **kwargs)
        self.fields["contact"].queryset = (
            User.objects.filter(membership__organization=order.customer_id, is_active=True)
            .select_related("membership__organization")
            .order_by("last_name", "first_name", "username")
        )
        self.fields["contact"].label_from_instance = lambda u: u.get_full_name() or u.username
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs["class"] = "form-check-input"
            elif isinstance(field.widget, forms.Select):
                field.widget.attrs["class"] = "form-select form-select-sm"
            else:
                field.widget.attrs["class"] = "form-control form-control-sm"
            if self.is_bound and self.errors.get(name):
                field.widget.attrs["class"] += " is-invalid"

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.changed_data if name != "version"}


def _can_edit_data(order: SalesOrder, user) -> bool:
    return order.state == OrderState.PENDING and (
        can_sell(order, user) or user.has_role(Role.FINANCE)
    )


class OrderCancelForm(forms.Form):
    reason = forms.CharField(max_length=4000)
    customer_sees = forms.BooleanField(required=False)
    charges = forms.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=MONEY_LIMIT - Decimal("0.01"),
        initial=Decimal("0"),
    )
    version = forms.IntegerField(required=False, min_value=1, max_value=VERSION_MAX)


def _cancel_in_production(order: SalesOrder, user, form: OrderCancelForm | None) -> dict | None:
    if order.state not in ORDER_CANCELLABLE_IN_PRODUCTION:
        return None
    enabled = can_cancel_order(order, user)
    return {
        "enabled": enabled,
        "refusal": "" if enabled else "Only a sales manager may cancel an order in production.",
        "form": form or OrderCancelForm(),
    }


def _order_context(
    request: HttpRequest,
    order: SalesOrder,
    *,
    error: str = "",
    error_allowed: list[str] | None = None,
    notice: str = "",
    data_form: OrderDataForm | None = None,
    data_error: str = "",
    cancel_form: OrderCancelForm | None = None,
    tracker_error: str = "",
    tracker_notice: str = "",
    tracker_url: str = "",
    lines_error: str = "",
    lines_notice: str = "",
    sections_url: str = "",
) -> dict:
    """The order page's context. `sections_url`: the page's own URL when its sections
    below the fold (each line's details, the tracker links, the history) are read on
    demand (`?section=<name>`, `_order_section`); a button's answer and `?sections=all`
    render them inline."""
    user = request.user
    window, untold = _order_lines(request, order)
    release_refusal = order_release_refusal(order, user)
    if sections_url:
        # Each line's holds, slip history and components load when its row is opened:
        # its rows are plain values, memoised (`{% memo_rows %}`).
        lines, line_rows = (
            [],
            [
                _lazy_line_row(line, user, order, release_refusal, sections_url)
                for line in window.shown
            ],
        )
    else:
        lines, line_rows = _line_items(user, order, window.shown, release_refusal), []
    actions = workflow_actions(
        order,
        user,
        ORDER_ACTIONS,
        lambda name: reverse("sales:order-transition", kwargs={"pk": order.pk, "name": name}),
        # In production, cancelling takes a reason and charges: its own form below.
        skip=frozenset({"cancel"} if order.state in ORDER_CANCELLABLE_IN_PRODUCTION else ()),
        customer_sees=frozenset(CUSTOMER_VISIBLE_TRANSITIONS),
    )
    confirm = actions["options"].get("confirm")
    pending = order.state == OrderState.PENDING
    credit_blocked = pending and not order.passes_credit_check()
    return {
        "order": order,
        "header": {
            "heading": f"Order {order.number}",
            "subtitle": f"held while {OrderState(order.held_state).label.lower()}"
            if order.held_state
            else "",
            "link_url": reverse("sales:quote-detail", args=[order.quote_id]),
            "link_label": f"Quote {order.quote.number}",
            "link_icon": "file-earmark-text",
        },
        "lines": lines,
        "line_rows": line_rows,
        "release_all": {
            "count": untold,
            "label": f"Confirm all {untold} new dates to customer",
            "refusal": release_refusal if untold else "",
        },
        "lines_error": lines_error,
        "lines_notice": lines_notice,
        "line_window": window,
        "missing": order.missing_for_confirmation() if pending else [],
        # What confirming waits for, in the confirm transition's own words, for everyone.
        "confirm_unmet": confirm.unmet if confirm else "",
        "actions": actions,
        "data_form": data_form
        or (OrderDataForm(order=order) if _can_edit_data(order, user) else None),
        "data_error": data_error,
        "credit_override": credit_blocked and can_override_credit(order, user),
        "credit_blocked": credit_blocked,
        "design_approval": order.state == OrderState.IN_DESIGN
        and order.design_approved_at is None
        and can_engineer(order, user),
        "error": error,
        "error_allowed": error_allowed or [],
        "notice": notice,
        **change_section(request, order),
        "cancel": _cancel_in_production(order, user, cancel_form),
        # The customer's signed acceptance (selected with the order: no query).
        "acceptance": getattr(order.quote, "acceptance", None),
        "trackers": None
        if sections_url
        else tracker_pages.tracker_section(order, user, error=tracker_error, notice=tracker_notice),
        "tracker_url": tracker_url,
        "sections_url": sections_url,
    }


def _lazy_line_row(
    line: OrderLine, user, order: SalesOrder, release_refusal: str, sections_url: str
) -> dict:
    """A line's row and the row below it whose details load when it is opened, as the
    plain values of `sales/order_detail.html#lazy-line` (memoised by them: the user's
    refusal and the page's URL are among them)."""
    pending = line_release_pending(line)
    return {
        **order_line_row(line),
        "pk": line.pk,
        "details_url": f"{sections_url}?section=line&line={line.pk}",
        "sections_url": sections_url,
        "release_pending": pending,
        "release_refusal": line_release_refusal(line, user, order, order_refusal=release_refusal),
        "release_url": reverse("sales:order-line-release", args=[order.pk, line.pk])
        if pending
        else "",
    }


def _line_item(line: OrderLine, user, order: SalesOrder, release_refusal: str, **details) -> dict:
    """What the page shows of one line besides its row; `details` (changes, components,
    line_cost, holds) when they are shown inline."""
    return {
        "line": line,
        "release_pending": line_release_pending(line),
        "release_refusal": line_release_refusal(line, user, order, order_refusal=release_refusal),
        **details,
    }


def _line_items(user, order: SalesOrder, shown, release_refusal: str) -> list[dict]:
    """The shown lines with their details: their components and date changes (one query
    per kind) and what their promises hold in the ledgers (two queries for all of them)."""
    selectors.order_lines_detail(user, shown)
    holds = line_bookings([order_line_key(line) for line in shown])
    return [
        _line_item(
            line,
            user,
            order,
            release_refusal,
            changes=list(line.date_changes.all()),
            components=list(line.components.all()),
            # The one cost: the line's rolled-up unit cost (apps.catalog.costing). Summing
            # the exploded components would count made sub-assemblies twice.
            line_cost=line.unit_cost * line.quantity,
            holds=[
                {**hold, "label": BookingKind(hold["kind"]).label}
                for hold in holds.get(order_line_key(line), [])
            ],
        )
        for line in shown
    ]


def _order_lines(request: HttpRequest, order: SalesOrder) -> tuple[LineWindow, int]:
    """The lines the page shows, and how many of all the order's lines wait for their
    new date to be told to the customer.

    An order fetched with its lines (a button's answer) windows them; one fetched for
    the page (`order_get_for_page`) loads the shown lines only and has the count of
    all of them and of the pending ones from SQL.
    """
    if "lines" not in getattr(order, "_prefetched_objects_cache", {}):
        # The change requests' steps and assessments read every line.
        every = all_lines_asked(request) or order.has_change_requests
        shown = selectors.document_lines_window(
            order, _page_lines, "order", every=every, shown=LINES_SHOWN
        )
        if not every:
            return LineWindow(shown=shown, total=order.lines_count), order.lines_release_pending
    # Every line of the order, not only the shown ones (the lines are loaded: no query).
    untold = sum(1 for line in order.lines.all() if line_release_pending(line))
    return line_window(request, order.lines.all()), untold


def _page_lines() -> QuerySet[OrderLine]:
    return OrderLine.objects.all()


ORDER_PAGE = DetailPage(
    template="sales/order_detail.html",
    get=selectors.order_get_for_user,
    context=_order_context,
    url_name="sales:order-detail",
)


@login_required
def order_comments(request: HttpRequest, pk) -> HttpResponse:
    """The order's comment thread: GET the partial, POST a comment."""
    require_staff(request.user)
    return thread_view(request, get_object_or_404(selectors.orders_visible_to(request.user), pk=pk))


@login_required
def order_detail(request: HttpRequest, pk) -> HttpResponse:
    require_staff(request.user)
    section = section_asked(request)
    if section is not None:
        return _order_section(request, pk, section)
    order = selectors.order_get_for_page(request.user, pk)
    return render_page(
        request,
        ORDER_PAGE.template,
        _order_context(request, order, sections_url=sections_url(request)),
        partial=detail_partial(request, "workflow"),
    )


ORDER_SECTIONS = frozenset({"history", "trackers", "line"})


def _order_section(request: HttpRequest, pk, section: str) -> HttpResponse:
    """One section of the order page read on demand (`?section=<name>`): the history,
    the tracker links, or one line's details (`&line=<id>`)."""
    if section not in ORDER_SECTIONS:
        raise Http404
    user = request.user
    order = selectors.order_get_plain(user, pk)
    context: dict = {"order": order}
    if section == "trackers":
        context["trackers"] = tracker_pages.tracker_section(order, user)
    elif section == "line":
        line = selectors.order_line_get(order, request.GET.get("line"))
        context["item"] = _line_items(user, order, [line], order_release_refusal(order, user))[0]
        section = "line-details"
    return render(request, f"{ORDER_PAGE.template}#{section}", context)


@require_POST
@login_required
def order_transition(request: HttpRequest, pk, name: str) -> HttpResponse:
    user = request.user
    require_staff(user)
    order = selectors.order_get_for_user(user, pk)
    if name not in transition_names(order):
        raise Http404
    return transition_post(
        request,
        ORDER_PAGE,
        pk,
        call=lambda **kw: order_transition_service(order=order, name=name, actor=user, **kw),
        notice=lambda result: f"{order.number}: {verb_label(name).lower()}.",
        audience=True,
    )


# Staff steps beside the workflow that meet a transition's condition: the URL names one.
# (service, notice, whether its comment may be shown to the customer)
ORDER_STEPS = {
    "credit-override": (order_services.order_override_credit, "credit override approved", False),
    "design-approval": (order_services.order_design_approve, "design approval recorded", True),
}


@require_POST
@login_required
def order_step(request: HttpRequest, pk, step: str) -> HttpResponse:
    user = request.user
    require_staff(user)
    order = selectors.order_get_for_user(user, pk)
    if step not in ORDER_STEPS:
        raise Http404
    service, done, audience = ORDER_STEPS[step]
    return transition_post(
        request,
        ORDER_PAGE,
        pk,
        call=lambda **kw: service(order=order, actor=user, **kw),
        notice=lambda result: f"{order.number}: {done}.",
        audience=audience,
    )


TRACKER_PAGE = region_page(ORDER_PAGE, "tracker", "trackers-and-timeline")


@require_POST
@login_required
def order_tracker_create(request: HttpRequest, pk) -> HttpResponse:
    require_staff(request.user)
    order = selectors.order_get_for_user(request.user, pk)
    return tracker_pages.tracker_create(request, TRACKER_PAGE, order)


@require_POST
@login_required
def order_tracker_revoke(request: HttpRequest, pk, link_id: int) -> HttpResponse:
    require_staff(request.user)
    order = selectors.order_get_for_user(request.user, pk)
    return tracker_pages.tracker_revoke(request, TRACKER_PAGE, order, link_id)


@require_POST
@login_required
def order_update(request: HttpRequest, pk) -> HttpResponse:
    """Save the order data while pending; a stale save keeps what the user typed."""
    user = request.user
    require_staff(user)
    order = selectors.order_get_for_user(user, pk)
    form = OrderDataForm(request.POST, order=order)
    if not form.is_valid():
        return ORDER_PAGE.answer(
            request, pk, status=400, data_form=form, data_error="Check the marked fields."
        )
    try:
        order_services.order_update(
            order=order,
            actor=user,
            expected_version=form.cleaned_data["version"],
            **form.changes(),
        )
    except REFUSED as exc:
        message, status, _allowed = service_error(exc)
        if isinstance(exc, StaleObjectError):
            message = (
                "Someone else saved this order first. Your entries are still in the form: "
                "check them against the saved order and save again."
            )
            # Keep what was typed, but let the next save go against the current version.
            fresh = SalesOrder.objects.get(pk=order.pk)
            data = request.POST.copy()
            data["version"] = str(fresh.version)
            form = OrderDataForm(data, order=fresh)
            form.is_valid()
        return ORDER_PAGE.answer(request, pk, status=status, data_form=form, data_error=message)
    notice = f"{order.number}: order data saved."
    if not request.htmx:
        messages.success(request, notice)
        return redirect("sales:order-detail", pk=order.pk)
    return ORDER_PAGE.answer(request, pk, notice=notice)


@require_POST
@login_required
def order_cancel(request: HttpRequest, pk) -> HttpResponse:
    """Cancel an order in production with a reason and cancellation charges."""
    user = request.user
    require_staff(user)
    order = selectors.order_get_for_user(user, pk)
    form = OrderCancelForm(request.POST)
    if not form.is_valid():
        return ORDER_PAGE.answer(
            request, pk, status=400, error="Check the reason and charges.", cancel_form=form
        )
    try:
        order_cancel_service(
            order=order,
            actor=user,
            reason=form.cleaned_data["reason"],
            charges=form.cleaned_data["charges"],
            expected_version=form.cleaned_data["version"],
            comment_audience=Audience.CUSTOMER
            if form.cleaned_data["customer_sees"]
            else Audience.INTERNAL,
        )
    except ValidationError as exc:
        for field, messages_ in getattr(exc, "message_dict", {}).items():
            if field in form.fields:
                form.add_error(field, messages_)
        message, status, allowed = service_error(exc)
        return ORDER_PAGE.answer(request, pk, status=status, error=message, cancel_form=form)
    except (TransitionError, StaleObjectError, PermissionDenied) as exc:
        message, status, allowed = service_error(exc)
        return ORDER_PAGE.answer(request, pk, status=status, error=message, error_allowed=allowed)
    notice = f"{order.number} cancelled."
    if not request.htmx:
        messages.success(request, notice)
        return redirect("sales:order-detail", pk=order.pk)
    return ORDER_PAGE.answer(request, pk, notice=notice)
