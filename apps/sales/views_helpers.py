"""What the inquiry and opportunity pages share: the filtered list and the edit form
posted from a detail page."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from apps.core.concurrency import StaleObjectError
from apps.core.htmx import render_page
from apps.core.lists import RowsHook, list_page, number_search, sorted_from_matches
from apps.core.transitions import TransitionError
from apps.orders.models.rules import can_sell
from apps.sales.views_common import DetailPage, service_error


def filtered_list(
    request: HttpRequest,
    qs: QuerySet,
    filterset_class: type[django_filters.FilterSet],
    template: str,
    keys: Sequence[str],
    *,
    rows: RowsHook | None = None,
    **context,
) -> HttpResponse:
    """A staff list page on the fast list pattern; htmx gets the results region."""
    filterset = filterset_class(request.GET or None, queryset=qs)
    # Invalid values (a made-up sort key) are dropped by the form; the rest still apply.
    page = list_page(request, filterset.qs, rows=rows)
    filtered = filterset.is_bound and any(filterset.form.cleaned_data.get(k) for k in keys)
    return render_page(
        request,
        template,
        {"filter": filterset, "page_obj": page, "filtered": filtered, **context},
        partial="results",
    )


def number_sorted(filterset: django_filters.FilterSet, prefix: str) -> QuerySet:
    """The filtered list; searched by a number fragment (`q=12`), sorted from its
    matches, which the number's prefix index finds (`sorted_from_matches`)."""
    qs = filterset.qs
    q = filterset.form.cleaned_data.get("q") if filterset.is_bound else ""
    if q and number_search(q, prefix) is not None:
        return sorted_from_matches(qs)
    return qs


def form_errors(form: forms.Form, exc: ValidationError) -> None:
    """A service's field errors onto the form's fields (the rest at the top)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def edit_post(
    request: HttpRequest,
    page: DetailPage,
    obj,
    *,
    form: forms.Form | None,
    save: Callable[..., object],
) -> HttpResponse:
    """The edit form of a detail page: save(expected_version=, **fields) through the
    service, then the page (or its workflow region) with what was typed on a refusal."""
    pk = obj.pk
    if not can_sell(None, request.user):
        raise PermissionDenied(f"Only sales edit {obj._meta.verbose_name_plural}.")
    if form is None:
        message = f"{obj.number} is {obj.get_state_display().lower()}; it can no longer be edited."
        return page.answer(request, pk, status=409, error=message)
    if not form.is_valid():
        return page.answer(
            request, pk, status=400, error="Check the highlighted fields.", edit_form=form
        )
    fields = {k: v for k, v in form.cleaned_data.items() if k != "version"}
    try:
        save(expected_version=form.cleaned_data["version"], **fields)
    except (TransitionError, StaleObjectError, ValidationError) as exc:
        if isinstance(exc, ValidationError):
            form_errors(form, exc)
        message, status, _ = service_error(exc)
        return page.answer(request, pk, status=status, error=message, edit_form=form)
    notice = f"{obj.number} saved."
    if request.htmx:
        return page.answer(request, pk, notice=notice)
    messages.success(request, notice)
    return redirect(page.url_name, pk=pk)
