"""Opportunities: the list, the detail with its quotes, the pipeline board (htmx:
a move posts the transition and swaps the board's columns only) and the
weighted forecast by month."""

from __future__ import annotations

from decimal import Decimal

import django_filters
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.accounts import directory
from apps.core.htmx import hx_redirect, render_page
from apps.core.lists import row_url
from apps.core.rows import row_query
from apps.core.transitions import transition_options
from apps.orders.models.rules import can_sell
from apps.sales import selectors, services
from apps.sales.forms import OpportunityForm
from apps.sales.models import OPPORTUNITY_OPEN_STATES, Opportunity, OpportunityState
from apps.sales.views_common import (
    REFUSED,
    Action,
    DetailPage,
    TransitionForm,
    require_staff,
    service_error,
    transition_post,
    workflow_actions,
)
from apps.sales.views_helpers import edit_post, filtered_list
from apps.sales.views_quotes import (
    CustomerFilter,
    StableOrderingFilter,
    styled_filter_form,
)

OPPORTUNITY_ACTIONS = {
    "start_quoting": Action("Start quoting", "primary", "file-earmark-text"),
    "win": Action("Mark won", "success", "trophy"),
    "lose": Action("Mark lost (say why)", "outline-danger", "x-circle"),
}


# --- list -------------------------------------------------------------------------------


class OpportunityListFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_q",
        label="Search",
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Number or title", "autocomplete": "off"}
        ),
    )
    state = django_filters.MultipleChoiceFilter(choices=OpportunityState.choices, label="Stage")
    customer = CustomerFilter()
    ordering = StableOrderingFilter(
        label="Sort by",
        fields=(
            ("created_at", "created"),
            ("expected_close_date", "close"),
            ("amount", "amount"),
        ),
        field_labels={
            "created_at": "Created",
            "expected_close_date": "Expected close",
            "amount": "Amount",
        },
        empty_label="Newest first",
    )

    class Meta:
        model = Opportunity
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        styled_filter_form(self)

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(number__icontains=value) | Q(title__icontains=value))


@login_required
def opportunity_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    require_staff(user)
    return filtered_list(
        request,
        selectors.opportunity_list(user).order_by("-created_at", "-pk"),
        OpportunityListFilter,
        "sales/opportunity_list.html",
        ("q", "state", "customer"),
        rows=row_query("sales/opportunity_list.html#row"),
    )


# --- detail -----------------------------------------------------------------------------


def _edit_form(opportunity: Opportunity, data=None) -> OpportunityForm | None:
    if opportunity.state not in OPPORTUNITY_OPEN_STATES:
        return None
    initial = {f: getattr(opportunity, f) for f in services.OPPORTUNITY_FIELDS}
    initial["version"] = opportunity.version
    form = OpportunityForm(data, initial=initial, prefix="edit")
    directory.style_form(form)
    return form


def quote_button_refusal(opportunity: Opportunity, user) -> str:
    if not can_sell(None, user):
        return "Only sales create quotes."
    if opportunity.state not in OPPORTUNITY_OPEN_STATES:
        return f"The opportunity is {opportunity.get_state_display().lower()}."
    return ""


def _opportunity_context(
    request: HttpRequest,
    opportunity: Opportunity,
    *,
    error: str = "",
    error_allowed: list[str] | None = None,
    notice: str = "",
    edit_form: OpportunityForm | None = None,
) -> dict:
    user = request.user
    return {
        "opportunity": opportunity,
        "quotes": selectors.opportunity_quotes(user, opportunity),
        "actions": workflow_actions(
            opportunity,
            user,
            OPPORTUNITY_ACTIONS,
            lambda name: reverse(
                "sales:opportunity-transition", kwargs={"pk": opportunity.pk, "name": name}
            ),
        ),
        "quote_refusal": quote_button_refusal(opportunity, user),
        "error": error,
        "error_allowed": error_allowed or [],
        "notice": notice,
        "edit_form": (edit_form or _edit_form(opportunity)) if can_sell(None, user) else None,
        "header": {
            "heading": f"Opportunity {opportunity.number}",
            "subtitle": opportunity.title,
            "link_url": reverse("sales:inquiry-detail", args=[opportunity.inquiry.pk])
            if opportunity.inquiry
            else "",
            "link_label": f"Inquiry {opportunity.inquiry.number}" if opportunity.inquiry else "",
            "link_icon": "inbox",
        },
    }


