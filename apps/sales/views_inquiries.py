"""The qualification queue: inquiries from the web form, the API and sales, their
detail with the workflow buttons, manual entry and editing; and the public form.

Every button calls the service the API calls (apps.sales.services), through
the shared transition view helper (views_common.transition_post).
"""

from __future__ import annotations

import django_filters
from axes.helpers import get_client_ip_address
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from apps.accounts import directory
from apps.core.htmx import render_page
from apps.core.ratelimit import rate_limit_hit
from apps.core.rows import row_query
from apps.orders.models.rules import can_sell
from apps.sales import selectors, services
from apps.sales.forms import InquiryForm, PublicInquiryForm
from apps.sales.models import (
    INQUIRY_OPEN_STATES,
    Inquiry,
    InquirySource,
    InquiryState,
    Opportunity,
)
from apps.sales.views_common import (
    Action,
    DetailPage,
    require_staff,
    transition_post,
    workflow_actions,
)
from apps.sales.views_helpers import edit_post, filtered_list, form_errors
from apps.sales.views_quotes import StableOrderingFilter, styled_filter_form

INQUIRY_ACTIONS = {
    "start_qualifying": Action("Start qualifying", "primary", "search"),
    "qualify": Action("Mark qualified", "success", "check2-circle"),
    "convert": Action("Convert to opportunity", "success", "arrow-right-circle"),
    "disqualify": Action("Disqualify (say why)", "outline-danger", "x-circle"),
    "mark_spam": Action("Mark as spam", "outline-secondary", "trash"),
}
EDITABLE_STATES = frozenset(INQUIRY_OPEN_STATES)


# --- the queue ------------------------------------------------------------------------


class InquiryListFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_q",
        label="Search",
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": "Number, company, contact",
                "autocomplete": "off",
            }
        ),
    )
    state = django_filters.MultipleChoiceFilter(choices=InquiryState.choices, label="State")
    source = django_filters.ChoiceFilter(
        choices=InquirySource.choices, label="Source", empty_label="Any source"
    )
    ordering = StableOrderingFilter(
        label="Sort by",
        fields=(("created_at", "created"), ("number", "number")),
        field_labels={"created_at": "Received", "number": "Number"},
        empty_label="Newest first",
    )

    class Meta:
        model = Inquiry
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        styled_filter_form(self)

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(number__icontains=value)
            | Q(company_name__icontains=value)
            | Q(contact_name__icontains=value)
            | Q(contact_email__icontains=value)
            | Q(subject__icontains=value)
        )


@login_required
def inquiry_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    require_staff(user)
    return filtered_list(
        request,
        selectors.inquiry_list(user).order_by("-created_at", "-pk"),
        InquiryListFilter,
        "sales/inquiry_list.html",
        ("q", "state", "source"),
        rows=row_query("sales/inquiry_list.html#row"),
        can_create=can_sell(None, user),
    )


# --- manual entry ---------------------------------------------------------------------


@login_required
def inquiry_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    require_staff(user)
    if not can_sell(None, user):
        raise PermissionDenied("Only sales enter inquiries.")
    form = InquiryForm(request.POST or None, initial={"currency": "USD", "owner": user})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                inquiry, _ = services.inquiry_create(
                    actor=user, source=InquirySource.MANUAL, **form.service_fields()
                )
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, f"Inquiry {inquiry.number} entered.")
                return redirect("sales:inquiry-detail", pk=inquiry.pk)
        status = 400
    directory.style_form(form)
    return render(request, "sales/inquiry_form.html", {"form": form}, status=status)


# --- detail -----------------------------------------------------------------------------


def _edit_form(inquiry: Inquiry, data=None) -> InquiryForm | None:
    if inquiry.state not in EDITABLE_STATES:
        return None
    initial = {f: getattr(inquiry, f) for f in services.INQUIRY_FIELDS}
    initial["version"] = inquiry.version
    form = InquiryForm(data, initial=initial, prefix="edit")
    directory.style_form(form)
    return form


