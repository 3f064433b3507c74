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
from django.core.paginator import Paginator
from django.db.models import Min, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from apps.core.concurrency import StaleObjectError
from apps.core.htmx import render_page
from apps.core.transitions import TransitionError, available_transitions, transition_names
from apps.orders import selectors
from apps.orders.models import ORDER_CANCELLABLE_IN_PRODUCTION, OrderState, SalesOrder
from apps.orders.models.rules import can_cancel_order
from apps.orders.services.orders import order_cancel as order_cancel_service
from apps.orders.services.orders import order_transition as order_transition_service
from apps.sales.views_changes import change_section
from apps.sales.views_quotes import (
    PAGE_SIZE,
    StableOrderingFilter,
    TransitionForm,
    customer_choices,
    require_staff,
    service_error,
    styled_filter_form,
)

# Tone and icon per transition; anything not listed gets a plain button.
ORDER_ACTIONS = {
    "confirm": ("primary", "check2-circle"),
    "start_design": ("primary", "pencil-square"),
    "plan": ("primary", "calendar-check"),
    "plan_after_design": ("primary", "calendar-check"),
    "start_production": ("primary", "gear"),
    "mark_ready_to_ship": ("success", "box-seam"),
    "ship_partially": ("outline-primary", "truck"),
    "ship": ("success", "truck"),
    "deliver": ("success", "house-check"),
    "close": ("dark", "archive"),
    "hold": ("outline-warning", "pause-circle"),
    "release": ("outline-primary", "play-circle"),
    "cancel": ("outline-danger", "x-circle"),
}


class OrderListFilter(django_filters.FilterSet):
    """Every key a visitor may send; anything else in the query string is ignored."""

    q = django_filters.CharFilter(
        method="filter_q",
        label="Search",
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Number or customer PO", "autocomplete": "off"}
        ),
    )
    state = django_filters.MultipleChoiceFilter(choices=OrderState.choices, label="State")
    customer = django_filters.ModelChoiceFilter(
        queryset=customer_choices(), label="Customer", empty_label="Any customer"
    )
    ordering = StableOrderingFilter(
        label="Sort by",
        fields=(
            ("number", "number"),
            ("created_at", "created"),
            ("total", "total"),
            ("next_forecast", "forecast"),
        ),
        field_labels={
            "number": "Number",
            "created_at": "Created",
            "total": "Total",
            "next_forecast": "Next forecast",
        },
        empty_label="Newest first",
    )

    class Meta:
        model = SalesOrder
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        styled_filter_form(self)

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(number__icontains=value) | Q(customer_po__icontains=value))


def orders_with_dates(user) -> QuerySet[SalesOrder]:
    # Explicit order: Meta.ordering is not applied to GROUP BY queries.
    return (
        selectors.order_list(user)
        .annotate(next_forecast=Min("lines__forecast_date"))
        .order_by("-created_at", "pk")
    )


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    require_staff(user)
    filterset = OrderListFilter(request.GET or None, queryset=orders_with_dates(user))
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    filtered = filterset.is_bound and any(
        filterset.form.cleaned_data.get(k) for k in ("q", "state", "customer")
    )
    return render_page(
        request,
        "sales/order_list.html",
        {"filter": filterset, "page_obj": page, "filtered": filtered},
        partial="results",
    )