OPPORTUNITY_PAGE = DetailPage(
    template="sales/opportunity_detail.html",
    get=selectors.opportunity_get_for_user,
    context=_opportunity_context,
    url_name="sales:opportunity-detail",
)


@login_required
def opportunity_detail(request: HttpRequest, pk) -> HttpResponse:
    require_staff(request.user)
    opportunity = selectors.opportunity_get_for_user(request.user, pk)
    return render_page(
        request,
        OPPORTUNITY_PAGE.template,
        _opportunity_context(request, opportunity),
        partial="workflow",
    )


@require_POST
@login_required
def opportunity_update(request: HttpRequest, pk) -> HttpResponse:
    user = request.user
    require_staff(user)
    opportunity = selectors.opportunity_get_for_user(user, pk)
    return edit_post(
        request,
        OPPORTUNITY_PAGE,
        opportunity,
        form=_edit_form(opportunity, request.POST),
        save=lambda **kw: services.opportunity_update(opportunity=opportunity, actor=user, **kw),
    )


@require_POST
@login_required
def opportunity_transition(request: HttpRequest, pk, name: str) -> HttpResponse:
    user = request.user
    require_staff(user)
    opportunity = selectors.opportunity_get_for_user(user, pk)
    if name not in OPPORTUNITY_ACTIONS:
        raise Http404
    return transition_post(
        request,
        OPPORTUNITY_PAGE,
        pk,
        call=lambda **kw: services.opportunity_transition(
            opportunity=opportunity, name=name, actor=user, **kw
        ),
        notice=lambda result: f"{opportunity.number}: {OPPORTUNITY_ACTIONS[name].label.lower()}.",
    )


@require_POST
@login_required
def opportunity_quote_create(request: HttpRequest, pk) -> HttpResponse:
    """New quote: a draft for the opportunity's customer, opened in the staff quote page."""
    user = request.user
    require_staff(user)
    opportunity = selectors.opportunity_get_for_user(user, pk)
    try:
        quote = services.opportunity_quote_create(opportunity=opportunity, actor=user)
    except REFUSED as exc:
        message, status, allowed = service_error(exc)
        return OPPORTUNITY_PAGE.answer(
            request, pk, status=status, error=message, error_allowed=allowed
        )
    messages.success(request, f"Quote {quote.number} created for {opportunity.number}.")
    url = reverse("sales:quote-detail", args=[quote.pk])
    return hx_redirect(url) if request.htmx else redirect(url)


# --- the pipeline board -----------------------------------------------------------------

# The moves a card offers as buttons (losing asks why: a drop on Lost, or the opportunity's page).
BOARD_MOVES = frozenset(OPPORTUNITY_ACTIONS) - {"lose"}


def _board_context(request: HttpRequest, *, error: str = "", notice: str = "") -> dict:
    user = request.user
    columns = selectors.pipeline_board(user)
    may_move = can_sell(None, user)
    move_url = {name: row_url("sales:pipeline-move", name=name) for name in OPPORTUNITY_ACTIONS}
    detail_url = row_url("sales:opportunity-detail")
    moves_url = reverse("sales:pipeline") + "{pk}/moves/"
    # A card's moves depend on its state, the quote facts their conditions read
    # (selectors.QUOTE_FACTS, annotated by the board's query) and the user (their
    # permissions ignore the card): worked out once per distinct (state, facts) on the
    # page (tests/sales/test_pipeline_cards.py pins those conditions and permissions).
    options: dict[tuple, tuple] = {}

    def moves(card: dict) -> tuple:
        if not may_move:
            return ()
        facts = {fact: card[fact] for fact in selectors.QUOTE_FACTS.values() if fact in card}
        key = (card["state"], *sorted(facts.items()))
        if key not in options:
            # The conditions read the state and the facts alone: an unsaved opportunity
            # with those answers them as the card's row would.
            probe = Opportunity(pk=card["pk"], state=card["state"], number=card["number"])
            probe.__dict__.update(facts)
            options[key] = tuple(
                o for o in transition_options(probe, user) if o.name in BOARD_MOVES
            )
        # The buttons, each disabled with why when it cannot be pressed now.
        return tuple(
            {
                "name": o.name,
                "label": OPPORTUNITY_ACTIONS[o.name].label,
                "tone": OPPORTUNITY_ACTIONS[o.name].tone,
                "allowed": o.allowed,
                "reason": o.reason,
                "url": move_url[o.name](card["pk"]),
            }
            for o in options[key]
        )

    for column in columns:
        # Each card as the plain values it shows ({% memo_rows %}: rendered once per content).
        column.card_rows = [
            {
                "pk": card["pk"],
                "number": card["number"],
                "version": card["version"],
                "detail_url": detail_url(card["pk"]),
                "moves_url": moves_url.format(pk=card["pk"]) if may_move else "",
                "currency": card["currency"],
                "amount": card["amount"],
                "title": card["title"],
                "customer": card["customer_name"],
                "probability": card["probability"],
                "expected_close": card["expected_close_date"],
                "may_move": may_move,
                "moves": moves(card),
            }
            for card in column.cards
        ]
    return {
        "columns": columns,
        "error": error,
        "notice": notice,
        "may_move": may_move,
    }