def _inquiry_context(
    request: HttpRequest,
    inquiry: Inquiry,
    *,
    error: str = "",
    error_allowed: list[str] | None = None,
    notice: str = "",
    edit_form: InquiryForm | None = None,
) -> dict:
    user = request.user
    may_edit = can_sell(None, user)
    opportunity = getattr(inquiry, "opportunity", None) if inquiry.state == "converted" else None
    match = None
    if inquiry.state in EDITABLE_STATES and inquiry.company_name:
        match = services.organization_match(
            company_name=inquiry.company_name, email=inquiry.contact_email
        )
    return {
        "inquiry": inquiry,
        "actions": workflow_actions(
            inquiry,
            user,
            INQUIRY_ACTIONS,
            lambda name: reverse(
                "sales:inquiry-transition", kwargs={"pk": inquiry.pk, "name": name}
            ),
        ),
        "error": error,
        "error_allowed": error_allowed or [],
        "notice": notice,
        "edit_form": (edit_form or _edit_form(inquiry)) if may_edit else None,
        "opportunity": opportunity,
        "customer_match": match,
        "header": {
            "heading": f"Inquiry {inquiry.number}",
            "subtitle": inquiry.subject,
            "link_url": reverse("sales:opportunity-detail", args=[opportunity.pk])
            if opportunity
            else "",
            "link_label": f"Opportunity {opportunity.number}" if opportunity else "",
            "link_icon": "kanban",
        },
    }


INQUIRY_PAGE = DetailPage(
    template="sales/inquiry_detail.html",
    get=selectors.inquiry_get_for_user,
    context=_inquiry_context,
    url_name="sales:inquiry-detail",
)


@login_required
def inquiry_detail(request: HttpRequest, pk) -> HttpResponse:
    require_staff(request.user)
    inquiry = selectors.inquiry_get_for_user(request.user, pk)
    return render_page(
        request, INQUIRY_PAGE.template, _inquiry_context(request, inquiry), partial="workflow"
    )


@require_POST
@login_required
def inquiry_update(request: HttpRequest, pk) -> HttpResponse:
    user = request.user
    require_staff(user)
    inquiry = selectors.inquiry_get_for_user(user, pk)
    return edit_post(
        request,
        INQUIRY_PAGE,
        inquiry,
        form=_edit_form(inquiry, request.POST),
        save=lambda **kw: services.inquiry_update(inquiry=inquiry, actor=user, **kw),
    )


@require_POST
@login_required
def inquiry_transition(request: HttpRequest, pk, name: str) -> HttpResponse:
    user = request.user
    require_staff(user)
    inquiry = selectors.inquiry_get_for_user(user, pk)
    if name not in INQUIRY_ACTIONS:
        raise Http404

    def notice(result) -> str:
        if isinstance(result, Opportunity):
            return (
                f"{inquiry.number} became opportunity {result.number} for {result.customer.name}."
            )
        return f"{inquiry.number}: {INQUIRY_ACTIONS[name].label.lower()}."

    return transition_post(
        request,
        INQUIRY_PAGE,
        pk,
        call=lambda **kw: services.inquiry_transition(inquiry=inquiry, name=name, actor=user, **kw),
        notice=notice,
        redirect_to=lambda result: (
            reverse("sales:opportunity-detail", args=[result.pk])
            if isinstance(result, Opportunity)
            else None
        ),
    )


# --- the public form ------------------------------------------------------------------

THROTTLE_WINDOW_SECONDS = 60 * 60


@never_cache
def public_inquiry(request: HttpRequest) -> HttpResponse:
    """Anyone may ask: throttled per client address, a honeypot for bots, and one
    inquiry per rendered form however often it is posted."""
    form = directory.style_form(PublicInquiryForm(request.POST or None))
    if request.method == "POST" and form.is_valid():
        client = get_client_ip_address(request) or "unknown"
        if not rate_limit_hit(
            "inquiry-form",
            client,
            limit=settings.INQUIRY_FORM_LIMIT_PER_CLIENT,
            window_seconds=THROTTLE_WINDOW_SECONDS,
        ):
            response = render(
                request,
                "sales/public/inquiry_form.html",
                {"form": form, "throttled": True},
                status=429,
            )
            response["Retry-After"] = str(THROTTLE_WINDOW_SECONDS)
            return response
        if not form.is_bot:
            fields = {k: form.cleaned_data[k] for k in services.PUBLIC_FIELDS}
            services.inquiry_submit_public(form_token=form.cleaned_data["form_token"], **fields)
        # A bot gets the same thank-you page: nothing tells it the trap exists.
        return redirect("inquiry:thanks")
    status = 400 if request.method == "POST" else 200
    return render(request, "sales/public/inquiry_form.html", {"form": form}, status=status)


def public_inquiry_thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "sales/public/inquiry_thanks.html")
