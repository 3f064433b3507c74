"""The quote builder: a new quote for a customer, then its lines through a configurator.

Every write is a service of apps.orders.services.quotes (quote_create,
quote_line_add / _update / _delete), sent with the quote's `version` the page
read: when someone else saved first, the page says so and keeps what was typed.
The configurator's preview (price, cost, margin, feasible date and its
explanation, the reviews the line would ask for) is computed by
apps.orders.services.line_preview without writing anything.

Sales write here; other staff get 403 (they read the quote on its page), contacts 404.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.catalog.configuration import option_choices
from apps.core.concurrency import StaleObjectError
from apps.core.htmx import hx_redirect, render_page
from apps.orders import selectors
from apps.orders.models import QUOTE_EDITABLE_STATES, Department, Quote, QuoteLine
from apps.orders.models.rules import can_sell
from apps.orders.pricing import discount_limit
from apps.orders.services import quotes as quote_services
from apps.orders.services.line_preview import quote_line_preview
from apps.sales.forms_builder import (
    OPTION_PREFIX,
    LineForm,
    QuoteCreateForm,
    QuoteDetailsForm,
    apply_service_errors,
    customer_prefill,
    line_initial,
)
from apps.sales.views_common import REFUSED, require_staff, service_error, workflow_actions
from apps.sales.views_quotes import QUOTE_ACTIONS

BUILDER = "sales/builder/builder.html"
CREATE = "sales/builder/quote_create.html"
CHECK_FIELDS = "Check the marked fields."


def _require_seller(user) -> None:
    require_staff(user)
    if not can_sell(None, user):
        raise PermissionDenied("Only sales create and edit quotes.")


def _conflict_message(quote: Quote) -> str:
    return (
        f"Someone else changed {quote.number} while you were editing it. Your entries are "
        "still in the form; the lines above are as they are saved now. Check them, then "
        "save again (or reload the page to start from the saved quote)."
    )


# -- a new quote ---------------------------------------------------------------


@login_required
def quote_create(request: HttpRequest) -> HttpResponse:
    """A new draft quote for a customer (?customer=<uuid> preselects one), then its builder."""
    user = request.user
    _require_seller(user)
    if request.method != "POST":
        customer = customer_prefill(user, request.GET.get("customer"))
        form = QuoteCreateForm(user=user, initial={"customer": customer} if customer else None)
        return render_page(request, CREATE, {"form": form})
    form = QuoteCreateForm(request.POST, user=user)
    status = 400
    if form.is_valid():
        try:
            quote = quote_services.quote_create(actor=user, **form.service_fields())
        except ValidationError as exc:
            apply_service_errors(form, exc, fields=QuoteCreateForm.SERVICE_FIELDS)
        else:
            messages.success(request, f"Quote {quote.number} created: add its lines.")
            url = reverse("sales:quote-builder", args=[quote.pk])
            return hx_redirect(url) if request.htmx else redirect(url)
    return render_page(request, CREATE, {"form": form, "error": CHECK_FIELDS}, status=status)


# -- the builder page ----------------------------------------------------------


def _bound(initial: dict, *, user, line: QuoteLine | None) -> LineForm:
    """A configurator bound to `initial`, so it validates and previews like a post."""
    data = QueryDict(mutable=True)
    for key, value in initial.items():
        if value is None:
            continue
        if isinstance(value, list):
            data.setlist(key, [str(v) for v in value])
        else:
            data[key] = str(value)
    return LineForm(data, user=user, line=line)


def _find_line(quote: Quote, raw) -> QuoteLine | None:
    try:
        pk = uuid.UUID(str(raw))
    except (TypeError, ValueError):
        return None
    # The lines come with the quote (selectors.quote_get_for_user prefetches them).
    return next((line for line in quote.lines.all() if line.pk == pk), None)


def _option_rows(form: LineForm) -> list[dict]:
    """Each option group as the page shows it: which choices are offered, and why not."""
    product = form.product_obj
    if product is None:
        return []
    selections = form.selections()
    choices = option_choices(product=product, selections=selections, quantity=form.quantity_value())
    rows = []
    for group in form.groups:
        chosen = selections.get(group.code)
        chosen = set(chosen if isinstance(chosen, list) else [chosen] if chosen else [])
        if not chosen and not form.is_bound:
            chosen = {o.code for o in group.options.all() if o.is_default}
        rows.append(
            {
                "group": group,
                "field": form[f"{OPTION_PREFIX}{group.code}"],
                "name": f"{OPTION_PREFIX}{group.code}",
                "multiple": group.allow_multiple,
                "optional": not group.is_required and not group.allow_multiple,
                "none_checked": not chosen,
                "choices": [
                    {
                        "option": c.option,
                        "offered": c.offered,
                        "reason": c.reason,
                        "needs": c.needs,
                        "checked": c.option.code in chosen,
                    }
                    for c in choices[group.code]
                ],
            }
        )
    return rows


def _preview(user, quote: Quote, form: LineForm):
    """The line's preview, or None with the problems put on the form's fields."""
    if not form.is_valid() or form.product_obj is None:
        return None
    fields = form.line_fields()
    fields.pop("scope_statement")
    try:
        return quote_line_preview(
            quote=quote, actor=user, product=form.product_obj, line=form.line, **fields
        )
    except ValidationError as exc:
        apply_service_errors(form, exc, fields=LineForm.SERVICE_FIELDS)
        return None


def _configurator(request: HttpRequest, quote: Quote, form: LineForm) -> dict:
    user = request.user
    preview = _preview(user, quote, form)
    version = form.cleaned_data.get("version") if hasattr(form, "cleaned_data") else None
    line = form.line
    return {
        "form": form,
        "editing": line,
        "option_rows": _option_rows(form),
        "preview": preview,
        # The form was read at another version: saving will be refused, say so now.
        "stale": bool(version and version != quote.version),
        "preview_url": reverse("sales:quote-line-preview", args=[quote.pk]),
        "save_url": reverse("sales:quote-line-update", args=[quote.pk, line.pk])
        if line
        else reverse("sales:quote-line-add", args=[quote.pk]),
    }


def _new_line_form(request: HttpRequest, quote: Quote) -> LineForm:
    user = request.user
    editing = _find_line(quote, request.GET.get("line"))
    if editing is not None:
        return _bound(line_initial(editing, quote.version), user=user, line=editing)
    product = request.GET.get("product")
    if product:
        return _bound({"version": quote.version, "product": product}, user=user, line=None)
    return LineForm(user=user, initial={"version": quote.version})


def _builder_context(
    request: HttpRequest,
    quote: Quote,
    *,
    form: LineForm | None = None,
    details: QuoteDetailsForm | None = None,
    notice: str = "",
    error: str = "",
    conflict: str = "",
) -> dict:
    user = request.user
    editable = quote.state in QUOTE_EDITABLE_STATES
    submit = workflow_actions(
        quote,
        user,
        {"submit": QUOTE_ACTIONS["submit"]},
        lambda name: reverse("sales:quote-transition", kwargs={"pk": quote.pk, "name": name}),
    )
    context = {
        "quote": quote,
        "lines": list(quote.lines.all()),
        "editable": editable,
        "locked_reason": ""
        if editable
        else (
            f"{quote.number} is {quote.get_state_display().lower()}: its lines change only "
            "in a draft. Revise it on the quote page to edit them."
        ),
        "submit": next(iter(submit["buttons"]), None),
        "upcoming_reviews": [
            (Department(dept).label, reasons)
            for dept, reasons in quote_services.required_reviews(quote).items()
        ]
        if editable
        else [],
        "discount_limit": discount_limit(quote.owner),
        "notice": notice,
        "error": error,
        "conflict": conflict,
    }
    if editable:
        context["details"] = details or QuoteDetailsForm.for_quote(quote)
        context.update(_configurator(request, quote, form or _new_line_form(request, quote)))
    return context


def _answer(request: HttpRequest, quote: Quote, *, status: int = 200, **kwargs) -> HttpResponse:
    context = _builder_context(request, quote, **kwargs)
    # htmx swaps only 2xx and 422 answers (base.html): refusals travel as 422.
    status = 422 if request.htmx and status >= 400 else status
    return render_page(request, BUILDER, context, partial="builder", status=status)


@login_required
def quote_builder(request: HttpRequest, pk) -> HttpResponse:
    """The builder page (?line=<uuid> opens a line in the configurator, ?product= a product)."""
    user = request.user
    _require_seller(user)
    return _answer(request, selectors.quote_get_for_user(user, pk))


@require_POST
@login_required
def quote_line_preview_view(request: HttpRequest, pk) -> HttpResponse:
    """The configurator with what the posted line would cost and when it could ship: no save."""
    user = request.user
    _require_seller(user)
    quote = selectors.quote_get_for_user(user, pk)
    line = _find_line(quote, request.POST.get("line"))
    form = LineForm(request.POST, user=user, line=line)
    if not request.htmx or request.htmx.boosted:
        return _answer(request, quote, form=form)
    context = _builder_context(request, quote, form=form)
    return render_page(request, BUILDER, context, partial="configurator")


def _kept_line_form(request: HttpRequest, quote: Quote) -> LineForm | None:
    """The configurator as the user left it (from the post), against `quote`'s current
    version: what was typed survives an answer that re-renders the whole builder."""
    if not request.POST.get("product"):
        return None  # no product chosen yet: nothing typed worth keeping
    data = request.POST.copy()
    data["version"] = str(quote.version)
    line = _find_line(quote, data.get("line"))
    if line is None:
        data.pop("line", None)  # removed meanwhile: the entries stay, as a new line
    return LineForm(data, user=request.user, line=line)


def _refused(
    request: HttpRequest, quote: Quote, exc: Exception, *, form: LineForm | None = None, **kw
) -> HttpResponse:
    """The builder after a refused save. Someone else saved first: the lines as they
    are now, with every entry kept and the next save going against that version."""
    if not isinstance(exc, StaleObjectError):
        message, status, _allowed = service_error(exc)
        return _answer(request, quote, form=form, status=status, error=message, **kw)
    fresh = selectors.quote_get_for_user(request.user, quote.pk)
    if form is not None:
        form = _kept_line_form(request, fresh)
    return _answer(request, fresh, form=form, status=409, conflict=_conflict_message(fresh), **kw)


def _saved(request: HttpRequest, quote: Quote, notice: str) -> HttpResponse:
    if not request.htmx:
        messages.success(request, notice)
        return redirect("sales:quote-builder", pk=quote.pk)
    return _answer(request, selectors.quote_get_for_user(request.user, quote.pk), notice=notice)


def _save(request: HttpRequest, quote: Quote, form: LineForm, call) -> HttpResponse:
    """Validate, call the service with the version the form read, answer the builder."""
    if not form.is_valid():
        return _answer(request, quote, form=form, status=400, error=CHECK_FIELDS)
    try:
        notice = call(form.line_fields(), form.cleaned_data["version"])
    except ValidationError as exc:
        apply_service_errors(form, exc, fields=LineForm.SERVICE_FIELDS)
        return _answer(request, quote, form=form, status=400, error=CHECK_FIELDS)
    except REFUSED as exc:
        return _refused(request, quote, exc, form=form)
    return _saved(request, quote, notice)


def _saved_notice(quote: Quote, line: QuoteLine, verb: str) -> str:
    text = f"Line {line.position} {verb}: {line.quantity} × {line.product.name}."
    limit = discount_limit(quote.owner)
    if line.discount_percent > limit:
        text += (
            f" Its {line.discount_percent.normalize():f} % discount is above the "
            f"{limit.normalize():f} % limit: submitting the quote will ask a sales manager "
            "for a pricing review."
        )
    return text


@require_POST
@login_required
def quote_line_add(request: HttpRequest, pk) -> HttpResponse:
    user = request.user
    _require_seller(user)
    quote = selectors.quote_get_for_user(user, pk)
    form = LineForm(request.POST, user=user)

    def call(fields: dict, version: int) -> str:
        line = quote_services.quote_line_add(
            quote=quote,
            actor=user,
            product=form.cleaned_data["product"],
            expected_version=version,
            **fields,
        )
        return _saved_notice(quote, line, "added")

    return _save(request, quote, form, call)


@require_POST
@login_required
def quote_line_update(request: HttpRequest, pk, line_pk) -> HttpResponse:
    user = request.user
    _require_seller(user)
    quote = selectors.quote_get_for_user(user, pk)
    line = _find_line(quote, line_pk)
    if line is None:
        return _answer(
            request,
            quote,
            form=_kept_line_form(request, quote),
            status=409,
            conflict=(
                "Someone else removed this line while you were editing it. Your entries are "
                "kept below as a new line: add it again if it is still wanted."
            ),
        )
    form = LineForm(request.POST, user=user, line=line)

    def call(fields: dict, version: int) -> str:
        saved = quote_services.quote_line_update(
            line=line, actor=user, expected_version=version, **fields
        )
        return _saved_notice(quote, saved, "saved")

    return _save(request, quote, form, call)


@require_POST
@login_required
def quote_line_delete(request: HttpRequest, pk, line_pk) -> HttpResponse:
    user = request.user
    _require_seller(user)
    quote = selectors.quote_get_for_user(user, pk)
    line = _find_line(quote, line_pk)
    if line is None:
        return _answer(
            request, quote, status=409, conflict="This line was already removed by someone else."
        )
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        return _answer(request, quote, status=400, error="The quote's version is missing.")
    try:
        quote_services.quote_line_delete(line=line, actor=user, expected_version=version)
    except REFUSED as exc:
        return _refused(request, quote, exc)
    return _saved(request, quote, f"Line {line.position} removed: {line.product.name}.")


@require_POST
@login_required
def quote_details_update(request: HttpRequest, pk) -> HttpResponse:
    """Save the draft's title, requested date, validity and reference (quote_update).

    A new requested date re-promises every line, so the builder answers whole; the
    configurator's entries come along in the post and are kept."""
    user = request.user
    _require_seller(user)
    quote = selectors.quote_get_for_user(user, pk)
    details = QuoteDetailsForm(request.POST)
    line_form = _kept_line_form(request, quote)
    if not details.is_valid():
        return _answer(
            request, quote, form=line_form, details=details, status=400, error=CHECK_FIELDS
        )
    changes = details.changes(quote)
    if changes:
        try:
            quote_services.quote_update(
                quote=quote,
                actor=user,
                expected_version=details.cleaned_data["version"],
                **changes,
            )
        except ValidationError as exc:
            apply_service_errors(details, exc, fields=QuoteDetailsForm.SERVICE_FIELDS)
            return _answer(
                request, quote, form=line_form, details=details, status=400, error=CHECK_FIELDS
            )
        except StaleObjectError:
            fresh = selectors.quote_get_for_user(user, quote.pk)
            data = request.POST.copy()
            data["quote-version"] = str(fresh.version)
            kept = QuoteDetailsForm(data)
            kept.is_valid()
            return _answer(
                request,
                fresh,
                form=_kept_line_form(request, fresh),
                details=kept,
                status=409,
                conflict=_conflict_message(fresh),
            )
        except REFUSED as exc:
            return _refused(request, quote, exc, form=line_form, details=details)
    notice = f"{quote.number}: details saved." if changes else "Nothing to save: no change."
    if not request.htmx:
        messages.success(request, notice)
        return redirect("sales:quote-builder", pk=quote.pk)
    fresh = selectors.quote_get_for_user(user, quote.pk)
    return _answer(request, fresh, form=_kept_line_form(request, fresh), notice=notice)
