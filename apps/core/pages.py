"""One way for staff and portal detail pages to answer a button.

A detail page (quote, order, on the staff side or the portal) is a `DetailPage`:
how to fetch the object for the user (404 when invisible), how to build its
context, which template renders it and which region an htmx answer swaps.
`transition_post` validates the posted form, calls the service and answers with
the re-rendered region (htmx) or a redirect, so each view only says which
service a button calls. Role apps build their pages on this; `apps.core` knows
none of them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from django import forms
from django.contrib import messages
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from apps.core.htmx import hx_redirect, render_page
from apps.core.limits import COMMENT_MAX_LENGTH, VERSION_MAX
from apps.core.refusals import REFUSED, service_error

# A detail page renders its first LINES_SHOWN lines; "Show all N lines" (`?lines=all`,
# over htmx only the rows: the `line-rows` partial) renders the rest. A 200-line
# document then costs about what a 25-line one does (bench: the rows were ~80%
# of a 200-line page's time).
LINES_SHOWN = 25
ALL_LINES = "all"


@dataclass(frozen=True)
class LineWindow:
    """The lines a detail page renders now, and how many wait behind "Show all"."""

    shown: Sequence
    total: int

    @property
    def hidden(self) -> int:
        return self.total - len(self.shown)


# The sections of a detail page read on demand (the comment thread): htmx loads each
# when it is scrolled into view; `?sections=all` renders them in the page (the link a
# browser without JavaScript follows).
ALL_SECTIONS = "all"


def all_sections_asked(request: HttpRequest) -> bool:
    return request.GET.get("sections") == ALL_SECTIONS


def lazy_sections(request: HttpRequest) -> bool:
    """Whether a page leaves its on-demand sections to htmx: a plain GET of the page.
    `?sections=all` renders them in the page, and so does a button's answer (a POST),
    which shows its form with the errors and what was typed, or its notice."""
    return request.method == "GET" and not all_sections_asked(request)


def sections_url(request: HttpRequest) -> str:
    """Where a staff page's lazy sections load from: its own URL with `?section=<name>`
    (htmx, when revealed), or "" when the page renders every section inline
    (`lazy_sections` is false)."""
    return request.path if lazy_sections(request) else ""


def section_asked(request: HttpRequest) -> str | None:
    """The one section a GET of a detail page asks for (`?section=<name>`), if any."""
    return request.GET.get("section")


def all_lines_asked(request: HttpRequest) -> bool:
    return request.GET.get("lines") == ALL_LINES


def line_window(request: HttpRequest, lines: Sequence) -> LineWindow:
    """The first LINES_SHOWN of `lines` (prefetched), or all of them with `?lines=all`."""
    lines = list(lines)
    shown = lines if all_lines_asked(request) else lines[:LINES_SHOWN]
    return LineWindow(shown=shown, total=len(lines))


def detail_partial(request: HttpRequest, partial: str | None) -> str | None:
    """The partial an htmx GET of a detail page answers: the line rows for "Show all"."""
    return "line-rows" if all_lines_asked(request) else partial


class TransitionForm(forms.Form):
    """A workflow button's comment and the version the page was loaded with."""

    comment = forms.CharField(required=False, max_length=COMMENT_MAX_LENGTH)
    version = forms.IntegerField(required=False, min_value=1, max_value=VERSION_MAX)

    invalid_message = "The comment or version is invalid."

    def service_kwargs(self) -> dict[str, Any]:
        """What the service gets from the form (a subclass adds its own fields)."""
        return {
            "comment": self.cleaned_data["comment"].strip(),
            "expected_version": self.cleaned_data["version"],
        }


@dataclass(frozen=True)
class DetailPage:
    template: str
    get: Callable[[Any, Any], models.Model]  # (user, pk) -> object, 404 when invisible
    context: Callable[..., dict]  # (request, obj, **answer) -> template context
    url_name: str
    partial: str = "workflow-and-timeline"  # the region an htmx answer re-renders

    def answer(self, request: HttpRequest, pk, *, status: int = 200, **answer) -> HttpResponse:
        """The page (or its region for htmx) after a button, with its notice/error."""
        obj = self.get(request.user, pk)
        context = self.context(request, obj, **answer)
        if request.htmx:
            # htmx swaps only 2xx and 422 answers (base.html): refusals travel as 422.
            return render_page(
                request,
                self.template,
                context,
                partial=self.partial,
                status=422 if status >= 400 else status,
            )
        return render_page(request, self.template, context, status=status)


def region_page(page: DetailPage, region: str, partial: str) -> DetailPage:
    """`page` whose buttons answer in one of its regions (change requests, tracker links):
    the answer's error and notice reach the context as `<region>_error` / `<region>_notice`,
    and htmx gets `partial`."""

    def context(request, obj, *, error="", notice="", error_allowed=None, **extra):
        return page.context(
            request, obj, **{f"{region}_error": error, f"{region}_notice": notice}, **extra
        )

    return replace(page, context=context, partial=partial)


def transition_post(
    request: HttpRequest,
    page: DetailPage,
    pk,
    *,
    call: Callable[..., Any],
    notice: Callable[[Any], str],
    redirect_to: Callable[[Any], str | None] = lambda result: None,
    form_class: type[TransitionForm] = TransitionForm,
    form_key: str = "",
    success_context: Callable[[Any], dict] = lambda result: {},
) -> HttpResponse:
    """One button: call(**form.service_kwargs()) and answer the page.

    `form_key`: the context keyword the bound form goes back under when it is
    invalid or refused, so the page shows its field errors and what was typed.
    `success_context`: more for the htmx answer's context (e.g. a link shown once).
    """
    form = form_class(request.POST)
    kept = {form_key: form} if form_key else {}
    if not form.is_valid():
        return page.answer(request, pk, status=400, error=form.invalid_message, **kept)
    try:
        result = call(**form.service_kwargs())
    except REFUSED as exc:
        message, status, allowed = service_error(exc)
        return page.answer(request, pk, status=status, error=message, error_allowed=allowed, **kept)
    text = notice(result)
    url = redirect_to(result)
    if url:
        messages.success(request, text)
        return hx_redirect(url) if request.htmx else redirect(url)
    if not request.htmx:
        messages.success(request, text)
        return redirect(page.url_name, pk=pk)
    return page.answer(request, pk, notice=text, **success_context(result))