class OrderCancelForm(forms.Form):
    reason = forms.CharField(max_length=4000)
    charges = forms.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal("0"), initial=Decimal("0")
    )
    version = forms.IntegerField(required=False, min_value=1)


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
    cancel_form: OrderCancelForm | None = None,
) -> dict:
    user = request.user
    allowed = available_transitions(order, user)
    if order.state in ORDER_CANCELLABLE_IN_PRODUCTION:
        # In production, cancelling takes a reason and charges: its own form below.
        allowed = [name for name in allowed if name != "cancel"]
    lines = []
    for line in order.lines.all():
        components = list(line.components.all())
        lines.append(
            {
                "line": line,
                "changes": list(line.date_changes.all()),
                "components": components,
                # The one cost: the line's rolled-up unit cost (apps.catalog.costing). Summing
                # the exploded components would count made sub-assemblies twice.
                "line_cost": line.unit_cost * line.quantity,
            }
        )
    return {
        "order": order,
        "lines": lines,
        "missing": order.missing_for_confirmation() if order.state == OrderState.PENDING else [],
        "actions": [
            {
                "name": name,
                "label": name.replace("_", " ").capitalize(),
                "tone": ORDER_ACTIONS.get(name, ("outline-secondary", "arrow-right"))[0],
                "icon": ORDER_ACTIONS.get(name, ("outline-secondary", "arrow-right"))[1],
            }
            for name in allowed
        ],
        "error": error,
        "error_allowed": error_allowed or [],
        "notice": notice,
        **change_section(request, order),
        "cancel": _cancel_in_production(order, user, cancel_form),
    }


@login_required
def order_detail(request: HttpRequest, pk) -> HttpResponse:
    require_staff(request.user)
    order = selectors.order_get_for_user(request.user, pk)
    return render_page(
        request, "sales/order_detail.html", _order_context(request, order), partial="workflow"
    )


def _order_answer(request: HttpRequest, pk, *, status: int = 200, **kw) -> HttpResponse:
    order = selectors.order_get_for_user(request.user, pk)
    context = _order_context(request, order, **kw)
    if request.htmx:
        # htmx swaps only 2xx and 422 answers (base.html): refusals travel as 422.
        return render_page(
            request,
            "sales/order_detail.html",
            context,
            partial="workflow-and-timeline",
            status=422 if status >= 400 else status,
        )
    return render_page(request, "sales/order_detail.html", context, status=status)


@require_POST
@login_required
def order_transition(request: HttpRequest, pk, name: str) -> HttpResponse:
    user = request.user
    require_staff(user)
    order = selectors.order_get_for_user(user, pk)
    if name not in transition_names(order):
        raise Http404
    form = TransitionForm(request.POST)
    if not form.is_valid():
        return _order_answer(request, pk, status=400, error="The comment or version is invalid.")
    try:
        order_transition_service(
            order=order,
            name=name,
            actor=user,
            comment=form.cleaned_data["comment"].strip(),
            expected_version=form.cleaned_data["version"],
        )
    except (TransitionError, StaleObjectError, ValidationError, PermissionDenied) as exc:
        message, status, allowed = service_error(exc)
        return _order_answer(request, pk, status=status, error=message, error_allowed=allowed)
    notice = f"{order.number}: {name.replace('_', ' ')} done."
    if not request.htmx:
        messages.success(request, notice)
        return redirect("sales:order-detail", pk=order.pk)
    return _order_answer(request, pk, notice=notice)


@require_POST
@login_required
def order_cancel(request: HttpRequest, pk) -> HttpResponse:
    """Cancel an order in production with a reason and cancellation charges."""
    user = request.user
    require_staff(user)
    order = selectors.order_get_for_user(user, pk)
    form = OrderCancelForm(request.POST)
    if not form.is_valid():
        return _order_answer(
            request, pk, status=400, error="Check the reason and charges.", cancel_form=form
        )
    try:
        order_cancel_service(
            order=order,
            actor=user,
            reason=form.cleaned_data["reason"],
            charges=form.cleaned_data["charges"],
            expected_version=form.cleaned_data["version"],
        )
    except ValidationError as exc:
        for field, messages_ in getattr(exc, "message_dict", {}).items():
            if field in form.fields:
                form.add_error(field, messages_)
        message, status, allowed = service_error(exc)
        return _order_answer(request, pk, status=status, error=message, cancel_form=form)
    except (TransitionError, StaleObjectError, PermissionDenied) as exc:
        message, status, allowed = service_error(exc)
        return _order_answer(request, pk, status=status, error=message, error_allowed=allowed)
    notice = f"{order.number} cancelled."
    if not request.htmx:
        messages.success(request, notice)
        return redirect("sales:order-detail", pk=order.pk)
    return _order_answer(request, pk, notice=notice)