@login_required
def pipeline(request: HttpRequest) -> HttpResponse:
    require_staff(request.user)
    return render_page(request, "sales/pipeline.html", _board_context(request), partial="board")


@require_POST
@login_required
def pipeline_move(request: HttpRequest, pk, name: str) -> HttpResponse:
    """A card moved (button or drag): fire the transition, answer the board's columns."""
    user = request.user
    require_staff(user)
    opportunity = selectors.opportunity_get_for_user(user, pk)
    if name not in OPPORTUNITY_ACTIONS:
        raise Http404
    form = TransitionForm(request.POST)
    status, error, notice = 200, "", ""
    if not form.is_valid():
        status, error = 400, "The comment or version is invalid."
    else:
        try:
            services.opportunity_transition(
                opportunity=opportunity,
                name=name,
                actor=user,
                comment=form.cleaned_data["comment"].strip(),
                expected_version=form.cleaned_data["version"],
            )
            notice = f"{opportunity.number}: {OPPORTUNITY_ACTIONS[name].label.lower()}."
        except REFUSED as exc:
            message, status, _ = service_error(exc)
            error = f"{opportunity.number}: {message}"
    if not request.htmx and not error:
        messages.success(request, notice)
        return redirect("sales:pipeline")
    # htmx swaps only 2xx and 422 (base.html): a refusal travels as 422 with its reason;
    # a plain form post gets the board with the refusal and its own status.
    if request.htmx and status >= 400:
        status = 422
    return render_page(
        request,
        "sales/pipeline.html",
        _board_context(request, error=error, notice=notice),
        partial="board",
        status=status,
    )


# --- the weighted forecast --------------------------------------------------------------


@login_required
def forecast(request: HttpRequest) -> HttpResponse:
    user = request.user
    require_staff(user)
    currencies = selectors.forecast_currencies(user)
    currency = request.GET.get("currency", "")
    if currency not in currencies:
        currency = "USD" if "USD" in currencies else currencies[0]
    months = selectors.weighted_forecast(user, currency=currency)
    peak = max((m.weighted_total for m in months), default=Decimal("0"))
    bars = [
        {
            "month": m,
            # SVG bar widths in percent of the busiest month (no inline style under the CSP).
            "pipeline_pct": float(m.weighted_pipeline / peak * 100) if peak else 0.0,
            "inquiry_pct": float(m.weighted_inquiries / peak * 100) if peak else 0.0,
        }
        for m in months
    ]
    totals = {
        "opportunities": sum(m.opportunities for m in months),
        "pipeline": sum((m.pipeline for m in months), Decimal("0")),
        "weighted_pipeline": sum((m.weighted_pipeline for m in months), Decimal("0")),
        "inquiries": sum(m.inquiries for m in months),
        "inquiry_value": sum((m.inquiry_value for m in months), Decimal("0")),
        "weighted_inquiries": sum((m.weighted_inquiries for m in months), Decimal("0")),
        "weighted_total": sum((m.weighted_total for m in months), Decimal("0")),
    }
    return render_page(
        request,
        "sales/forecast.html",
        {
            "months": months,
            "bars": bars,
            "totals": totals,
            "currency": currency,
            "currencies": currencies,
            "inquiry_probability": selectors.inquiry_probability(),
        },
    )
