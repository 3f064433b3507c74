"""What the staff detail pages share: the workflow buttons, the refusal answers and
the one view every workflow button posts to.

A detail page (quote, order) is a `DetailPage`: how to fetch the object for the
user (404 when invisible), how to build its context, which template renders it.
`transition_post` validates the comment and version, calls the service and
answers with the re-rendered workflow region (htmx) or a redirect, so each page
only says which service a button calls.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from apps.core.concurrency import StaleObjectError
from apps.core.htmx import hx_redirect, render_page
from apps.core.limits import COMMENT_MAX_LENGTH, VERSION_MAX
from apps.core.models import Audience
from apps.core.permissions import is_internal
from apps.core.transitions import TransitionError, transition_options


def require_staff(user) -> None:
    # The middleware already answers 404 to contacts under /sales/; this holds
    # even if a route is mounted elsewhere.
    if not is_internal(user):
        raise Http404


class TransitionForm(forms.Form):
    comment = forms.CharField(required=False, max_length=COMMENT_MAX_LENGTH)
    version = forms.IntegerField(required=False, min_value=1, max_value=VERSION_MAX)
    # A staff comment is internal unless the box "Customer sees the comment" is ticked.
    customer_sees = forms.BooleanField(required=False)

    def comment_audience(self) -> str:
        return Audience.CUSTOMER if self.cleaned_data["customer_sees"] else Audience.INTERNAL


REFUSED = (TransitionError, StaleObjectError, ValidationError, PermissionDenied)


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


@dataclass(frozen=True)
class Action:
    label: str
    tone: str = "outline-secondary"
    icon: str = "arrow-right"


def workflow_actions(
    obj: models.Model,
    user,
    table: dict[str, Action],
    url: Callable[[str], str],
    skip: frozenset[str] = frozenset(),
    customer_sees: frozenset[str] = frozenset(),
) -> dict:
    """The page's buttons for `user`, in the table's order.

    `buttons`: transitions the user's role may fire, each `allowed` or disabled
    with the condition's refusal sentence in `reason`; `others`: transitions
    of this state that wait on someone else's role. Transitions missing from
    the table (the scheduler's) or in `skip` (a step the page offers through its
    own form) are not shown. `options` maps every transition
    of the state to its TransitionOption. Transitions in `customer_sees` are on
    the customer's timeline: their comment box offers to show the comment to the
    customer too (it is internal otherwise).
    """
    options = {o.name: o for o in transition_options(obj, user)}
    buttons, others = [], []
    for name, action in table.items():
        option = options.get(name)
        if option is None or name in skip:
            continue
        item = {
            "name": name,
            "label": action.label,
            "tone": action.tone,
            "icon": action.icon,
            "allowed": option.allowed,
            "reason": option.reason,
            "unmet": option.unmet,
            "url": url(name),
            "customer_sees": name in customer_sees,
        }
        (buttons if option.permitted else others).append(item)
    return {"buttons": buttons, "others": others, "options": options}


@dataclass(frozen=True)
class DetailPage:
    template: str
    get: Callable[[Any, Any], models.Model]  # (user, pk) -> object, 404 when invisible
    context: Callable[..., dict]  # (request, obj, **answer) -> template context
    url_name: str

    def answer(self, request: HttpRequest, pk, *, status: int = 200, **answer) -> HttpResponse:
        """The page (or its workflow region for htmx) after a button, with its notice/error."""
        obj = self.get(request.user, pk)
        context = self.context(request, obj, **answer)
        if request.htmx:
            # htmx swaps only 2xx and 422 answers (base.html): refusals travel as 422.
            return render_page(
                request,
                self.template,
                context,
                partial="workflow-and-timeline",
                status=422 if status >= 400 else status,
            )
        return render_page(request, self.template, context, status=status)


def transition_post(
    request: HttpRequest,
    page: DetailPage,
    pk,
    *,
    call: Callable[..., Any],
    notice: Callable[[Any], str],
    redirect_to: Callable[[Any], str | None] = lambda result: None,
    audience: bool = False,
) -> HttpResponse:
    """One workflow button: call(comment=, expected_version=) and answer the page.

    With `audience`, the call also gets `comment_audience` from the form's
    "Customer sees the comment" box (internal when unticked).
    """
    form = TransitionForm(request.POST)
    if not form.is_valid():
        return page.answer(request, pk, status=400, error="The comment or version is invalid.")
    extra = {"comment_audience": form.comment_audience()} if audience else {}
    try:
        result = call(
            comment=form.cleaned_data["comment"].strip(),
            expected_version=form.cleaned_data["version"],
            **extra,
        )
    except REFUSED as exc:
        message, status, allowed = service_error(exc)
        return page.answer(request, pk, status=status, error=message, error_allowed=allowed)
    text = notice(result)
    url = redirect_to(result)
    if url:
        messages.success(request, text)
        return hx_redirect(url) if request.htmx else redirect(url)
    if not request.htmx:
        messages.success(request, text)
        return redirect(page.url_name, pk=pk)
    return page.answer(request, pk, notice=text)
