"""Staff change requests, shown as a section of the staff quote and order pages.

Every step of a change request can be taken here: raise one, start the
assessment, record the engineering and manufacturing notes and the deltas
(including per-line quantity, configuration and scope changes on orders),
propose, approve or reject, apply. A step the visitor cannot take now is shown
disabled with the sentence that says why. Every button calls the service the
API calls (apps.orders.services.changes).
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.accounts import directory
from apps.core.concurrency import StaleObjectError
from apps.core.htmx import hx_redirect
from apps.core.limits import (
    COMMENT_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    MONEY_LIMIT,
    NOTES_MAX_LENGTH,
    QUANTITY_MAX,
    TITLE_MAX_LENGTH,
    VERSION_MAX,
)
from apps.core.models import Audience
from apps.core.transitions import TransitionError, transition_names
from apps.orders import selectors
from apps.orders.models import ChangeRequest, ChangeState, Quote, SalesOrder
from apps.orders.models.rules import can_assess_change
from apps.orders.services import changes as change_services
from apps.sales.views_common import require_staff, service_error

SECTION_TEMPLATE = "sales/partials/change_requests.html"

# Label and Bootstrap tone per transition, in the order they are shown.
CR_ACTIONS = {
    "start_assessment": ("Start assessment", "primary"),
    "propose": ("Propose", "primary"),
    "approve": ("Approve", "success"),
    "reject": ("Reject", "outline-danger"),
    "apply": ("Apply", "success"),
}
MONEY_BOUND = MONEY_LIMIT - Decimal("0.01")


class NewChangeRequestForm(forms.Form):
    title = forms.CharField(max_length=TITLE_MAX_LENGTH, label="What should change?")
    description = forms.CharField(
        max_length=DESCRIPTION_MAX_LENGTH, label="Details", widget=forms.Textarea(attrs={"rows": 2})
    )


class ChangeTransitionForm(forms.Form):
    comment = forms.CharField(required=False, max_length=COMMENT_MAX_LENGTH)
    customer_visible = forms.BooleanField(required=False)
    version = forms.IntegerField(required=False, min_value=1, max_value=VERSION_MAX)


def _parse_configuration(text: str) -> dict:
    """'drive=vfd; options=a,b' → {"drive": "vfd", "options": ["a", "b"]}."""
    out: dict = {}
    for pair in text.replace("\n", ";").split(";"):
        if not pair.strip():
            continue
        if "=" not in pair:
            raise ValidationError(f"“{pair.strip()}” is not group=option.")
        group, _, value = pair.partition("=")
        codes = [c.strip() for c in value.split(",") if c.strip()]
        if not group.strip() or not codes:
            raise ValidationError(f"“{pair.strip()}” is not group=option.")
        out[group.strip()] = codes if len(codes) > 1 else codes[0]
    return out


def _format_configuration(config: dict) -> str:
    return "; ".join(
        f"{group}={','.join(v) if isinstance(v, list) else v}" for group, v in config.items()
    )


class AssessForm(forms.Form):
    engineering_assessment = forms.CharField(
        required=False, max_length=NOTES_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )
    manufacturing_assessment = forms.CharField(
        required=False, max_length=NOTES_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )
    cost_delta = forms.DecimalField(
        max_digits=14, decimal_places=2, min_value=-MONEY_BOUND, max_value=MONEY_BOUND
    )
    price_delta = forms.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=-MONEY_BOUND,
        max_value=MONEY_BOUND,
        help_text="A charge or credit on top of re-pricing the changed lines.",
    )
    date_delta_days = forms.IntegerField(
        min_value=-365, max_value=365, help_text="Moves every line's forecast."
    )
    version = forms.IntegerField(
        required=False, min_value=1, max_value=VERSION_MAX, widget=forms.HiddenInput
    )

    def __init__(self, *args, cr: ChangeRequest, lines=(), **kwargs):
        current = {str(c.get("line")): c for c in cr.proposed_changes if isinstance(c, dict)}
        initial = {
            "engineering_assessment": cr.engineering_assessment,
            "manufacturing_assessment": cr.manufacturing_assessment,
            "cost_delta": cr.cost_delta,
            "price_delta": cr.price_delta,
            "date_delta_days": cr.date_delta_days,
            "version": cr.version,
        }
        super().__init__(*args, initial=initial, prefix=f"cr-{cr.pk}", **kwargs)
        self.main_fields = [self[name] for name in list(self.fields) if name != "version"]
        self.lines = list(lines)
        self.line_fields = []
        for line in self.lines:
            change = current.get(str(line.pk), {})
            key = str(line.pk)
            self.fields[f"qty-{key}"] = forms.IntegerField(
                required=False,
                min_value=1,
                max_value=QUANTITY_MAX,
                initial=change.get("quantity"),
                label=f"Line {line.position} new quantity (now {line.quantity})",
            )
            self.fields[f"config-{key}"] = forms.CharField(
                required=False,
                max_length=2000,
                initial=_format_configuration(change["configuration"])
                if "configuration" in change
                else "",
                label=f"Line {line.position} new configuration "
                f"(now {_format_configuration(line.configuration) or 'defaults'})",
            )
            self.fields[f"scope-{key}"] = forms.CharField(
                required=False,
                max_length=DESCRIPTION_MAX_LENGTH,
                initial=change.get("scope_statement", ""),
                widget=forms.Textarea(attrs={"rows": 1}),
                label=f"Line {line.position} new scope statement",
            )
            self.line_fields.append(
                (line, self[f"qty-{key}"], self[f"config-{key}"], self[f"scope-{key}"])
            )

    def clean(self):
        data = super().clean()
        changes = []
        for line in self.lines:
            key = str(line.pk)
            change: dict = {}
            qty = data.get(f"qty-{key}")
            if qty is not None and qty != line.quantity:
                change["quantity"] = qty
            config_text = (data.get(f"config-{key}") or "").strip()
            if config_text:
                try:
                    config = _parse_configuration(config_text)
                except ValidationError as exc:
                    self.add_error(f"config-{key}", exc)
                    continue
                if config != line.configuration:
                    change["configuration"] = config
            scope = (data.get(f"scope-{key}") or "").strip()
            if scope and scope != line.scope_statement:
                change["scope_statement"] = scope
            if change:
                changes.append({"line": key, **change})
        data["proposed_changes"] = changes
        return data


# --- the section on the quote and order pages -------------------------------------


def _target_url(target: Quote | SalesOrder) -> str:
    name = "sales:order-detail" if isinstance(target, SalesOrder) else "sales:quote-detail"
    return reverse(name, args=[target.pk])


def _item(request: HttpRequest, cr: ChangeRequest, lines, assess_form=None) -> dict:
    user = request.user
    # Every step out of the current state, whether its conditions hold or not.
    here = {t.name for t in cr.get_all_state_transitions() if t.source in (cr.state, "*")}
    names = [n for n in CR_ACTIONS if n in here]
    refusals = change_services.change_request_refusals(cr, user, names)
    actions = []
    for name in names:
        label, tone = CR_ACTIONS[name]
        if name == "apply" and cr.quote_id:
            label = "Mark applied"
        actions.append(
            {
                "name": name,
                "label": label,
                "tone": tone,
                "enabled": name not in refusals,
                "reason": refusals.get(name, ""),
                # The customer reads this transition: let the author choose for the comment.
                "audience_choice": cr.is_customer_visible or name == "propose",
            }
        )
    can_assess = cr.state == ChangeState.ASSESSING and can_assess_change(cr, user)
    if cr.state == ChangeState.SUBMITTED:
        assess_reason = "Start the assessment to record notes and deltas."
    elif cr.state != ChangeState.ASSESSING:
        assess_reason = ""  # decided or proposed: the assessment above is final
    elif not can_assess:
        assess_reason = "Engineering, manufacturing or sales record the assessment."
    else:
        assess_reason = ""
    form = None
    if can_assess:
        form = assess_form or AssessForm(cr=cr, lines=lines)
        directory.style_form(form)
    line_names = {str(line.pk): f"line {line.position}" for line in lines}
    return {
        "cr": cr,
        "actions": actions,
        "assess_form": form,
        "assess_reason": assess_reason,
        "changes": [
            {
                "line": line_names.get(str(c.get("line")), "a line"),
                "quantity": c.get("quantity"),
                "configuration": _format_configuration(c["configuration"])
                if isinstance(c.get("configuration"), dict)
                else "",
                "scope": c.get("scope_statement", ""),
            }
            for c in cr.proposed_changes
            if isinstance(c, dict)
        ],
    }


def change_section(
    request: HttpRequest,
    target: Quote | SalesOrder,
    *,
    error: str = "",
    notice: str = "",
    create_form: NewChangeRequestForm | None = None,
    assess_forms: dict | None = None,
) -> dict:
    """The context of the change-request section of a staff quote or order page."""
    user = request.user
    kind = "order" if isinstance(target, SalesOrder) else "quote"
    # A page's target says whether it has any (`has_change_requests`): none, no query
    # (nor the queryset built).
    crs = []
    if getattr(target, "has_change_requests", True):
        crs = list(
            selectors.change_requests_visible_to(user)
            .filter(**{kind: target})
            # A request is on a quote or on an order, never both, and its customer is
            # the target's: neither is joined again (compiling their columns was a third
            # of the section's time), the target and its customer are set below.
            .select_related(None)
            .select_related("requested_by", "decided_by")
            .order_by("-created_at")
        )
    if kind == "order" and crs and "lines" not in getattr(target, "_prefetched_objects_cache", {}):
        # A page that loaded only the lines it shows: the requests' steps and
        # assessments read every line (one query, only when there are requests).
        prefetch_related_objects([target], "lines")
    lines = list(target.lines.all()) if kind == "order" and crs else []
    for cr in crs:
        # The page's target has its lines prefetched: the conditions read them from there.
        setattr(cr, kind, target)
        if cr.customer_id == target.customer_id:
            cr.customer = target.customer
    assess_forms = assess_forms or {}
    return {
        "cr_target": target,
        "cr_kind": kind,
        "cr_items": [_item(request, cr, lines, assess_forms.get(cr.pk)) for cr in crs],
        "cr_create_url": reverse(f"sales:{kind}-change-request-create", args=[target.pk]),
        "cr_create_form": directory.style_form(create_form or NewChangeRequestForm(prefix="new")),
        "cr_error": error,
        "cr_notice": notice,
    }


def _answer(
    request: HttpRequest, target: Quote | SalesOrder, *, status: int = 200, **kw
) -> HttpResponse:
    """htmx: the re-rendered section (422 carries errors). A plain POST: back to the
    page after success; on a refusal the page itself, with the error and its status."""
    # Reload the target so the section shows what the service just wrote.
    target = _reload_target(request.user, target)
    if request.htmx:
        context = change_section(request, target, **kw)
        return render(request, SECTION_TEMPLATE, context, status=422 if status >= 400 else status)
    if status < 400:
        messages.success(request, kw.get("notice", ""))
        return redirect(_target_url(target))
    # The page views build the rest of the page; the section carries the error.
    if isinstance(target, SalesOrder):
        from apps.sales.views_orders import _order_context as page_context

        template = "sales/order_detail.html"
    else:
        from apps.sales.views_quotes import _quote_context as page_context

        template = "sales/quote_detail.html"
    context = page_context(request, target)
    context.update(change_section(request, target, **kw))
    return render(request, template, context, status=status)


def _reload_target(user, target: Quote | SalesOrder) -> Quote | SalesOrder:
    if isinstance(target, SalesOrder):
        return selectors.order_get_for_user(user, target.pk)
    return selectors.quote_get_for_user(user, target.pk)


def _form_errors(form: forms.Form) -> str:
    return " ".join(f"{e}" for errors in form.errors.values() for e in errors)


# --- views ---------------------------------------------------------------------------


def _create(request: HttpRequest, target: Quote | SalesOrder) -> HttpResponse:
    form = NewChangeRequestForm(request.POST, prefix="new")
    if not form.is_valid():
        return _answer(request, target, status=400, create_form=form, error=_form_errors(form))
    kind = "order" if isinstance(target, SalesOrder) else "quote"
    try:
        cr = change_services.change_request_create(
            actor=request.user, **{kind: target}, **form.cleaned_data
        )
    except (ValidationError, PermissionDenied) as exc:
        message, status, _allowed = service_error(exc)
        return _answer(request, target, status=status, create_form=form, error=message)
    return _answer(request, target, notice=f"{cr.number} raised; it stays internal until proposed.")


@require_POST
@login_required
def quote_change_request_create(request: HttpRequest, pk) -> HttpResponse:
    require_staff(request.user)
    return _create(request, selectors.quote_get_for_user(request.user, pk))


@require_POST
@login_required
def order_change_request_create(request: HttpRequest, pk) -> HttpResponse:
    require_staff(request.user)
    return _create(request, selectors.order_get_for_user(request.user, pk))


@require_POST
@login_required
def change_request_assess(request: HttpRequest, pk) -> HttpResponse:
    user = request.user
    require_staff(user)
    cr = selectors.change_request_get_for_user(user, pk)
    target = cr.target
    lines = list(target.lines.all()) if cr.order_id else []
    form = AssessForm(request.POST, cr=cr, lines=lines)
    if not form.is_valid():
        return _answer(
            request, target, status=400, assess_forms={cr.pk: form}, error=_form_errors(form)
        )
    fields = {k: form.cleaned_data[k] for k in change_services.ASSESSMENT_FIELDS}
    if cr.order_id is None:
        fields.pop("proposed_changes")
    try:
        change_services.change_request_assess(
            change_request=cr, actor=user, expected_version=form.cleaned_data["version"], **fields
        )
    except (TransitionError, StaleObjectError, ValidationError, PermissionDenied) as exc:
        message, status, _allowed = service_error(exc)
        if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        return _answer(request, target, status=status, assess_forms={cr.pk: form}, error=message)
    return _answer(request, target, notice=f"Assessment of {cr.number} saved.")


@require_POST
@login_required
def change_request_transition(request: HttpRequest, pk, name: str) -> HttpResponse:
    user = request.user
    require_staff(user)
    cr = selectors.change_request_get_for_user(user, pk)
    if name not in transition_names(cr):
        raise Http404
    target = cr.target
    form = ChangeTransitionForm(request.POST)
    if not form.is_valid():
        return _answer(request, target, status=400, error="The comment or version is invalid.")
    try:
        cr = change_services.change_request_transition(
            change_request=cr,
            name=name,
            actor=user,
            comment=form.cleaned_data["comment"].strip(),
            comment_audience=Audience.CUSTOMER
            if form.cleaned_data["customer_visible"]
            else Audience.INTERNAL,
            expected_version=form.cleaned_data["version"],
        )
    except (TransitionError, StaleObjectError, ValidationError, PermissionDenied) as exc:
        message, status, _allowed = service_error(exc)
        return _answer(request, target, status=status, error=message)
    notice = f"{cr.number}: {cr.get_state_display().lower()}."
    if name == "apply" and request.htmx:
        # Applying rewrites lines, totals and dates: the whole page is out of date.
        messages.success(request, notice)
        return hx_redirect(_target_url(target))
    return _answer(request, target, notice=notice)
